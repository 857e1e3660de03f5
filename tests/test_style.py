"""The house limits on compiler/ (docs: "How we write code"): functions of at most 40 lines,
modules of at most 400, and stages that depend one way only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "compiler"
MODULES = sorted(SRC.glob("*.py"))

# Pipeline stages: a stage may import only stages before it (design.md, "Pipeline").
ORDER = ["load", "model", "resolve", "compile", "verify", "render", "write"]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_and_function_sizes(path: Path) -> None:
    text = path.read_text()
    assert text.count("\n") <= 400, f"{path.name} has {text.count(chr(10))} lines"
    long = [
        (n.name, n.end_lineno - n.lineno + 1)
        for n in ast.walk(ast.parse(text))
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        and (n.end_lineno or n.lineno) - n.lineno + 1 > 40
    ]
    assert long == [], f"{path.name}: functions over 40 lines: {long}"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 1:
            found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize("stage", ORDER)
def test_stages_depend_one_way(stage: str) -> None:
    later = set(ORDER[ORDER.index(stage) + 1 :])
    assert _imports(SRC / f"{stage}.py") & later == set()
