"""`examples/enterprise/`: its committed generated/ is what `byok -C examples/enterprise
generate` produces, byte for byte, and it passes `terraform validate` offline with the
repository's root module and modules (the layout the example documents)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.pipeline import build_tree
from compiler.write import diff_trees, read_tree
from tests.test_golden import REPO, TODAY
from tests.tfhelpers import copy_root, init, run_tf, tf_env

EXAMPLE = REPO / "examples" / "enterprise"


def test_example_generated_matches_its_inputs() -> None:
    expected = build_tree(EXAMPLE, TODAY).files
    diff = diff_trees(read_tree(EXAMPLE / "generated"), expected, "examples/enterprise/generated")
    assert not diff, f"examples/enterprise/generated is stale; run `make generate`:\n{diff}"


def test_example_shows_replicas_imported_material_and_a_replacement() -> None:
    files = read_tree(EXAMPLE / "generated")
    replicas = files["replicas.tf"].decode()
    for region in ("eu-west-1", "us-west-2"):
        assert f'  region              = "{region}"\n' in replicas
    assert 'toset(["zoom-prod", "zoom-prod-g2"])' in replicas
    assert b"expiring_key_ids" in files["main.tf"]
    assert sorted(p for p in files if p.startswith("policies/")) == [
        "policies/slack-prod.json",
        "policies/zoom-prod-g2.json",
        "policies/zoom-prod.json",
    ]
    assert b"DecryptOnlyZoom" in files["policies/zoom-prod.json"]
    assert b"DecryptOnlyZoom" not in files["policies/zoom-prod-g2.json"]


@pytest.mark.terraform
def test_example_validates_offline(tmp_path: Path) -> None:
    root = copy_root(tmp_path / "root", EXAMPLE / "generated")
    env = tf_env(data_dir=tmp_path / "tfdata")
    init(root, env)
    proc = run_tf(["validate", "-no-color"], root, 120, env=env)
    assert "Success! The configuration is valid." in proc.stdout
    run_tf(["fmt", "-check", "-recursive", "-no-color", "generated"], root, 60, env=env)
