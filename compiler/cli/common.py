"""What every `byok` command shares: exit codes, "today", and how diagnostics are printed."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily: `byok --help` must not pay for pydantic
    from ..diagnostics import Diagnostic

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_WIDER, EXIT_DESTROY = 0, 1, 2, 3, 4


def today() -> date:
    """`BYOK_TODAY` (YYYY-MM-DD) pins "today" for expiry warnings in tests."""
    pinned = os.environ.get("BYOK_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def format_diagnostics(diags: Sequence[Diagnostic]) -> str:
    from ..diagnostics import MAX_DIAGNOSTICS

    lines = [d.render() for d in diags[:MAX_DIAGNOSTICS]]
    if len(diags) > MAX_DIAGNOSTICS:
        lines.append(f"... and {len(diags) - MAX_DIAGNOSTICS} more problems")
    return "".join(line + "\n" for line in lines)


def print_diagnostics(diags: Sequence[Diagnostic]) -> None:
    sys.stderr.write(format_diagnostics(diags))


def not_a_project(root: Path) -> bool:
    """True, after saying so, when `root` holds none of org.yaml, vendors/ or generated/: the
    user is not where they think, so a precise hint beats `org.yaml: cannot read file`."""
    if any((root / name).exists() for name in ("org.yaml", "vendors", "generated")):
        return False
    where = root.resolve()
    print(f"byok: error: `{where}` is not a byok project: it has no org.yaml", file=sys.stderr)
    print(
        f"  help: `byok init {root}` scaffolds one there, or `byok -C DIR ...` names the "
        "project directory",
        file=sys.stderr,
    )
    return True
