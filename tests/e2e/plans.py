"""Reading ``terraform show -json`` plans: which resources change, and which attributes.

``accept_rotation_quirk`` recognises the one perpetual diff moto causes: its
``GetKeyRotationStatus`` does not return ``RotationPeriodInDays`` (moto 5.2), so the provider
reads ``rotation_period_in_days = 0`` back and every ``aws_kms_key`` re-plans ``0 -> N``. Real AWS
returns the period; the module is right and is not changed to hide this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ROTATION_ATTR = "rotation_period_in_days"


@dataclass(frozen=True)
class Change:
    address: str
    type: str
    actions: tuple[str, ...]
    attributes: frozenset[str]  # top-level attributes whose planned value differs or is unknown
    before: Mapping[str, Any]
    after: Mapping[str, Any]


def _any_true(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_any_true(v) for v in value.values())
    if isinstance(value, list):
        return any(_any_true(v) for v in value)
    return value is True


def plan_changes(plan: Mapping[str, Any]) -> list[Change]:
    """Every resource change of a ``terraform show -json`` plan that is not a no-op or a read."""
    out = []
    for rc in plan.get("resource_changes", []):
        actions = tuple(rc["change"]["actions"])
        if actions in (("no-op",), ("read",)):
            continue
        before = rc["change"].get("before") or {}
        after = rc["change"].get("after") or {}
        unknown = rc["change"].get("after_unknown") or {}
        attrs = {
            k
            for k in before.keys() | after.keys() | unknown.keys()
            if before.get(k) != after.get(k) or _any_true(unknown.get(k))
        }
        out.append(Change(rc["address"], rc["type"], actions, frozenset(attrs), before, after))
    return out


def accept_rotation_quirk(change: Change) -> bool:
    """moto's GetKeyRotationStatus omits RotationPeriodInDays: ``0 -> N`` on an aws_kms_key."""
    before, after = change.before.get(ROTATION_ATTR), change.after.get(ROTATION_ATTR)
    return (
        change.type == "aws_kms_key"
        and change.actions == ("update",)
        and ROTATION_ATTR in change.attributes
        and (before is None or (type(before) is int and before == 0))
        and type(after) is int
        and 90 <= after <= 2560
    )


def only_rotation_quirk(change: Change) -> bool:
    """The change is moto's rotation-period quirk and nothing else."""
    return accept_rotation_quirk(change) and change.attributes == {ROTATION_ATTR}
