"""Reporting of the e2e steps, loaded by tests/conftest.py (`pytest_plugins`) so that the
process printing the summary has it: under pytest-xdist that is the controller, which collects
nothing and so never loads tests/e2e/conftest.py. Workers append each step to a shared file.

The terminal summary lists every step's duration and the e2e wall time, with or without ``-s``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from tests.e2e.support import NOTES, SHARED_LOG, TIMINGS, WALL


def pytest_configure(config: pytest.Config) -> None:
    """The controller (or a run without xdist) names the file workers report steps to."""
    if not hasattr(config, "workerinput") and SHARED_LOG not in os.environ:
        handle, path = tempfile.mkstemp(prefix="byok-e2e-steps-", suffix=".jsonl")
        os.close(handle)
        os.environ[SHARED_LOG] = path


def _from_workers() -> None:
    """Steps and notes recorded by xdist workers, merged into this process's lists."""
    path = Path(os.environ.get(SHARED_LOG, ""))
    if TIMINGS or not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if "note" in record:
            if record["note"] not in NOTES:
                NOTES.append(record["note"])
            continue
        TIMINGS.append((record["step"], record["seconds"]))
        WALL["start"] = min(WALL.get("start", record["start"]), record["start"])
        WALL["end"] = max(WALL.get("end", record["end"]), record["end"])


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        Path(os.environ.pop(SHARED_LOG, "/nonexistent")).unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    _from_workers()
    if not TIMINGS:
        return
    tr = terminalreporter
    tr.write_sep("-", "e2e step timings")
    width = max(len(name) for name, _ in TIMINGS)
    for name, seconds in TIMINGS:
        tr.write_line(f"{name.ljust(width)}  {seconds:7.2f} s")
    total = sum(seconds for _, seconds in TIMINGS)
    tr.write_line(f"{'sum of steps'.ljust(width)}  {total:7.2f} s")
    if "start" in WALL and "end" in WALL:
        tr.write_line(f"{'e2e wall time'.ljust(width)}  {WALL['end'] - WALL['start']:7.2f} s")
    for text in NOTES:
        tr.write_line(f"note: {text}")
