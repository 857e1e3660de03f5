"""A deployed policy narrower than the generated one is an out-of-band revocation (seed 000's
emergency console edit): the next apply would revert it. This maps the extra Denies back to
org.yaml entries that adopt them.

A Deny on the vendor's principals for the key's vendor actions, conditioned on
`StringEquals` of `kms:EncryptionContext:<k>` where `<k>` is a scope's context key in the vendor
file, is a revocation of that scope's values. Anything else is reported as "narrower" with the
lost request, and the advice to edit org.yaml or re-apply by hand.
"""

from __future__ import annotations

from ..policy import iam
from .expected import KeySpec

PREFIX = "kms:EncryptionContext:"


def _values(st: iam.Statement) -> dict[str, set[str]]:
    """Context key -> values of a Deny that only tests `StringEquals` on encryption context."""
    out: dict[str, set[str]] = {}
    for cond in st.conditions:
        if cond.operator != "StringEquals" or not cond.key.startswith(PREFIX):
            return {}
        out.setdefault(cond.key[len(PREFIX) :], set()).update(cond.values)
    return out


def _is_vendor_deny(st: iam.Statement, spec: KeySpec) -> bool:
    principals = set(st.principal.aws) if st.principal is not None else set()
    return st.effect == "Deny" and bool(principals) and principals <= set(spec.vendor_principals)


def _revoked_values(policy: iam.Policy, spec: KeySpec) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for st in policy.statements:
        if _is_vendor_deny(st, spec):
            for key, values in _values(st).items():
                out.setdefault(key, set()).update(values)
    return out


def adoption(generated: iam.Policy, deployed: iam.Policy, spec: KeySpec) -> str | None:
    """The org.yaml `revocations:` entries that would make the generated policy deny what the
    deployed one additionally denies, or None when the extra Denies are not revocations."""
    before = _revoked_values(generated, spec)
    after = _revoked_values(deployed, spec)
    lines: list[str] = []
    for key in sorted(after):
        new = sorted(after[key] - before.get(key, set()))
        if not new or key not in spec.scopes:
            continue
        lines += [
            f"  - scope: {spec.scopes[key]}",
            f"    values: [{', '.join(new)}]",
            "    reason: <why: the emergency change made in the console>",
            "    ticket: <TICKET>",
            f"    environments: [{spec.environment}]",
        ]
    if not lines:
        return None
    head = f"# org.yaml, under the app `vendor: {spec.vendor}`, in `revocations:`"
    return "\n".join([head, *lines])
