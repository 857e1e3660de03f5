"""Verification on two cores (compiler/verify_many.py) changes nothing but the time taken:
the same diagnostics and proofs in the same order, and a worker that fails fails the run."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from byok import verify_many
from byok.compile import CompiledKey, compile_all
from byok.pipeline import load_inputs
from byok.resolve import resolve

TODAY = date(2026, 11, 23)


def _keys(project: Path) -> tuple[CompiledKey, ...]:
    org, vendors = load_inputs(project)
    return tuple(compile_all(resolve(org, vendors, TODAY)).keys)


def test_two_workers_give_the_same_results_in_the_same_order(project: Path) -> None:
    keys = _keys(project)
    assert len(keys) > 2
    alone = verify_many.verify_all(keys, workers=1)
    assert verify_many.verify_all(keys, workers=2) == alone
    assert [p.key for _, p in alone] == [ck.key.name for ck in keys]


def test_an_exception_in_a_worker_is_an_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = _keys(project)
    victim = keys[-1].key.name

    def broken(ck: CompiledKey) -> object:
        if ck.key.name == victim:
            raise RuntimeError(f"check crashed on {victim}")
        return ("ok", ck.key.name)

    # Workers are forked after the patch, so they run it too.
    monkeypatch.setattr(verify_many, "verify_key", broken)
    with pytest.raises(RuntimeError, match=f"check crashed on {victim}"):
        verify_many.verify_all(keys, workers=2)


def test_small_organizations_stay_in_one_process() -> None:
    assert verify_many.workers_for(verify_many.PARALLEL_MIN_KEYS - 1) == 1
