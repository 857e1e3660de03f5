"""`byok diff [--base REF] [--format text|json] [--allow-widening]`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..diagnostics import CompileError
from ..pipeline import build_tree
from ..review import GitError, Report, committed_policies, review
from .common import EXIT_INPUT, EXIT_OK, EXIT_WIDER, print_diagnostics, today


def add_parser(sub: Any) -> None:
    p = sub.add_parser("diff", help="semantic access diff of the current inputs against a git ref")
    p.add_argument("--base", default="HEAD", help="git ref holding the reviewed policies (HEAD)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--allow-widening", action="store_true", help="exit 0 even when access widens")
    p.set_defaults(func=cmd_diff)


def cmd_diff(args: argparse.Namespace) -> int:
    root = Path(args.directory)
    try:
        result = build_tree(root, today())
        base = committed_policies(root, args.base)
    except CompileError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INPUT
    except (GitError, ValueError) as exc:
        print(f"byok: error: cannot read policies at `{args.base}`: {exc}", file=sys.stderr)
        return EXIT_INPUT
    report = Report(review(result.compiled.keys, base))
    if args.format == "json":
        doc = {
            "base": args.base,
            "widens": report.widens,
            "keys": [c.to_json() for c in report.changes],
        }
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(report.text())
    return EXIT_WIDER if report.widens and not args.allow_widening else EXIT_OK
