"""`byok generate [--strict] [--check] [--format text|json|sarif]` and `byok docs`: the compiler
pipeline's commands. The pipeline is imported inside the commands (see main.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..paths import ORG_FILE, OUT_DIR, VENDORS_DIR
from .common import EXIT_INPUT, EXIT_OK, add_format, format_diagnostics, not_a_project, today

if TYPE_CHECKING:
    from ..diagnostics import Diagnostic
    from ..pipeline import Result
    from ..resolve.accept import Accepted
    from ..write import Staged
    from ..write.cache import Entry


def _summary(result: Result) -> str:
    """Per key its size and exactly what was proved about its key policy; then, once, what the
    proofs do not cover (README, "What the proofs do and do not cover")."""
    from ..compile.keys import POLICY_LIMIT
    from ..verify.claims import not_proved, proof_lines

    proofs = {p.key: p for p in result.proofs}
    lines = []
    for ck in sorted(result.compiled.keys, key=lambda c: c.key.name):
        lines.append(f"{ck.key.name}: key policy {ck.size}/{POLICY_LIMIT} bytes")
        lines += [f"  {line}" for line in proof_lines(ck, proofs[ck.key.name])]
    lines += not_proved(ck.key.vendor for ck in result.compiled.keys)
    lines += [accepted_line(a) for a in sorted(result.accepted, key=lambda a: a.warning.sort_key())]
    return "".join(f"{line}\n" for line in lines)


ACCEPTED = "accepted: "


def accepted_line(a: Accepted) -> str:
    """One acceptance in force: the warning, where, and by what (with its reason): nothing is
    hidden without a line here (`--quiet` keeps these lines)."""
    from ..resolve.accept import target

    why, d = a.why(), a.warning
    extra = ", ".join(f"{k} {why[k]}" for k in ("ticket", "expires") if why[k])
    by = f"{why['by']} ({extra})" if extra else why["by"]
    return f"{ACCEPTED}{d.code} at {d.loc or '-'} ({target(d)}), by {by}: {why['reason']}"


def quiet(summary: str) -> str:
    """`generate --quiet`: of the summary, only the acceptances in force."""
    return "".join(line for line in summary.splitlines(True) if line.startswith(ACCEPTED))


def _strict_failure(warnings: str, strict: bool) -> bool:
    if strict and warnings:
        count = sum(1 for line in warnings.splitlines() if not line.startswith("  "))
        print(f"byok: {count} warning(s) and --strict: nothing written", file=sys.stderr)
        return True
    return False


def _inputs(root: Path) -> list[Path]:
    from ..shipped import vendor_sources

    # every vendor file the build reads (shipped or local), and stray `.yml` files it reports
    vendors = [path for path, _ in vendor_sources(root).values()]
    return [root / ORG_FILE, *vendors, *sorted((root / VENDORS_DIR).glob("*.yml"))]


def _fingerprint(root: Path, day: date) -> str | None:
    from ..write import cache

    try:
        return cache.fingerprint(root, _inputs(root), day)
    except OSError:  # unreadable inputs: no shortcut; the compiler reports them
        return None


def fingerprint_lookup(root: Path, day: date, files: dict[str, bytes]) -> Entry | None:
    """The last successful run, if its fingerprint still matches and it wrote exactly `files`
    (`generated/` as read now; see write/cache.py); None otherwise. Imports neither the pipeline nor
    z3 (issue 16: a no-op generate replays in a fraction of a second)."""
    return _lookup(root, _fingerprint(root, day), files)


def _lookup(root: Path, fp: str | None, files: dict[str, bytes]) -> Entry | None:
    from ..write import cache

    return None if fp is None else cache.lookup(root, fp, files)


def _replay(entry: Entry, files: Mapping[str, bytes], args: argparse.Namespace) -> int:
    """Replay the last run: nothing it depends on changed (see write/cache.py)."""
    sys.stderr.write(entry.stderr)
    if _strict_failure(entry.stderr, args.strict):
        return EXIT_INPUT
    sys.stdout.write(quiet(entry.stdout) if args.quiet else entry.stdout)
    print(f"{OUT_DIR}/: {len(files)} files unchanged")
    return EXIT_OK


def _check(before: Mapping[str, bytes], result: Result, args: argparse.Namespace) -> int:
    from ..write import diff_trees

    diff = diff_trees(before, result.files, OUT_DIR)
    if diff:
        sys.stdout.write(diff)
        print(
            f"byok: {OUT_DIR}/ is stale: run `byok generate` and commit the result", file=sys.stderr
        )
        return EXIT_INPUT
    if args.tracked and not _all_tracked(Path(args.directory)):
        return EXIT_INPUT
    print(f"{OUT_DIR}/ is up to date")
    return EXIT_OK


def _all_tracked(root: Path) -> bool:
    """`--tracked`: True when git tracks (or ignores) every file of `generated/`; else False,
    after naming the others. A commit made with `git commit -a` leaves new files out, and a
    clean checkout of it then fails `generate --check` (issue 27); the pre-commit hook catches
    that here, before the commit."""
    import subprocess

    cmd = ["git", "-C", str(root), "ls-files", "--others", "--exclude-standard", "-z", "--"]
    try:
        proc = subprocess.run([*cmd, OUT_DIR], capture_output=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"byok: error: --tracked: cannot ask git about {OUT_DIR}/: {exc}", file=sys.stderr)
        return False
    untracked = sorted(p for p in proc.stdout.decode("utf-8", "replace").split("\0") if p)
    if not untracked:
        return True
    print(
        f"byok: {len(untracked)} file(s) of {OUT_DIR}/ not in git: a commit leaves them out and "
        "its checkout fails `byok generate --check`:",
        file=sys.stderr,
    )
    sys.stderr.write("".join(f"  {path}\n" for path in untracked))
    print(f"  help: git add {OUT_DIR}/ (or git add -A), then commit", file=sys.stderr)
    return False


def _changed(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> int:
    """How many files a write of `after` over `before` creates, changes or removes."""
    return sum(1 for rel in set(before) | set(after) if before.get(rel) != after.get(rel))


def _commit(run: _Run, result: Result, warnings: str, summary: str) -> None:
    """Swap the staged tree in, record the run for replay, say what was written."""
    from ..write import cache

    assert run.staged is not None  # build_tree stages before it returns
    run.staged.commit()
    if run.fp is not None:
        entry = cache.Entry(
            fingerprint=run.fp,
            tree=cache.tree_digest(result.files),
            stderr=warnings,
            stdout=summary,
        )
        cache.store(run.root, entry)
    changed = _changed(run.before, result.files)
    print(
        f"{OUT_DIR}/: {changed} of {len(result.files)} files written"
        if changed
        else f"{OUT_DIR}/: {len(result.files)} files unchanged"
    )


def _machine(
    args: argparse.Namespace, diags: Sequence[Diagnostic], accepted: Sequence[Accepted] = ()
) -> None:
    """`--format json|sarif`: every diagnostic of the run on stdout, nothing else there; the
    accepted warnings too, marked with their reason (SARIF: as suppressed results)."""
    from .formats import diagnostics_json, diagnostics_sarif

    render = diagnostics_json if args.format == "json" else diagnostics_sarif
    sys.stdout.write(render(diags, Path(args.directory), accepted))


class _Run:
    """One `generate`: the inputs' fingerprint, the tree on disk before, the staged new tree."""

    def __init__(self, root: Path, day: date, check: bool) -> None:
        from ..write import read_tree

        # `--check` neither replays nor records a run: no fingerprint to compute
        self.root, self.day = root, day
        self.fp = None if check else _fingerprint(root, day)
        self.before = read_tree(root / OUT_DIR)
        self.staged: Staged | None = None

    def stage(self, files: dict[str, bytes]) -> None:
        """Called by build_tree as soon as the tree is rendered: written and synced beside
        `generated/` while the proofs run, swapped in only once they all hold."""
        from ..write import stage_tree

        self.staged = stage_tree(self.root / OUT_DIR, files, self.before)


def cmd_generate(args: argparse.Namespace) -> int:
    root, now = Path(args.directory), today()
    args.check = args.check or args.tracked
    if not_a_project(root):
        return EXIT_INPUT
    if args.format != "text":
        return _generate_machine(args, root, now)
    run = _Run(root, now, args.check)
    entry = _lookup(root, run.fp, run.before)
    if entry is not None:
        return _replay(entry, run.before, args)
    try:
        return _build_and_write(args, run)
    finally:
        if run.staged is not None:
            run.staged.discard()  # a no-op once committed


def _build_and_write(args: argparse.Namespace, run: _Run) -> int:
    from ..diagnostics import CompileError
    from ..pipeline import build_tree
    from ..write.store import Store

    # `--check` (CI's gate) builds everything from the inputs; a `generate` reuses the apps a
    # verified build cache holds unchanged (incremental/), with the same result
    store = None if args.check else Store(run.root)
    try:
        result = build_tree(
            run.root,
            run.day,
            on_render=None if args.check else run.stage,
            store=store,
            tree=run.before,
        )
    except CompileError as err:
        sys.stderr.write(format_diagnostics(err.diagnostics))
        return EXIT_INPUT
    warnings = format_diagnostics(result.warnings)
    sys.stderr.write(warnings)
    if _strict_failure(warnings, args.strict):
        return EXIT_INPUT
    if args.check:
        return _check(run.before, result, args)
    summary = _summary(result)
    sys.stdout.write(quiet(summary) if args.quiet else summary)
    _commit(run, result, warnings, summary)
    return EXIT_OK


def _generate_machine(args: argparse.Namespace, root: Path, now: date) -> int:
    """Compile, report every diagnostic in the machine format and write nothing: a code-scanning
    step runs this beside the real `generate` (or `generate --check`)."""
    from ..diagnostics import CompileError
    from ..pipeline import build_tree

    try:
        result = build_tree(root, now)
    except CompileError as err:
        _machine(args, err.diagnostics)
        return EXIT_INPUT
    _machine(args, result.warnings, result.accepted)
    return EXIT_INPUT if args.strict and result.warnings else EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    from ..diagnostics import catalogue_markdown

    sys.stdout.write(catalogue_markdown())
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    """Register `generate` and `docs` on an argparse subparsers object."""
    gen = sub.add_parser("generate", help="compile org.yaml and vendors/ into generated/")
    gen.add_argument("--strict", action="store_true", help="treat warnings as errors")
    gen.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="print warnings, the acceptances in force and the last line only, not the proofs",
    )
    gen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if generated/ is stale",
    )
    gen.add_argument(
        "--tracked",
        action="store_true",
        help="--check, and also fail when git does not track a file of generated/ (the "
        "pre-commit hook: a commit would leave it out)",
    )
    add_format(
        gen,
        ("text", "json", "sarif"),
        "text",
        "json or sarif: print the diagnostics on stdout in that format and write nothing",
    )
    gen.set_defaults(func=cmd_generate)
    docs = sub.add_parser("docs", help="print the diagnostics catalogue as Markdown")
    docs.set_defaults(func=cmd_docs)
