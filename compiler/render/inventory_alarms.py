"""The alarm path of each root in the deployment inventory (render/inventory.py), as
modules/key-alarms makes it of the generated locals: the alarm topic (none when org.yaml names
an existing one, `alarms.topic_arn`), its e-mail subscriptions, a metric filter and an alarm per
CIS v3.0.0 section 4 control of the chosen set (`alarms.cis`) and per key event, the key
events' filters once per chunk of key ids, and an alarm per key with imported material. Names
and patterns come from `controls.json` through render/controls.py, as the module computes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .controls import Filter, shipped_controls
from .inventory_root import RootResources

_FILES = ("modules/key-alarms/main.tf",)


def topic_arn(root: RootResources, topic: str) -> str:
    return f"arn:aws:sns:{root.region}:{root.account}:{topic}"


def _topic(root: RootResources, trail: str, existing: str | None) -> str:
    """The alarm topic's ARN: the existing one, or the one the module creates."""
    if existing is not None:
        return existing
    topic = f"{trail}-kms-alarms"
    root.add(
        "module.key_alarms.aws_sns_topic.this[0]",
        "aws_sns_topic",
        "topic",
        topic,
        replace_on={"name": topic},
        files=_FILES,
    )
    return topic_arn(root, topic)


def alarms(
    root: RootResources, values: Mapping[str, Any], log_group: str, key_names: list[str]
) -> None:
    """`key_names`: the keys of var.key_ids (the vendor keys, `:trail` and `:alarms`)."""
    trail = str(values["trail_name"])
    arn = _topic(root, trail, values["alarm_topic_arn"])
    topic = arn.rsplit(":", 1)[-1]
    for email in values["alarm_emails"]:
        root.add(
            f'module.key_alarms.aws_sns_topic_subscription.this["{email}"]',
            "aws_sns_topic_subscription",
            "subscription",
            f"{topic} {email}",
            replace_on={"endpoint": email, "protocol": "email", "topic_arn": arn},
            settings={"recipient": email},
            files=_FILES,
        )
    controls = shipped_controls()
    for f in controls.cis_filters(trail, str(values["cis_controls"])):
        _filter(root, f.metric, f, log_group, {"pattern": f.pattern})
        _alarm(root, f'this["{f.metric}"]', f.name, arn)
    # the key-event filters' patterns hold the key ids AWS assigns: not known before apply
    chunks = controls.key_filters(trail, dict.fromkeys(key_names, ""))
    for control, _ in controls.events:
        mine = [f for f in chunks if f.metric == control]
        for i, f in enumerate(mine):
            _filter(root, f"{control}/{i}", f, log_group, {})
        _alarm(root, f'this["{control}"]', f"{trail}-{control}", arn)
    keys: dict[str, Any] = values["keys"]
    for key in sorted(n for n, v in keys.items() if v["imported_key_material"]):
        _alarm(root, f'material_expiry["{key}"]', f"{trail}-KeyMaterialExpiry-{key}", arn)


def _filter(root: RootResources, key: str, f: Filter, group: str, settings: dict[str, Any]) -> None:
    root.add(
        f'module.key_alarms.aws_cloudwatch_log_metric_filter.this["{key}"]',
        "aws_cloudwatch_log_metric_filter",
        "metric-filter",
        f"{group}:{f.name}",
        replace_on={"log_group_name": group, "name": f.name},
        settings=settings,
        files=_FILES,
    )


def _alarm(root: RootResources, resource: str, name: str, topic_arn: str) -> None:
    root.add(
        f"module.key_alarms.aws_cloudwatch_metric_alarm.{resource}",
        "aws_cloudwatch_metric_alarm",
        "alarm",
        name,
        replace_on={"alarm_name": name},
        settings={"alarm_actions": [topic_arn]},
        files=_FILES,
    )
