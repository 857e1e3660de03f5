"""`.pre-commit-hooks.yaml` through `pre-commit try-repo` on a repository `byok init` made.

`language: python` hooks make pre-commit pip-install this repository into an environment of its
own; that works offline here because pip's configured indexes are local mirrors (see README,
"pre-commit"). The environment is built once per session (PRE_COMMIT_HOME)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from byok.cli import main as cli
from tests.conftest import REPO

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(org: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(REPO), "--all-files"],
        cwd=org,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_hooks_pass_then_catch_a_stale_generated_tree(tmp_path: Path, home: Path) -> None:
    org = tmp_path / "org"
    assert cli.main(["init", str(org)]) == 0
    assert cli.main(["-C", str(org), "generate"]) == 0
    _git(org, "init", "-q")
    _git(org, "add", "-A")
    _git(org, "commit", "-qm", "scaffold")
    ok = _try_repo(org, home)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "generated/ is what org.yaml and vendors/ compile to" in ok.stdout
    assert "access changes against HEAD (byok diff; the pull request's gate approves)" in ok.stdout
    assert ok.stdout.count("Passed") == 2
    text = (org / "org.yaml").read_text()
    (org / "org.yaml").write_text(
        text.replace("rotation_period_days: 365", "rotation_period_days: 180")
    )
    stale = _try_repo(org, home)
    assert stale.returncode == 1
    assert "byok: generated/ is stale: run `byok generate` and commit the result" in stale.stdout
    assert stale.stdout.count("Failed") == 2  # the access diff refuses a stale tree too


SLACK_APP = (
    "  - vendor: slack\n    environments: [prod]\n"
    "    parameters: {external_id: acme-slack-ekm-01}\n"
)


def _run_hooks(org: Path) -> subprocess.CompletedProcess[str]:
    """The scaffold's own `.pre-commit-config.yaml` (`repo: local`, the `byok` on PATH)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env["PRE_COMMIT_HOME"] = str(org.parent / "pre-commit-home")
    return subprocess.run(
        [*PRE_COMMIT, "run", "--all-files"],
        cwd=org,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_scaffold_hooks_report_new_access_and_catch_untracked_generated_files(
    tmp_path: Path,
) -> None:
    """Issue 27, items 1 and 2: onboarding a vendor is new access, which the local hook reports
    without blocking (the pull request's gate approves it); the new key's files left out of the
    commit (`git commit -a` stages no new file) fail the hook, by name, before the commit."""
    org = tmp_path / "org"
    assert cli.main(["init", str(org)]) == 0
    assert cli.main(["-C", str(org), "generate", "--quiet"]) == 0
    _git(org, "init", "-q")
    _git(org, "add", "-A")
    _git(org, "commit", "-qm", "scaffold")
    (org / "org.yaml").write_text((org / "org.yaml").read_text() + SLACK_APP)
    assert cli.main(["-C", str(org), "generate", "--quiet"]) == 0
    _git(org, "add", "-u")  # what `git commit -a` stages: tracked files only
    run = _run_hooks(org)
    assert run.returncode == 1, run.stdout + run.stderr
    assert (
        "byok: 2 file(s) of generated/ not in git: a commit leaves them out and its checkout "
        "fails `byok generate --check`:\n"
        "  generated/handoff/slack-prod.md\n"
        "  generated/policies/slack-prod.json\n"
        "  help: git add generated/ (or git add -A), then commit\n"
    ) in run.stdout
    # the access diff passed, and showed what it found
    assert "access changes against HEAD (byok diff; the pull request's gate approves)" in run.stdout
    assert "NEW ACCESS" in run.stdout
    assert "byok: new access reported, not failed (--allow-widening)" in run.stdout
    assert run.stdout.count("Passed") == 1 and run.stdout.count("Failed") == 1
    _git(org, "add", "-A")  # what the scaffold README says
    run = _run_hooks(org)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("Passed") == 2
