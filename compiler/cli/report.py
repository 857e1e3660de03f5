"""`byok report [--base REF] [--output FILE]`: the reviewer's web page (compiler/report/).

It describes what Terraform applies, so it refuses a `generated/` that is not what the inputs
compile to (E323, exit 1), like `byok diff`. With `--base`, the page carries the findings of
`byok diff --base REF` and each changed policy before and after; the report never gates: it
exits 0 whatever the review finds (the gate is `byok diff`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..paths import OUT_DIR
from .common import EXIT_INPUT, EXIT_OK, add_format, not_a_project, print_diagnostics, today

if TYPE_CHECKING:
    from ..pipeline import Result
    from ..report import DiffSection

DEFAULT_OUTPUT = ".build/byok-report.html"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("report", help="write an HTML page of the access, proofs and a diff")
    p.add_argument("--base", metavar="REF", help="also show `byok diff --base REF`'s findings")
    p.add_argument(
        "--output",
        "-o",
        default=None,
        help=f"where to write the page (default: {DEFAULT_OUTPUT} in the project directory)",
    )
    add_format(p, ("html",), "html")
    p.set_defaults(func=cmd_report)


def _policy_text(policy: Any) -> str | None:
    return None if policy is None else json.dumps(policy.to_json(), indent=2, sort_keys=True)


def _diff_section(root: Path, result: Result, tree: dict[str, bytes], ref: str) -> DiffSection:
    """The review `byok diff --base REF` prints, and the policies it compared."""
    from ..report import DiffSection
    from ..review.gitbase import committed_policies, resolve_base, working_policies
    from .diff import Built, _report

    base = resolve_base(root, ref)
    args = argparse.Namespace(format="text", allow_widening=False, allow_weakening=False)
    review = _report(root, Built(result.compiled, tree, list), base, args)
    assert not isinstance(review, int)  # generated/ was checked current before
    before = committed_policies(root, base, {})
    after = working_policies(tree, {})
    policies = tuple(
        (c.key, c.status, _policy_text(before.get(c.key)), _policy_text(after.get(c.key)))
        for c in review.keys.changes
        if c.status != "unchanged"
    )
    return DiffSection(base.describe(), f"base: {base.describe()}\n" + review.text(), policies)


def _build(root: Path) -> tuple[Result, dict[str, bytes]] | None:
    from ..diagnostics import CompileError
    from ..pipeline import build_tree
    from ..write import read_tree
    from .diff import stale_files

    try:
        result = build_tree(root, today(), guard=False)
    except CompileError as err:
        print_diagnostics(err.diagnostics)
        return None
    tree = read_tree(root / OUT_DIR)
    stale = stale_files(tree, result.files)
    if stale:
        print_diagnostics(stale)
        print(f"byok: {OUT_DIR}/ is stale: run `byok generate`, then report", file=sys.stderr)
        return None
    return result, tree


def cmd_report(args: argparse.Namespace) -> int:
    from ..report import render_report
    from ..review.gitbase import GitError
    from .main import _version

    root = Path(args.directory)
    if not_a_project(root):
        return EXIT_INPUT
    built = _build(root)
    if built is None:
        return EXIT_INPUT
    result, tree = built
    try:
        diff = None if args.base is None else _diff_section(root, result, tree, args.base)
    except (GitError, ValueError, OSError) as exc:
        print(f"byok: error: cannot read policies at `{args.base}`: {exc}", file=sys.stderr)
        return EXIT_INPUT
    proofs = {p.key: p for p in result.proofs}
    html = render_report(result.compiled, proofs, _version(), diff)
    out = Path(args.output) if args.output else root / DEFAULT_OUTPUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    keys = len(result.compiled.keys)
    print(f"byok: wrote {out} ({keys} key(s)); open it in a browser (it needs no network)")
    return EXIT_OK
