"""Fixtures and reporting for the end-to-end tests (``make e2e``: ``pytest -m e2e``).

* ``moto_server``: one ``moto_server`` on 127.0.0.1 and a free port for the session, serving as
  the organization's account (``MOTO_ACCOUNT_ID`` from org.yaml); stopped by its PID.
* A failed e2e test gets the server's failed requests and log tail as a report section.
* The terminal summary of the steps is tests/e2e/report.py's (a plugin of tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.support import MotoServer, free_port, step

REPO = Path(__file__).resolve().parents[2]

_SERVERS: list[MotoServer] = []


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    org = yaml.safe_load((REPO / "org.yaml").read_text())
    logs = tmp_path_factory.mktemp("moto")
    last_error: Exception | None = None
    for attempt in range(3):  # the free port may be taken between bind() and moto's bind()
        server = MotoServer(
            port=free_port(),
            log_path=logs / f"moto_server-{attempt}.log",
            account_id=str(org["account_id"]),
            region=str(org["region"]),
            recording=logs / f"requests-{attempt}.jsonl",  # tests/e2e/calls.py
        )
        try:
            with step("moto_server start"):
                server.start()
        except RuntimeError as exc:
            last_error = exc
            continue
        break
    else:
        pytest.fail(f"could not start moto_server: {last_error}", pytrace=False)
    _SERVERS.append(server)
    print(f"[e2e] moto_server pid {server.pid} on {server.endpoint}, log {server.log_path}")
    try:
        yield server
    finally:
        with step("moto_server stop"):
            status = server.stop()
        _SERVERS.remove(server)
        print(f"[e2e] moto_server pid {server.pid} stopped (exit status {status})")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and _SERVERS:
        report.sections.append(("moto_server", _SERVERS[-1].log_tail()))
    return report
