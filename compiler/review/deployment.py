"""The deployment review: the base's inventory against the working tree's
(`generated/deployment.json`, `byok.deployment`), resource by AWS identity.

- A data-bearing resource that leaves, moves to another root or address without a `moved`
  block, or whose forces-replacement arguments change, is destroyed: `destruction`, unless
  org.yaml declares it. Keys leaving are the key review's (`changes.removal`, decommissions).
- A role's trust and permissions policies are compared with the key policies' engine and
  relation (`policy.compare`): a witness request names who gains what. A new role, and a new
  replica (a new key ARN in a new Region), are new access.
- Shorter retention or deletion windows, rotation off or slower, the trail stopped or
  narrowed, Insights off, an alarm or a recipient removed, alarms sent to another topic, Object
  Lock or access logging removed: `weakening`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..deployment import Identity, Inventory, Resource
from ..model.destructions import Destruction
from ..policy import iam
from ..policy.compare import compare
from .findings import Finding, FindingClass
from .weakening import PROTECTION_GONE, WEAKER, lost


@dataclass(frozen=True)
class Context:
    """What the working tree's org.yaml says, for the lines: declared destructions, and who
    each vendor is (`labels`: key or app name -> `Slack (152659312504)`)."""

    destructions: Sequence[Destruction] = ()
    decommissioned: frozenset[str] = frozenset()  # keys org.yaml decommissions (and replicas)
    moved: Mapping[str, str] = field(default_factory=dict)  # `moved` blocks: from -> to
    labels: Callable[[str], str] = lambda name: name

    def declared(self, r: Resource) -> bool:
        if r.kind == "replica" and r.name in self.decommissioned:
            return True  # a decommissioned key goes with its replicas (README)
        return any(
            d.resource == f"{r.kind} {r.name}"
            and d.account_id in (None, r.account)
            and d.region in (None, r.region)
            for d in self.destructions
        )


def _declare(r: Resource) -> str:
    region = f", region: {r.region}" if r.region else ""
    return (
        f'declare it in org.yaml: `destructions: [{{resource: "{r.kind} {r.name}", '
        f'account_id: "{r.account}"{region}, reason: ..., ticket: ...}}]`, or keep it'
    )


def _destroyed(r: Resource, how: str, ctx: Context, files: tuple[str, ...] = ()) -> Finding:
    declared = ctx.declared(r)
    verb = "destroyed (declared in org.yaml `destructions`)" if declared else "DESTROYED"
    return Finding(
        "destruction",
        f"{verb}: {r.where()}: {how}; {lost(r)}",
        files or r.files,
        r.where(),
        declared,
        fix=None if declared else _declare(r),
    )


def _gone(r: Resource, ctx: Context) -> Iterator[Finding]:
    if r.kind == "key":
        return  # the key review's: a key leaving needs a decommission
    if r.data_bearing:
        how = "no root creates it any more" + (
            "" if r.settings.get("skip_destroy") else ", so Terraform deletes it"
        )
        yield _destroyed(r, how, ctx)
    elif r.kind == "alarm":
        yield Finding(
            "weakening", f"alarm removed: {r.where()} no longer alarms", r.files, r.where()
        )
    elif r.kind in PROTECTION_GONE:
        line = f"removed: {r.where()}: {PROTECTION_GONE[r.kind]}"
        yield Finding("weakening", line, r.files, r.where())
    elif r.kind == "metric-filter":
        yield Finding(
            "weakening",
            f"metric filter removed: {r.where()} no longer counts its events",
            r.files,
            r.where(),
        )
    elif r.kind != "subscription":  # recipients: `_recipients`
        yield Finding("change", f"removed: {r.where()}", r.files, r.where())


def _moved_to(old: Resource, new: Resource, ctx: Context) -> Iterator[Finding]:
    """The same AWS resource at another address or in another root."""
    if old.root == new.root and ctx.moved.get(old.address) == new.address:
        line = f"moved: {new.where()}: `{old.address}` -> `{new.address}` (a `moved` block)"
        yield Finding("change", line, new.files, new.where())
        yield from _same(old, new, ctx)
        return
    if old.root != new.root:
        how = f"its root changes from `{old.root}` to `{new.root}` (another state)"
    elif old.type != new.type:
        how = f"Terraform replaces it: `{old.type}` becomes `{new.type}`"
    else:
        how = f"its address changes from `{old.address}` to `{new.address}` without a `moved` block"
    if old.data_bearing:
        yield _destroyed(new, how, ctx, tuple(sorted({*old.files, *new.files})))
    else:
        yield Finding("change", f"re-created: {new.where()}: {how}", new.files, new.where())
    yield from _settings(old, new)
    yield from _access(old, new, ctx)


def _same(old: Resource, new: Resource, ctx: Context) -> Iterator[Finding]:
    yield from _replaced(old, new, ctx)
    yield from _settings(old, new)
    yield from _access(old, new, ctx)


def _replaced(old: Resource, new: Resource, ctx: Context) -> Iterator[Finding]:
    changed = sorted(
        k
        for k in {*old.replace_on, *new.replace_on}
        if old.replace_on.get(k) != new.replace_on.get(k)
    )
    if not changed:
        return
    what = ", ".join(
        f"{k} {_show(old.replace_on.get(k))} -> {_show(new.replace_on.get(k))}" for k in changed
    )
    how = f"Terraform replaces it ({what} forces replacement in the AWS provider)"
    if old.data_bearing:
        yield _destroyed(new, how, ctx)
    else:
        yield Finding("change", f"re-created: {new.where()}: {how}", new.files, new.where())


def _show(v: Any) -> str:
    return json.dumps(v) if not isinstance(v, str) else f"`{v}`"


def _enabled(old: Resource, new: Resource) -> Iterator[Finding]:
    """org.yaml `key_states`: enabling a disabled key again gives back all its access."""
    o, n = old.settings.get("enabled", True), new.settings.get("enabled", True)
    if o == n:
        return
    if n:
        line = (
            f"NEW ACCESS: {new.where()} is enabled again: every principal its policy allows "
            "may use it"
        )
        yield Finding("access", line, new.files, new.where())
    else:
        line = f"{new.where()} is disabled: every cryptographic operation on it fails"
        yield Finding("change", line, new.files, new.where())


def _settings(old: Resource, new: Resource) -> Iterator[Finding]:
    yield from _enabled(old, new)
    for k in sorted({*old.settings, *new.settings}):
        o, n = old.settings.get(k), new.settings.get(k)
        if o == n or k in ("recipient", "enabled"):
            continue
        weaker, verb = WEAKER.get(k, (lambda o, n: True, "changes"))
        cls: FindingClass = "weakening" if weaker(o, n) else "change"
        line = f"{new.where()} {verb}: {k} {_show(o)} -> {_show(n)}"
        yield Finding(
            cls, line if cls == "weakening" else f"changed: {line}", new.files, new.where()
        )


def _role_arn(r: Resource, role: str) -> str:
    return f"arn:aws:iam::{r.account}:role/{role}"


def as_engine_policy(doc: Mapping[str, Any], principal: str | None, resource: str) -> iam.Policy:
    """An IAM trust or permissions policy as the engine reads key policies: a trust policy's
    statements apply to the role (`resource`), a permissions policy's to the role that holds
    it (`principal`)."""
    statements = []
    for s in doc.get("Statement", []):
        s = dict(s)
        if "Resource" not in s and "NotResource" not in s:
            s["Resource"] = resource
        if principal is not None and "Principal" not in s and "NotPrincipal" not in s:
            s["Principal"] = {"AWS": principal}
        statements.append(s)
    return iam.Policy.from_json({"Version": "2012-10-17", "Statement": statements})


_EMPTY: Mapping[str, Any] = {"Statement": []}


def _access(old: Resource | None, new: Resource, ctx: Context) -> Iterator[Finding]:
    for doc in ("trust_policy", "permissions_policy"):
        if doc not in new.access:
            continue
        if old is not None and doc not in old.access:
            continue  # an inventory that did not record it (written by an older byok)
        before = old.access.get(doc, _EMPTY) if old is not None else _EMPTY
        if old is not None and before == new.access[doc]:
            continue
        role = str(new.access.get("role", new.name))
        arn = _role_arn(new, role)
        principal = None if doc == "trust_policy" else arn
        result = compare(
            as_engine_policy(before, principal, arn),
            as_engine_policy(new.access[doc], principal, arn),
            new.account,
        )
        added = _added(before, new.access[doc])
        yield from _access_finding(new, doc, role, result, ctx, added, old is None)


def _elements(doc: Mapping[str, Any]) -> dict[str, set[str]]:
    """Every principal, action, resource and condition value an IAM document names."""
    out: dict[str, set[str]] = {"principals": set(), "actions": set(), "resources": set()}
    for s in doc.get("Statement", []):
        if s.get("Effect") != "Allow":
            continue
        who = s.get("Principal", {})
        for v in who.values() if isinstance(who, dict) else [who]:
            out["principals"].update([v] if isinstance(v, str) else v)
        for k in ("actions", "resources"):
            v = s.get(k.capitalize()[:-1], [])
            out[k].update([v] if isinstance(v, str) else v)
        for op in (s.get("Condition") or {}).values():
            for key, v in op.items():
                out.setdefault(key, set()).update([v] if isinstance(v, str) else v)
    return out


def _added(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """`new principals: ...; new sts:ExternalId: ...`: what the document names that it did not."""
    old, new = _elements(before), _elements(after)
    parts = [
        f"new {k}: {', '.join(sorted(new[k] - old.get(k, set())))}"
        for k in sorted(new)
        if new[k] - old.get(k, set())
    ]
    return "; ".join(parts)


def _access_finding(
    new: Resource, doc: str, role: str, result: Any, ctx: Context, added: str, fresh: bool
) -> Iterator[Finding]:
    what = "trust policy" if doc == "trust_policy" else "permissions policy"
    role_words = f"{'new ' if fresh else ''}IAM role `{role}`"
    if result.relation in ("equivalent", "narrower"):
        line = f"{role_words}: {what} changed ({result.relation})"
        yield Finding("change", line, new.files, new.where())
        return
    w = result.new_access
    if w is None:
        line = f"NEW ACCESS: {role_words}: {what} {result.relation}: {result.reason}"
    elif doc == "trust_policy":
        ctx_text = "".join(f" with {k} = {v}" for k, v in sorted(w.context.items()))
        line = f"NEW ACCESS: {w.principal} may {w.action} into {role_words}{ctx_text}"
    else:
        line = (
            f"NEW ACCESS: {role_words} (assumed by {ctx.labels(role)}) may {w.action} "
            f"on {w.resource}"
        )
    detail = f"; {added}" if added else ""
    yield Finding(
        "access",
        f"{line} ({what}: {result.relation}{detail})",
        new.files,
        new.where(),
        witness=None if w is None else w.to_json(),
    )


def _created(r: Resource, ctx: Context) -> Iterator[Finding]:
    if r.kind == "key":
        return  # the key review's: a new key is new access, with a witness
    if r.kind == "replica":
        line = (
            f"NEW ACCESS: {r.name} replicated to Region {r.region}: a new key ARN there "
            f"carrying the key policy {r.access.get('key_policy')} "
            f"({ctx.labels(r.name)} may use it there)"
        )
        yield Finding("access", line, (*r.files, str(r.access.get("key_policy"))), r.where())
    elif r.access:
        yield from _access(None, r, ctx)
    elif r.kind != "subscription":
        yield Finding("change", f"created: {r.where()}", r.files, r.where())


def _recipients(base: Sequence[Resource], head: Sequence[Resource]) -> Iterator[Finding]:
    """Alarm recipients per root (its account and Region: one alarm topic each, whatever its
    name): a removed one is a weakening, and says what replaced it. `base` and `head` may hold
    only the resources that differ: a recipient on both sides is no finding."""

    def by_root(rs: Sequence[Resource]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for r in rs:
            if r.kind == "subscription" and ".key_alarms." in r.address:
                out.setdefault(f"account {r.account}/Region {r.region}", set()).add(
                    str(r.settings.get("recipient", r.name.split(" ", 1)[-1]))
                )
        return out

    old, new = by_root(base), by_root(head)
    files = next((r.files for r in (*head, *base) if r.kind == "subscription"), ())
    for place in sorted(old.keys() | new.keys()):
        lost = old.get(place, set()) - new.get(place, set())
        added = new.get(place, set()) - old.get(place, set())
        if lost:
            also = f" (replaced by {', '.join(sorted(added))})" if added else ""
            line = (
                f"alarm recipients removed ({place}): {', '.join(sorted(lost))} no longer "
                f"hear of key alarms{also}"
            )
            yield Finding("weakening", line, files, place)
        elif added:
            line = f"alarm recipients added ({place}): {', '.join(sorted(added))}"
            yield Finding("change", line, files, place)


def compare_inventories(base: Inventory, head: Inventory, ctx: Context) -> list[Finding]:
    """Every finding of the change from `base` to `head`, in a stable order."""
    old, new = base.by_identity(), head.by_identity()
    out: list[Finding] = []
    for ident in sorted(old.keys() | new.keys()):
        out += _one(old.get(ident), new.get(ident), ctx)
    out += _recipients(base.resources, head.resources)
    return out


def _one(old: Resource | None, new: Resource | None, ctx: Context) -> Iterator[Finding]:
    if new is None:
        assert old is not None
        yield from _gone(old, ctx)
    elif old is None:
        yield from _created(new, ctx)
    elif old.root != new.root or old.address != new.address:
        yield from _moved_to(old, new, ctx)
    else:
        yield from _same(old, new, ctx)


def identity_text(ident: Identity) -> str:
    kind, account, region, name = ident
    return f"{kind} {name} ({account}{'/' + region if region else ''})"
