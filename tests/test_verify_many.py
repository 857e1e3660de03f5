"""Verification on two cores (compiler/verify/many.py) changes nothing but the time taken:
the same diagnostics and proofs in the same order, and a worker that fails fails the run."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from byok.compile import CompiledKey, compile_all
from byok.pipeline import load_inputs
from byok.resolve import resolve
from byok.verify import many as verify_many

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


@pytest.mark.parametrize("which", [0, -1], ids=["worker", "here"])
def test_an_exception_in_either_process_is_an_error(
    project: Path, monkeypatch: pytest.MonkeyPatch, which: int
) -> None:
    """The first key is always the forked worker's (it takes keys from the front), the last
    one may be this process's: a check that raises in either fails the whole verification."""
    keys = _keys(project)
    victim = keys[which].key.name

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


@pytest.mark.parametrize("slow", ["worker", "here"])
def test_the_split_adapts_and_keeps_key_order(
    project: Path, monkeypatch: pytest.MonkeyPatch, slow: str
) -> None:
    """The worker takes keys from the front, this process from the back once its other work is
    done: whichever side is slower, every key is verified once and the results are in order."""
    import os
    import time

    keys = _keys(project)
    parent = os.getpid()
    taken: list[str] = []

    def verify(ck: CompiledKey) -> object:
        in_worker = os.getpid() != parent
        if (slow == "worker") == in_worker:
            time.sleep(0.05)
        if not in_worker:
            taken.append(ck.key.name)
        return ("ok", ck.key.name)

    monkeypatch.setattr(verify_many, "verify_key", verify)
    got, other = verify_many.verify_while(keys, lambda: "rendered", workers=2)
    assert other == "rendered"
    assert got == [("ok", ck.key.name) for ck in keys]
    names = [ck.key.name for ck in keys]
    # this process verified a suffix of the keys: all of them but the first when the worker is
    # slow, none when this process is
    assert taken[::-1] == names[len(names) - len(taken) :]
    assert (len(taken) >= 1) if slow == "worker" else (len(taken) < len(names))


def test_a_worker_that_dies_without_a_result_is_an_error() -> None:
    import os

    from byok.verify.forked import WorkerDied, both

    with pytest.raises(WorkerDied, match="ended without a result"):
        both(lambda: os._exit(3), lambda: "here")
