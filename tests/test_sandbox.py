"""`make sandbox-down` stops only the sandbox's own moto_server, by its recorded PID. The full
`make sandbox` (moto + terraform apply, about a minute) runs only with BYOK_SANDBOX_TEST=1:
`make e2e` already applies the same root once, and CI time is budgeted."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "sandbox.py"


def _run(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BYOK_SANDBOX_DIR": str(home), **extra}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=900
    )


def test_down_without_a_sandbox(tmp_path: Path) -> None:
    res = _run(tmp_path, "down")
    assert (res.returncode, res.stdout) == (0, f"sandbox: not running (no {tmp_path}/moto.pid)\n")


def test_down_never_kills_a_pid_that_is_not_moto(tmp_path: Path) -> None:
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        (tmp_path / "moto.pid").write_text(f"{sleeper.pid}\n")
        res = _run(tmp_path, "down")
        assert (
            res.stdout
            == f"sandbox: pid {sleeper.pid} is not a moto_server any more; nothing stopped\n"
        )
        assert sleeper.poll() is None
        assert not (tmp_path / "moto.pid").exists()
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.e2e
@pytest.mark.skipif(os.environ.get("BYOK_SANDBOX_TEST") != "1", reason="BYOK_SANDBOX_TEST=1")
def test_sandbox_up_plan_down(tmp_path: Path) -> None:
    home = tmp_path / "sandbox"
    up = _run(home, "up")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        pid = int((home / "moto.pid").read_text())
        assert Path(f"/proc/{pid}").exists()
        assert (home / "root" / "terraform.tfstate").is_file()
        plan = subprocess.run(
            ["bash", "-c", f"source {home}/env.sh && terraform -chdir={home}/root plan -no-color"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert plan.returncode == 0 and "0 to add" in plan.stdout and "0 to destroy" in plan.stdout
    finally:
        down = _run(home, "down")
    assert down.stdout.startswith(f"sandbox: stopped moto_server (pid {pid})")


@pytest.mark.e2e
def test_a_failed_apply_stops_the_server(tmp_path: Path) -> None:
    """`up` stops the moto_server it started when the apply fails (here: it times out)."""
    home = tmp_path / "sandbox"
    up = _run(home, "up", BYOK_SANDBOX_APPLY_TIMEOUT="1")
    assert up.returncode != 0
    stopped = re.search(r"sandbox: stopped moto_server \(pid (\d+)\)", up.stdout)
    assert stopped, up.stdout + up.stderr
    assert not Path(f"/proc/{stopped[1]}").exists()
    assert not (home / "moto.pid").exists()
    assert "GET /moto-api/" in (home / "moto.log").read_text()  # it had started
