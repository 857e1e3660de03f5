"""Verification of every key, on both cores when there are enough keys to pay for it.

Each key is verified on its own (`verify.verify_key`), so the keys can be split between
worker processes. Below `PARALLEL_MIN_KEYS` a second process costs more than it saves (forking
a process that holds the whole compiled organization, and shipping the results back), so the
keys are verified in this process. Results are put back in key order, so the diagnostics,
proofs and everything rendered from them are byte-identical either way
(`tests/test_verify_many.py`). A worker that raises makes the whole verification raise: an
exception in a check is an error, never a pass (fail closed).

Workers are forked (POSIX): they inherit the compiled keys and receive only index ranges.
Where `fork` is unavailable everything runs in this process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from .compile import CompiledKey
from .diagnostics import Diagnostic
from .verify import Proof, verify_key

PARALLEL_MIN_KEYS = 2000
_WORKERS = 2
_Result = tuple[list[Diagnostic], Proof]
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
    return _WORKERS


def verify_all(keys: Sequence[CompiledKey], workers: int | None = None) -> list[_Result]:
    """`verify_key` of each key, in order; `workers` overrides `workers_for` (tests)."""
    n = workers_for(len(keys)) if workers is None else workers
    if n <= 1:
        return [verify_key(ck) for ck in keys]
    global _KEYS
    _KEYS = keys
    # More chunks than workers so that one slow chunk does not leave a core idle.
    step = max(1, -(-len(keys) // (n * 4)))
    bounds = [(i, min(i + step, len(keys))) for i in range(0, len(keys), step)]
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
            futures = [pool.submit(_verify_range, a, b) for a, b in bounds]
            return [r for f in futures for r in f.result()]
    finally:
        _KEYS = ()
