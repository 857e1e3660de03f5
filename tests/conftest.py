"""Shared fixtures. Hypothesis profiles: `default` (make test), `ci` (more examples), `fuzz`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.forkrun import forked_byok

REPO = Path(__file__).resolve().parent.parent
# the e2e step summary must live in the process that prints the summary (the xdist controller)
pytest_plugins = ["tests.e2e.report"]

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=20_000, deadline=None, suppress_health_check=list(HealthCheck)
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)
# The heavier properties state their size for the `ci` profile; `make test` (default) runs
# them at 40% of it, so the suite stays within minutes on two cores (issue 23), and `make fuzz`
# at twenty times it.
SIZE_FACTOR = {"default": 0.4, "ci": 1.0, "fuzz": 20.0}.get(PROFILE, 1.0)


def sized(examples: int) -> int:
    """`examples` (the property's size under the `ci` profile) scaled to the active profile."""
    return max(10, round(examples * SIZE_FACTOR))


@pytest.fixture(autouse=True, scope="session")
def _own_cache_key(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The build cache's key (write/store.py) of this test session, not the user's: a test
    never reads or makes `~/.cache/byok/cache-key`; the commands it runs inherit this."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


def copy_inputs(dest: Path, with_generated: bool = True) -> Path:
    """A scratch project: the shipped inputs (and generated/ unless told otherwise)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "org.yaml", dest / "org.yaml")
    shutil.copytree(REPO / "vendors", dest / "vendors")
    if with_generated and (REPO / "generated").is_dir():
        shutil.copytree(REPO / "generated", dest / "generated")
    return dest


ACCEPTANCES = "\n# Warnings we accept, one target each"
# What follows the last app of the shipped org.yaml: its optional AWS features (issue 28).
APPS_END = "\n# IAM Access Analyzer (external access)"


def drop_acceptances(project: Path) -> None:
    """Remove org.yaml's `accepted_warnings` (its last block), so its warnings are reported."""
    org = project / "org.yaml"
    text = org.read_text()
    assert text.count(ACCEPTANCES) == 1
    org.write_text(text[: text.index(ACCEPTANCES)])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_inputs(tmp_path / "project")


# ------------------------------------------------ `byok` through its command line, in a git repo

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "BYOK_TODAY": "2026-11-23",
}


def byok(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m byok -C project ARGS`, as a user runs it: its own process, exit code and
    streams (`forked_byok`)."""
    return forked_byok(["-C", str(project), *args], {**os.environ, **GIT_ENV}, REPO, 180)


def git(project: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(project), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    return proc.stdout


def committed_repo(project: Path) -> Path:
    """`project` as a git repository on `main` whose one commit holds everything in it."""
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"]):
        git(project, *cmd)
    return project


def default_base(project: Path) -> str:
    """The first line of `byok diff` without `--base` in a repository with no remote branch."""
    short = git(project, "rev-parse", "--short", "HEAD").strip()
    return f"base: HEAD ({short}), the default: no merge-base with origin/HEAD or an upstream\n"


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in the file (which must hold it)."""
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed copy of the shipped inputs and generated/ (no remote, no upstream)."""
    return committed_repo(copy_inputs(tmp_path / "repo"))
