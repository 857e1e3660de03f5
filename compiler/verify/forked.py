"""Two things at once on two cores: one in a forked worker, one in this process.

The worker is forked (POSIX), so it inherits everything built so far and receives nothing
but the job; only its result comes back, pickled through a pipe (a bare `fork`, not a process
pool: no threads, no manager, a few milliseconds). Where `fork` is unavailable, or the machine
has one core, both run here, one after the other. An exception in the worker is raised here:
a failed check is an error, never a pass (fail closed); a worker that dies without a result is
an error too.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
U = TypeVar("U")


class WorkerDied(RuntimeError):
    """The forked worker ended without sending a result (killed, or crashed)."""


def two_cores() -> bool:
    """Whether a second process can run at the same time as this one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) >= 2 and hasattr(os, "fork")


def both(there: Callable[[], T], here: Callable[[], U], fork: bool = True) -> tuple[T, U]:
    """`(there(), here())`, `there` in a forked worker while `here` runs in this process
    (`fork=False`, or no second core: both here, `there` first)."""
    if not (fork and two_cores()):
        return there(), here()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: run the job, send the outcome, leave without any cleanup
        os.close(read)
        _send(write, there)
    os.close(write)
    try:
        mine = here()
    except BaseException:
        os.kill(pid, signal.SIGKILL)  # its result no longer matters: reap it, raise ours
        os.close(read)
        os.waitpid(pid, 0)
        raise
    ok, value = _collect(read, pid)
    if not ok:
        raise value
    return value, mine


def _send(fd: int, job: Callable[[], Any]) -> None:
    try:
        try:
            payload = pickle.dumps((True, job()), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # reported to the parent, which raises it
            payload = pickle.dumps((False, _portable(exc)), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
    finally:
        os._exit(0)


def _portable(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling, else a RuntimeError with its type and message."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own object, round-tripped here
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _collect(fd: int, pid: int) -> tuple[bool, Any]:
    """The worker's outcome, once it has ended."""
    with os.fdopen(fd, "rb") as inp:
        data = inp.read()
    os.waitpid(pid, 0)
    if not data:
        raise WorkerDied("the verification worker ended without a result")
    ok, value = pickle.loads(data)  # noqa: S301 - our own forked child, through our own pipe
    return bool(ok), value
