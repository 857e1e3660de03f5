"""End to end against moto: two Terraform roots in one account, the repository root (org.yaml's
account, us-east-1) and a stack in eu-west-1 of the same account, both apply. The stack's trail
bucket (S3 bucket names are global) and IAM roles (names unique in an account) carry its Region
(README, "Several accounts"); with the root's names the second apply fails
(BucketAlreadyOwnedByYou, EntityAlreadyExists).

The stack's provider assumes `var.role_arn`: moto's STS answers AssumeRole with credentials of
the role's account, here moto's own, without the role existing (moto evaluates no policies).
moto is reset at the end (the session's server is shared with test_apply.py).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.e2e.support import (
    MotoServer,
    byok_generate,
    env_without_aws,
    note,
    step,
    without_access_analyzer,
)
from tests.tfhelpers import REPO_ROOT, copy_root, init, run_tf, tf_env

pytestmark = pytest.mark.e2e

ACCOUNT = str(yaml.safe_load((REPO_ROOT / "org.yaml").read_text())["account_id"])
REGION = "eu-west-1"
# Slack's sandbox key (Slack writes logs: a log role in each root) and Databricks' staging key.
STACK = f"""stacks:
  - account_id: "{ACCOUNT}"
    region: {REGION}
    environments: [sandbox, staging]
    key_administrators: [arn:aws:iam::{ACCOUNT}:role/KmsKeyAdministrators]

"""
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/Terraform"
APPLIED = re.compile(r"Apply complete! Resources: \d+ added, 0 changed, 0 destroyed")


@dataclass
class Roots:
    root: Path
    stack: Path
    base: Path


def _generate(root: Path) -> None:
    org = root / "org.yaml"
    org.write_text(org.read_text().replace("apps:\n", STACK + "apps:\n", 1))
    without_access_analyzer(org)  # moto has none
    byok_generate(root)


@pytest.fixture(scope="module")
def roots(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Roots]:
    base = tmp_path_factory.mktemp("e2e-shared-account")
    root = copy_root(base / "project", REPO_ROOT / "generated")
    shutil.copy2(REPO_ROOT / "org.yaml", root / "org.yaml")
    shutil.copytree(REPO_ROOT / "vendors", root / "vendors")
    with step("byok generate (a stack in org.yaml's account)"):
        _generate(root)
    try:
        yield Roots(root, root / "generated" / "stacks" / f"{ACCOUNT}-{REGION}", base)
    finally:
        try:
            moto_server.reset()  # Terraform's state is thrown away with the scratch copy
        except OSError as exc:
            note(f"moto reset failed: {exc}")


def _apply(moto: MotoServer, workdir: Path, data: Path, *args: str) -> None:
    env = env_without_aws(tf_env(data_dir=data))
    env.update(moto.terraform_env(data))
    init(workdir, env)
    proc = run_tf(
        ["apply", "-auto-approve", "-input=false", "-no-color", *args],
        workdir,
        600,
        env=env,
        check=False,
    )
    assert APPLIED.search(proc.stdout), proc.stdout + proc.stderr


def test_two_roots_in_one_account_both_apply(moto_server: MotoServer, roots: Roots) -> None:
    note("moto divergence patched (tests/e2e/moto_main.py): DescribeTrails honours trailNameList")
    # Both at once: the applies mostly wait on the provider's pollers, and names that collide
    # collide whichever root creates them first.
    with ThreadPoolExecutor(2) as pool, step("terraform apply (root and stack, concurrently)"):
        both = [
            pool.submit(_apply, moto_server, roots.root, roots.base / "tfdata-root"),
            pool.submit(
                _apply,
                moto_server,
                roots.stack,
                roots.base / "tfdata-stack",
                f"-var=role_arn={ROLE_ARN}",
            ),
        ]
        for applied in both:
            applied.result()
    s3, iam = moto_server.client("s3"), moto_server.client("iam")
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == {
        f"acme-byok-cloudtrail-{ACCOUNT}",
        f"acme-byok-{REGION}-cloudtrail-{ACCOUNT}",
        # and each trail bucket's access-log bucket (CIS v3.0.0 3.4), named apart the same way
        f"acme-byok-cloudtrail-access-{ACCOUNT}",
        f"acme-byok-{REGION}-cloudtrail-access-{ACCOUNT}",
    }
    assert {r["RoleName"] for r in iam.list_roles()["Roles"]} == {
        "acme-byok-cloudtrail-cloudwatch-logs",
        f"acme-byok-{REGION}-cloudtrail-cloudwatch-logs",
        "acme-slack-byok-logs",
        f"acme-slack-byok-logs-{REGION}",
    }
    for region, trail in (("us-east-1", "acme-byok"), (REGION, f"acme-byok-{REGION}")):
        found = moto_server.client("cloudtrail", region).describe_trails()["trailList"]
        home = [t for t in found if t["HomeRegion"] == region]
        assert [t["Name"] for t in home] == [trail], found
        kms = moto_server.client("kms", region)
        aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
        keys = {"us-east-1": ["slack-prod", "databricks-prod", "zoom-prod"]}.get(
            region, ["slack-sandbox", "databricks-staging"]
        )
        assert {f"alias/acme-{k}" for k in keys} <= aliases, aliases
