"""Verification of every key, on both cores when there are enough keys to pay for it.

Each key is verified on its own (`verify.verify_key`), so the keys can be split between this
process and a forked worker. The worker takes the larger share; this process verifies the rest
and meanwhile does other work that does not depend on the proofs (`verify_while`: the pipeline
renders the tree), so both cores are busy. Below `PARALLEL_MIN_KEYS` a second process costs more
than it saves (forking a process that holds the whole compiled organization, and shipping the
results back), so the keys are verified in this process. Results are put back in key order, so
the diagnostics, proofs and everything rendered from them are byte-identical either way
(`tests/test_verify_many.py`). A worker that raises makes the whole verification raise: an
exception in a check is an error, never a pass (fail closed).

Workers are forked (POSIX): they inherit the compiled keys and receive only an index range.
Where `fork` is unavailable everything runs in this process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from .compile import CompiledKey
from .diagnostics import Diagnostic
from .verify import Proof, verify_key

PARALLEL_MIN_KEYS = 200
# This process's share of the keys when it also does the `meanwhile` work (rendering and staging
# the tree cost about 60% as much per key as verifying: with a fifth of the keys here, both
# processes finish together), and when it does not.
_SHARE_BUSY = 0.2
_SHARE_IDLE = 0.5
_Result = tuple[list[Diagnostic], Proof]
T = TypeVar("T")
# The keys a forked worker verifies: set in the parent just before the fork, inherited.
_KEYS: Sequence[CompiledKey] = ()


def _verify_range(start: int, stop: int) -> list[_Result]:
    return [verify_key(ck) for ck in _KEYS[start:stop]]


def workers_for(n_keys: int) -> int:
    """How many processes verify `n_keys` keys (1: this process alone)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if n_keys < PARALLEL_MIN_KEYS or (cores or 1) < 2:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return 2


def verify_all(keys: Sequence[CompiledKey], workers: int | None = None) -> list[_Result]:
    """`verify_key` of each key, in order; `workers` overrides `workers_for` (tests)."""
    return verify_while(keys, lambda: None, workers, share=_SHARE_IDLE)[0]


def verify_while(
    keys: Sequence[CompiledKey],
    meanwhile: Callable[[], T],
    workers: int | None = None,
    share: float = _SHARE_BUSY,
) -> tuple[list[_Result], T]:
    """`verify_key` of each key, in order, and the result of `meanwhile()`, which runs in this
    process while a worker verifies (`share` of the keys are verified here, before it).
    `meanwhile` must not depend on the proofs."""
    n = workers_for(len(keys)) if workers is None else workers
    if n <= 1:
        return [verify_key(ck) for ck in keys], meanwhile()
    global _KEYS
    _KEYS = keys
    mine = min(len(keys), int(len(keys) * share))
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            theirs = pool.submit(_verify_range, mine, len(keys))
            own = [verify_key(ck) for ck in keys[:mine]]
            other = meanwhile()
            return own + theirs.result(), other
    finally:
        _KEYS = ()
