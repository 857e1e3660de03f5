"""A deployed policy narrower than the generated one is an out-of-band revocation (seed 000's
emergency console edit): the next apply would revert it. This maps the extra Denies back to
org.yaml entries that adopt them.

A Deny on the vendor's principals for the key's vendor actions, conditioned on
`StringEquals` of `kms:EncryptionContext:<k>` where `<k>` is a scope's context key in the vendor
file, is a revocation of that scope's values. Anything else is reported as "narrower" with the
lost request, and the advice to edit org.yaml or re-apply by hand.
"""

from __future__ import annotations

import json

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


# Placeholders that compile (org.yaml's Text and Ticket patterns): the snippet pasted as it is
# passes `byok generate`, and the reviewer sees what to fill in.
REASON = '"emergency change adopted from the live key policy by byok audit: say why"'
TICKET = "TODO-1"


def _entry(spec: KeySpec, key: str, values: list[str], pad: str) -> list[str]:
    """One `revocations:` entry, its dash at `pad`."""
    lines = [
        f"{pad}- scope: {spec.scopes[key]}",
        f"{pad}  values: [{', '.join(json.dumps(v) for v in values)}]",
        f"{pad}  reason: {REASON}",
        f"{pad}  ticket: {TICKET}",
        f"{pad}  environments: [{spec.environment}]",
    ]
    if key in spec.unconfirmed:  # E325 without it: the vendor has not confirmed the key
        lines.append(f"{pad}  unconfirmed_context_key: {{reason: {REASON}, ticket: {TICKET}}}")
    return lines


def adoption(generated: iam.Policy, deployed: iam.Policy, spec: KeySpec) -> str | None:
    """The org.yaml `revocations:` entries that would make the generated policy deny what the
    deployed one additionally denies, or None when the extra Denies are not revocations.
    Indented as the app's entries in org.yaml are, so it compiles where it is pasted: under the
    app's `revocations:`, or, when the app has none, among the app's keys (then the snippet
    starts with `revocations:`)."""
    before = _revoked_values(generated, spec)
    after = _revoked_values(deployed, spec)
    app = max((spec.app_col or 5) - 1, 0)
    pad = " " * (spec.entry_col - 3 if spec.entry_col else app + 2)
    lines: list[str] = [] if spec.entry_col else [" " * app + "revocations:"]
    head = len(lines)
    for key in sorted(after):
        new = sorted(after[key] - before.get(key, set()))
        if new and key in spec.scopes:
            lines += _entry(spec, key, new, pad)
    if len(lines) == head:
        return None
    where = "in `revocations:`" if spec.entry_col else "among its keys"
    return "\n".join([f"# org.yaml, under the app `vendor: {spec.vendor}`, {where}", *lines])
