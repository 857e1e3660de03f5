"""Fast checks of the e2e helpers (not marked e2e: they run in ``make test``).

The e2e accepts a non-empty re-plan only when it is moto's rotation-period quirk; these tests pin
that the filter is that narrow. The org.yaml edit the e2e makes must stay valid input.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from byok.pipeline import build_tree
from tests.e2e.plans import ROTATION_ATTR, accept_rotation_quirk, only_rotation_quirk, plan_changes
from tests.e2e.support import add_revocation_value, free_port

REPO = Path(__file__).resolve().parents[2]
KEY = 'module.byok.module.key["slack-prod"].aws_kms_key.this[0]'


def _rc(
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    actions: list[str],
    *,
    address: str = KEY,
    rtype: str = "aws_kms_key",
    after_unknown: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "address": address,
        "type": rtype,
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": after_unknown or {},
        },
    }


BASE = {"policy": '{"Version":"2012-10-17"}', ROTATION_ATTR: 0, "tags": {"a": "b"}}


def test_rotation_quirk_alone_is_accepted() -> None:
    (change,) = plan_changes(
        {"resource_changes": [_rc(BASE, {**BASE, ROTATION_ATTR: 365}, ["update"])]}
    )
    assert change.attributes == {ROTATION_ATTR}
    assert only_rotation_quirk(change)


def test_no_op_and_read_are_not_changes() -> None:
    plan = {
        "resource_changes": [
            _rc(BASE, BASE, ["no-op"]),
            _rc(None, {"account_id": "1"}, ["read"], rtype="aws_caller_identity"),
        ]
    }
    assert plan_changes(plan) == []


@pytest.mark.parametrize(
    ("before", "after", "actions", "rtype"),
    [
        # a real rotation change (AWS returned a period) is not the quirk
        ({**BASE, ROTATION_ATTR: 180}, {**BASE, ROTATION_ATTR: 365}, ["update"], "aws_kms_key"),
        # a policy change rides along: not the quirk alone
        (BASE, {**BASE, "policy": "{}", ROTATION_ATTR: 365}, ["update"], "aws_kms_key"),
        # replacing or creating a key is never accepted
        (BASE, {**BASE, ROTATION_ATTR: 365}, ["delete", "create"], "aws_kms_key"),
        (None, {**BASE, ROTATION_ATTR: 365}, ["create"], "aws_kms_key"),
        # the same attribute name on another type
        (BASE, {**BASE, ROTATION_ATTR: 365}, ["update"], "aws_kms_external_key"),
        # an out-of-range or non-integer period
        (BASE, {**BASE, ROTATION_ATTR: 0}, ["update"], "aws_kms_key"),
        (BASE, {**BASE, ROTATION_ATTR: True}, ["update"], "aws_kms_key"),
        ({**BASE, ROTATION_ATTR: False}, {**BASE, ROTATION_ATTR: 365}, ["update"], "aws_kms_key"),
    ],
)
def test_anything_else_is_rejected(
    before: dict[str, Any] | None, after: dict[str, Any], actions: list[str], rtype: str
) -> None:
    changes = plan_changes({"resource_changes": [_rc(before, after, actions, rtype=rtype)]})
    assert changes
    assert not any(only_rotation_quirk(c) for c in changes)


def test_unknown_values_count_as_changes() -> None:
    unknown = {"arn": True, "tags": {}, "nested": [{"x": False}]}
    (change,) = plan_changes(
        {
            "resource_changes": [
                _rc(BASE, {**BASE, ROTATION_ATTR: 365}, ["update"], after_unknown=unknown)
            ]
        }
    )
    assert change.attributes == {ROTATION_ATTR, "arn"}
    assert accept_rotation_quirk(change) and not only_rotation_quirk(change)


def test_revocation_edit_keeps_org_yaml_valid(tmp_path: Path) -> None:
    shutil.copy2(REPO / "org.yaml", tmp_path / "org.yaml")
    shutil.copytree(REPO / "vendors", tmp_path / "vendors")
    before = build_tree(tmp_path, date(2026, 11, 23)).files
    affected = add_revocation_value(tmp_path / "org.yaml", "slack", "channel", "C0999ZZZZ")
    after = build_tree(tmp_path, date(2026, 11, 23)).files
    assert affected and all(k.startswith("slack-") for k in affected)
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    assert {p for p in changed if p.startswith("policies/")} == {
        f"policies/{k}.json" for k in affected
    }
    for key in affected:
        assert b"C0999ZZZZ" in after[f"policies/{key}.json"]
    assert after["main.tf"] == before["main.tf"]


def test_free_port_is_loopback_and_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
