"""The alarm path `byok audit` expects: the controls of the project's `modules/key-alarms`
(render/controls.py computes the filters and alarms from `controls.json` as the module does)."""

from __future__ import annotations

from pathlib import Path

from ..render.controls import CONTROLS, NAMESPACE, Controls, Filter, controls_from
from .aws import LiveError

__all__ = ["CONTROLS", "NAMESPACE", "Controls", "Filter", "load_controls"]


def load_controls(root: Path) -> Controls:
    path = root / CONTROLS
    try:
        return controls_from(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        raise LiveError(f"cannot read {CONTROLS}: {exc}") from exc
