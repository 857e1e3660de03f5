"""Shared fixtures. Hypothesis profiles: `default` (make test), `ci` (more examples), `fuzz`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=20_000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def copy_inputs(dest: Path, with_generated: bool = True) -> Path:
    """A scratch project: the shipped inputs (and generated/ unless told otherwise)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "org.yaml", dest / "org.yaml")
    shutil.copytree(REPO / "vendors", dest / "vendors")
    if with_generated and (REPO / "generated").is_dir():
        shutil.copytree(REPO / "generated", dest / "generated")
    return dest


ACCEPTANCES = "\n# Warnings we accept, one target each"


def drop_acceptances(project: Path) -> None:
    """Remove org.yaml's `accepted_warnings` (its last block), so its warnings are reported."""
    org = project / "org.yaml"
    text = org.read_text()
    assert text.count(ACCEPTANCES) == 1
    org.write_text(text[: text.index(ACCEPTANCES)])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_inputs(tmp_path / "project")
