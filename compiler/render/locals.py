"""The literal locals of each root's `main.tf`: every input value the generated module passes
to the hand-written modules (render.tree writes them; render.inventory states what the modules
make of them)."""

from __future__ import annotations

from collections.abc import Callable

from ..compile import Compiled, CompiledKey
from ..resolve.grants import key_usage
from ..resolve.stacks import log_role_name, trail_name
from .hcl import HclValue


def key_inputs(ck: CompiledKey) -> dict[str, HclValue]:
    k = ck.key
    return {
        "alias_name": k.alias,
        "description": f"BYOK key for {k.vendor.display_name} {k.vendor.product} ({k.environment})",
        "vendor": k.vendor.name,
        "environment": k.environment,
        "rotation_period_in_days": k.options.rotation_period_days,
        "deletion_window_in_days": k.options.deletion_window_days,
        "multi_region": k.options.multi_region,
        "imported_key_material": k.options.imported_key_material,
        "key_spec": k.vendor.key.spec,
        "key_usage": key_usage(k.vendor) or "",
        "enable_key_rotation": k.options.automatic_rotation,
        # org.yaml `key_states` (README, "Incidents"): false disables the key and its replicas
        "is_enabled": k.enabled,
        "replacement_needs_new_arn": k.vendor.key.replacement_needs_new_arn,
        "tags": {"byok:vendor": k.vendor.name, "byok:environment": k.environment},
    }


def _logging_inputs(compiled: Compiled, suffix: str) -> dict[str, HclValue]:
    org = compiled.resolved.org.organization
    out: dict[str, HclValue] = {}
    for lg in compiled.resolved.logging:
        out[lg.app] = {
            "role_name": log_role_name(org, lg.app, suffix),
            "trusted_principal_arns": list(lg.principals),
            "external_id": lg.external_id,
            "actions": list(lg.actions),
            "log_group_name": f"/byok/{org}/{lg.app}",
        }
    return out


# CloudTrail Insights types (modules/cloudtrail var.insight_types), unless `trail.insights: false`
INSIGHT_TYPES = ["ApiCallRateInsight", "ApiErrorRateInsight"]


def _monitoring(compiled: Compiled, root: bool) -> dict[str, HclValue]:
    """org.yaml `alarms:` and `trail:` (issue 24). An existing trail, topic or access-log bucket
    is the repository root's (E369 checks its account and Region); every stack creates its own."""
    org = compiled.resolved.org
    trail, existing = org.trail, org.trail.existing
    lock = trail.object_lock
    return {
        "cis_controls": org.alarms.cis,
        "alarm_topic_arn": org.alarms.topic_arn if root else None,
        "insight_types": INSIGHT_TYPES if trail.insights else [],
        "existing_trail": (
            {"arn": existing.arn, "log_group_name": existing.log_group_name}
            if root and existing is not None
            else None
        ),
        "object_lock": {"mode": lock.mode, "days": lock.days} if lock is not None else None,
        "access_log_bucket": trail.access_log_bucket if root else None,
    }


def locals_block(
    compiled: Compiled,
    suffix: str = "",
    root: bool = True,
    entry: Callable[[CompiledKey], HclValue] = key_inputs,
) -> dict[str, HclValue]:
    """`suffix`: resolve.stacks.name_suffix of this root (a stack sharing its account); `root`:
    the repository root (False: a stack); `entry`: each key's value in `keys` (render/pieces.py
    gives it written already)."""
    org = compiled.resolved.org
    return {
        "account_id": org.account_id,
        "region": org.region,
        "break_glass": org.break_glass,
        "trail_name": trail_name(org.organization, suffix),
        "log_retention_days": org.trail.log_retention_days,
        "alarm_emails": sorted(org.alarms.addresses),
        **_monitoring(compiled, root),
        "tags": dict(sorted({**org.tags, "ManagedBy": "byok-compiler"}.items())),
        "keys": {ck.key.name: entry(ck) for ck in sorted(compiled.keys, key=lambda c: c.key.name)},
        "logging": _logging_inputs(compiled, suffix),
    }
