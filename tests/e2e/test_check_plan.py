"""End to end against moto: `byok check-plan` on real plans (`terraform plan -out`, `terraform
show -json`) of the repository root, applied once in a root of this module's own (it runs beside
test_apply.py under xdist `--dist loadfile`).

The account is changed out of band with boto3 between plans, as the incidents of issue 22 do:
a key scheduled for deletion (the AWS provider drops it from the state at refresh and plans a
new key), a key disabled (the plan would enable it again), and a hand-edited module that turns
the key policies' Denies into Allows. `enabled: false` in org.yaml goes through generate, plan,
check-plan, apply and audit, and back with `enabled: true`.

What a real plan shows for the key scheduled for deletion (moto 5.2, hashicorp/aws 5.100):
`resource_drift` holds the key with action `delete` and its last values (ARN, key id),
`resource_changes` a `create` of the same address and an `update` of its alias whose
`target_key_id` becomes unknown. Nothing in the plan says PendingDeletion or the deletion date.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.e2e import live
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

TODAY = "2026-11-23"
DELETED, DISABLED, TURNED_OFF = "zoom-prod", "slack-sandbox", "databricks-staging"
APPLIED = re.compile(r"Apply complete! Resources: \d+ added, \d+ changed, 0 destroyed")


@dataclass
class Root:
    root: Path
    env: dict[str, str]
    moto: MotoServer
    n: int = 0

    def tf(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return run_tf(list(args), self.root, timeout, env=self.env)

    def plan(self, name: str) -> Path:
        """`terraform plan -out`, then `terraform show -json` of it."""
        self.n += 1
        out = self.root / f"{self.n:02d}-{name}.tfplan"
        with step(f"check-plan e2e: terraform plan ({name})"):
            self.tf("plan", "-input=false", "-no-color", f"-out={out}")
            shown = self.tf("show", "-json", "-no-color", str(out)).stdout
        path = out.with_suffix(".json")
        path.write_text(shown)
        return path

    def check(self, plan: Path, *args: str) -> subprocess.CompletedProcess[str]:
        with step(f"byok check-plan ({plan.stem})"):
            return live.byok(self.root, self.env, "check-plan", str(plan), *args)

    def apply(self, plan: Path) -> None:
        with step(f"terraform apply ({plan.stem})"):
            proc = self.tf("apply", "-input=false", "-no-color", str(plan.with_suffix(".tfplan")))
        assert APPLIED.search(proc.stdout), proc.stdout

    def generate(self) -> None:
        proc = live.byok(self.root, {**os.environ}, "generate")
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def keys(self) -> dict[str, tuple[str, str]]:
        """Key name -> (ARN, key id): moto's KMS finds keys by id only."""
        out = json.loads(self.tf("output", "-json", "-no-color").stdout)
        return {n: (k["key_arn"], k["key_id"]) for n, k in out["keys"]["value"].items()}


@pytest.fixture(scope="module")
def applied(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Root]:
    base = tmp_path_factory.mktemp("e2e-check-plan")
    root = copy_root(base / "project", REPO_ROOT / "generated")
    shutil.copy2(REPO_ROOT / "org.yaml", root / "org.yaml")
    shutil.copytree(REPO_ROOT / "vendors", root / "vendors")
    shutil.copy2(REPO_ROOT / ".terraform.lock.hcl", root / ".terraform.lock.hcl")
    without_access_analyzer(root / "org.yaml")  # moto has none (tests/e2e/README.md)
    with step("byok generate (no Access Analyzer)"):
        byok_generate(root)
    env = env_without_aws(tf_env(data_dir=base / "tfdata"))
    env.update(moto_server.terraform_env(base))
    project = Root(root, env, moto_server)
    try:
        with step("check-plan e2e: terraform init"):
            init(root, env)
        first = project.plan("create")
        proc = project.check(first)
        assert proc.returncode == 0, proc.stdout + proc.stderr  # the first plan: all created
        project.apply(first)
        yield project
    finally:
        try:
            moto_server.reset()  # the scratch state goes with the copy; prevent_destroy keys too
        except OSError as exc:
            note(f"moto reset failed: {exc}")


def _lines(proc: subprocess.CompletedProcess[str], start: str) -> list[str]:
    return [ln for ln in proc.stdout.splitlines() if ln.startswith(start)]


def test_a_clean_plan_right_after_apply_passes(applied: Root) -> None:
    proc = applied.check(applied.plan("clean"))
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stdout
    assert "fail" not in proc.stdout.lower()
    assert proc.stdout.splitlines()[-1].startswith("check-plan: passed: nothing blocking")


def test_a_key_scheduled_for_deletion_is_not_replaced(applied: Root) -> None:
    kms = applied.moto.client("kms")
    arn, key_id = applied.keys()[DELETED]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    try:
        plan = applied.plan("pending-deletion")
        doc = json.loads(plan.read_text())
        address = f'module.byok.module.key["{DELETED}"].aws_kms_key.this[0]'
        drift = {d["address"]: d["change"]["actions"] for d in doc.get("resource_drift", [])}
        changes = {c["address"]: c["change"]["actions"] for c in doc["resource_changes"]}
        assert (drift[address], changes[address]) == (["delete"], ["create"])
        proc = applied.check(plan)
        assert proc.returncode == 4, proc.stdout + proc.stderr
        (line,) = _lines(proc, "KEY PENDING DELETION")
        assert f"key `{DELETED}` ({arn}) left Terraform's state; this plan creates a new" in line
        assert "state: PendingDeletion or deleted as of the plan (" in line
        helps = proc.stdout.splitlines()
        fix = helps[helps.index(line) + 1]
        assert fix.startswith(
            f"  help: aws kms cancel-key-deletion --key-id {arn} --region us-east-1 && "
            f"aws kms enable-key --key-id {arn}"
        )
    finally:
        kms.cancel_key_deletion(KeyId=key_id)  # the recovery the finding names
        kms.enable_key(KeyId=key_id)
    proc = applied.check(applied.plan("deletion-cancelled"))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_key_disabled_out_of_band_is_not_enabled_again(applied: Root) -> None:
    kms = applied.moto.client("kms")
    arn, key_id = applied.keys()[DISABLED]
    kms.disable_key(KeyId=key_id)
    try:
        code, findings = live.audit_json(applied.root, applied.env)
        (state,) = [f for f in live.problems(findings) if f["check"] == "state"]
        assert code == 5 and state["subject"] == DISABLED, findings
        assert state["message"].startswith("disabled outside Terraform: the next `terraform apply`")
        assert f"`aws kms enable-key --key-id {arn}`" in state["message"]
        assert "enabled: false" in state["detail"]["adopt"]
        proc = applied.check(applied.plan("disabled"))
        assert proc.returncode == 3, proc.stdout + proc.stderr
        (line,) = _lines(proc, "NEW ACCESS")
        assert line.startswith(
            f"NEW ACCESS: key `{DISABLED}` (account 111122223333/Region us-east-1) was disabled "
            "outside Terraform and this plan enables it again"
        ), line
    finally:
        kms.enable_key(KeyId=key_id)


def test_a_module_that_turns_deny_into_allow_is_refused(applied: Root) -> None:
    module = applied.root / "modules" / "kms-key" / "main.tf"
    original = module.read_text()
    edited = original.replace(
        "  policy                             = var.policy\n",
        '  policy                             = replace(var.policy, "\\"Deny\\"", "\\"Allow\\"")\n',
    )
    assert edited != original
    module.write_text(edited)
    try:
        proc = applied.check(applied.plan("deny-to-allow"))
    finally:
        module.write_text(original)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    named = {re.search(r"key `([^`]+)`", ln).group(1) for ln in _lines(proc, "NEW ACCESS")}  # type: ignore[union-attr]
    assert {"slack-prod", "databricks-prod", "zoom-prod"} <= named, proc.stdout
    assert "the plan's policy differs from generated/ and is wider than deployed: `" in proc.stdout


def _key_state(root: Path, vendor: str, env: str, enabled: bool) -> None:
    org = yaml.safe_load((root / "org.yaml").read_text())
    (app,) = [a for a in org["apps"] if a["vendor"] == vendor]
    app["key_states"] = [
        {"environment": env, "enabled": enabled, "reason": "e2e incident", "ticket": "SEC-300"}
    ]
    (root / "org.yaml").write_text(yaml.safe_dump(org, sort_keys=False))


def test_enabled_false_round_trips(applied: Root) -> None:
    kms = applied.moto.client("kms")
    key_id = applied.keys()[TURNED_OFF][1]
    _key_state(applied.root, "databricks", "staging", enabled=False)
    applied.generate()
    plan = applied.plan("disable")
    proc = applied.check(plan)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    applied.apply(plan)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    code, findings = live.audit_json(applied.root, applied.env)
    state = [f for f in findings if f["subject"] == TURNED_OFF and f["check"] == "state"]
    assert code == 0 and state[0]["message"] == "disabled, as org.yaml says (SEC-300)", findings
    assert applied.check(applied.plan("disabled-clean")).returncode == 0
    _key_state(applied.root, "databricks", "staging", enabled=True)
    applied.generate()
    plan = applied.plan("enable-again")
    proc = applied.check(plan)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "the plan enables it again, as org.yaml says (SEC-300)" in proc.stdout
    applied.apply(plan)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
