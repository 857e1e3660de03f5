"""The committed generated/ tree is the golden output for the shipped inputs, byte for byte,
and generation is deterministic across processes and hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from byok.pipeline import build_tree
from byok.write import diff_trees, read_tree

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)


def test_generated_tree_matches_shipped_inputs() -> None:
    expected = build_tree(REPO, TODAY).files
    actual = read_tree(REPO / "generated")
    diff = diff_trees(actual, expected, "generated")
    assert not diff, f"generated/ is stale; run `make generate`:\n{diff}"


def test_two_builds_in_one_process_are_identical() -> None:
    assert build_tree(REPO, TODAY).files == build_tree(REPO, TODAY).files


def _generate(dest: Path, seed: str) -> dict[str, bytes]:
    from tests.conftest import copy_inputs

    project = copy_inputs(dest, with_generated=False)
    env = {**os.environ, "PYTHONHASHSEED": seed, "BYOK_TODAY": TODAY.isoformat()}
    subprocess.run(
        [sys.executable, "-m", "byok", "-C", str(project), "generate"],
        check=True,
        env=env,
        capture_output=True,
        cwd=REPO,
    )
    return read_tree(project / "generated")


def test_output_identical_under_hash_seeds(tmp_path: Path) -> None:
    a = _generate(tmp_path / "a", "0")
    b = _generate(tmp_path / "b", "1")
    assert a == b
    assert a == read_tree(REPO / "generated")


def test_policies_are_canonical_json() -> None:
    import json

    for path in sorted((REPO / "generated" / "policies").glob("*.json")):
        text = path.read_text()
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n", path
