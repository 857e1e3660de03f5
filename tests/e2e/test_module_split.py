"""End to end against moto: `modules/cloudtrail` split into one file per concern (issue 26)
moves nothing in a state. The module as it was before the split (one `main.tf`, read from git
at `BEFORE_SPLIT`) is applied in a scratch root; the module as it is now replaces it; the plan
is empty but for moto's rotation-period quirk (`plans.only_rotation_quirk`), and so no resource
is destroyed, re-created or moved.

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

from tests.e2e.plans import only_rotation_quirk, plan_changes
from tests.e2e.support import MotoServer, env_without_aws, note, step
from tests.tfhelpers import MODULES_DIR, REPO_ROOT, init, run_tf, tf_env

pytestmark = pytest.mark.e2e

# The last commit of main whose modules/cloudtrail was a single main.tf.
BEFORE_SPLIT = "c7a43d3"
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


def _module_before_split(dest: Path) -> list[str]:
    """The module's *.tf files at `BEFORE_SPLIT`, written into `dest`; their names."""
    listing = _git("ls-tree", "--name-only", f"{BEFORE_SPLIT}:{MODULE}").split()
    names = sorted(n for n in listing if n.endswith(".tf"))
    dest.mkdir()
    for name in names:
        (dest / name).write_text(_git("show", f"{BEFORE_SPLIT}:{MODULE}/{name}"))
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


def test_the_split_cloudtrail_module_plans_no_change_over_the_single_file(root: Root) -> None:
    old = _module_before_split(root.dir / "cloudtrail")
    assert old == ["main.tf", "outputs.tf", "variables.tf", "versions.tf"], old
    init(root.dir, root.env)
    with step("terraform apply (cloudtrail, one main.tf)"):
        proc = root.tf("apply", "-auto-approve", "-input=false")
    assert APPLIED.search(proc.stdout), proc.stdout + proc.stderr

    shutil.rmtree(root.dir / "cloudtrail")
    shutil.copytree(MODULES_DIR / "cloudtrail", root.dir / "cloudtrail", ignore=_NOT_MODULE)
    now = sorted(p.name for p in (root.dir / "cloudtrail").glob("*.tf"))
    assert set(now) > set(old), now  # the same four files and the concerns split out
    with step("terraform plan (cloudtrail, one file per concern)"):
        proc = root.tf("plan", "-input=false", "-detailed-exitcode", "-out=split.tfplan")
    assert proc.returncode in (0, 2), proc.stdout + proc.stderr
    if proc.returncode == 0:
        assert "No changes." in proc.stdout
        return
    shown = root.tf("show", "-json", "split.tfplan", timeout=120)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    unexpected = [c for c in plan_changes(json.loads(shown.stdout)) if not only_rotation_quirk(c)]
    assert unexpected == [], "\n".join(
        f"{c.address} {c.actions} {sorted(c.attributes)}" for c in unexpected
    )
    note("module split: plan after the split has only moto's rotation_period_in_days 0 -> N")
