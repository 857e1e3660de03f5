"""org.yaml `accepted_warnings`: one warning accepted for one target with a reason, never
silently: expired entries bring the warning back (W120), entries matching nothing are W121,
errors cannot be accepted (E210)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from byok.cli import main as cli
from byok.write import read_tree
from tests.conftest import ACCEPTANCES


def _generate(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    os.environ["BYOK_TODAY"] = "2026-01-01"
    try:
        code = cli.main(["-C", str(project), "generate", *args])
    finally:
        del os.environ["BYOK_TODAY"]
    return code, capsys.readouterr().err


def _org_line(project: Path, text: str) -> int:
    lines = (project / "org.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_strict_passes_on_the_shipped_example(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(project, capsys, "--strict") == (0, "")


def test_expired_acceptance_reports_the_warning_again(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = project / "org.yaml"
    text = org.read_text()
    marker = "    target: 'databricks: kill switch'"
    head, tail = text.split(marker)
    org.write_text(head + marker + tail.replace("expires: 2027-03-31", "expires: 2025-12-31", 1))
    line = _org_line(project, "expires: 2025-12-31")
    before = read_tree(project / "generated")
    code, err = _generate(project, capsys, "--strict")
    assert code == 1
    assert err.splitlines() == [
        f"org.yaml:{line}:14: W120 acceptance of W101 `databricks: kill switch` expired on "
        "2025-12-31 (ticket SEC-152)",
        "  help: renew it with a reason and a new date, or fix what it accepted",
        "vendors/databricks.yaml:138:5: W101 unverified vendor fact reaches generated output: "
        "kill switch",
        "  help: confirm it (https://github.com/databricks/terraform-databricks-sra/blob/"
        "13a17418865aa31ec8370aea10d38823d5b2c23a/aws/tf/modules/sra/cmk.tf), then set "
        "`verified: true`",
        "byok: 2 warning(s) and --strict: nothing written",
    ]
    assert read_tree(project / "generated") == before


def test_acceptance_that_matches_nothing_is_reported(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = project / "org.yaml"
    org.write_text(org.read_text().replace("'slack: logging role'", "'slack: loging role'"))
    line = _org_line(project, "loging role")
    code, err = _generate(project, capsys)
    assert code == 0
    assert err.splitlines()[:2] == [
        f"org.yaml:{line}:13: W121 acceptance of W101 `slack: loging role` matches no warning",
        "  help: remove it (or correct `target`: `byok generate --format json` lists each warning)",
    ]
    assert "W101 unverified vendor fact reaches generated output: logging role" in err


def test_errors_cannot_be_accepted(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    org = project / "org.yaml"
    org.write_text(org.read_text() + '  - {code: W999, target: "x: y", reason: r, ticket: T-1}\n')
    line = len(org.read_text().splitlines())
    code, err = _generate(project, capsys)
    assert code == 1
    assert err.splitlines() == [
        f"org.yaml:{line}:12: E210 `W999` is not a warning code: only warnings can be accepted",
        "  help: see docs/diagnostics.md for the warning codes (W...)",
    ]


def test_the_acceptances_block_is_last_in_org_yaml() -> None:
    """tests/conftest.drop_acceptances cuts org.yaml there; nothing may follow the block."""
    text = (Path(__file__).parent.parent / "org.yaml").read_text()
    block = text[text.index(ACCEPTANCES) :]
    assert all(
        line.startswith(("  ", "accepted_warnings:", "#")) or not line
        for line in block.splitlines()[1:]
    )
