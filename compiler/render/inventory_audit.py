"""The audit resources of each root in the deployment inventory (render/inventory.py), as
modules/cloudtrail makes them of the generated locals: the trail key and the alarm path's key
(always), and, unless org.yaml names an existing trail (`trail.existing`), the trail, its
bucket (inventory_bucket.py), its log group, delivery role and delivery topic."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .inventory_bucket import trail_bucket
from .inventory_policies import (
    alarm_key_policy,
    delivery_permissions_policy,
    delivery_trust_policy,
    trail_key_policy,
)
from .inventory_root import RootResources

__all__ = ["RootResources", "cloudtrail"]

# What the hand-written modules set literally (or by a default the generated module keeps):
# `review.literals.MODULE_LITERALS` checks that the working tree's modules still say so.
AUDIT_KEY = {
    "deletion_window_in_days": 30,
    "enable_key_rotation": True,
    "rotation_period_in_days": 365,
}
# modules/cloudtrail/main.tf: one event selector, every management event, read and write, from
# every source (no exclude_management_event_sources, no data events, no advanced selectors)
EVENT_SELECTORS = [{"include_management_events": True, "read_write_type": "All"}]
TRAIL = {
    "enable_logging": True,
    "enable_log_file_validation": True,
    "include_global_service_events": True,
    "is_multi_region_trail": True,
    "event_selectors": EVENT_SELECTORS,
}
SYMMETRIC = {"customer_master_key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT"}


def _trail_keys(root: RootResources, values: Mapping[str, Any], own: bool) -> None:
    files = ("modules/cloudtrail/kms.tf", "modules/cloudtrail/alarm_key.tf")
    trail, break_glass = str(values["trail_name"]), values["break_glass"]
    groups = sorted(str(v["log_group_name"]) for v in values["logging"].values())
    policies = {
        "this": trail_key_policy(root.account, root.region, trail, break_glass, own, groups),
        "alarms": alarm_key_policy(root.account, root.region, trail, break_glass, own),
    }
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


def cloudtrail(root: RootResources, values: Mapping[str, Any]) -> str:
    """The module's resources; returns the name of the log group the trail delivers to (the
    existing trail's, with `trail.existing`)."""
    existing = values["existing_trail"]
    _trail_keys(root, values, existing is None)
    if existing is not None:
        return str(existing["log_group_name"])
    trail, retention = str(values["trail_name"]), int(values["log_retention_days"])
    bucket = trail_bucket(root, trail, values)
    group = _delivery(root, trail, retention)
    settings = {**TRAIL, "insight_types": sorted(values["insight_types"])}
    root.add(
        "module.cloudtrail.aws_cloudtrail.this[0]",
        "aws_cloudtrail",
        "trail",
        trail,
        replace_on={"name": trail},
        settings={**settings, "s3_bucket_name": bucket, "cloud_watch_logs_group": group},
        files=("modules/cloudtrail/main.tf",),
    )
    _delivery_topic(root, trail)
    return group


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
        replace_on={"arn": f"arn:aws:sns:{root.region}:{root.account}:{topic}"},
        files=sns,
    )
