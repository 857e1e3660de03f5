"""The repository's own environment comes from lock files (locks/*.txt, pip-compile output with
hashes), and the venv running the tests is exactly the dev lock (README, "Development")."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
LOCKS = REPO / "locks"
LOCKDIFF = REPO / "scripts" / "lockdiff.py"
sys.path.insert(0, str(LOCKDIFF.parent))
import lockdiff  # noqa: E402


def _lock(name: str) -> dict[str, str]:
    return lockdiff.locked((LOCKS / name).read_text())


def _pyproject() -> dict[str, list[Requirement]]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    groups = {"runtime": project["dependencies"], **project["optional-dependencies"]}
    return {group: [Requirement(r) for r in reqs] for group, reqs in groups.items()}


def test_venv_matches_the_lock() -> None:
    proc = subprocess.run(
        [sys.executable, str(LOCKDIFF), str(LOCKS / "dev.txt")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (proc.returncode, proc.stdout) == (0, ""), (
        "the venv is not the lock; `make clean venv` rebuilds it\n" + proc.stdout
    )


def test_lockdiff_names_each_difference(tmp_path: Path) -> None:
    lock = {"moto": "5.2.5", "pyyaml": "6.0.4", "gone": "1.0"}
    have = {"moto": "5.2.6", "pyyaml": "6.0.4", "extra": "2.0"}
    assert lockdiff.differences(lock, have) == [
        "extra: installed 2.0, not in the lock",
        "gone: locked 1.0, not installed",
        "moto: locked 5.2.5, installed 5.2.6",
    ]
    assert lockdiff.locked("PyYAML==6.0.4 \\\n    --hash=sha256:ab\nZ3_Solver==4.1\n") == {
        "pyyaml": "6.0.4",
        "z3-solver": "4.1",
    }


@pytest.mark.parametrize("name", ["dev.txt", "runtime.txt", "checkov.txt", "tools.txt"])
def test_every_pin_is_exact_and_hashed(name: str) -> None:
    text = (LOCKS / name).read_text()
    blocks = re.split(r"\n(?=\S)", text)
    reqs = [b for b in blocks if b.strip() and not b.startswith("#")]
    assert reqs, name
    for block in reqs:
        first = block.splitlines()[0]
        assert re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*==\S+ \\$", first), first
        assert "--hash=sha256:" in block, first
    assert "-e " not in text and "--index-url" not in text


def test_runtime_lock_is_the_dev_lock_at_the_same_versions() -> None:
    dev, runtime = _lock("dev.txt"), _lock("runtime.txt")
    assert {n: v for n, v in runtime.items() if dev.get(n) != v} == {}


@pytest.mark.parametrize(
    ("group", "lock"), [("runtime", "runtime.txt"), ("dev", "dev.txt"), ("aws", "dev.txt")]
)
def test_the_lock_satisfies_pyproject(group: str, lock: str) -> None:
    pins = _lock(lock)
    for req in _pyproject()[group]:
        name = lockdiff.normalise(req.name)
        assert name in pins, f"{req} is not locked in {lock}"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req} vs {pins[name]}"


def test_every_install_in_the_makefile_is_from_a_lock() -> None:
    """Only the editable install of the tree itself (no dependencies) and the drift job
    (test-latest, unlocked by design) install anything but a lock with --require-hashes."""
    lines = [ln.strip() for ln in (REPO / "Makefile").read_text().splitlines()]
    installs = [ln for ln in lines if "pip install" in ln or "$(PIP_LOCKED)" in ln]
    assert (
        "PIP_LOCKED := -m pip install -q --disable-pip-version-check --require-hashes --no-deps"
        in lines
    )
    for ln in installs:
        if ln.startswith("PIP_LOCKED :="):
            continue
        locked_install = re.search(r"\$\(PIP_LOCKED\) -r locks/\w+\.txt$", ln)
        editable = ln.endswith("pip install -q --no-deps --no-build-isolation -e .")
        drift = ln.startswith("$(LATEST_VENV)/bin/python -m pip install")
        assert locked_install or editable or drift, ln


def test_the_drift_job_runs_the_whole_suite_unlocked_on_a_schedule() -> None:
    """examples/github-actions-drift.yml runs `make test-latest` weekly; that target installs
    the newest allowed releases (no lock), names what drifted, then runs every test (no `-m`)."""
    import yaml

    workflow = yaml.safe_load((REPO / "examples" / "github-actions-drift.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert [t["cron"] for t in triggers["schedule"]] == ["17 5 * * 1"]
    runs = [s.get("run") for s in workflow["jobs"]["test-latest"]["steps"]]
    assert "make test-latest" in runs
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile[makefile.index("\ntest-latest:") :].split("\n\n", 1)[0]
    assert "pip install -q --upgrade --upgrade-strategy eager -e '.[dev,aws]'" in recipe
    assert "scripts/lockdiff.py --report locks/dev.txt" in recipe
    pytest = recipe[recipe.index("/bin/pytest") :]
    assert " -m " not in pytest and "--require-hashes" not in recipe


def test_lockdiff_report_names_the_drifted_package(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    pins = "".join(f"{n}=={v} \\\n    --hash=sha256:00\n" for n, v in lockdiff.installed().items())
    lock.write_text(pins.replace(f"pytest=={lockdiff.installed()['pytest']}", "pytest==1.0"))
    proc = subprocess.run(
        [sys.executable, str(LOCKDIFF), "--report", str(lock)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (proc.returncode, proc.stdout) == (
        0,
        f"drift from {lock}: pytest: locked 1.0, installed {lockdiff.installed()['pytest']}\n",
    )
