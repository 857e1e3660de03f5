"""What `byok diff` compares with, said on its first line, and never a false "no access changes"
for a pull request: in CI the change is committed, so HEAD's generated/ is the change itself.

Without `--base` the base is the merge-base of HEAD and origin's default branch
(`refs/remotes/origin/HEAD`), else of HEAD and the branch's upstream, else HEAD; on a committed
working tree with nothing to default to, `diff` says so and exits 2 instead of passing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import REPO, byok, edit, git

WIDENING = ("values: [C0123ABCD, C07QX4M2PLR]", "values: [C0123ABCD]")
LIFTED = (
    "slack-prod: NEW ACCESS: Slack (152659312504) regains kms:Decrypt, kms:GenerateDataKey "
    "when kms:EncryptionContext:channel_id = C07QX4M2PLR (revocation SEC-123 lifted)\n"
)


def _short(repo: Path, rev: str = "HEAD") -> str:
    return git(repo, "rev-parse", "--short", rev).strip()


def _commit_widening(repo: Path) -> None:
    """The pull request: drop a revocation, regenerate, commit (CI sees a clean working tree)."""
    edit(repo / "org.yaml", *WIDENING)
    assert byok(repo, "generate").returncode == 0
    git(repo, "commit", "-qam", "pr")


def _clone_on_a_branch(repo: Path, tmp_path: Path) -> Path:
    """A `git clone` of `repo` (so refs/remotes/origin/HEAD is set), on branch `pr`."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    git(clone, "checkout", "-qb", "pr")
    return clone


def test_committed_tree_without_a_base_is_nothing_to_review(repo: Path) -> None:
    """The CI trap: the pull request's commit is HEAD, no remote branch to default to."""
    _commit_widening(repo)
    res = byok(repo, "diff")
    assert (res.returncode, res.stdout, res.stderr) == (
        2,
        "",
        f"byok: no changes against HEAD ({_short(repo)}): the working tree is committed; "
        "pass --base <target branch> to review a pull request\n",
    )
    assert byok(repo, "diff", "--format", "json").returncode == 2
    # An untracked file outside what byok reads (a CI report) is not a change under review.
    (repo / "access-diff.txt").write_text("")
    assert byok(repo, "diff").returncode == 2


def test_an_explicit_base_reviews_the_pull_request(repo: Path) -> None:
    base = _short(repo)
    git(repo, "branch", "target")
    _commit_widening(repo)
    res = byok(repo, "diff", "--base", "target")
    assert res.returncode == 3, res.stderr
    assert res.stdout.startswith(f"base: target ({base})\n" + LIFTED), res.stdout
    res = byok(repo, "diff", "--base", "HEAD")  # explicit HEAD: unchanged, and it says so
    assert (res.returncode, res.stdout, res.stderr) == (
        0,
        f"base: HEAD ({_short(repo)})\nno access changes in the key policies\n",
        "",
    )


def test_the_default_is_the_merge_base_with_origins_default_branch(
    repo: Path, tmp_path: Path
) -> None:
    clone = _clone_on_a_branch(repo, tmp_path)
    assert git(clone, "symbolic-ref", "refs/remotes/origin/HEAD").strip() == (
        "refs/remotes/origin/main"
    )
    base = _short(clone)
    _commit_widening(clone)
    # origin/main moves on after the branch left it: the branch's own change is still reviewed
    git(repo, "commit", "-q", "--allow-empty", "-m", "later on main")
    git(clone, "fetch", "-q")
    res = byok(clone, "diff")
    assert res.returncode == 3, res.stderr
    assert res.stdout.startswith(f"base: merge-base of HEAD and origin/main ({base})\n" + LIFTED)
    doc = json.loads(byok(clone, "diff", "--format", "json").stdout)
    merge_base = git(clone, "merge-base", "HEAD", "origin/main").strip()
    assert (doc["base"], doc["base_commit"], doc["base_rule"]) == (
        "origin/main",
        merge_base,
        "merge-base",
    )


def test_without_origin_head_the_upstream_branch_is_the_default(repo: Path, tmp_path: Path) -> None:
    clone = _clone_on_a_branch(repo, tmp_path)
    git(clone, "remote", "set-head", "origin", "--delete")
    git(clone, "branch", "-q", "--set-upstream-to", "origin/main")
    base = _short(clone)
    _commit_widening(clone)
    res = byok(clone, "diff")
    assert res.returncode == 3, res.stderr
    assert res.stdout.startswith(f"base: merge-base of HEAD and origin/main ({base})\n" + LIFTED)


def test_a_clean_branch_at_its_target_says_no_access_changes_against_it(
    repo: Path, tmp_path: Path
) -> None:
    clone = _clone_on_a_branch(repo, tmp_path)
    res = byok(clone, "diff")
    assert (res.returncode, res.stdout, res.stderr) == (
        0,
        f"base: merge-base of HEAD and origin/main ({_short(clone)})\n"
        "no access changes in the key policies\n",
        "",
    )


@pytest.mark.parametrize(
    "path", ["examples/github-actions-review.yml", ".pre-commit-hooks.yaml", "Makefile"]
)
def test_every_shipped_gate_names_its_base(path: str) -> None:
    """A CI or hook invocation without `--base` would depend on the checkout's remote refs
    (`byok init` copies the CI example's invocation)."""
    code = [line.split("#", 1)[0] for line in (REPO / path).read_text().splitlines()]
    calls = [
        line
        for line in code
        if "byok diff" in line and not re.search(r"\b(echo|name|description):? ", line)
    ]
    assert calls and all("byok diff --base " in call for call in calls), calls


def test_the_branch_own_upstream_is_not_a_base(repo: Path, tmp_path: Path) -> None:
    """`git push -u origin pr` makes origin/pr the upstream of `pr`: its merge-base is HEAD
    itself, a review of nothing. Without origin/HEAD there is then no target: exit 2."""
    clone = _clone_on_a_branch(repo, tmp_path)
    git(clone, "remote", "set-head", "origin", "-d")
    _commit_widening(clone)
    git(clone, "push", "-qu", "origin", "pr")
    res = byok(clone, "diff")
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.startswith(f"byok: no changes against HEAD ({_short(clone)})")
    assert byok(clone, "diff", "--base", "origin/main").returncode == 3


def test_a_diff_checks_its_base_once(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The base is checked where it is resolved; reading its policies takes the checked commit."""
    from byok.cli.main import main
    from byok.review import gitbase

    real, checked = gitbase._check_ref, []

    def check(root: Path, ref: str) -> None:
        checked.append(ref)
        real(root, ref)

    monkeypatch.setattr(gitbase, "_check_ref", check)
    assert main(["-C", str(repo), "diff", "--base", "HEAD"]) == 0
    assert checked == ["HEAD"]
    assert capsys.readouterr().out.startswith(f"base: HEAD ({_short(repo)})\n")


def test_after_a_generate_links_unchanged_files_every_change_is_still_found(
    tmp_path: Path,
) -> None:
    """`generate` hard-links the unchanged files into the new tree (a new ctime, the same
    inode, mtime and bytes) and git runs with core.trustctime=false (gitbase._GIT), so they are
    not re-read; a rewritten file (a new inode) and a file edited in place (a new mtime) are
    still changes."""
    from byok.review.gitbase import _GIT, changed_files
    from byok.write import write_tree

    assert _GIT == ("git", "-c", "core.trustctime=false")
    git(tmp_path, "init", "-q")
    files = {f"generated/policies/k{i}.json": b'{"n": %d}\n' % i for i in range(40)}
    write_tree(tmp_path / "generated", {k.removeprefix("generated/"): v for k, v in files.items()})
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "base")
    changed = {**files, "generated/policies/k7.json": b'{"n": 70}\n'}
    write_tree(
        tmp_path / "generated", {k.removeprefix("generated/"): v for k, v in changed.items()}
    )
    in_place = tmp_path / "generated/policies/k9.json"
    with in_place.open("r+b") as fh:  # same inode and size, a new mtime
        fh.write(b'{"n": 8}\n')
    assert changed_files(tmp_path, "HEAD") == (
        "generated/policies/k7.json",
        "generated/policies/k9.json",
    )
