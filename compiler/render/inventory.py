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

from collections.abc import Iterator, Mapping
from typing import Any

from ..compile import Compiled, CompiledKey
from ..deployment import INVENTORY_FILE, Inventory, Resource, Root, dumps
from ..resolve.stacks import name_suffix, stack_id
from .locals import locals_block
from .replicas import REPLICAS_FILE, ident, replica_regions
from .stacks import split

INVENTORY_PATH = INVENTORY_FILE  # relative to generated/

# modules/key-alarms locals.all_controls (none disabled by the generated module)
ALARM_CONTROLS = (
    "CloudTrailChanges",
    "DisableOrDeleteCMK",
    "GrantCreated",
    "KeyMaterialDeleted",
    "KeyPolicyChanges",
    "KeyReplicated",
    "KeyRotationDisabled",
)
# What the hand-written modules set literally (or by a default the generated module keeps):
# `review.deployment.MODULE_LITERALS` checks that the working tree's modules still say so.
AUDIT_KEY = {
    "deletion_window_in_days": 30,
    "enable_key_rotation": True,
    "rotation_period_in_days": 365,
}
TRAIL = {
    "enable_logging": True,
    "enable_log_file_validation": True,
    "include_global_service_events": True,
    "is_multi_region_trail": True,
    "event_selectors": "default: all management events",
}
SYMMETRIC = {"customer_master_key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT"}


class _Root:
    """One root being inventoried: where its state lives and how addresses begin there."""

    def __init__(self, dir_: str, account: str, region: str, module_dir: str) -> None:
        self.dir, self.account, self.region = dir_, account, region
        self.prefix = "module.byok." if dir_ == "." else ""  # the root main.tf calls ./generated
        self.main = f"{module_dir}/main.tf"
        self.module_dir = module_dir
        self.out: list[Resource] = []

    def add(self, address: str, type_: str, kind: str, name: str, **kw: Any) -> None:
        region = "" if type_.startswith("aws_iam_") else kw.pop("region", self.region)
        files = (self.main, *kw.pop("files", ()))
        self.out.append(
            Resource(
                self.dir, self.prefix + address, type_, kind, self.account, region, name,
                files=files, **kw,
            )
        )  # fmt: skip


def _key(root: _Root, ck: CompiledKey, values: Mapping[str, Any]) -> None:
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
    settings = {
        "deletion_window_in_days": values["deletion_window_in_days"],
        "enable_key_rotation": rotation,
        "rotation_period_in_days": values["rotation_period_in_days"] if rotation else None,
    }
    files = ("modules/kms-key/main.tf",)
    policy = {"key_policy": f"generated/policies/{name}.json"}
    root.add(f"{mod}.{type_}.this[0]", type_, "key", name, replace_on=replace,
             settings=settings, access=policy, files=files)  # fmt: skip
    alias = str(values["alias_name"])
    root.add(f"{mod}.aws_kms_alias.this[0]", "aws_kms_alias", "alias", alias,
             replace_on={"name": alias}, files=files)  # fmt: skip


def _replicas(root: _Root, compiled: Compiled, keys: Mapping[str, Any]) -> None:
    file = f"{root.module_dir}/{REPLICAS_FILE}"
    for region, names in replica_regions(compiled).items():
        for name in names:
            values = keys[name]
            external = values["imported_key_material"]
            primary = f'{root.prefix}module.key["{name}"].' + (
                "aws_kms_external_key" if external else "aws_kms_key"
            )
            res = f'aws_kms_replica_key.{ident(region)}["{name}"]'
            root.add(res, "aws_kms_replica_key", "replica", name, region=region,
                     replace_on={"primary_key_arn": f"${{{primary}.this[0].arn}}"},
                     settings={"deletion_window_in_days": values["deletion_window_in_days"]},
                     access={"key_policy": f"generated/policies/{name}.json"},
                     files=(file,))  # fmt: skip
            alias = str(values["alias_name"])
            root.add(f'aws_kms_alias.replica_{ident(region)}["{name}"]', "aws_kms_alias",
                     "alias", alias, region=region, replace_on={"name": alias},
                     files=(file,))  # fmt: skip


def _trail_keys(root: _Root, trail: str) -> None:
    files = ("modules/cloudtrail/kms.tf", "modules/cloudtrail/alarm_key.tf")
    for res, role, alias in (("this", "trail", "cloudtrail"), ("alarms", "alarms", "alarms")):
        root.add(f"module.cloudtrail.aws_kms_key.{res}[0]", "aws_kms_key", "audit-key",
                 f"{trail} {role} key", replace_on={**SYMMETRIC}, settings=dict(AUDIT_KEY),
                 files=files)  # fmt: skip
        name = f"alias/{trail}-{alias}"
        root.add(f"module.cloudtrail.aws_kms_alias.{res}[0]", "aws_kms_alias", "alias", name,
                 replace_on={"name": name}, files=files)  # fmt: skip


_BUCKET_CONFIG = (
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_lifecycle_configuration",
)
_BUCKET_SETTINGS: Mapping[str, Mapping[str, Any]] = {
    "aws_s3_bucket_versioning": {"status": "Enabled"},
    "aws_s3_bucket_lifecycle_configuration": {
        "expiration_days": None,
        "noncurrent_version_expiration_days": 365,
    },
}


def _bucket(root: _Root, trail: str) -> str:
    bucket = f"{trail}-cloudtrail-{root.account}"
    files = ("modules/cloudtrail/bucket.tf",)
    root.add("module.cloudtrail.aws_s3_bucket.this[0]", "aws_s3_bucket", "trail-bucket", bucket,
             replace_on={"bucket": bucket}, settings={"force_destroy": False},
             files=files)  # fmt: skip
    for type_ in _BUCKET_CONFIG:
        root.add(f"module.cloudtrail.{type_}.this[0]", type_, "bucket-config",
                 f"{bucket} {type_.removeprefix('aws_s3_bucket_')}", replace_on={"bucket": bucket},
                 settings=dict(_BUCKET_SETTINGS.get(type_, {})), files=files)  # fmt: skip
    return bucket


def _cloudtrail(root: _Root, trail: str, retention: int) -> None:
    _trail_keys(root, trail)
    bucket = _bucket(root, trail)
    group = f"/aws/cloudtrail/{trail}"
    logs = ("modules/cloudtrail/logs.tf",)
    root.add("module.cloudtrail.aws_cloudwatch_log_group.this[0]", "aws_cloudwatch_log_group",
             "log-group", group, replace_on={"name": group},
             settings={"retention_in_days": retention}, files=logs)  # fmt: skip
    role = f"{trail}-cloudtrail-cloudwatch-logs"
    root.add("module.cloudtrail.aws_iam_role.this[0]", "aws_iam_role", "role", role,
             replace_on={"name": role, "path": "/"}, files=logs)  # fmt: skip
    policy = "deliver-to-cloudwatch-logs"
    root.add("module.cloudtrail.aws_iam_role_policy.this[0]", "aws_iam_role_policy",
             "role-policy", f"{role}:{policy}", replace_on={"name": policy, "role": role},
             files=logs)  # fmt: skip
    root.add("module.cloudtrail.aws_cloudtrail.this[0]", "aws_cloudtrail", "trail", trail,
             replace_on={"name": trail},
             settings={**TRAIL, "s3_bucket_name": bucket, "cloud_watch_logs_group": group},
             files=("modules/cloudtrail/main.tf",))  # fmt: skip
    topic = f"{trail}-cloudtrail-delivery"
    sns = ("modules/cloudtrail/sns.tf",)
    root.add("module.cloudtrail.aws_sns_topic.this[0]", "aws_sns_topic", "topic", topic,
             replace_on={"name": topic}, files=sns)  # fmt: skip
    root.add("module.cloudtrail.aws_sns_topic_policy.this[0]", "aws_sns_topic_policy",
             "topic-policy", topic, replace_on={"arn": _topic_arn(root, topic)},
             files=sns)  # fmt: skip


def _topic_arn(root: _Root, topic: str) -> str:
    return f"arn:aws:sns:{root.region}:{root.account}:{topic}"


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


def _vendor_logging(root: _Root, app: str, values: Mapping[str, Any], retention: int) -> None:
    mod = f'module.vendor_log_role["{app}"]'
    files = ("modules/vendor-log-role/main.tf",)
    group = str(values["log_group_name"])
    role = str(values["role_name"])
    root.add(f"{mod}.aws_cloudwatch_log_group.this[0]", "aws_cloudwatch_log_group", "log-group",
             group, replace_on={"name": group}, settings={"retention_in_days": retention},
             files=files)  # fmt: skip
    trust = trust_policy(list(values["trusted_principal_arns"]), str(values["external_id"]))
    root.add(f"{mod}.aws_iam_role.this[0]", "aws_iam_role", "role", role,
             replace_on={"name": role, "path": "/"}, access={"trust_policy": trust},
             files=files)  # fmt: skip
    arn = f"arn:aws:logs:{root.region}:{root.account}:log-group:{group}"
    policy = "write-vendor-log-group"
    root.add(f"{mod}.aws_iam_role_policy.this[0]", "aws_iam_role_policy", "role-policy",
             f"{role}:{policy}", replace_on={"name": policy, "role": role},
             access={"permissions_policy": permissions_policy(list(values["actions"]), arn),
                     "role": role},
             files=files)  # fmt: skip


def _alarms(root: _Root, trail: str, emails: list[str], imported: list[str]) -> None:
    files = ("modules/key-alarms/main.tf",)
    topic = f"{trail}-kms-alarms"
    arn = _topic_arn(root, topic)
    root.add("module.key_alarms.aws_sns_topic.this[0]", "aws_sns_topic", "topic", topic,
             replace_on={"name": topic}, files=files)  # fmt: skip
    for email in emails:
        root.add(f'module.key_alarms.aws_sns_topic_subscription.this["{email}"]',
                 "aws_sns_topic_subscription", "subscription", f"{topic} {email}",
                 replace_on={"endpoint": email, "protocol": "email", "topic_arn": arn},
                 settings={"recipient": email}, files=files)  # fmt: skip
    group = f"/aws/cloudtrail/{trail}"
    for control in ALARM_CONTROLS:
        name = f"{trail}-{control}"
        root.add(f'module.key_alarms.aws_cloudwatch_log_metric_filter.this["{control}"]',
                 "aws_cloudwatch_log_metric_filter", "metric-filter", f"{group}:{name}",
                 replace_on={"log_group_name": group, "name": name}, files=files)  # fmt: skip
        root.add(f'module.key_alarms.aws_cloudwatch_metric_alarm.this["{control}"]',
                 "aws_cloudwatch_metric_alarm", "alarm", name, replace_on={"alarm_name": name},
                 settings={"alarm_actions": [arn]}, files=files)  # fmt: skip
    for key in imported:
        name = f"{trail}-KeyMaterialExpiry-{key}"
        root.add(f'module.key_alarms.aws_cloudwatch_metric_alarm.material_expiry["{key}"]',
                 "aws_cloudwatch_metric_alarm", "alarm", name, replace_on={"alarm_name": name},
                 settings={"alarm_actions": [arn]}, files=files)  # fmt: skip


def _root_resources(root: _Root, compiled: Compiled, suffix: str) -> list[Resource]:
    values = locals_block(compiled, suffix)
    keys: dict[str, Any] = values["keys"]  # type: ignore[assignment]
    for ck in sorted(compiled.keys, key=lambda c: c.key.name):
        _key(root, ck, keys[ck.key.name])
    _replicas(root, compiled, keys)
    trail, retention = str(values["trail_name"]), int(values["log_retention_days"])  # type: ignore[arg-type]
    _cloudtrail(root, trail, retention)
    logging: dict[str, Any] = values["logging"]  # type: ignore[assignment]
    for app in sorted(logging):
        _vendor_logging(root, app, logging[app], retention)
    imported = sorted(n for n, v in keys.items() if v["imported_key_material"])
    _alarms(root, trail, list(values["alarm_emails"]), imported)  # type: ignore[arg-type]
    return root.out


def _roots(compiled: Compiled) -> Iterator[tuple[_Root, Compiled, str]]:
    org = compiled.resolved.org
    root, stacks = split(compiled)
    yield _Root(".", org.account_id, org.region, "generated"), root, ""
    for sid, stack in stacks.items():
        s = stack.resolved.org
        where = f"generated/stacks/{sid}"
        assert sid == stack_id(s.account_id, s.region)
        yield (
            _Root(where, s.account_id, s.region, where),
            stack,
            name_suffix(org, s.account_id, s.region),
        )


def inventory(compiled: Compiled) -> Inventory:
    """Every root's resources, in the order `deployment.dumps` writes them."""
    roots: list[Root] = []
    resources: list[Resource] = []
    for root, part, suffix in _roots(compiled):
        roots.append(Root(root.dir, root.account, root.region))
        resources += _root_resources(root, part, suffix)
    return Inventory(tuple(roots), tuple(resources))


def inventory_json(compiled: Compiled) -> bytes:
    """The bytes of `generated/deployment.json`."""
    return dumps(inventory(compiled))
