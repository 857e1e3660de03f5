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
    assert "no new access against HEAD (byok diff)" in ok.stdout
    assert ok.stdout.count("Passed") == 2
    text = (org / "org.yaml").read_text()
    (org / "org.yaml").write_text(
        text.replace("rotation_period_days: 365", "rotation_period_days: 180")
    )
    stale = _try_repo(org, home)
    assert stale.returncode == 1
    assert "byok: generated/ is stale: run `byok generate` and commit the result" in stale.stdout
    assert stale.stdout.count("Failed") == 2  # the access diff refuses a stale tree too
