"""`byok generate [--strict] [--check]` and `byok docs`: the compiler pipeline's commands."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import cache
from ..paths import ORG_FILE, OUT_DIR, VENDORS_DIR
from ..write import diff_trees, read_tree, write_tree
from .common import EXIT_INPUT, EXIT_OK, format_diagnostics, print_diagnostics, today

if TYPE_CHECKING:
    from ..pipeline import Result

# The pipeline (and with it the policy engine and z3) is imported only when there is something
# to compile: a fingerprint replay needs none of it (issue 16: no-op generate <= 0.25 s).


def _summary(result: Result) -> str:
    """Per key its size and exactly what was proved about its key policy; then, once, what the
    proofs do not cover (README, "What the proofs do and do not cover")."""
    from ..compile import POLICY_LIMIT
    from ..verify_claims import NOT_PROVED, proof_lines

    proofs = {p.key: p for p in result.proofs}
    lines = []
    for ck in sorted(result.compiled.keys, key=lambda c: c.key.name):
        lines.append(f"{ck.key.name}: key policy {ck.size}/{POLICY_LIMIT} bytes")
        lines += [f"  {line}" for line in proof_lines(ck, proofs[ck.key.name])]
    lines += NOT_PROVED
    return "".join(f"{line}\n" for line in lines)


def _strict_failure(warnings: str, strict: bool) -> bool:
    if strict and warnings:
        count = sum(1 for line in warnings.splitlines() if not line.startswith("  "))
        print(f"byok: {count} warning(s) and --strict: nothing written", file=sys.stderr)
        return True
    return False


def _inputs(root: Path) -> list[Path]:
    return [root / ORG_FILE, *sorted((root / VENDORS_DIR).glob("*.y*ml"))]


def _fingerprint(root: Path, day: date) -> str | None:
    try:
        return cache.fingerprint(root, _inputs(root), day)
    except OSError:  # unreadable inputs: no shortcut; the compiler reports them
        return None


def cached(root: Path, day: date) -> tuple[cache.Entry, dict[str, bytes]] | None:
    """The last successful run and the tree on disk, if that run's fingerprint still matches
    and it wrote exactly this tree (see cache.py); None otherwise."""
    fp = _fingerprint(root, day)
    if fp is None:
        return None
    files = read_tree(root / OUT_DIR)
    entry = cache.lookup(root, fp, files)
    return None if entry is None else (entry, files)


def _from_cache(root: Path, day: date, strict: bool) -> int | None:
    """Replay the last run when nothing it depends on changed (see cache.py)."""
    hit = cached(root, day)
    if hit is None:
        return None
    entry, files = hit
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
    root, now = Path(args.directory), today()
    replayed = None if args.check else _from_cache(root, now, args.strict)
    if replayed is not None:
        return replayed
    from ..diagnostics import CompileError
    from ..pipeline import build_tree

    fp = _fingerprint(root, now)
    try:
        result = build_tree(root, now)
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
    from ..diagnostics import catalogue_markdown

    sys.stdout.write(catalogue_markdown())
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    """Register `generate` and `docs` on an argparse subparsers object."""
    gen = sub.add_parser("generate", help="compile org.yaml and vendors/ into generated/")
    gen.add_argument("--strict", action="store_true", help="treat warnings as errors")
    gen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if generated/ is stale",
    )
    gen.set_defaults(func=cmd_generate)
    docs = sub.add_parser("docs", help="print the diagnostics catalogue as Markdown")
    docs.set_defaults(func=cmd_docs)
