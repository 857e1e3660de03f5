"""What every `byok` command shares: exit codes, "today", and how diagnostics are printed."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import date

from ..diagnostics import MAX_DIAGNOSTICS, Diagnostic

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_WIDER, EXIT_DESTROY = 0, 1, 2, 3, 4


def today() -> date:
    """`BYOK_TODAY` (YYYY-MM-DD) pins "today" for expiry warnings in tests."""
    pinned = os.environ.get("BYOK_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def format_diagnostics(diags: Sequence[Diagnostic]) -> str:
    lines = [d.render() for d in diags[:MAX_DIAGNOSTICS]]
    if len(diags) > MAX_DIAGNOSTICS:
        lines.append(f"... and {len(diags) - MAX_DIAGNOSTICS} more problems")
    return "".join(line + "\n" for line in lines)


def print_diagnostics(diags: Sequence[Diagnostic]) -> None:
    sys.stderr.write(format_diagnostics(diags))
