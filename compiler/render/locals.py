"""The literal locals of each root's `main.tf`: every input value the generated module passes
to the hand-written modules (render.tree writes them; render.inventory states what the modules
make of them)."""

from __future__ import annotations

from collections.abc import Sequence

from ..compile import CompiledKey
from ..model import Org
from ..resolve.grants import key_usage
from ..resolve.stacks import log_role_name, trail_name
from .hcl import HclValue, Verbatim


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


# One vendor's logging role in a root: (app, trusted principals, ExternalId, actions).
LoggingEntry = tuple[str, Sequence[str], str, Sequence[str]]


def logging_inputs(organization: str, entries: Sequence[LoggingEntry], suffix: str) -> HclValue:
    """The `logging` local: each vendor's log role and group in this root."""
    out: dict[str, HclValue] = {}
    for app, principals, external_id, actions in entries:
        out[app] = {
            "role_name": log_role_name(organization, app, suffix),
            "trusted_principal_arns": list(principals),
            "external_id": external_id,
            "actions": list(actions),
            "log_group_name": f"/byok/{organization}/{app}",
        }
    return out


def keys_block(entries: Sequence[str]) -> Verbatim:
    """The `keys` local from each key's entry (`    "<name>" = {...}`, sorted by name), as
    `hcl_value` writes a map of multi-line objects at that depth."""
    if not entries:
        return Verbatim("{}")
    return Verbatim("{\n" + "\n".join(entries) + "\n  }")


def locals_values(
    org: Org, keys: Verbatim, logging: Sequence[LoggingEntry], suffix: str = ""
) -> dict[str, HclValue]:
    """A root's literal locals (`org`: the root's organization: org.yaml's or a stack's copy;
    `suffix`: resolve.stacks.name_suffix of this root, a stack sharing its account)."""
    return {
        "account_id": org.account_id,
        "region": org.region,
        "break_glass": org.break_glass,
        "trail_name": trail_name(org.organization, suffix),
        "log_retention_days": org.trail.log_retention_days,
        "alarm_emails": sorted(org.alarms.emails),
        "tags": dict(sorted({**org.tags, "ManagedBy": "byok-compiler"}.items())),
        "keys": keys,
        "logging": logging_inputs(org.organization, logging, suffix),
    }
