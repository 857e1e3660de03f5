"""`byok check-plan`: the access a plan sets, and the incidents it must not undo.

- **Policies.** Every key, replica and IAM policy a plan sets must equal (as parsed JSON) the
  document `generated/` reviewed (`deployment.Resource.access`). One that differs is compared
  with the engine (`policy.compare`) against the refreshed state the plan starts from (what is
  deployed; nothing for a resource the plan creates): a wider one is new access, and so is one
  the engine cannot decide. A policy the plan cannot show (known only after apply) is unproved.
- **Drift reverted.** Where refresh found a policy changed outside Terraform and the plan sets
  the reviewed one back, the plan's policy is compared with the deployed one: reverting an
  emergency narrowing (a revocation made in the console) is new access; reverting a widening
  is reported and passes.
- **Key state.** A plan that enables a disabled key (disabled outside Terraform, or by an
  earlier `enabled: false`) is new access unless org.yaml `key_states` says `enabled: true`.
- **Keys gone from state.** The AWS provider drops a key pending deletion from the state at
  refresh (internal/service/kms/key.go `findKeyByID`: "Once the CMK is in the pending (replica)
  deletion state Terraform considers it logically deleted"; replicas and external keys alike),
  so the plan creates a new, empty key and moves the alias to it. That, and a key created while
  its alias already exists (the old key left the state earlier), is a destruction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..deployment import KIND_WORDS, Resource
from ..policy import iam
from ..policy.compare import Comparison, compare
from .deployment import as_engine_policy
from .findings import Finding
from .planfile import Change

# Plan attribute holding the policy, per resource type.
POLICY_ATTR: Mapping[str, str] = {
    "aws_kms_key": "policy",
    "aws_kms_external_key": "policy",
    "aws_kms_replica_key": "policy",
    "aws_kms_replica_external_key": "policy",
    "aws_iam_role": "assume_role_policy",
    "aws_iam_role_policy": "policy",
    "aws_iam_policy": "policy",
}
KEY_TYPES = frozenset(t for t in POLICY_ATTR if t.startswith("aws_kms_"))
# Plan attribute of a key's enabled state, per type (modules/kms-key, render/replicas.py).
ENABLED_ATTR: Mapping[str, str] = {
    "aws_kms_key": "is_enabled",
    "aws_kms_external_key": "enabled",
    "aws_kms_replica_key": "enabled",
    "aws_kms_replica_external_key": "enabled",
}


@dataclass(frozen=True)
class Context:
    """What check-plan knows besides the plan: the root's account and Region, the reviewed
    documents (`document(resource)`), and what org.yaml declares (deployment.json)."""

    account: str
    region: str
    documents: Mapping[str, Any]  # key_policy path -> parsed policy file
    declared: Mapping[str, Any]

    def reviewed(self, r: Resource) -> Any | None:
        if "key_policy" in r.access:
            return self.documents.get(str(r.access["key_policy"]))
        for doc in ("policy", "trust_policy", "permissions_policy"):
            if doc in r.access:
                return r.access[doc]
        return None

    def enabled_by(self, key: str) -> str | None:
        """The ticket of an org.yaml `enabled: true` for `key`, if any."""
        for s in self.declared.get("key_states") or ():
            if s.get("key") == key and s.get("enabled") is True:
                return str(s.get("ticket"))
        return None

    def decommissioned(self, key: str) -> str | None:
        """The ticket of the org.yaml decommission of `key` in this root, if any."""
        return declared_ticket(
            self.declared, "decommissions", ("key", key), self.account, self.region
        )


def declared_ticket(
    declared: Mapping[str, Any], section: str, match: tuple[str, str], account: str, region: str
) -> str | None:
    """The ticket of the entry of `section` whose `match[0]` is `match[1]`, in `account` and
    `region` (an entry without them matches any)."""
    for d in declared.get(section) or ():
        here = d.get("account_id") in (None, account) and d.get("region") in (None, region)
        if here and d.get(match[0]) == match[1]:
            return str(d.get("ticket"))
    return None


def _doc(value: Any) -> Any:
    """A policy attribute as a JSON document (the provider stores the string)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):  # not JSON, or nested too deeply to read
            return value
    return value


def _what(c: Change, r: Resource | None) -> str:
    return r.where() if r is not None else f"`{c.address}`"


def _engine(c: Change, r: Resource | None, doc: Any, account: str) -> iam.Policy:
    if c.type in KEY_TYPES:
        return iam.Policy.from_json(doc)
    values = c.after or c.before or {}
    role = str(values.get("role") or values.get("name") or (r.name if r else "?"))
    role = role.split(":")[0] if c.type == "aws_iam_role_policy" else role
    arn = f"arn:aws:iam::{account}:role/{role}"
    principal = None if c.type == "aws_iam_role" else arn
    return as_engine_policy(doc, principal, arn)


def _relation(c: Change, r: Resource | None, old: Any, new: Any, account: str) -> Comparison | str:
    try:
        return compare(_engine(c, r, old, account), _engine(c, r, new, account), account)
    except (ValueError, TypeError) as exc:
        return f"the engine cannot read it: {exc}"


def _gains(cmp: Comparison | str) -> tuple[str, dict[str, Any] | None]:
    if isinstance(cmp, str):
        return cmp, None
    w = cmp.new_access
    if w is None:
        return f"{cmp.relation}: {cmp.reason or 'no witness'}", None
    ctx = "".join(f" with {k} = {v}" for k, v in sorted(w.context.items()))
    return f"`{w.principal}` gains `{w.action}`{ctx}", w.to_json()


def policies(
    c: Change, r: Resource | None, drift: Change | None, ctx: Context
) -> Iterator[Finding]:
    attr = POLICY_ATTR.get(c.type)
    if attr is None or c.quiet or (c.deletes and not c.creates):
        return
    what, files = _what(c, r), (r.files if r else ())
    if c.unknown(attr):
        yield Finding(
            "unproved",
            f"{what}: the plan's {attr} is known only after apply, so it cannot be compared "
            "with generated/",
            files,
            what,
        )
        return
    new = _doc((c.after or {}).get(attr))
    old = _doc((c.before or {}).get(attr)) if c.before is not None else {"Statement": []}
    reviewed = ctx.reviewed(r) if r is not None else None
    if reviewed is not None and new == reviewed:
        drifted = drift is not None and _doc((drift.before or {}).get(attr)) != old
        if c.before is not None and drifted and old != new:
            yield from _reverted(c, r, old, new, ctx)
        return
    if old == new:
        return
    cmp = _relation(c, r, old, new, ctx.account)
    rel = cmp if isinstance(cmp, str) else cmp.relation
    against = "generated/ has none for it" if reviewed is None else "differs from generated/"
    if isinstance(cmp, str) or rel in ("wider", "incomparable", "unknown"):
        gains, witness = _gains(cmp)
        line = (
            f"NEW ACCESS: {what}: the plan's {attr} {against} and is wider than deployed: {gains}"
        )
        yield Finding("access", line, files, what, witness=witness, fix=_policy_fix(r))
    else:
        line = f"{what}: the plan's {attr} {against}; {rel} than deployed (no new access)"
        yield Finding("change", line, files, what)


def _policy_fix(r: Resource | None) -> str:
    if r is None:
        return "plan from the reviewed commit, or review the Terraform that sets it (byok diff)"
    return (
        "plan from the commit whose generated/ was reviewed (a hand-edited module, another "
        "workspace or a stale checkout sets another policy); `byok diff` reviews a change"
    )


def _reverted(c: Change, r: Resource | None, old: Any, new: Any, ctx: Context) -> Iterator[Finding]:
    """The plan sets the reviewed policy back over one changed outside Terraform."""
    what, files = _what(c, r), (r.files if r else ())
    cmp = _relation(c, r, old, new, ctx.account)
    rel = cmp if isinstance(cmp, str) else cmp.relation
    if isinstance(cmp, str) or rel in ("wider", "incomparable", "unknown"):
        gains, witness = _gains(cmp)
        line = (
            f"NEW ACCESS: {what}: its policy was changed outside Terraform and this plan sets the "
            f"reviewed one back, undoing it: {gains}"
        )
        fix = (
            "keep the out-of-band change by adopting it in org.yaml (`byok audit` prints the "
            "revocation to paste), or accept undoing it with --allow-widening"
        )
        yield Finding("access", line, files, what, witness=witness, fix=fix)
    else:
        line = f"{what}: reverts an out-of-band policy change ({rel} after the plan: no new access)"
        yield Finding("change", line, files, what)


def enabled(c: Change, r: Resource | None, drift: Change | None, ctx: Context) -> Iterator[Finding]:
    attr = ENABLED_ATTR.get(c.type)
    if attr is None or c.quiet or c.after is None or c.unknown(attr):
        return
    after, before = c.after.get(attr), (c.before or {}).get(attr)
    what, files = _what(c, r), (r.files if r else ())
    want = None if r is None else r.settings.get("enabled")
    if after is True and want is False:
        line = f"NEW ACCESS: {what}: the plan enables it; generated/ keeps it disabled"
        yield Finding("access", line, files, what, fix=_policy_fix(r))
        return
    if c.before is None or before is not False or after is not True:
        return
    name = r.name if r is not None and r.kind in ("key", "replica") else None
    ticket = ctx.enabled_by(name) if name else None
    outside = drift is not None and (drift.before or {}).get(attr) is True
    how = "was disabled outside Terraform" if outside else "is disabled"
    if ticket is not None:
        line = f"{what} {how}; the plan enables it again, as org.yaml says ({ticket})"
        yield Finding("change", line, files, what)
        return
    line = (
        f"NEW ACCESS: {what} {how} and this plan enables it again: every principal its "
        "policy allows may use it"
    )
    env = "<environment>"
    if r is not None and name and "-" in name:
        env = name.split("-", 1)[1]
    fix = (
        "to keep it disabled: org.yaml `key_states: [{environment: "
        f"{env}, enabled: false, reason: ..., ticket: ...}}]` under its app; to enable it: "
        "the same entry with `enabled: true`; then generate, review and plan again"
    )
    yield Finding("access", line, files, what, fix=fix)


def _recovery(arn: str, region: str, address: str, key_id: str, keep_disabled: bool) -> str:
    enable = "" if keep_disabled else f" && aws kms enable-key --key-id {arn} --region {region}"
    return (
        f"aws kms cancel-key-deletion --key-id {arn} --region {region}{enable}, then "
        f"`terraform plan` again (if the key already left the state file, after an apply or "
        f"`apply -refresh-only`: `terraform import '{address}' {key_id}` first)"
    )


def gone(
    d: Change, r: Resource | None, change: Change | None, ctx: Context, when: str | None
) -> Iterator[Finding]:
    """A key (or replica) refresh dropped from the state (`resource_drift`, action delete)."""
    if d.type not in KEY_TYPES or not d.deletes or d.after is not None:
        return
    b = d.before or {}
    arn, key_id = str(b.get("arn", "?")), str(b.get("key_id") or b.get("id") or "?")
    name = r.name if r is not None else d.address
    kind = KIND_WORDS.get(r.kind, "key") if r is not None else "key"
    region = arn.split(":")[3] if arn.count(":") >= 5 else ctx.region
    ticket = ctx.decommissioned(name) if r is None or r.kind in ("key", "replica") else None
    state = (
        f"state: PendingDeletion or deleted as of the plan ({when or 'undated'}); the provider "
        "drops both from its state at refresh and the plan cannot tell which "
        f"(`aws kms describe-key --key-id {arn}` shows KeyState and DeletionDate)"
    )
    files = r.files if r is not None else ()
    if ticket is not None and (change is None or not change.creates):
        line = (
            f"{kind} `{name}` ({arn}) left the state, as declared in org.yaml ({ticket}); {state}"
        )
        yield Finding("destruction", line, files, f"{kind} {name}", declared=True)
        return
    if change is not None and change.creates:
        how = (
            "this plan creates a new, empty key in its place and moves its alias to it: the "
            "vendor would encrypt under a key nobody reviewed, and what the old key encrypted "
            "is lost when its deletion window ends"
        )
    else:
        how = "applying this plan forgets it: Terraform no longer manages or protects it"
    line = f"KEY PENDING DELETION: {kind} `{name}` ({arn}) left Terraform's state; {how}; {state}"
    disabled = r is not None and r.settings.get("enabled") is False
    fix = _recovery(arn, region, d.address, key_id, disabled)
    yield Finding("destruction", line, files, f"{kind} {name}", fix=fix)


def recreated(c: Change, r: Resource | None, alias: Change | None) -> Iterator[Finding]:
    """A key created while its alias is in the state already: the alias moves to a new key."""
    if c.type not in KEY_TYPES or not c.creates or c.deletes or alias is None:
        return
    if alias.creates or alias.quiet or alias.before is None:
        return
    what = _what(c, r)
    old = (alias.before or {}).get("target_key_id")
    line = (
        f"KEY RE-CREATED: {what}: the plan creates a new key while its alias "
        f"`{(alias.before or {}).get('name')}` still points at {old}, and moves the alias to the "
        "new, empty key (the old key left the state earlier, e.g. pending deletion)"
    )
    fix = f"find the old key ({old}): cancel its deletion and `terraform import` it"
    yield Finding("destruction", line, r.files if r else (), what, fix=fix)
