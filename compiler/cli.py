"""`byok`: the command line. Exit codes: 0 ok, 1 input errors, 2 usage, 3 access widened."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from . import cache, semantics_cli
from .compile import POLICY_LIMIT
from .diagnostics import MAX_DIAGNOSTICS, CompileError, Diagnostic, catalogue_markdown
from .pipeline import ORG_FILE, OUT_DIR, VENDORS_DIR, Result, build_tree
from .write import diff_trees, read_tree, write_tree

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_WIDER = 0, 1, 2, 3


def _today() -> date:
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


def _summary(result: Result) -> str:
    proofs = {p.key: p for p in result.proofs}
    lines = []
    for ck in sorted(result.compiled.keys, key=lambda c: c.key.name):
        p = proofs[ck.key.name]
        denied = f"{p.revocations_checked} revoked value(s) denied"
        if ck.key.suspension is not None:
            denied += ", vendor suspended"
        lines.append(
            f"{ck.key.name}: {ck.size}/{POLICY_LIMIT} bytes; proved: revocations only "
            f"narrow access ({p.relation}), {denied}, administrators keep kms:PutKeyPolicy\n"
        )
    return "".join(lines)


def _strict_failure(warnings: str, strict: bool) -> bool:
    if strict and warnings:
        count = sum(1 for line in warnings.splitlines() if not line.startswith("  "))
        print(f"byok: {count} warning(s) and --strict: nothing written", file=sys.stderr)
        return True
    return False


def _inputs(root: Path) -> list[Path]:
    return [root / ORG_FILE, *sorted((root / VENDORS_DIR).glob("*.y*ml"))]


def _fingerprint(root: Path, today: date) -> str | None:
    try:
        return cache.fingerprint(root, _inputs(root), today)
    except OSError:  # unreadable inputs: no shortcut; the compiler reports them
        return None


def _from_cache(root: Path, today: date, strict: bool) -> int | None:
    """Replay the last run when nothing it depends on changed (see cache.py)."""
    fp = _fingerprint(root, today)
    if fp is None:
        return None
    files = read_tree(root / OUT_DIR)
    entry = cache.lookup(root, fp, files)
    if entry is None:
        return None
    sys.stderr.write(entry.stderr)
    if _strict_failure(entry.stderr, strict):
        return EXIT_INPUT
    sys.stdout.write(entry.stdout)
    print(f"{OUT_DIR}/: {len(files)} files unchanged")
    return EXIT_OK


def _check(root: Path, result: Result) -> int:
    diff = diff_trees(read_tree(root / OUT_DIR), result.files, OUT_DIR)
    if diff:
        sys.stdout.write(diff)
        print(
            f"byok: {OUT_DIR}/ is stale: run `make generate` and commit the result", file=sys.stderr
        )
        return EXIT_INPUT
    print(f"{OUT_DIR}/ is up to date")
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    root, today = Path(args.directory), _today()
    replayed = None if args.check else _from_cache(root, today, args.strict)
    if replayed is not None:
        return replayed
    fp = _fingerprint(root, today)
    try:
        result = build_tree(root, today)
    except CompileError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INPUT
    warnings = format_diagnostics(result.warnings)
    sys.stderr.write(warnings)
    if _strict_failure(warnings, args.strict):
        return EXIT_INPUT
    if args.check:
        return _check(root, result)
    summary = _summary(result)
    sys.stdout.write(summary)
    changed = write_tree(root / OUT_DIR, result.files)
    if fp is not None:
        cache.store(
            root,
            cache.Entry(
                fingerprint=fp,
                tree=cache.tree_digest(result.files),
                stderr=warnings,
                stdout=summary,
            ),
        )
    print(f"{OUT_DIR}/: {len(result.files)} files {'written' if changed else 'unchanged'}")
    return EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    sys.stdout.write(catalogue_markdown())
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="byok", description=__doc__)
    p.add_argument(
        "-C",
        "--directory",
        default=".",
        help="directory holding org.yaml, vendors/ and generated/ (default: .)",
    )
    sub = p.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="compile org.yaml and vendors/ into generated/")
    gen.add_argument("--strict", action="store_true", help="treat warnings as errors")
    gen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if generated/ is stale",
    )
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
