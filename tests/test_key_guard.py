"""Terraform refuses to delete a vendor key (issue 12, "Removing an app never destroys a key by
accident"): `lifecycle { prevent_destroy = true }` on the key of `modules/kms-key`, which also
holds for one instance of a `for_each` (how `generated/main.tf` calls the module).

Terraform documents that a plan which would destroy such a resource is an error:
https://developer.hashicorp.com/terraform/language/meta-arguments/lifecycle#prevent_destroy
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.tfhelpers import FIXTURES, copy_module, init, run_tf, tf_env

pytestmark = pytest.mark.terraform


def test_removing_a_key_from_the_configuration_fails_the_plan(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "key_guard", root)
    (root / "modules").mkdir()
    copy_module("kms-key", root / "modules", with_tests=False)
    env = tf_env(data_dir=tmp_path / "tfdata")
    init(root, env)
    proc = run_tf(["test", "-no-color"], root, 300, env=env, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert 'run "create"... pass' in out and 'run "unchanged"... pass' in out, out
    assert 'run "remove_two_keys"... fail' in out, out
    # The failed run names exactly the two removed keys (the teardown after it, which fails the
    # same way for every key, is reported after "Terraform encountered an error destroying").
    failed_run = " ".join(out.split("Terraform encountered an error destroying", 1)[0].split())
    refused = re.findall(
        r"Resource (\S+) has lifecycle\.prevent_destroy set, but the plan calls for this "
        r"resource to be destroyed",
        failed_run,
    )
    assert sorted(refused) == [
        'module.key["box-prod"].aws_kms_external_key.this[0]',
        'module.key["slack-sandbox"].aws_kms_key.this[0]',
    ], out
    assert failed_run.count("Error: Instance cannot be destroyed") == 2, out
