"""Exit codes are defined once (cli/common.py `EXIT_CODES`): no module defines or returns a code
of its own, and every code a command uses is listed by `byok --help` and the README's table."""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import pytest

from byok.cli import common
from byok.cli import main as cli
from tests.conftest import REPO

SOURCE = REPO / "compiler"
COMMON = SOURCE / "cli" / "common.py"


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(), str(p))) for p in sorted(SOURCE.rglob("*.py"))]


def _used() -> set[str]:
    """Every `EXIT_*` code any module of the compiler refers to."""
    names = {
        node.id
        for _, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and re.fullmatch(r"EXIT_[A-Z_]+", node.id)
    } | {
        alias.name
        for _, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.startswith("EXIT_")
    }
    return names - {"EXIT_CODES"}


def _help() -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        cli.main(["--help"])
    return out.getvalue()


def _readme_codes() -> list[int]:
    text = (REPO / "README.md").read_text()
    section = text[text.index("### Exit codes") :]
    table = section[: section.index("\n\n", section.index("| code |"))]
    return [int(m) for m in re.findall(r"^\| (\d+) \|", table, re.M)]


def test_codes_are_defined_only_in_common() -> None:
    defined = [
        (path.relative_to(REPO).as_posix(), target.id)
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        for target in (t.elts if isinstance(t, ast.Tuple) else [t])
        if isinstance(target, ast.Name) and target.id.startswith("EXIT_")
    ]
    assert {path for path, _ in defined} == {"compiler/cli/common.py"}, defined


def test_no_command_returns_a_bare_number() -> None:
    bare = [
        f"{path.relative_to(REPO)}:{node.lineno}"
        for path, tree in _trees()
        if path.parent.name == "cli"
        for node in ast.walk(tree)
        if isinstance(node, ast.Return)
        and isinstance(node.value, ast.Constant)
        and type(node.value.value) is int
    ]
    assert bare == []


def test_every_code_used_is_in_the_help_and_the_readme() -> None:
    used = _used()
    assert {"EXIT_OK", "EXIT_FINDINGS", "EXIT_DESTROY", "EXIT_INTERRUPTED"} <= used
    values = {getattr(common, name) for name in used}
    assert values <= set(common.EXIT_CODES), values
    listed = [
        int(m) for m in re.findall(r"^  (\d+) +\S", _help().split("exit codes:\n", 1)[1], re.M)
    ]
    assert listed == list(common.EXIT_CODES)
    assert _readme_codes() == list(common.EXIT_CODES)


def test_help_prints_the_one_definition() -> None:
    assert _help().endswith("\n" + common.exit_codes_text())
    assert "  5    audit: findings other than wider access\n" in _help()
