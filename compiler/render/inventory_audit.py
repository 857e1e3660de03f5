"""The audit resources of each root in the deployment inventory (render/inventory.py): the
trail, its bucket, keys, log group, delivery role and topic (modules/cloudtrail), and the alarm
topic, its subscriptions, metric filters and alarms (modules/key-alarms); and `RootResources`,
the list one root's resources are collected in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..deployment import Resource
from .inventory_policies import (
    alarm_key_policy,
    delivery_permissions_policy,
    delivery_trust_policy,
    trail_key_policy,
)

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


class RootResources:
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
                self.dir,
                self.prefix + address,
                type_,
                kind,
                self.account,
                region,
                name,
                files=files,
                **kw,
            )
        )

    def log_group(self, module: str, name: str, retention: int, files: tuple[str, ...]) -> None:
        self.add(
            f"{module}.aws_cloudwatch_log_group.this[0]",
            "aws_cloudwatch_log_group",
            "log-group",
            name,
            replace_on={"name": name},
            settings={"retention_in_days": retention},
            files=files,
        )

    def role(
        self, module: str, role: str, policy: str, files: tuple[str, ...], **access: Any
    ) -> None:
        """An IAM role and its inline policy; `access`: their documents (`trust_policy`,
        `permissions_policy`), when the review judges them."""
        trust = {k: v for k, v in access.items() if k == "trust_policy"}
        perms = {k: v for k, v in access.items() if k != "trust_policy"}
        self.add(
            f"{module}.aws_iam_role.this[0]",
            "aws_iam_role",
            "role",
            role,
            replace_on={"name": role, "path": "/"},
            access=trust,
            files=files,
        )
        self.add(
            f"{module}.aws_iam_role_policy.this[0]",
            "aws_iam_role_policy",
            "role-policy",
            f"{role}:{policy}",
            replace_on={"name": policy, "role": role},
            access={**perms, "role": role} if perms else {},
            files=files,
        )


def _trail_keys(root: RootResources, trail: str, break_glass: str | None) -> None:
    files = ("modules/cloudtrail/kms.tf", "modules/cloudtrail/alarm_key.tf")
    where = (root.account, root.region, trail, break_glass)
    policies = {"this": trail_key_policy(*where), "alarms": alarm_key_policy(*where)}
    for res, role, alias in (("this", "trail", "cloudtrail"), ("alarms", "alarms", "alarms")):
        root.add(
            f"module.cloudtrail.aws_kms_key.{res}[0]",
            "aws_kms_key",
            "audit-key",
            f"{role} key",
            replace_on={**SYMMETRIC},
            settings={**AUDIT_KEY, "enabled": True},
            access={"policy": policies[res]},
            files=files,
        )
        name = f"alias/{trail}-{alias}"
        root.add(
            f"module.cloudtrail.aws_kms_alias.{res}[0]",
            "aws_kms_alias",
            "alias",
            name,
            replace_on={"name": name},
            files=files,
        )


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


def _bucket(root: RootResources, trail: str) -> str:
    bucket = f"{trail}-cloudtrail-{root.account}"
    files = ("modules/cloudtrail/bucket.tf",)
    root.add(
        "module.cloudtrail.aws_s3_bucket.this[0]",
        "aws_s3_bucket",
        "trail-bucket",
        bucket,
        replace_on={"bucket": bucket},
        settings={"force_destroy": False},
        files=files,
    )
    for type_ in _BUCKET_CONFIG:
        root.add(
            f"module.cloudtrail.{type_}.this[0]",
            type_,
            "bucket-config",
            f"{bucket} {type_.removeprefix('aws_s3_bucket_')}",
            replace_on={"bucket": bucket},
            settings=dict(_BUCKET_SETTINGS.get(type_, {})),
            files=files,
        )
    return bucket


def cloudtrail(root: RootResources, trail: str, retention: int, break_glass: str | None) -> None:
    _trail_keys(root, trail, break_glass)
    bucket = _bucket(root, trail)
    group = _delivery(root, trail, retention)
    root.add(
        "module.cloudtrail.aws_cloudtrail.this[0]",
        "aws_cloudtrail",
        "trail",
        trail,
        replace_on={"name": trail},
        settings={**TRAIL, "s3_bucket_name": bucket, "cloud_watch_logs_group": group},
        files=("modules/cloudtrail/main.tf",),
    )
    _delivery_topic(root, trail)


def _delivery(root: RootResources, trail: str, retention: int) -> str:
    """The trail's log group and the role CloudTrail delivers to it with."""
    group = f"/aws/cloudtrail/{trail}"
    logs = ("modules/cloudtrail/logs.tf",)
    root.log_group("module.cloudtrail", group, retention, logs)
    role = f"{trail}-cloudtrail-cloudwatch-logs"
    root.role(
        "module.cloudtrail",
        role,
        "deliver-to-cloudwatch-logs",
        logs,
        trust_policy=delivery_trust_policy(root.account, root.region, trail),
        permissions_policy=delivery_permissions_policy(root.account, root.region, trail),
    )
    return group


def _delivery_topic(root: RootResources, trail: str) -> None:
    topic = f"{trail}-cloudtrail-delivery"
    sns = ("modules/cloudtrail/sns.tf",)
    root.add(
        "module.cloudtrail.aws_sns_topic.this[0]",
        "aws_sns_topic",
        "topic",
        topic,
        replace_on={"name": topic},
        files=sns,
    )
    root.add(
        "module.cloudtrail.aws_sns_topic_policy.this[0]",
        "aws_sns_topic_policy",
        "topic-policy",
        topic,
        replace_on={"arn": topic_arn(root, topic)},
        files=sns,
    )


def topic_arn(root: RootResources, topic: str) -> str:
    return f"arn:aws:sns:{root.region}:{root.account}:{topic}"


def alarms(root: RootResources, trail: str, emails: list[str], imported: list[str]) -> None:
    files = ("modules/key-alarms/main.tf",)
    topic = f"{trail}-kms-alarms"
    arn = topic_arn(root, topic)
    root.add(
        "module.key_alarms.aws_sns_topic.this[0]",
        "aws_sns_topic",
        "topic",
        topic,
        replace_on={"name": topic},
        files=files,
    )
    for email in emails:
        root.add(
            f'module.key_alarms.aws_sns_topic_subscription.this["{email}"]',
            "aws_sns_topic_subscription",
            "subscription",
            f"{topic} {email}",
            replace_on={"endpoint": email, "protocol": "email", "topic_arn": arn},
            settings={"recipient": email},
            files=files,
        )
    _controls(root, trail, arn, imported)


def _controls(root: RootResources, trail: str, arn: str, imported: list[str]) -> None:
    """A metric filter and an alarm per control; an alarm per key with imported material."""
    files = ("modules/key-alarms/main.tf",)
    group = f"/aws/cloudtrail/{trail}"
    for control in ALARM_CONTROLS:
        name = f"{trail}-{control}"
        root.add(
            f'module.key_alarms.aws_cloudwatch_log_metric_filter.this["{control}"]',
            "aws_cloudwatch_log_metric_filter",
            "metric-filter",
            f"{group}:{name}",
            replace_on={"log_group_name": group, "name": name},
            files=files,
        )
        _alarm(root, f'this["{control}"]', name, arn)
    for key in imported:
        _alarm(root, f'material_expiry["{key}"]', f"{trail}-KeyMaterialExpiry-{key}", arn)


def _alarm(root: RootResources, resource: str, name: str, topic_arn: str) -> None:
    root.add(
        f"module.key_alarms.aws_cloudwatch_metric_alarm.{resource}",
        "aws_cloudwatch_metric_alarm",
        "alarm",
        name,
        replace_on={"alarm_name": name},
        settings={"alarm_actions": [topic_arn]},
        files=("modules/key-alarms/main.tf",),
    )
