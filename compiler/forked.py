"""Two things at once on two cores: one in a forked worker, one in this process.

The worker is forked (POSIX), so it inherits everything built so far and receives nothing
but the job; only its result is pickled back. Where `fork` is unavailable, or the machine has
one core, both run here, one after the other. An exception in the worker is raised here when
its result is asked for: a failed check is an error, never a pass (fail closed).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
U = TypeVar("U")
# The job of the worker being forked: set just before the fork, inherited by the worker.
_JOB: Callable[[], Any] | None = None


def _run_job() -> Any:
    assert _JOB is not None
    return _JOB()


def two_cores() -> bool:
    """Whether a second process can run at the same time as this one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


def both(there: Callable[[], T], here: Callable[[], U], fork: bool = True) -> tuple[T, U]:
    """`(there(), here())`, `there` in a forked worker while `here` runs in this process
    (`fork=False`, or no second core: both here, `there` first)."""
    if not (fork and two_cores()):
        return there(), here()
    global _JOB
    _JOB = there
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            future = pool.submit(_run_job)
            mine = here()
            return future.result(), mine
    finally:
        _JOB = None
