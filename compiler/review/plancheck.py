"""`byok check-plan`: a saved plan (`planfile.Plan`) judged against `generated/` (the
deployment inventory, `deployment.Inventory`, and the reviewed policy files).

Findings use the classes of `byok diff` (`findings.Finding`), so the exit codes are the same:
destruction 4, access and unproved 3, weakening 6, change 0. Each is located in the plan file
(`Located.where`: the resource change it is about).

Besides `planaccess` (policies, key state, keys gone from the state):
- **Destruction.** Deleting or replacing a data-bearing resource (a key, audit key, replica,
  log group, the trail or its bucket) unless org.yaml declares it (`decommissions`,
  `destructions`); removing an alarm or a metric filter is a weakening.
- **Undeclared resources.** A resource the plan creates, changes or deletes that the root's
  inventory does not list is unproved (hand-written Terraform, another configuration).
- **Settings.** A planned value weaker than the inventory's (retention, deletion window,
  rotation, trail logging and validation, versioning, alarm actions) is a weakening.
- **Missing.** A resource the inventory lists that the plan does not manage at all means the
  plan was made from another configuration (or with `-target`): unproved, or a weakening for
  the trail, its log group, alarms and metric filters.
- **Where.** The account and Region the plan's data sources read must be the root's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..deployment import DATA_BEARING, Inventory, Resource, Root
from .findings import Finding, FindingClass
from .planaccess import KEY_TYPES, Context, declared_ticket, enabled, gone, policies, recreated
from .planfile import Change, Path_, Plan, by_address
from .weakening import lost, weaker


@dataclass(frozen=True)
class Located:
    finding: Finding
    path: Path_  # in the plan file


# Plan attribute -> inventory setting, per resource type (values compared when known).
_SETTINGS: Mapping[str, tuple[str, ...]] = {
    "aws_kms_key": ("deletion_window_in_days", "enable_key_rotation", "rotation_period_in_days"),
    "aws_kms_external_key": ("deletion_window_in_days",),
    "aws_kms_replica_key": ("deletion_window_in_days",),
    "aws_cloudwatch_log_group": ("retention_in_days",),
    "aws_cloudtrail": (
        "enable_logging",
        "enable_log_file_validation",
        "is_multi_region_trail",
        "include_global_service_events",
    ),
    "aws_s3_bucket": ("force_destroy",),
    "aws_cloudwatch_metric_alarm": ("alarm_actions",),
}
_MONITORING = frozenset({"trail", "log-group", "alarm", "metric-filter", "subscription"})
# Types whose loss loses data or evidence when generated/ does not list them.
_TYPE_KIND = {
    "aws_kms_key": "key",
    "aws_kms_external_key": "key",
    "aws_kms_replica_key": "replica",
    "aws_kms_replica_external_key": "replica",
    "aws_cloudwatch_log_group": "log-group",
    "aws_cloudtrail": "trail",
    "aws_s3_bucket": "trail-bucket",
}


def _settings(c: Change, r: Resource) -> Iterator[Finding]:
    if c.after is None or c.quiet:
        return
    for k in _SETTINGS.get(c.type, ()):
        if k not in c.after or k not in r.settings or c.unknown(k):
            continue
        have, want = c.after[k], r.settings[k]
        if have == want or (k == "rotation_period_in_days" and want is None):
            continue
        worse, verb = weaker(k, want, have)
        line = f"{r.where()} {verb}: the plan sets {k} = {have}, generated/ says {want}"
        if worse:
            yield Finding("weakening", f"WEAKENED: {line}", r.files, r.where())
        else:
            yield Finding("change", f"changed: {line}", r.files, r.where())


def _declared_destruction(r: Resource, ctx: Context) -> str | None:
    if r.kind in ("key", "replica"):
        return ctx.decommissioned(r.name)
    what = ("resource", f"{r.kind} {r.name}")
    return declared_ticket(ctx.declared, "destructions", what, r.account, r.region)


def _name_of(c: Change) -> str:
    values = c.before or {}
    m = re.search(r'\["([^"]+)"\]', c.address)
    for k in ("name", "bucket"):
        if isinstance(values.get(k), str):
            return str(values[k])
    return m.group(1) if m else c.address


def _destroys(c: Change, r: Resource | None, ctx: Context) -> Iterator[Finding]:
    if not c.deletes:
        return
    how = "replaces" if c.creates else "deletes"
    if r is None:
        kind = _TYPE_KIND.get(c.type)
        if kind is None:
            return
        r = Resource(".", c.address, c.type, kind, ctx.account, ctx.region, _name_of(c))
    if r.kind not in DATA_BEARING:
        cls: FindingClass = (
            "weakening" if r.kind in ("alarm", "metric-filter") and not c.creates else "change"
        )
        label = "WEAKENED: " if cls == "weakening" else ""
        yield Finding(cls, f"{label}the plan {how} {r.where()}", r.files, r.where())
        return
    ticket = _declared_destruction(r, ctx)
    if ticket is not None:
        line = f"the plan {how} {r.where()}, as declared in org.yaml ({ticket})"
        yield Finding("destruction", line, r.files, r.where(), declared=True)
        return
    line = f"DESTROYED: the plan {how} {r.where()}: {lost(r)}"
    fix = (
        "declare it in org.yaml (`decommissions` for a key, `destructions` for the rest) and "
        "review the change, or plan from the reviewed commit"
    )
    yield Finding("destruction", line, r.files, r.where(), fix=fix)


def _undeclared(c: Change, root: Root) -> Iterator[Finding]:
    if c.quiet or (c.deletes and not c.creates):
        return
    verb = "creates" if c.creates else "changes"
    line = (
        f"the plan {verb} `{c.address}` ({c.type}), which generated/deployment.json does not "
        f"list for root `{root.dir}`: hand-written Terraform or another configuration"
    )
    yield Finding(
        "unproved", line, (), c.address, fix="review it (`byok diff`), or plan from generated/"
    )


def _alias_address(address: str) -> str | None:
    for t in ("aws_kms_key", "aws_kms_external_key"):
        if f".{t}." in address or address.startswith(f"{t}."):
            return address.replace(f"{t}.", "aws_kms_alias.", 1)
    m = re.match(r"^(.*)aws_kms_replica_key\.([a-z0-9_]+)(\[.*)$", address)
    return f"{m.group(1)}aws_kms_alias.replica_{m.group(2)}{m.group(3)}" if m else None


@dataclass(frozen=True)
class _Plan:
    """The plan's changes and drift by address."""

    changes: Mapping[str, Change]
    drift: Mapping[str, Change]


def _one(c: Change, r: Resource | None, p: _Plan, ctx: Context, root: Root) -> Iterator[Finding]:
    drift = p.drift.get(c.address)
    yield from _destroys(c, r, ctx)
    if r is None:
        yield from _undeclared(c, root)
    else:
        yield from _settings(c, r)
    yield from policies(c, r, drift, ctx)
    yield from enabled(c, r, drift, ctx)
    if c.type in KEY_TYPES and not (drift is not None and drift.deletes):
        yield from recreated(c, r, p.changes.get(_alias_address(c.address) or ""))


def _missing(mine: Mapping[str, Resource], changes: Mapping[str, Change]) -> Iterator[Finding]:
    for address, r in sorted(mine.items()):
        if address in changes:
            continue
        cls: FindingClass = "weakening" if r.kind in _MONITORING else "unproved"
        line = (
            f"the plan does not manage {r.where()} (`{address}`), which generated/ declares: "
            "made from another configuration, or with -target"
        )
        yield Finding(
            cls, f"{'WEAKENED: ' if cls == 'weakening' else ''}{line}", r.files, r.where()
        )


def _where(plan: Plan, root: Root) -> Iterator[Finding]:
    for address, values in sorted(plan.data.items()):
        if address.endswith("data.aws_caller_identity.current"):
            have, want, what = values.get("account_id"), root.account, "account"
        elif address.endswith("data.aws_region.current"):
            have, want, what = values.get("name") or values.get("region"), root.region, "Region"
        else:
            continue
        if isinstance(have, str) and have != want:
            line = (
                f"the plan was made in {what} {have} (`{address}`); generated/ deploys root "
                f"`{root.dir}` to {what} {want}"
            )
            yield Finding("unproved", line, (), root.dir)


def judge(plan: Plan, inv: Inventory, root: Root, documents: Mapping[str, Any]) -> list[Located]:
    ctx = Context(root.account, root.region, documents, inv.declared)
    mine = inv.by_address(root.dir)
    p = _Plan(by_address(plan.changes), by_address(plan.drift))
    out: list[Located] = [Located(f, ()) for f in _where(plan, root)]
    for c in plan.changes:
        out += [Located(f, c.path) for f in _one(c, mine.get(c.address), p, ctx, root)]
    for d in plan.drift:
        found = gone(d, mine.get(d.address), p.changes.get(d.address), ctx, plan.timestamp)
        out += [Located(f, d.path) for f in found]
    out += [Located(f, ()) for f in _missing(mine, p.changes)]
    return out


def pick_root(plan: Plan, inv: Inventory, named: str | None) -> Root | None:
    """The root the plan is of: `named` (--root), else generated/'s only root, else the root
    whose addresses the plan's changes use (None when none or several match)."""
    roots = {r.dir: r for r in inv.roots}
    if named is not None:
        return roots.get(named.rstrip("/") or ".")
    if len(inv.roots) == 1:
        return inv.roots[0]
    addresses = {c.address for c in plan.changes}
    hits = [r for r in inv.roots if addresses & inv.by_address(r.dir).keys()]
    return hits[0] if len(hits) == 1 else None


def blocking(found: Sequence[Located]) -> list[Finding]:
    return [x.finding for x in found if x.finding.blocks]
