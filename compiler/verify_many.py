"""Verification of every key, on both cores when there are enough keys to pay for it.

Each key is verified on its own (`verify.verify_key`), so the keys can be split between this
process and a forked worker (`forked.both`). The worker takes the larger share; this process
verifies the rest and meanwhile does other work that does not depend on the proofs
(`verify_while`: the pipeline renders and stages the tree), so both cores are busy. Below
`PARALLEL_MIN_KEYS` a second process costs more than it saves (forking a process that holds the
whole compiled organization, and shipping the results back), so the keys are verified in this
process. Results are put back in key order, so the diagnostics, proofs and everything rendered
from them are byte-identical either way (`tests/test_verify_many.py`). A worker that raises
makes the whole verification raise: an exception in a check is an error, never a pass (fail
closed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from .compile import CompiledKey
from .diagnostics import Diagnostic
from .forked import both, two_cores
from .verify import Proof, verify_key

PARALLEL_MIN_KEYS = 200
# This process's share of the keys when it also does the `meanwhile` work (rendering and staging
# the tree cost about 60% as much per key as verifying: with a fifth of the keys here, both
# processes finish together), and when it does not.
_SHARE_BUSY = 0.2
_SHARE_IDLE = 0.5
_Result = tuple[list[Diagnostic], Proof]
T = TypeVar("T")


def workers_for(n_keys: int) -> int:
    """How many processes verify `n_keys` keys (1: this process alone)."""
    return 2 if n_keys >= PARALLEL_MIN_KEYS and two_cores() else 1


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
    mine = min(len(keys), int(len(keys) * share))

    def here() -> tuple[list[_Result], T]:
        own = [verify_key(ck) for ck in keys[:mine]]
        return own, meanwhile()

    theirs, (own, other) = both(lambda: [verify_key(ck) for ck in keys[mine:]], here)
    return own + theirs, other
