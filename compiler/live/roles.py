"""`byok audit`'s checks of the IAM roles and log groups a root declares (issue 24): each role's
trust policy and permissions (inline and attached policies together) judged with the policy
engine against what `generated/` makes of them (`chain.Role`): wider is exit 3 (a vendor log
role trusting `"*"`, a policy allowing more), narrower or undecidable a finding; each log group
exists, keeps its retention and is encrypted with its key.

The engine compares resource policies. A trust policy is one, with no `Resource` (the role
itself: `"*"` here); a permissions policy names no principal, so each of its statements is
given the role as `Principal`, and the comparison is over actions and resources as requested by
that role. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
"""

from __future__ import annotations

from typing import Any

from ..policy import iam
from ..policy.compare import compare
from .chain import Chain, LogGroup, Role
from .chain_state import ChainState, RoleState
from .findings import Finding


def _statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    st = doc.get("Statement", [])
    return [st] if isinstance(st, dict) else list(st)


def as_trust(doc: dict[str, Any]) -> iam.Policy:
    sts = [
        s if "Resource" in s or "NotResource" in s else {**s, "Resource": "*"}
        for s in _statements(doc)
    ]
    return iam.Policy.from_json({"Version": "2012-10-17", "Statement": sts})


def as_permissions(docs: list[dict[str, Any]], role_arn: str) -> iam.Policy:
    sts = [{**s, "Principal": {"AWS": role_arn}} for d in docs for s in _statements(d)]
    return iam.Policy.from_json({"Version": "2012-10-17", "Statement": sts})


def judge(subject: str, check: str, want: iam.Policy, got: iam.Policy, account: str) -> Finding:
    """The deployed document against the expected one: equivalent, narrower, wider (exit 3)."""
    cmp = compare(want, got, account)
    if cmp.relation == "equivalent":
        return Finding(subject, check, "ok", "equivalent to what generated/ declares")
    if cmp.relation in ("wider", "incomparable") and cmp.new_access is not None:
        new = cmp.new_access.to_json()
        msg = f"WIDER than generated/: `{new['principal']}` may `{new['action']}`"
        return Finding(subject, check, "wider", msg, {"new_access": new})
    if cmp.relation == "narrower":
        lost = cmp.lost_access.to_json() if cmp.lost_access else None
        return Finding(
            subject, check, "finding", "narrower than generated/ declares", {"lost_access": lost}
        )
    return Finding(subject, check, "finding", f"cannot compare (unknown): {cmp.reason}")


def _role(c: Chain, want: Role, got: RoleState | None) -> list[Finding]:
    subject = f"role {want.name}"
    if got is None:
        return [Finding(subject, "role", "finding", "does not exist")]
    arn = f"arn:aws:iam::{c.account}:role/{want.name}"
    try:
        trust = judge(subject, "trust", as_trust(want.trust), as_trust(got.trust), c.account)
        perms = judge(
            subject,
            "permissions",
            as_permissions([want.policy], arn),
            as_permissions(got.policies, arn),
            c.account,
        )
    except ValueError as exc:  # a document byok cannot read: say so, never pass it
        return [Finding(subject, "role", "finding", f"policy byok cannot read: {exc}")]
    extra = [
        Finding(subject, "permissions", "finding", f"managed policy attached: {a}")
        for a in got.attached
    ]
    return [trust, perms, *extra]


def _log_group(
    want: LogGroup, got: dict[str, Any] | None, keys: dict[str, tuple[str, str]]
) -> list[Finding]:
    subject = f"log group {want.name}"
    if got is None:
        return [
            Finding(subject, "log group", "finding", "does not exist (deleted?): its logs are gone")
        ]
    out = []
    if got.get("retentionInDays") != want.retention:
        out.append(
            Finding(
                subject,
                "retention",
                "finding",
                f"keeps events {got.get('retentionInDays') or 'forever'} days, "
                f"generated/ says {want.retention}",
            )
        )
    key = keys.get(want.key)
    if key is not None and got.get("kmsKeyId") not in key:
        out.append(
            Finding(
                subject,
                "encryption",
                "finding",
                f"encrypted with {got.get('kmsKeyId') or 'no key'}, not {want.key}",
            )
        )
    return out or [
        Finding(
            subject, "log group", "ok", f"kept {want.retention} days, encrypted with {want.key}"
        )
    ]


def audit_roles(c: Chain, st: ChainState) -> list[Finding]:
    out: list[Finding] = []
    for role in c.roles:
        out += _role(c, role, st.roles.get(role.name))
    for group in c.log_groups:
        out += _log_group(group, st.log_groups.get(group.name), st.keys)
    return out
