"""`generated/deployment.json`: every AWS resource each Terraform root creates, from the same
compiled structures and locals that render its `main.tf` (`locals.locals_block`).

The generated module turns its literal locals into resources through the hand-written modules;
this file states what each module makes of them: the Terraform address, the AWS identity, the
values of the forces-replacement arguments (`deployment.FORCES_REPLACEMENT`), the monitoring and
evidence settings, and the access documents. tests/e2e/test_inventory.py proves it against a
real `terraform plan` of the shipped root and of a stack root (every planned resource is here
with the same address, identity and values, and nothing else is), so a module edit that makes
it untrue fails there; `byok diff` fails closed on any hand-written Terraform change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from ..compile import Compiled, CompiledKey
from ..deployment import INVENTORY_FILE, Inventory, Line, Resource, Root, dumps, resource_line
from ..resolve.stacks import name_suffix, stack_id
from .features import AnalyzerPlan, ArchiveRule, features
from .inventory_alarms import alarms
from .inventory_audit import cloudtrail
from .inventory_features import archive_rules, feature_resources, rules_by_key
from .inventory_root import RootResources
from .locals import locals_block
from .pieces import Pieces
from .replicas import REPLICAS_FILE, ident, replica_regions
from .stacks import split

INVENTORY_PATH = INVENTORY_FILE  # relative to generated/
# A key's archive rules and their analyzer (None: no analyzer in its root)
Rules = tuple[AnalyzerPlan, Sequence[ArchiveRule]] | None
# What becomes of each key's own resources (`inventory`, `inventory_json`)
_Own = Callable[[RootResources, CompiledKey, Mapping[str, Any], Rules], None]


def _key(root: RootResources, ck: CompiledKey, values: Mapping[str, Any], rules: Rules) -> None:
    """Key `ck`'s own resources: the key, its alias and its archive rules (`rules`)."""
    name = ck.key.name
    mod = f'module.key["{name}"]'
    external = bool(values["imported_key_material"])
    type_ = "aws_kms_external_key" if external else "aws_kms_key"
    rotation = bool(values["enable_key_rotation"]) and not external
    replace = {"multi_region": values["multi_region"]}
    if not external:
        replace |= {
            "customer_master_key_spec": values["key_spec"],
            "key_usage": values["key_usage"],
        }
    settings: dict[str, Any] = {"deletion_window_in_days": values["deletion_window_in_days"]}
    if not external:  # aws_kms_external_key has no rotation: AWS rotates no imported material
        period = values["rotation_period_in_days"] if rotation else None
        settings |= {"enable_key_rotation": rotation, "rotation_period_in_days": period}
    settings["enabled"] = values["is_enabled"]
    files = ("modules/kms-key/main.tf",)
    root.add(
        f"{mod}.{type_}.this[0]",
        type_,
        "key",
        name,
        replace_on=replace,
        settings=settings,
        access={"key_policy": f"generated/policies/{name}.json"},
        files=files,
    )
    alias = str(values["alias_name"])
    root.add(
        f"{mod}.aws_kms_alias.this[0]",
        "aws_kms_alias",
        "alias",
        alias,
        replace_on={"name": alias},
        files=files,
    )
    if rules is not None:
        archive_rules(root, *rules)


def _replicas(root: RootResources, compiled: Compiled, keys: Mapping[str, Any]) -> None:
    file = f"{root.module_dir}/{REPLICAS_FILE}"
    for region, names in replica_regions(compiled).items():
        for name in names:
            values = keys[name]
            external = values["imported_key_material"]
            primary = f'{root.prefix}module.key["{name}"].' + (
                "aws_kms_external_key" if external else "aws_kms_key"
            )
            res = f'aws_kms_replica_key.{ident(region)}["{name}"]'
            root.add(
                res,
                "aws_kms_replica_key",
                "replica",
                name,
                region=region,
                replace_on={"primary_key_arn": f"${{{primary}.this[0].arn}}"},
                settings={
                    "deletion_window_in_days": values["deletion_window_in_days"],
                    "enabled": values["is_enabled"],
                },
                access={"key_policy": f"generated/policies/{name}.json"},
                files=(file,),
            )
            alias = str(values["alias_name"])
            root.add(
                f'aws_kms_alias.replica_{ident(region)}["{name}"]',
                "aws_kms_alias",
                "alias",
                alias,
                region=region,
                replace_on={"name": alias},
                files=(file,),
            )


def trust_policy(principals: list[str], external_id: str) -> dict[str, Any]:
    """modules/vendor-log-role aws_iam_role.this assume_role_policy, as the module builds it."""
    statement = {
        "Sid": "VendorAssumeRoleWithExternalId",
        "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def permissions_policy(actions: list[str], log_group_arn: str) -> dict[str, Any]:
    """modules/vendor-log-role aws_iam_role_policy.this policy, as the module builds it."""
    statement = {
        "Sid": "WriteVendorLogGroup",
        "Effect": "Allow",
        "Action": sorted(set(actions)),
        "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def _vendor_logging(
    root: RootResources, app: str, values: Mapping[str, Any], retention: int
) -> None:
    mod = f'module.vendor_log_role["{app}"]'
    files = ("modules/vendor-log-role/main.tf",)
    group = str(values["log_group_name"])
    root.log_group(mod, group, retention, files)
    arn = f"arn:aws:logs:{root.region}:{root.account}:log-group:{group}"
    trust = trust_policy(list(values["trusted_principal_arns"]), str(values["external_id"]))
    perms = permissions_policy(list(values["actions"]), arn)
    root.role(
        mod,
        str(values["role_name"]),
        "write-vendor-log-group",
        files,
        trust_policy=trust,
        permissions_policy=perms,
    )


def _own(
    root: RootResources, ck: CompiledKey, values: Mapping[str, Any], rules: Rules
) -> list[Line]:
    """Key `ck`'s own resources (`_key`), written as `dumps` writes them, not kept in `root`."""
    n = len(root.out)
    _key(root, ck, values, rules)
    mine = root.out[n:]
    del root.out[n:]
    return [resource_line(r) for r in mine]


def _root_resources(
    root: RootResources, compiled: Compiled, suffix: str, own: _Own
) -> list[Resource]:
    """`own`: where each key's own resources go (`inventory`: kept in `root`; `inventory_json`:
    written, each key's from its pieces)."""
    values = locals_block(compiled, suffix, root=root.dir == ".")
    keys: dict[str, Any] = values["keys"]  # type: ignore[assignment]
    plans = features(compiled, suffix)
    a, rules = plans.analyzer, rules_by_key(plans.analyzer)
    for ck in sorted(compiled.keys, key=lambda c: c.key.name):
        name = ck.key.name
        own(root, ck, keys[name], None if a is None else (a, rules.get(name, [])))
    _replicas(root, compiled, keys)
    group = cloudtrail(root, values)
    retention = int(values["log_retention_days"])  # type: ignore[arg-type]
    logging: dict[str, Any] = values["logging"]  # type: ignore[assignment]
    for app in sorted(logging):
        _vendor_logging(root, app, logging[app], retention)
    alarms(root, values, group, [*sorted(keys), ":alarms", ":trail"])
    feature_resources(root, plans)
    return root.out


def _roots(compiled: Compiled) -> Iterator[tuple[RootResources, Compiled, str]]:
    org = compiled.resolved.org
    root, stacks = split(compiled)
    yield RootResources(".", org.account_id, org.region, "generated"), root, ""
    for sid, stack in stacks.items():
        s = stack.resolved.org
        where = f"generated/stacks/{sid}"
        assert sid == stack_id(s.account_id, s.region)
        yield (
            RootResources(where, s.account_id, s.region, where),
            stack,
            name_suffix(org, s.account_id, s.region),
        )


def declared(compiled: Compiled) -> dict[str, Any]:
    """What org.yaml declares for `byok check-plan` (deployment.Inventory.declared)."""
    org = compiled.resolved.org
    return {
        "decommissions": [
            {"key": d.key, "account_id": d.account_id, "region": d.region, "ticket": d.ticket}
            for d in org.decommissions
        ],
        "destructions": [
            {
                "resource": d.resource,
                "account_id": d.account_id,
                "region": d.region,
                "ticket": d.ticket,
            }
            for d in org.destructions
        ],
        "key_states": [
            {"key": ck.key.name, "enabled": s.enabled, "ticket": s.ticket}
            for ck in sorted(compiled.keys, key=lambda c: c.key.name)
            if (s := ck.key.key_state) is not None
        ],
    }


def inventory(compiled: Compiled, own: _Own = _key) -> Inventory:
    """Every root's resources (but the keys' own where `own` keeps them elsewhere)."""
    roots: list[Root] = []
    resources: list[Resource] = []
    for root, part, suffix in _roots(compiled):
        roots.append(Root(root.dir, root.account, root.region))
        resources += _root_resources(root, part, suffix, own)
    return Inventory(tuple(roots), tuple(resources), declared(compiled))


def inventory_json(compiled: Compiled, pieces: Pieces | None = None) -> bytes:
    """The bytes of `generated/deployment.json`, each key's own resources from `pieces` (a
    reused app's lines as an earlier build wrote them; render/pieces.py)."""
    given = pieces or Pieces()
    lines: list[Line] = []

    def own(root: RootResources, ck: CompiledKey, values: Mapping[str, Any], rules: Rules) -> None:
        lines.extend(given.lines(ck, partial(_own, root, ck, values, rules)))

    return dumps(inventory(compiled, own), lines)
