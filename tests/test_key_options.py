"""Key options: org defaults, app overrides and vendor requirements meet in the generated module."""

from __future__ import annotations

from pathlib import Path

from byok.pipeline import build_tree
from tests.test_golden import TODAY


def _keys_block(project: Path) -> str:
    main = build_tree(project, TODAY).files["main.tf"].decode()
    return main[main.index('    "zoom-prod" = {') :]


def test_vendor_without_automatic_rotation_gets_none(project: Path) -> None:
    zoom = project / "vendors" / "zoom.yaml"
    zoom.write_text(
        zoom.read_text().replace("automatic_rotation: supported", "automatic_rotation: unsupported")
    )
    block = _keys_block(project)
    assert '"enable_key_rotation"       = false' in block
    access = build_tree(project, TODAY).files["ACCESS.md"].decode()
    assert "no automatic rotation (the vendor does not support it)" in access


def test_imported_key_material_turns_rotation_off(project: Path) -> None:
    org = project / "org.yaml"
    org.write_text(
        org.read_text().replace(
            "      deletion_window_days: 30\n",
            "      deletion_window_days: 30\n      imported_key_material: true\n",
            1,
        )
    )
    block = _keys_block(project)
    assert '"imported_key_material"     = true' in block
    assert '"enable_key_rotation"       = false' in block


def test_shipped_keys_rotate(project: Path) -> None:
    block = _keys_block(project)
    assert '"enable_key_rotation"       = true' in block
