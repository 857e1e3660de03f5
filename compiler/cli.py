"""`byok`: the command line. Exit codes: 0 ok, 1 input errors, 2 usage, 3 access widened."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from . import semantics_cli
from .compile import POLICY_LIMIT
from .diagnostics import MAX_DIAGNOSTICS, CompileError, Diagnostic, catalogue_markdown
from .pipeline import OUT_DIR, Result, build_tree
from .write import diff_trees, read_tree, write_tree

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_WIDER = 0, 1, 2, 3


def _today() -> date:
    """`BYOK_TODAY` (YYYY-MM-DD) pins "today" for expiry warnings in tests."""
    pinned = os.environ.get("BYOK_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def print_diagnostics(diags: Sequence[Diagnostic]) -> None:
    for d in diags[:MAX_DIAGNOSTICS]:
        print(d.render(), file=sys.stderr)
    if len(diags) > MAX_DIAGNOSTICS:
        print(f"... and {len(diags) - MAX_DIAGNOSTICS} more problems", file=sys.stderr)


def _summary(result: Result) -> None:
    proofs = {p.key: p for p in result.proofs}
    for ck in sorted(result.compiled.keys, key=lambda c: c.key.name):
        p = proofs[ck.key.name]
        denied = f"{p.revocations_checked} revoked value(s) denied"
        if ck.key.suspension is not None:
            denied += ", vendor suspended"
        print(f"{ck.key.name}: {ck.size}/{POLICY_LIMIT} bytes; proved: revocations only narrow "
              f"access ({p.relation}), {denied}, administrators keep kms:PutKeyPolicy")


def cmd_generate(args: argparse.Namespace) -> int:
    root = Path(args.directory)
    try:
        result = build_tree(root, _today())
    except CompileError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INPUT
    print_diagnostics(result.warnings)
    if args.strict and result.warnings:
        print(f"byok: {len(result.warnings)} warning(s) and --strict: nothing written", file=sys.stderr)
        return EXIT_INPUT
    out = root / OUT_DIR
    if args.check:
        diff = diff_trees(read_tree(out), result.files, OUT_DIR)
        if diff:
            sys.stdout.write(diff)
            print(f"byok: {OUT_DIR}/ is stale: run `make generate` and commit the result", file=sys.stderr)
            return EXIT_INPUT
        print(f"{OUT_DIR}/ is up to date")
        return EXIT_OK
    _summary(result)
    changed = write_tree(out, result.files)
    print(f"{OUT_DIR}/: {len(result.files)} files {'written' if changed else 'unchanged'}")
    return EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    sys.stdout.write(catalogue_markdown())
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="byok", description=__doc__)
    p.add_argument("-C", "--directory", default=".", help="directory holding org.yaml, vendors/ "
                   "and generated/ (default: .)")
    sub = p.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="compile org.yaml and vendors/ into generated/")
    gen.add_argument("--strict", action="store_true", help="treat warnings as errors")
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 with a diff if "
                     "generated/ is stale")
    gen.set_defaults(func=cmd_generate)
    semantics_cli.add_parsers(sub)
    from . import diff_cli

    diff_cli.add_parser(sub)
    docs = sub.add_parser("docs", help="print the diagnostics catalogue as Markdown")
    docs.set_defaults(func=cmd_docs)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
