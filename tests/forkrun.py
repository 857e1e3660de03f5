"""`byok` in a process of its own, forked from the test process instead of started afresh.

A new `python -m byok` pays about 0.2 s of CPU before it reads a byte: the interpreter and the
import of pydantic and the pipeline. The tests run it some 350 times (issue 23: `make test`
within 3 minutes on two cores). A fork of the test process, which has imported byok already,
runs exactly what the executable runs (`byok.cli.main.run`: the cyclic GC off, `main`, the
streams flushed, `os._exit`) with its own argv, environment, working directory, stdout and
stderr, and the parent gets the exit status and both streams as `subprocess.run` gives them.
What a fork cannot show (start-up, the console script, the import of a module that is missing)
stays with the tests that start real processes: test_cli_startup.py, test_packaging.py,
test_precommit.py, test_write.py and the e2e run.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import byok
import byok.cli.main

_MAIN = str(Path(byok.__file__).with_name("__main__.py"))


def forked_byok(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """`python -m byok ARGV` in `cwd` under `env`, in a forked child; as `subprocess.run(...,
    capture_output=True, text=True, timeout=timeout)` returns it (or raises TimeoutExpired)."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        _child(list(argv), dict(env), cwd, out_w, err_w, (out_r, err_r))
    os.close(out_w)
    os.close(err_w)
    try:
        out, err = _collect(out_r, err_r, pid, timeout, argv)
    finally:
        os.close(out_r)
        os.close(err_r)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return subprocess.CompletedProcess(
        [sys.executable, "-m", "byok", *argv], code, out.decode(), err.decode()
    )


def _child(
    argv: list[str], env: dict[str, str], cwd: Path, out: int, err: int, close: tuple[int, int]
) -> None:
    """Become `python -m byok ARGV`: stdin from /dev/null, stdout and stderr into the pipes."""
    try:
        for fd in close:
            os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        for src, dst in ((null, 0), (out, 1), (err, 2)):
            os.dup2(src, dst)
        for fd in (null, out, err):
            os.close(fd)
        # as a new interpreter sets them: Ctrl-C raises KeyboardInterrupt, SIGPIPE is ignored
        # (a closed pipe is a BrokenPipeError, which `main` handles)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.argv = [_MAIN, *argv]
        byok.cli.main.run()  # ends with os._exit
    except SystemExit as exc:  # argparse's exit (--help, a usage error), as the interpreter ends
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
        _flush()
        os._exit(code)
    except BaseException:
        import traceback

        traceback.print_exc()
        _flush()
    os._exit(1)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()


def _collect(
    out_r: int, err_r: int, pid: int, timeout: float, argv: Sequence[str]
) -> tuple[bytes, bytes]:
    """Both streams until the child closes them, or kill it once `timeout` has passed."""
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        for fd in chunks:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise subprocess.TimeoutExpired(["byok", *argv], timeout)
            for key, _ in sel.select(left):
                data = os.read(key.fd, 65536)
                if data:
                    chunks[key.fd].append(data)
                else:
                    sel.unregister(key.fd)
    return b"".join(chunks[out_r]), b"".join(chunks[err_r])
