"""`make sandbox` / `make sandbox-down`: the repository root applied to a local moto server that
keeps running, for trying `terraform plan` (and apply) by hand with no AWS account.

`up` copies the root (root *.tf, modules/, generated/, org.yaml, vendors/) to .build/sandbox/root,
starts `moto_server` on 127.0.0.1 at a free port in a session of its own (so it outlives this
script), plans, checks the saved plan with `byok check-plan` and applies it (the apply path of
examples/github-actions-apply.yml), and writes .build/sandbox/env.sh with the variables that
point Terraform at it.
`down` stops that server by the PID recorded in .build/sandbox/moto.pid, after checking the PID
is still that moto_server. The moto and Terraform plumbing is the e2e tests' (tests/e2e/support.py,
tests/tfhelpers.py), so the sandbox is configured exactly as `make e2e` is.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
HOME = Path(os.environ.get("BYOK_SANDBOX_DIR", REPO / ".build" / "sandbox"))
PID = HOME / "moto.pid"


def _org() -> tuple[str, str]:
    org = json.loads((REPO / "generated" / "organization.json").read_text())
    return str(org["account_id"]), str(org["region"])


def _start(server: Any) -> None:
    # the same patched server `make e2e` starts (tests/e2e/moto_main.py), not plain moto_server
    from tests.e2e.support import MOTO_MAIN, START_TIMEOUT

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    env["MOTO_ACCOUNT_ID"] = server.account_id
    with server.log_path.open("ab") as log:
        server.proc = subprocess.Popen(
            [sys.executable, str(MOTO_MAIN), "-H", "127.0.0.1", "-p", str(server.port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # outlives `make sandbox`
        )
    PID.write_text(f"{server.proc.pid}\n")
    deadline = time.monotonic() + START_TIMEOUT
    while not server._ready():
        if server.proc.poll() is not None or time.monotonic() > deadline:
            down()
            raise SystemExit("sandbox: moto_server did not start\n" + server.log_tail())
        time.sleep(0.1)


def up() -> int:
    # the e2e plumbing needs the dev venv; `down` needs nothing but the standard library
    from tests.e2e.support import MotoServer, env_without_aws, free_port, without_access_analyzer
    from tests.tfhelpers import copy_root, init, run_tf, tf_env

    if PID.exists():
        print(f"sandbox: already running (pid {PID.read_text().strip()}); `make sandbox-down`")
        return 1
    shutil.rmtree(HOME, ignore_errors=True)
    HOME.mkdir(parents=True)
    root = copy_root(HOME / "root", REPO / "generated")
    shutil.copy2(REPO / "org.yaml", root / "org.yaml")
    shutil.copytree(REPO / "vendors", root / "vendors")
    # moto 5.2.6 has no IAM Access Analyzer: the sandbox's copy is compiled without it
    # (tests/e2e/README.md, "What moto does not emulate").
    without_access_analyzer(root / "org.yaml")
    subprocess.run(
        [sys.executable, "-m", "byok", "-C", str(root), "generate"], check=True, capture_output=True
    )
    account, region = _org()
    server = MotoServer(free_port(), HOME / "moto.log", account, region)
    _start(server)
    tf = {**server.terraform_env(HOME), **tf_env(data_dir=HOME / "tfdata")}
    env = env_without_aws(tf_env(data_dir=HOME / "tfdata"))
    env.update(server.terraform_env(HOME))
    exports = {k: v for k, v in tf.items() if k.startswith(("AWS_", "TF_", "NO_PROXY", "no_"))}
    exports["CHECKPOINT_DISABLE"] = "1"
    (HOME / "env.sh").write_text(
        "".join(f"export {k}={shlex.quote(v)}\n" for k, v in sorted(exports.items()))
    )
    try:
        init(root, env)
        timeout = float(os.environ.get("BYOK_SANDBOX_APPLY_TIMEOUT", "900"))
        plan = _checked_plan(root, env, timeout)
        run_tf(["apply", "-input=false", "-no-color", str(plan)], root, timeout, env=env)
    except BaseException:
        down()  # a failed apply (or Ctrl-C) stops what `up` started
        if server.proc is not None:  # and reaps it: no zombie left under this PID
            server.proc.wait(timeout=10)
        raise
    rel = HOME.relative_to(REPO) if HOME.is_relative_to(REPO) else HOME
    print(f"sandbox: moto_server pid {server.pid} on {server.endpoint} (log {rel}/moto.log)")
    print(f"sandbox: applied {rel}/root; its state is {rel}/root/terraform.tfstate")
    print(f"plan against it:  source {rel}/env.sh && terraform -chdir={rel}/root plan")
    print(
        f"check a plan:     terraform -chdir={rel}/root plan -out=p.tfplan && terraform "
        f"-chdir={rel}/root show -json p.tfplan > p.json && byok -C {rel}/root check-plan p.json"
    )
    print(
        "note: moto does not return a key's rotation period, so the plan shows in-place updates "
        "of rotation_period_in_days (tests/e2e/test_apply.py); nothing else should change"
    )
    print("stop it:          make sandbox-down")
    return 0


def _checked_plan(root: Path, env: dict[str, str], timeout: float) -> Path:
    """The apply path of examples/github-actions-apply.yml: a saved plan, `terraform show
    -json` of it, `byok check-plan`; the plan is applied only if the check passes."""
    from tests.tfhelpers import run_tf

    plan = root / "sandbox.tfplan"
    run_tf(["plan", "-input=false", "-no-color", f"-out={plan}"], root, timeout, env=env)
    shown = run_tf(["show", "-json", "-no-color", str(plan)], root, timeout, env=env).stdout
    (root / "sandbox-plan.json").write_text(shown)
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "byok",
            "-C",
            str(root),
            "check-plan",
            str(root / "sandbox-plan.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    print(check.stdout + check.stderr, end="")
    if check.returncode != 0:
        raise SystemExit(f"sandbox: byok check-plan refused the plan (exit {check.returncode})")
    return plan


def _is_moto(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(part.endswith((b"moto_server", b"moto_main.py")) for part in cmdline)


def down() -> int:
    if not PID.exists():
        print(f"sandbox: not running (no {PID})")
        return 0
    pid = int(PID.read_text().strip())
    if _is_moto(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not _is_moto(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
        print(f"sandbox: stopped moto_server (pid {pid}); state stays in .build/sandbox/root")
    else:
        print(f"sandbox: pid {pid} is not a moto_server any more; nothing stopped")
    PID.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(up() if sys.argv[1:] == ["up"] else down() if sys.argv[1:] == ["down"] else 2)
