"""The `byok` command line: exit codes, --check, --strict, docs, and the issue's acceptance
cases for misspelled actions, unknown vendors, bad account ids, unknown fields, duplicate keys."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from byok.diagnostics import catalogue_markdown
from byok.write import read_tree
from tests.conftest import REPO, drop_acceptances


def byok(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BYOK_TODAY": "2026-11-23"}
    return subprocess.run(
        [sys.executable, "-m", "byok", "-C", str(project), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


def _line_of(path: Path, needle: str) -> tuple[int, int]:
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return i, line.index(needle) + 1
    raise AssertionError(needle)


def test_usage_error_exits_2(project: Path) -> None:
    assert byok(project, "frobnicate").returncode == 2
    assert byok(project, "generate", "--nope").returncode == 2


def test_check_passes_on_shipped_tree_and_fails_when_stale(project: Path) -> None:
    ok = byok(project, "generate", "--check")
    assert (ok.returncode, ok.stdout) == (0, "generated/ is up to date\n"), ok.stderr
    policy = project / "generated" / "policies" / "zoom-prod.json"
    policy.write_text(policy.read_text().replace("kms:Encrypt", "kms:Encrypt2"))
    stale = byok(project, "generate", "--check")
    assert stale.returncode == 1
    assert stale.stdout.startswith(
        "--- generated/policies/zoom-prod.json\n+++ generated/policies/zoom-prod.json (expected)\n"
    )
    assert "byok: generated/ is stale: run `byok generate` and commit the result" in stale.stderr
    assert "kms:Encrypt2" in policy.read_text()  # --check writes nothing


def test_strict_fails_on_warnings_and_writes_nothing(project: Path) -> None:
    drop_acceptances(project)
    before = read_tree(project / "generated")
    res = byok(project, "generate", "--strict")
    assert res.returncode == 1
    assert " W101 unverified vendor fact reaches generated output" in res.stderr
    assert res.stderr.rstrip().endswith("and --strict: nothing written")
    assert read_tree(project / "generated") == before


def test_docs_prints_the_catalogue() -> None:
    res = byok(REPO, "docs")
    assert res.stdout == catalogue_markdown()
    assert (REPO / "docs" / "diagnostics.md").read_text() == catalogue_markdown()


@pytest.mark.parametrize(
    ("target", "old", "new", "at", "expected"),
    [
        (
            "vendors/zoom.yaml",
            "      - kms:Decrypt",
            "      - kms:Decrpyt",
            "kms:Decrpyt",
            ["{loc}: E312 unknown action `kms:Decrpyt`", "  help: did you mean `kms:Decrypt`?"],
        ),
        (
            "org.yaml",
            "vendor: zoom",
            "vendor: zooom",
            "zooom",
            ["{loc}: E301 unknown vendor `zooom`", "  help: did you mean `zoom`?"],
        ),
        (
            "org.yaml",
            '"111122223333"',
            '"11112222333"',
            '"11112222333"',
            ["{loc}: E204 invalid `account_id`: `11112222333` is not a 12-digit AWS account id"],
        ),
        (
            "org.yaml",
            "\ntrail:",
            "\ntrial:",
            "trial:",
            ["{loc}: E201 unknown field `trial`", "  help: did you mean `trail`?"],
        ),
    ],
)
def test_bad_input_points_at_its_line(
    project: Path, target: str, old: str, new: str, at: str, expected: list[str]
) -> None:
    path = project / target
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    line, col = _line_of(path, at)
    before = read_tree(project / "generated")
    res = byok(project, "generate")
    assert res.returncode == 1
    assert res.stderr.splitlines() == [e.format(loc=f"{target}:{line}:{col}") for e in expected]
    assert "Traceback" not in res.stderr
    assert read_tree(project / "generated") == before


def test_duplicate_key_names_both_lines(project: Path) -> None:
    org = project / "org.yaml"
    text = org.read_text()
    org.write_text(text.replace("region: us-east-1\n", "region: us-east-1\nregion: eu-west-1\n", 1))
    line, _ = _line_of(org, "region: eu-west-1")
    res = byok(project, "generate")
    assert res.returncode == 1
    assert res.stderr.splitlines() == [
        f"org.yaml:{line}:1: E102 duplicate key `region` (first defined at line {line - 1})"
    ]
