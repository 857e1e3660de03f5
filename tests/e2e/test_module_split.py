"""End to end against moto: `modules/cloudtrail` split into one file per concern (issue 26)
moves nothing in a state. The module as it was before the split (one `main.tf`, read from git
at `BEFORE_SPLIT`) is applied in a scratch root; the module as the split left it (`SPLIT`)
replaces it; the plan is empty but for moto's rotation-period quirk (`plans.only_rotation_quirk`),
and so no resource is destroyed, re-created or moved.

Then the module as it is now (issue 24 added the access-log bucket, event selectors, scoped key
policies, skip_destroy) replaces that: it may create and update, never destroy or replace
anything the deployment already has (an upgrade keeps the trail's evidence).

The root calls only the cloudtrail module (the part that changed), with a name of its own;
moto is reset at the end (the session's server is shared with the other e2e tests).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.e2e.plans import Change, only_rotation_quirk, plan_changes
from tests.e2e.support import MotoServer, env_without_aws, note, step
from tests.tfhelpers import MODULES_DIR, REPO_ROOT, init, run_tf, tf_env

pytestmark = pytest.mark.e2e

# The last commit of main whose modules/cloudtrail was a single main.tf, and the split itself.
BEFORE_SPLIT = "c7a43d3"
SPLIT = "4bb5f3f"
MODULE = "modules/cloudtrail"
_NOT_MODULE = shutil.ignore_patterns("tests", "README.md", ".terraform*", "*.tfstate*")
ACCOUNT = str(yaml.safe_load((REPO_ROOT / "org.yaml").read_text())["account_id"])
ROOT_TF = f"""\
terraform {{
  required_providers {{
    aws = {{
      source = "hashicorp/aws"
    }}
  }}
}}

module "cloudtrail" {{
  source = "./cloudtrail"

  name                 = "split-check"
  log_retention_days   = 30
  break_glass_role_arn = "arn:aws:iam::{ACCOUNT}:role/BreakGlass"
  tags                 = {{ Purpose = "module split" }}
}}
"""
APPLIED = re.compile(r"Apply complete! Resources: [1-9]\d* added, 0 changed, 0 destroyed")


@dataclass
class Root:
    dir: Path
    env: dict[str, str]

    def tf(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        command = [args[0], "-no-color", *args[1:]]  # options before `show`'s plan file
        return run_tf(command, self.dir, timeout, env=self.env, check=False)


def _git(*args: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, timeout=60
    )
    if proc.returncode != 0:
        pytest.skip(f"needs the repository's history ({BEFORE_SPLIT}): {proc.stderr.strip()}")
    return proc.stdout


def _module_at(commit: str, dest: Path) -> list[str]:
    """The module's *.tf files at `commit`, written into `dest`; their names."""
    listing = _git("ls-tree", "--name-only", f"{commit}:{MODULE}").split()
    names = sorted(n for n in listing if n.endswith(".tf"))
    dest.mkdir()
    for name in names:
        (dest / name).write_text(_git("show", f"{commit}:{MODULE}/{name}"))
    return names


@pytest.fixture
def root(moto_server: MotoServer, tmp_path: Path) -> Iterator[Root]:
    workdir = tmp_path / "root"
    workdir.mkdir()
    (workdir / "main.tf").write_text(ROOT_TF)
    env = env_without_aws(tf_env(data_dir=tmp_path / "tfdata"))
    env.update(moto_server.terraform_env(tmp_path))
    try:
        yield Root(workdir, env)
    finally:
        try:
            moto_server.reset()  # the state is thrown away with tmp_path
        except OSError as exc:
            note(f"moto reset failed: {exc}")


def _plan(root: Root, label: str) -> list[Change]:
    with step(f"terraform plan ({label})"):
        proc = root.tf("plan", "-input=false", "-detailed-exitcode", "-out=next.tfplan")
    assert proc.returncode in (0, 2), proc.stdout + proc.stderr
    if proc.returncode == 0:
        assert "No changes." in proc.stdout
        return []
    shown = root.tf("show", "-json", "next.tfplan", timeout=120)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    return plan_changes(json.loads(shown.stdout))


def test_the_split_cloudtrail_module_plans_no_change_over_the_single_file(root: Root) -> None:
    old = _module_at(BEFORE_SPLIT, root.dir / "cloudtrail")
    assert old == ["main.tf", "outputs.tf", "variables.tf", "versions.tf"], old
    init(root.dir, root.env)
    with step("terraform apply (cloudtrail, one main.tf)"):
        proc = root.tf("apply", "-auto-approve", "-input=false")
    assert APPLIED.search(proc.stdout), proc.stdout + proc.stderr

    shutil.rmtree(root.dir / "cloudtrail")
    split = _module_at(SPLIT, root.dir / "cloudtrail")
    assert set(split) > set(old), split  # the same four files and the concerns split out
    unexpected = [c for c in _plan(root, "one file per concern") if not only_rotation_quirk(c)]
    assert unexpected == [], "\n".join(
        f"{c.address} {c.actions} {sorted(c.attributes)}" for c in unexpected
    )
    note("module split: plan after the split has only moto's rotation_period_in_days 0 -> N")

    shutil.rmtree(root.dir / "cloudtrail")
    shutil.copytree(MODULES_DIR / "cloudtrail", root.dir / "cloudtrail", ignore=_NOT_MODULE)
    changes = _plan(root, "the module as it is now")
    gone = [c for c in changes if "delete" in c.actions]
    assert gone == [], "\n".join(f"{c.address} {c.actions}" for c in gone)
    added = sorted(c.type for c in changes if c.actions == ("create",))
    assert "aws_s3_bucket_logging" in added and "aws_s3_bucket" in added, added
