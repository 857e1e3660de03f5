"""Verification of every key, on both cores when there are enough keys to pay for it.

Each key is verified on its own (`verify.verify_key`), so the keys can be shared between this
process and a forked worker (`forked.both`). The worker takes keys from the front of the list;
this process first does other work that does not depend on the proofs (`verify_while`: the
pipeline renders and stages the tree), then takes keys from the back, until the two meet. So
both cores stay busy to the end, however long the other work takes on this machine's disk.
Below `PARALLEL_MIN_KEYS` a second process costs more than it saves (forking a process that
holds the whole compiled organization, and shipping the results back), so the keys are verified
in this process. Results are put back in key order, so the diagnostics, proofs and everything
rendered from them are byte-identical either way (`tests/test_verify_many.py`). A worker that
raises makes the whole verification raise: an exception in a check is an error, never a pass
(fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..compile import CompiledKey
from ..diagnostics import Diagnostic
from .checks import Proof, verify_key
from .forked import both, two_cores

PARALLEL_MIN_KEYS = 200
_Result = tuple[list[Diagnostic], Proof]
T = TypeVar("T")


def workers_for(n_keys: int) -> int:
    """How many processes verify `n_keys` keys (1: this process alone)."""
    return 2 if n_keys >= PARALLEL_MIN_KEYS and two_cores() else 1


def verify_all(keys: Sequence[CompiledKey], workers: int | None = None) -> list[_Result]:
    """`verify_key` of each key, in order; `workers` overrides `workers_for` (tests)."""
    return verify_while(keys, lambda: None, workers)[0]


class _Split:
    """The keys not yet taken, `[front, back)`, in memory shared with the forked worker."""

    def __init__(self, n: int) -> None:
        import multiprocessing  # only for `PARALLEL_MIN_KEYS` keys or more (issue 29)

        ctx = multiprocessing.get_context("fork")
        self._lock: Any = ctx.Lock()
        self._front: Any = ctx.Value("q", 0, lock=False)
        self._back: Any = ctx.Value("q", n, lock=False)

    def take_front(self) -> int | None:
        with self._lock:
            i = int(self._front.value)
            if i >= self._back.value:
                return None
            self._front.value = i + 1
            return i

    def take_back(self) -> int | None:
        with self._lock:
            j = int(self._back.value) - 1
            if j < self._front.value:
                return None
            self._back.value = j
            return j


def verify_while(
    keys: Sequence[CompiledKey], meanwhile: Callable[[], T], workers: int | None = None
) -> tuple[list[_Result], T]:
    """`verify_key` of each key, in order, and the result of `meanwhile()`, which runs in this
    process while a worker verifies. `meanwhile` must not depend on the proofs."""
    n = workers_for(len(keys)) if workers is None else workers
    if n <= 1:
        return [verify_key(ck) for ck in keys], meanwhile()
    split = _Split(len(keys))

    def front() -> list[_Result]:  # the worker: keys[0], keys[1], ... (a prefix, in order)
        out = []
        while (i := split.take_front()) is not None:
            out.append(verify_key(keys[i]))
        return out

    def back() -> tuple[list[_Result], T]:  # this process: keys[-1], keys[-2], ... (a suffix)
        other = meanwhile()
        out = []
        while (j := split.take_back()) is not None:
            out.append(verify_key(keys[j]))
        return out[::-1], other

    theirs, (mine, other) = both(front, back)
    return theirs + mine, other
