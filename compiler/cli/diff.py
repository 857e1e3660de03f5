"""`byok diff [--base REF] [--format text|json] [--allow-widening] [--allow-weakening]`: the
review gate. It judges everything `terraform apply` will do: the key policies (review/changes),
every resource of the compiled deployment by AWS identity (review/deployment, against the base's
`generated/deployment.json`), hand-written Terraform and everything else Terraform loads
(review/loaded, review/literals).

Exit codes (cli/common.EXIT_CODES): 0 nothing blocking, 1 the inputs do not compile, `generated/`
is not what they compile to (E323), a symbolic link (E110) or a base git cannot read, 2 usage,
a base ref naming both a tag and a branch, or nothing to review, 3 new access or a change that
cannot be proved offline (unless `--allow-widening`), 4 a data-bearing resource destroyed or
replaced without a declaration in org.yaml (never waived), 6 weakened monitoring or evidence
(unless `--allow-weakening`).

The pipeline, the policy engine and git are imported inside the command: `byok diff --help`
pays for none of them (tests/test_cli_startup.py).
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..paths import ORG_FILE, OUT_DIR
from .common import (
    EXIT_DESTROY,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_WEAKER,
    EXIT_WIDER,
    add_format,
    print_diagnostics,
    today,
)

if TYPE_CHECKING:
    from ..compile import Compiled
    from ..diagnostics import Diagnostic
    from ..review import Move, Words
    from ..review.gitbase import Base, Placement
    from ..review.report import Review

BASE_HELP = (
    "git ref holding the reviewed state (default: the merge-base of HEAD and origin's default "
    "branch, refs/remotes/origin/HEAD, else of HEAD and its upstream branch, else HEAD itself; "
    "in CI name the target branch in full: refs/remotes/origin/main). A name that is both a tag "
    "and a branch is refused (exit 2)"
)

DIFF_EPILOG = (
    "exit codes: 0 nothing blocking; 1 inputs that do not compile, a stale generated/ (E323), "
    "a symbolic link (E110) or a base git cannot read; 2 usage, an ambiguous --base (a tag and a "
    "branch), or nothing to review; 3 new access (a key, trust or permissions policy widened, a "
    "new role or replica Region) or hand-written Terraform or another file Terraform loads "
    "changed (unless --allow-widening); 4 a data-bearing resource (key, replica, log group, "
    "trail, trail bucket, audit key) destroyed or replaced without a declaration in org.yaml "
    "(never waived); 6 weakened monitoring or evidence: shorter retention or deletion window, "
    "rotation off or slower, the trail stopped or narrowed, log file validation off, an alarm or "
    "an alarm recipient removed (unless --allow-weakening). Unlike `terraform plan "
    "-detailed-exitcode` (0 no changes, 1 error, 2 changes present), exit 2 here is never a "
    "change: changes exit 0, 3, 4 or 6"
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "diff",
        help="semantic access diff of generated/ against the policies at a git ref",
        epilog=DIFF_EPILOG,
    )
    p.add_argument("--base", metavar="REF", default=None, help=BASE_HELP)
    add_format(p, ("text", "json"), "text")
    p.add_argument(
        "--allow-widening",
        action="store_true",
        help="do not exit 3 on new access or unproved changes (an approved review)",
    )
    p.add_argument(
        "--allow-weakening",
        action="store_true",
        help="do not exit 6 on weakened monitoring or evidence (an approved review)",
    )
    p.set_defaults(func=cmd_diff)


def _first_difference(a: bytes, b: bytes) -> int:
    """1-based number of the first line where `a` and `b` differ."""
    a_lines, b_lines = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(a_lines, b_lines, strict=False)):
        if x != y:
            return i + 1
    return min(len(a_lines), len(b_lines)) + 1


def stale_files(actual: Mapping[str, bytes], expected: Mapping[str, bytes]) -> list[Diagnostic]:
    """One E323 per file of `generated/` (`actual`) that differs from what the inputs compile
    to (`expected`)."""
    from ..diagnostics import Diagnostic, Loc

    out: list[Diagnostic] = []
    for rel in sorted(set(actual) | set(expected)):
        have, want = actual.get(rel), expected.get(rel)
        path = f"{OUT_DIR}/{rel}"
        if have == want:
            continue
        if have is None:
            msg, loc = f"generated/ is stale: `{path}` is missing", None
        elif want is None:
            msg, loc = (
                "generated/ is stale: the inputs no longer produce this file",
                Loc(file=path, line=1, col=1),
            )
        else:
            line = _first_difference(have, want)
            msg, loc = (
                "generated/ is stale: differs from what the inputs compile to",
                Loc(file=path, line=line, col=1),
            )
        out.append(
            Diagnostic.make(
                "E323",
                msg,
                loc,
                "run `byok generate` (a hand edit of generated/ is overwritten), review, commit",
            )
        )
    return out


def _base_tickets(root: Path, ref: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """The revocation tickets of org.yaml at `ref`, to name the ticket of a lifted revocation.
    Words only: when the base's org.yaml cannot be read or modelled, lines just omit them."""
    from ..diagnostics import CompileError
    from ..load import load_bytes
    from ..model import Org, build
    from ..review import lifted_tickets

    try:
        data = subprocess.run(
            ["git", "-C", str(root), "show", f"{ref}:{ORG_FILE}"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
        org = build(Org, load_bytes(data, ORG_FILE))
    except (OSError, subprocess.SubprocessError, CompileError):
        return {}
    return lifted_tickets(org)


class _LazyTickets(Mapping[str, Mapping[str, tuple[str, ...]]]):
    """`_base_tickets`, read when a line first needs one: only a lifted revocation does, and
    modelling the base's org.yaml costs as much as a third of a typical review (issue 16)."""

    def __init__(self, root: Path, ref: str) -> None:
        self.root, self.ref = root, ref
        self._got: dict[str, dict[str, tuple[str, ...]]] | None = None

    def _tickets(self) -> dict[str, dict[str, tuple[str, ...]]]:
        if self._got is None:
            self._got = _base_tickets(self.root, self.ref)
        return self._got

    def __getitem__(self, key: str) -> Mapping[str, tuple[str, ...]]:
        return self._tickets()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tickets())

    def __len__(self) -> int:
        return len(self._tickets())


def moves(compiled: Compiled, base: Placement, had: Collection[str]) -> dict[str, Move]:
    """Key name -> its move, for each key the base's Terraform creates (`had`: the base's keys)
    in another account or Region than the inputs now do (a key's identity is its account,
    Region and name). A base without `organization.json` says nothing of its root's keys: those
    are matched by name. A key the base never had is new, wherever it goes."""
    from ..review import Move

    org = compiled.resolved.org
    now = {ck.key.name: (ck.key.org.account_id, ck.key.org.region) for ck in compiled.keys}
    roots = {(org.account_id, org.region), *now.values()}
    out: dict[str, Move] = {}
    for name, new in sorted(now.items()):
        old = base.of(name) if name in had else None
        if old is not None and old != new:
            out[name] = Move(old, new, old in roots)
    return out


def _words(compiled: Compiled, root: Path, ref: str, had: Collection[str]) -> Words:
    from ..review import Words
    from ..review.gitbase import committed_placement

    resolved = compiled.resolved
    return Words(
        compiled={ck.key.name: ck for ck in compiled.keys},
        decommissions=resolved.org.decommissions,
        moves=moves(compiled, committed_placement(root, ref), had),
        vendors={v.name: v for v in resolved.vendors},
        account=resolved.org.account_id,
        base_tickets=_LazyTickets(root, ref),
    )


def _emit(review: Review, base: Base, args: argparse.Namespace) -> None:
    """The report, always naming the commit it was compared with (a pull request comment that
    says "no access changes" must say against what)."""
    if args.format == "json":
        doc = {"base": base.ref, "base_commit": base.commit, "base_rule": base.rule}
        doc.update(review.to_json())
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(f"base: {base.describe()}\n" + review.text())


class Built:
    """The compiled inputs, `generated/` as read once, and how to check that `generated/` is
    what they compile to (`stale`: the E323 diagnostics)."""

    def __init__(
        self, compiled: Compiled, tree: dict[str, bytes], stale: Callable[[], list[Diagnostic]]
    ) -> None:
        self.compiled, self.tree, self.stale = compiled, tree, stale


def _report(root: Path, built: Built, base: Base, args: argparse.Namespace) -> Review | int:
    """The review of the working tree, or an exit code when it cannot be trusted."""
    from ..policy import iam
    from ..review import Report, removal, review
    from ..review.gitbase import committed_policies, same_text, working_policies
    from ..review.report import Review
    from .diff_deploy import deployment_findings

    memo: dict[str, iam.Policy] = {}
    before = committed_policies(root, base, memo, built.tree)
    words = _words(built.compiled, root, base.commit, before.keys())
    produced = {ck.key.name for ck in built.compiled.keys}
    stale = built.stale()
    if stale:
        # A key the inputs drop is destructive whatever generated/ says: that is the finding.
        lost = set(before) - produced | set(words.moves)
        gone = [removal(n, before[n], words) for n in sorted(lost)]
        if any(c.destroys for c in gone):
            _emit(Review(Report(gone, moves=words.moves)), base, args)
            print(f"byok: {OUT_DIR}/ is also stale (`byok generate`)", file=sys.stderr)
            return EXIT_DESTROY
        print_diagnostics(stale)
        print(f"byok: {OUT_DIR}/ is stale: run `byok generate`, then review", file=sys.stderr)
        return EXIT_INPUT
    # Not stale: the policies and the inventory in `tree` are the files on disk, byte for byte.
    after = working_policies(built.tree, memo)
    changes = review(after, before, words, same_text(after, before))
    found, note = deployment_findings(root, base, built.compiled, built.tree)
    return Review(Report(changes, words.moves), found, (note,) if note else ())


def cmd_diff(args: argparse.Namespace) -> int:
    # Both policy sets and the compiled organization are millions of long-lived objects: the
    # cyclic GC would rescan them at every full collection (at 10,000 keys that took longer
    # than the review itself). Reference counting still frees everything.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _diff(args)
    finally:
        if enabled:
            gc.enable()


def _compile(root: Path) -> Built | None:
    """The compiled inputs and `generated/` as it is (read once, for the stale check). The apps
    a verified build cache holds unchanged are not proved or rendered again (incremental/);
    the stale check still compares every file the inputs compile to with `generated/`. The
    cache is sealed with this user's key (write/store.py): one committed to git, or written by
    a contributor, is not verified and is ignored."""
    from ..diagnostics import CompileError
    from ..pipeline import build_tree
    from ..write import read_tree
    from ..write.store import Store

    tree = read_tree(root / OUT_DIR)
    try:
        result = build_tree(root, today(), guard=False, store=Store(root), tree=tree)
    except CompileError as err:
        print_diagnostics(err.diagnostics)
        return None
    return Built(result.compiled, tree, lambda: stale_files(tree, result.files))


def _nothing_to_review(root: Path, base: Base, review: Review) -> bool:
    """True, after saying so, when the default fell back to HEAD and the working tree is
    committed: "no access changes" would be true of HEAD only, never of a pull request (in CI
    the change is committed, so HEAD is the change itself)."""
    from ..review.gitbase import committed

    if base.rule != "head" or review.changed or not committed(root):
        return False
    print(
        f"byok: no changes against HEAD ({base.short}): the working tree is committed; "
        "pass --base <target branch> to review a pull request",
        file=sys.stderr,
    )
    return True


def _symlinks(root: Path) -> bool:
    """True, after saying where, when a file byok or Terraform reads is a symbolic link."""
    from ..review.loaded import symlinks

    found = symlinks(root)
    print_diagnostics(found)
    return bool(found)


def _diff(args: argparse.Namespace) -> int:
    from ..review.gitbase import AmbiguousRef, GitError, resolve_base

    root = Path(args.directory)
    if _symlinks(root):
        return EXIT_INPUT
    built = _compile(root)
    if built is None:
        return EXIT_INPUT
    try:
        base = resolve_base(root, args.base)
        report = _report(root, built, base, args)
        if not isinstance(report, int) and _nothing_to_review(root, base, report):
            return EXIT_USAGE
    except AmbiguousRef as exc:
        print(f"byok: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (GitError, ValueError, OSError) as exc:
        where = args.base or "HEAD"
        print(f"byok: error: cannot read the base at `{where}`: {exc}", file=sys.stderr)
        return EXIT_INPUT
    if isinstance(report, int):
        return report
    _emit(report, base, args)
    return _verdict(report, args)


def _verdict(review: Review, args: argparse.Namespace) -> int:
    """Destruction first (never waived), then access and unproved changes (exit 3 until
    `--allow-widening`), then weakening (exit 6 until `--allow-weakening`). Hand-written
    Terraform is applied too but is no output of the reviewed inputs: it fails closed (like
    `compare --fail-on-wider` on `unknown`) until a human approves."""
    if review.blocking("destruction"):
        return EXIT_DESTROY
    wider = review.blocking("access") or review.blocking("unproved")
    if wider and review.blocking("unproved"):
        print("byok: a change the review cannot prove: review it; exit 3", file=sys.stderr)
    if wider and args.allow_widening:
        print(WIDENING_ALLOWED, file=sys.stderr)
    elif wider:
        print(WIDENING_HELP, file=sys.stderr)
        return EXIT_WIDER
    from .diff_deploy import WEAKENING_ALLOWED, WEAKENING_HELP

    weaker = review.blocking("weakening")
    if weaker and args.allow_weakening:
        print(WEAKENING_ALLOWED, file=sys.stderr)
    elif weaker:
        print(WEAKENING_HELP, file=sys.stderr)
        return EXIT_WEAKER
    return EXIT_OK


# What to do next after exit 3 or 6, said where it happens (a pre-commit hook or a terminal):
# the approval belongs to the pull request's review gate (examples/github-actions-review.yml).
WIDENING_HELP = (
    "  help: new access (or a change byok cannot prove) is intended? commit it and let the pull "
    "request's review gate approve it (a reviewer of the `byok-approval` environment); `byok "
    "diff --allow-widening` reports without failing, and `SKIP=byok-access-diff git commit` "
    "skips an older pre-commit hook that blocks"
)
WIDENING_ALLOWED = (
    "byok: new access reported, not failed (--allow-widening): the pull request's review gate "
    "still needs its approval (the `byok-approval` environment)"
)
