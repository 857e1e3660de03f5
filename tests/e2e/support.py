"""Support for the end-to-end tests: a loopback moto server, AWS clients and step timings.

The emulator is configured only from the outside (environment variables of the ``terraform``
and ``moto_server`` processes); nothing here is written into the Terraform being tested.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 20.0  # seconds until moto_server must answer /moto-api/ with 200
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL

# Steps of the e2e run and their durations, printed in the terminal summary (conftest.py).
TIMINGS: list[tuple[str, float]] = []
NOTES: list[str] = []
WALL: dict[str, float] = {}
# Under pytest-xdist the steps run in workers and the summary is printed by the controller:
# workers also append each record to this file (conftest.py sets it before workers start).
SHARED_LOG = "BYOK_E2E_STEP_LOG"


def _share(record: dict[str, object]) -> None:
    path = os.environ.get(SHARED_LOG)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


@contextlib.contextmanager
def step(name: str) -> Iterator[None]:
    """Time one step; the duration is reported even when the step fails."""
    start = time.monotonic()
    WALL.setdefault("start", start)
    try:
        yield
    finally:
        elapsed = time.monotonic() - start
        TIMINGS.append((name, elapsed))
        WALL["end"] = time.monotonic()
        _share({"step": name, "seconds": elapsed, "start": start, "end": WALL["end"]})
        print(f"[e2e] {name}: {elapsed:.2f} s", flush=True)


def note(text: str) -> None:
    """Something worth reading in the summary (e.g. a moto divergence that was accepted)."""
    if text not in NOTES:
        NOTES.append(text)
        _share({"note": text})
    print(f"[e2e] note: {text}", flush=True)


def free_port() -> int:
    """A TCP port on the loopback interface that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


MOTO_MAIN = Path(__file__).with_name("moto_main.py")
PR_SET_PDEATHSIG = 1  # prctl(2)


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the test process dies, however it dies (a
    killed CI job runs no fixture teardown), so no moto_server outlives its tests. Linux only;
    elsewhere the fixture's stop() is the only stop."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def moto_server_bin() -> Path:
    """``moto_server`` of the interpreter running the tests (the project venv)."""
    return Path(sys.executable).with_name("moto_server")


@dataclass
class MotoServer:
    """A ``moto_server`` child process on 127.0.0.1, stopped by its PID."""

    port: int
    log_path: Path
    account_id: str
    region: str
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    # Where moto records every request it serves (moto's recorder: MOTO_ENABLE_RECORDING), for
    # the test of `byok iam-policy` (tests/e2e/calls.py); None: not recorded.
    recording: Path | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        exe = moto_server_bin()
        if not exe.is_file():
            raise RuntimeError(f"{exe} is missing: install the dev extras (moto[server])")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
        # Every request is served as this account (moto's default is 123456789012), so ARNs,
        # sts:GetCallerIdentity and the generated module's account check match org.yaml.
        env["MOTO_ACCOUNT_ID"] = self.account_id
        if self.recording is not None:
            env["MOTO_ENABLE_RECORDING"] = "true"
            env["MOTO_RECORDER_FILEPATH"] = str(self.recording)
        with self.log_path.open("ab") as log:
            # moto_main.py: moto_server with ReplicateKey applying Policy, Description, Tags,
            # and DescribeTrails answering only the trails its trailNameList names.
            self.proc = subprocess.Popen(
                [sys.executable, str(MOTO_MAIN), "-H", LOOPBACK, "-p", str(self.port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=_die_with_parent,  # the fixture starts it from the main thread
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"moto_server exited with {self.proc.returncode} before answering\n"
                    + self.log_tail()
                )
            if self._ready():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"moto_server did not answer within {START_TIMEOUT:.0f} s\n" + self.log_tail()
                )
            time.sleep(0.1)

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> int | None:
        """SIGTERM the server's PID, SIGKILL after STOP_TIMEOUT; return its exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(timeout=STOP_TIMEOUT)

    def reset(self) -> None:
        """Drop every emulated resource (``POST /moto-api/reset``)."""
        req = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200

    def terraform_env(self, home: Path) -> dict[str, str]:
        """Variables that point the AWS provider at this server (no code in the module).

        ``home`` holds the (non-existent) shared config and credentials files, so no profile
        of the machine can leak in.
        """
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_S3_USE_PATH_STYLE": "true",
            "AWS_CONFIG_FILE": str(home / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
            "NO_PROXY": f"{LOOPBACK},localhost",
            "no_proxy": f"{LOOPBACK},localhost",
        }

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client for this server (in `region`, default the organization's), with
        bounded timeouts and retries."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region or self.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 2, "mode": "standard"},
                s3={"addressing_style": "path"},
            ),
        )

    def log_tail(self, lines: int = 60) -> str:
        """The server's failed requests and last lines, for failure messages."""
        try:
            raw = self.log_path.read_text(errors="replace")
            text = re.sub(r"\x1b\[[0-9;]*m", "", raw).splitlines()  # werkzeug's colours
        except OSError:
            return "(no moto_server log)"
        failed = [ln for ln in text if '" 4' in ln or '" 5' in ln or "Traceback" in ln]
        return (
            f"--- moto_server log {self.log_path} (non-2xx requests, last 30) ---\n"
            + "\n".join(failed[-30:])
            + f"\n--- moto_server log (last {lines} lines) ---\n"
            + "\n".join(text[-lines:])
        )


def env_without_aws(env: dict[str, str]) -> dict[str, str]:
    """``env`` without any AWS_* variable of the calling shell (profiles, CA bundles, ...)."""
    return {k: v for k, v in env.items() if not k.startswith("AWS_")}


def add_revocation_value(org_path: Path, vendor: str, scope: str, value: str) -> set[str]:
    """Add ``value`` to the app's revocation of ``scope`` in org.yaml; return the keys it covers."""
    org = yaml.safe_load(org_path.read_text())
    (app,) = [a for a in org["apps"] if a["vendor"] == vendor]
    revocations = app.setdefault("revocations", [])
    existing = [r for r in revocations if r["scope"] == scope]
    if existing:
        entry = existing[0]
        entry["values"] = [*entry["values"], value]
    else:
        entry = {"scope": scope, "values": [value], "reason": "e2e test", "ticket": "E2E-1"}
        revocations.append(entry)
    org_path.write_text(yaml.safe_dump(org, sort_keys=False, allow_unicode=True))
    environments = entry.get("environments") or app["environments"]
    return {f"{vendor}-{env}" for env in environments}


def add_suspension(org_path: Path, vendor: str) -> set[str]:
    """Suspend every key of the app of ``vendor`` in org.yaml; return those keys."""
    org = yaml.safe_load(org_path.read_text())
    (app,) = [a for a in org["apps"] if a["vendor"] == vendor]
    app["suspension"] = {"reason": "e2e test", "ticket": "E2E-2"}
    org_path.write_text(yaml.safe_dump(org, sort_keys=False, allow_unicode=True))
    return {f"{vendor}-{env}" for env in app["environments"]}


def add_replica_region(org_path: Path, vendor: str, region: str) -> None:
    """Replicate the keys of the app of ``vendor`` to ``region`` in org.yaml."""
    org = yaml.safe_load(org_path.read_text())
    (app,) = [a for a in org["apps"] if a["vendor"] == vendor]
    key = app.setdefault("key", {})
    key["replica_regions"] = [*key.get("replica_regions", []), region]
    org_path.write_text(yaml.safe_dump(org, sort_keys=False, allow_unicode=True))


def add_imported_material(org_path: Path, vendor: str, valid_days: int) -> None:
    """Give the keys of the app of ``vendor`` imported material (``origin: EXTERNAL``), expiring
    ``valid_days`` after each import (org.yaml ``defaults.imported_material_valid_days``)."""
    org = yaml.safe_load(org_path.read_text())
    (app,) = [a for a in org["apps"] if a["vendor"] == vendor]
    app.setdefault("key", {})["origin"] = "EXTERNAL"
    org.setdefault("defaults", {})["imported_material_valid_days"] = valid_days
    org_path.write_text(yaml.safe_dump(org, sort_keys=False, allow_unicode=True))


def byok_generate(root: Path, today: str = "2026-11-23") -> None:
    """`byok generate` in the scratch project `root`, as a user runs it; it must succeed."""
    proc = subprocess.run(
        [sys.executable, "-m", "byok", "-C", str(root), "generate"],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "BYOK_TODAY": today},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# What moto cannot apply (tests/e2e/README.md, "What moto does not emulate"): moto 5.2.6 has no
# IAM Access Analyzer, so every root applied to moto is compiled with it off.
MOTO_OFF = "\naccess_analyzer: {enabled: false}  # moto 5.2.6 has no IAM Access Analyzer\n"


def without_access_analyzer(org_path: Path) -> None:
    """Turn off IAM Access Analyzer in a copy of org.yaml (moto does not implement it); the
    rest of the file is kept byte for byte."""
    text = org_path.read_text()
    org = yaml.safe_load(text)
    if "access_analyzer" in org:
        lines = text.splitlines(keepends=True)
        start = next(i for i, ln in enumerate(lines) if ln.startswith("access_analyzer:"))
        end = start + 1
        while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
            end += 1
        text = "".join(lines[:start] + lines[end:])
    org_path.write_text(text.rstrip("\n") + "\n" + MOTO_OFF)
