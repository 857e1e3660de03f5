"""`examples/enterprise/`: its committed generated/ is what `byok -C examples/enterprise
generate` produces, byte for byte, and it passes `terraform validate` offline with the
repository's root module and modules (the layout the example documents)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from byok.pipeline import build_tree
from byok.write import diff_trees, read_tree
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
        "policies/slack-staging.json",
        "policies/zoom-prod-g2.json",
        "policies/zoom-prod.json",
    ]
    assert b"DecryptOnlyZoom" in files["policies/zoom-prod.json"]
    assert b"DecryptOnlyZoom" not in files["policies/zoom-prod-g2.json"]


def test_example_has_two_accounts() -> None:
    files = read_tree(EXAMPLE / "generated")
    stack = "stacks/444455556666-eu-west-1/"
    assert sorted(p for p in files if p.startswith(stack)) == [
        f"{stack}{n}"
        for n in ("features.tf", "main.tf", "outputs.tf", "providers.tf", "versions.tf")
    ]
    main = files[f"{stack}main.tf"].decode()
    assert '"slack-staging" = {' in main and '"slack-prod" = {' not in main
    assert 'source   = "../../../modules/kms-key"' in main
    assert 'file("${path.module}/../../policies/${each.key}.json")' in main
    providers = files[f"{stack}providers.tf"].decode()
    assert '  allowed_account_ids = ["444455556666"]\n' in providers
    assert "    role_arn = var.role_arn\n" in providers
    assert '"slack-staging" = {' not in files["main.tf"].decode()
    staging = json.loads(files["policies/slack-staging.json"])
    assert staging["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::444455556666:root"}
    assert b"dir: generated/stacks/444455556666-eu-west-1\n" in files["atlantis.yaml"]


@pytest.mark.terraform
def test_example_validates_offline(tmp_path: Path) -> None:
    """The root and every stack: `terraform validate` offline (mirror providers only)."""
    root = copy_root(tmp_path / "root", EXAMPLE / "generated")
    stacks = sorted((root / "generated" / "stacks").iterdir())
    assert len(stacks) == 1
    for n, workdir in enumerate([root, *stacks]):
        env = tf_env(data_dir=tmp_path / f"tfdata{n}")
        init(workdir, env)
        proc = run_tf(["validate", "-no-color"], workdir, 120, env=env)
        assert "Success! The configuration is valid." in proc.stdout, workdir
    run_tf(["fmt", "-check", "-recursive", "-no-color", "generated"], root, 60, env=env)
