"""Helpers for tests that run the real Terraform CLI (marked ``terraform``).

Every call uses the project's CLI config (``.build/terraformrc``: the offline provider mirror when
one exists), no colour, no prompts and no checkpoint calls. Work happens in copies under the test's
``tmp_path`` with ``TF_DATA_DIR`` there too, so neither ``.terraform/`` nor a lock file ever lands
in the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
MODULES_DIR = REPO_ROOT / "modules"
TF_RC = REPO_ROOT / ".build" / "terraformrc"
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "terraform"
ROOT_TF_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
ROOT_LOCK = ".terraform.lock.hcl"  # committed for the root module

# Variables that would change what Terraform does behind the test's back.
_SCRUBBED_PREFIXES = ("TF_CLI_ARGS", "TF_VAR_", "TF_WORKSPACE", "TF_LOG", "TF_DATA_DIR")
_COPY_IGNORE = shutil.ignore_patterns(
    ".terraform", ".terraform.lock.hcl", "terraform.tfstate*", "*.tfplan", "crash.log"
)


def module_names() -> list[str]:
    """Names of the modules under ``modules/`` (directories holding a ``main.tf``)."""
    return sorted(p.parent.name for p in MODULES_DIR.glob("*/main.tf"))


def terraform_bin() -> str:
    """Path of the ``terraform`` binary; skips the test when it is not installed."""
    found = shutil.which("terraform")
    if found is None:
        pytest.skip("terraform is not on PATH")
    return found


def ensure_cli_config() -> Path:
    """Write ``.build/terraformrc`` with ``scripts/tf-cli-config.sh`` if it is missing."""
    if not TF_RC.is_file():
        subprocess.run(
            [str(REPO_ROOT / "scripts" / "tf-cli-config.sh"), str(TF_RC)],
            check=True,
            cwd=REPO_ROOT,
            timeout=30,
        )
    return TF_RC


def tf_env(data_dir: Path | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a Terraform call: project CLI config, automation mode, own data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env.update(
        TF_CLI_CONFIG_FILE=str(ensure_cli_config()),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    # Terraform and the AWS provider it starts (two per `terraform test` run block) live for
    # seconds here; the Go collector running at a quarter of its default rate saves about a
    # fifth of their CPU (issue 23: `make test` on two cores) for a few hundred MB more memory.
    # https://pkg.go.dev/runtime#hdr-Environment_Variables
    env.setdefault("GOGC", "400")
    if data_dir is not None:
        env["TF_DATA_DIR"] = str(data_dir)
    if extra:
        env.update(extra)
    return env


def run_tf(
    args: Sequence[str],
    cwd: Path,
    timeout: float = 300,
    *,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``terraform <args>`` in ``cwd``; fail the test with stdout/stderr on a nonzero exit.

    ``check=False`` returns the result whatever the exit code (for tests that expect failure).
    """
    cmd = [terraform_bin(), *args]
    try:
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            env=dict(env) if env is not None else tf_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"`{' '.join(cmd[1:])}` in {cwd} timed out after {timeout}s\n"
            f"--- stdout ---\n{_text(exc.stdout)}\n--- stderr ---\n{_text(exc.stderr)}",
            pytrace=False,
        )
    if check and proc.returncode != 0:
        pytest.fail(
            f"`{' '.join(cmd[1:])}` in {cwd} exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}",
            pytrace=False,
        )
    return proc


def copy_module(name: str, dest: Path, *, with_tests: bool = True) -> Path:
    """Copy ``modules/<name>`` to ``dest/<name>`` (without any local Terraform state)."""
    ignore = _COPY_IGNORE
    if not with_tests:
        ignore = shutil.ignore_patterns(
            ".terraform", ".terraform.lock.hcl", "terraform.tfstate*", "*.tfplan", "tests"
        )
    target = dest / name
    shutil.copytree(MODULES_DIR / name, target, ignore=ignore)
    return target


def copy_root(dest: Path, generated: Path, extra_tests: Iterable[Path] = ()) -> Path:
    """Lay out a scratch root: the root ``*.tf`` and provider lock, ``modules/`` (no tests) and
    ``generated``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in (*ROOT_TF_FILES, ROOT_LOCK):
        shutil.copy2(REPO_ROOT / name, dest / name)
    (dest / "modules").mkdir()
    for name in module_names():
        copy_module(name, dest / "modules", with_tests=False)
    shutil.copytree(generated, dest / "generated", ignore=_COPY_IGNORE)
    tests = list(extra_tests)
    if tests:
        (dest / "tests").mkdir()
        for test in tests:
            shutil.copy2(test, dest / "tests" / test.name)
    return dest


def init(workdir: Path, env: Mapping[str, str], timeout: float = 120) -> None:
    """``terraform init -backend=false`` (providers come from the CLI config's mirror). In a
    root with a lock file, ``-lockfile=readonly``: a provider the lock does not pin, or whose
    checksum it does not hold, fails instead of rewriting the lock."""
    args = ["init", "-backend=false", "-input=false", "-no-color"]
    if (workdir / ROOT_LOCK).is_file():
        args.append("-lockfile=readonly")
    run_tf(args, workdir, timeout, env=env)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data
