"""The README's first hour, end to end, as a newcomer runs it (issue 27): install the wheel, `byok
init`, `byok generate`, `terraform init && terraform validate`, commit as the scaffold README says
(`git add -A`), onboard a vendor on a branch (the README's "Walkthrough: onboard a vendor"), and
open the pull request: the review gate (`byok diff --base main`, exit 3 for the new access),
its web page (`byok report`), and a clean checkout of the branch that passes `byok generate
--check`, which the CI workflow runs first. The installed wheel comes from test_packaging."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from byok.cli.init import MIRROR_ENV
from tests.test_packaging import _mirror, installed  # noqa: F401 (the fixture)

ENV = {"GIT_AUTHOR_NAME": "n", "GIT_AUTHOR_EMAIL": "n@example.com", "PYTHONPATH": ""}
ENV |= {"GIT_COMMITTER_NAME": "n", "GIT_COMMITTER_EMAIL": "n@example.com"}
ENV |= {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "BYOK_TODAY": "2026-11-23"}


def _sh(cmd: str, cwd: Path, env: dict[str, str], code: int = 0) -> str:
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == code, f"{cmd}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


@pytest.mark.terraform
def test_the_first_hour(installed: Path, tmp_path: Path) -> None:  # noqa: F811
    env = {**os.environ, **ENV, "PATH": f"{installed}:{os.environ['PATH']}"}
    env[MIRROR_ENV] = _mirror()
    env["TF_CLI_CONFIG_FILE"] = "/nonexistent"
    # set up: `byok init my-keys`, `byok generate`, `terraform init && terraform validate`
    _sh("byok init my-keys", tmp_path, env)
    repo = tmp_path / "my-keys"
    env["TF_CLI_CONFIG_FILE"] = str(repo / "terraform.rc")
    assert "proved:" in _sh("byok generate", repo, env)
    _sh("terraform init -input=false -backend=false -lockfile=readonly", repo, env)
    assert "Success" in _sh("terraform validate -no-color", repo, env)
    # commit as the scaffold README says
    _sh("git init -q -b main && git add -A && git commit -qm scaffold", repo, env)
    assert _sh("git status --porcelain", repo, env) == ""
    # onboard a vendor on a branch: its vendor file to start from, an app, generate
    _sh("git checkout -q -b onboard-slack && byok vendors --copy slack", repo, env)
    with (repo / "org.yaml").open("a") as org:
        org.write("  - vendor: slack\n    environments: [prod]\n")
        org.write("    parameters: {external_id: acme-slack-ekm-01}\n")
    out = _sh("byok generate", repo, env)
    assert "W101 unverified vendor fact reaches generated output" in out
    _sh("byok generate --check --tracked", repo, env, code=1)  # new files not yet added
    _sh("git add -A && git commit -qm 'onboard slack'", repo, env)
    # the pull request: the gate sees new access; the page for reviewers; a clean checkout
    diff = _sh("byok diff --base main", repo, env, code=3)
    assert "NEW ACCESS in slack-prod" in diff
    assert "byok: wrote" in _sh("byok report --base main -o report.html", repo, env)
    assert "slack-prod" in (repo / "report.html").read_text()
    _sh(f"git clone -q --branch onboard-slack {repo} {tmp_path / 'ci'}", tmp_path, env)
    assert _sh("byok generate --check", tmp_path / "ci", env).startswith(
        "generated/ is up to date\n"
    )
