"""What every `byok` command shares: exit codes, "today", and how diagnostics are printed."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported lazily: `byok --help` must not pay for pydantic
    from ..diagnostics import Diagnostic

# Every exit code any command returns, defined once: `byok --help` prints `EXIT_CODES` and
# tests/test_cli_exit_codes.py checks that no module defines or returns a code of its own and
# that the README's table lists each one.
EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_WIDER, EXIT_DESTROY, EXIT_FINDINGS = 0, 1, 2, 3, 4, 5
EXIT_WEAKER = 6
EXIT_INTERRUPTED = 130  # the shell's code for SIGINT (128 + 2)
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success (diff: nothing blocking; audit: clean)",
    EXIT_INPUT: "input errors; stale generated/; a symbolic link (diff); a base git cannot read; "
    "AWS errors; check-plan: a plan it does not judge (malformed, another major version)",
    EXIT_USAGE: "usage error; diff: an ambiguous --base, or nothing to review (`byok diff --help`)",
    EXIT_WIDER: "access widened (diff, check-plan, compare --fail-on-wider, audit); diff and "
    "check-plan: also a change it cannot prove (hand-written Terraform, files Terraform loads)",
    EXIT_DESTROY: "diff, check-plan: a key, replica, log group, trail, trail bucket or audit key "
    "destroyed or replaced without a declaration in org.yaml; check-plan: a key pending deletion "
    "re-created",
    EXIT_FINDINGS: "audit: findings other than wider access",
    EXIT_WEAKER: "diff, check-plan: monitoring or evidence weakened (retention, deletion window, "
    "rotation, "
    "trail, log file validation, alarms, alarm recipients)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}


# Every `--format` of every command accepts this one set (as Terraform's `-json` means the same
# everywhere); a command that cannot produce a format says so and which it produces (exit 2).
FORMATS = ("text", "json", "markdown", "sarif", "html")


def add_format(parser: Any, produces: Sequence[str], default: str, what: str = "") -> None:
    """`--format` on `parser` (an argparse parser): the choices are `FORMATS`; one outside
    `produces` is a usage error naming the formats this command produces."""

    class Format(argparse.Action):
        def __call__(self, p: Any, ns: Any, value: Any, option: str | None = None) -> None:
            if value not in produces:
                p.error(
                    f"argument --format: `{p.prog}` cannot produce {value}; it produces "
                    f"{', '.join(produces)}"
                )
            setattr(ns, self.dest, value)

    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=default,
        action=Format,
        metavar="FORMAT",
        help=f"{' | '.join(produces)} (default {default}){'; ' + what if what else ''}; "
        f"of {', '.join(FORMATS)}, the others are refused",
    )


def exit_codes_text() -> str:
    """The exit-code list of `byok --help` (its epilog)."""
    return "exit codes:\n" + "".join(f"  {c:<3}  {m}\n" for c, m in EXIT_CODES.items())


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
