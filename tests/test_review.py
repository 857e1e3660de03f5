"""`byok diff`: plain-language access changes against the committed policies (issue 4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, copy_inputs

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "BYOK_TODAY": "2026-11-23",
}


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "compiler", "-C", str(project), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        cwd=REPO,
        timeout=120,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    project = copy_inputs(tmp_path / "repo")
    env = {**os.environ, **GIT_ENV}
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-C", str(project), *cmd], check=True, env=env)
    return project


def _generate(project: Path) -> None:
    """`byok diff` reviews the generated/ Terraform applies: regenerate after an input edit."""
    res = _run(project, "generate")
    assert res.returncode == 0, res.stdout + res.stderr


def _edit(project: Path, old: str, new: str) -> None:
    org = project / "org.yaml"
    text = org.read_text()
    assert old in text
    org.write_text(text.replace(old, new, 1))
    _generate(project)


def test_unchanged_inputs_report_no_changes(repo: Path) -> None:
    res = _run(repo, "diff")
    assert (res.returncode, res.stdout) == (0, "no access changes\n"), res.stderr


def test_added_revocation_names_key_vendor_actions_value(repo: Path) -> None:
    _edit(repo, "values: [C0123ABCD, C07QX4M2PLR]", "values: [C0123ABCD, C07QX4M2PLR, C0999ZZZZ]")
    res = _run(repo, "diff")
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout == (
        "slack-prod: Slack (152659312504) loses kms:Decrypt, kms:GenerateDataKey when "
        "kms:EncryptionContext:channel_id = C0999ZZZZ (revocation SEC-123)\n"
    )


def _witness_check(repo: Path, tmp_path: Path, key: str, witness: dict[str, object]) -> None:
    req = tmp_path / "req.json"
    req.write_text(json.dumps(witness))
    old = tmp_path / "old.json"
    old.write_text(
        subprocess.run(
            ["git", "-C", str(repo), "show", f"HEAD:generated/policies/{key}.json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    _run(repo, "generate")
    new = repo / "generated" / "policies" / f"{key}.json"
    assert json.loads(_run(repo, "eval", str(new), str(req)).stdout)["decision"] == "allow"
    assert json.loads(_run(repo, "eval", str(old), str(req)).stdout)["decision"] == "deny"


def test_removed_revocation_is_new_access_with_confirmed_witness(
    repo: Path, tmp_path: Path
) -> None:
    _edit(repo, "values: [C0123ABCD, C07QX4M2PLR]", "values: [C0123ABCD]")
    res = _run(repo, "diff", "--format", "json")
    assert res.returncode == 3, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    changed = [k for k in doc["keys"] if k["status"] != "unchanged"]
    assert [k["key"] for k in changed] == ["slack-prod"]
    assert changed[0]["relation"] == "wider" and changed[0]["widens"] is True
    assert changed[0]["changes"] == [
        "slack-prod: NEW ACCESS: Slack (152659312504) regains kms:Decrypt, kms:GenerateDataKey "
        "when kms:EncryptionContext:channel_id = C07QX4M2PLR (revocation lifted)"
    ]
    _witness_check(repo, tmp_path, "slack-prod", changed[0]["new_access"])
    text = _run(repo, "diff", "--base", "HEAD")
    assert "NEW ACCESS in slack-prod (wider)" in text.stdout and text.returncode == 3
    assert _run(repo, "diff", "--allow-widening").returncode == 0


def test_new_app_is_widening(repo: Path) -> None:
    org = repo / "org.yaml"
    org.write_text(
        org.read_text() + "\n  - vendor: box\n    environments: [prod]\n"
        "    parameters:\n      principal_arn: arn:aws:iam::999988887777:role/BoxKeySafe\n"
    )
    _generate(repo)
    res = _run(repo, "diff")
    assert res.returncode == 3, res.stdout + res.stderr
    assert res.stdout.startswith("box-prod: NEW ACCESS: new key for Box (999988887777), prod\n")
    assert "NEW ACCESS in box-prod (wider)" in res.stdout


def test_lifted_suspension_is_widening(repo: Path) -> None:
    text = (repo / "org.yaml").read_text()
    start = text.index("    suspension:")
    (repo / "org.yaml").write_text(text[:start])
    _generate(repo)
    res = _run(repo, "diff")
    assert res.returncode == 3, res.stdout + res.stderr
    assert (
        "databricks-staging: NEW ACCESS: Databricks (414351767826) regains" in res.stdout
        and "(suspension lifted)" in res.stdout
    )


def test_bad_base_ref_is_an_error(repo: Path) -> None:
    res = _run(repo, "diff", "--base", "no-such-ref")
    assert res.returncode == 1
    assert res.stderr.startswith("byok: error: cannot read policies at `no-such-ref`")
