"""Every docstring example in compiler/ runs (pure helpers carry one)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import byok

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(byok.__path__, "byok.") if m.name != "byok.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_some_modules_have_examples() -> None:
    finder = doctest.DocTestFinder()
    with_examples = [
        n for n in MODULES if any(t.examples for t in finder.find(importlib.import_module(n)))
    ]
    assert len(with_examples) >= 8, with_examples
