"""Warnings about a shipped vendor file (issue 25): an installed wheel reads the vendor catalog
from site-packages, outside the repository, where SARIF cannot place a finding and nobody
edits. Such a warning is located at the org.yaml line that uses the vendor, names the shipped
file in its message, and is accepted by the same `accepted_warnings` target as before
(`slack: ...`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from byok.shipped import vendor_files
from tests.conftest import REPO, byok, drop_acceptances


def _project(tmp_path: Path) -> Path:
    """org.yaml alone: every vendor comes from the shipped catalog."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy2(REPO / "org.yaml", project / "org.yaml")
    return project


def _line(project: Path, text: str) -> int:
    return next(
        i
        for i, line in enumerate((project / "org.yaml").read_text().splitlines(), 1)
        if line == text
    )


def test_shipped_vendor_warnings_land_on_the_org_yaml_line(tmp_path: Path) -> None:
    project = _project(tmp_path)
    drop_acceptances(project)
    res = byok(project, "generate", "--format", "sarif")
    assert res.returncode == 0, res.stderr
    results = json.loads(res.stdout)["runs"][0]["results"]
    slack = _line(project, "  - vendor: slack")
    shipped = vendor_files()["slack"]
    w101 = [r for r in results if r["ruleId"] == "W101" and str(shipped) in r["message"]["text"]]
    assert len(w101) == 5
    for r in results:
        where = r["locations"][0]["physicalLocation"]
        assert where["artifactLocation"] == {"uri": "org.yaml", "uriBaseId": "%SRCROOT%"}, r
    for r in w101:
        region = r["locations"][0]["physicalLocation"]["region"]
        assert region == {"startLine": slack, "startColumn": 13}
    principal = next(r for r in w101 if "principal" in r["message"]["text"])
    assert principal["message"]["text"].startswith(
        "unverified vendor fact reaches generated output: principal "
        f"`arn:aws:iam::152659312504:root` (in the shipped vendor file {shipped}:"
    )
    text = byok(project, "generate").stderr
    line = (
        f"org.yaml:{slack}:13: W101 unverified vendor fact reaches generated output: grant "
        f"`data-keys` (in the shipped vendor file {shipped}:"
    )
    assert line in text


def test_accepted_warnings_keep_their_targets(tmp_path: Path) -> None:
    project = _project(tmp_path)
    res = byok(project, "generate", "--strict")
    assert res.returncode == 0, res.stdout + res.stderr
    slack = _line(project, "  - vendor: slack")
    assert (
        f"accepted: W101 at org.yaml:{slack}:13 (slack: principal arn:aws:iam::152659312504:root)"
        in res.stdout
    )
