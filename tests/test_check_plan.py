"""`byok check-plan` on plans shaped like Terraform's (bench/planjson.py builds them from
generated/deployment.json; tests/e2e/test_check_plan.py makes real ones against moto): every
rule of issue 22 with its exit code, the located errors of plans it does not judge, and the
three output formats. The project is a copy of the repository's generated/ (check-plan reads
nothing else)."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.planjson import mutate, plan_doc, write
from byok.cli.main import main
from tests.conftest import REPO

KEY = 'module.byok.module.key["slack-prod"].aws_kms_key.this[0]'
ALIAS = 'module.byok.module.key["slack-prod"].aws_kms_alias.this[0]'
GROUP = 'module.byok.module.vendor_log_role["slack"].aws_cloudwatch_log_group.this[0]'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(REPO / "generated", dest / "generated")
    return dest


def check(
    project: Path, doc: dict[str, Any] | str, capsys: Any, *args: str
) -> tuple[int, str, str]:
    path = project / "plan.json"
    if isinstance(doc, str):
        path.write_text(doc)
    else:
        write(doc, path)
    code = main(["-C", str(project), "check-plan", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def update(
    doc: dict[str, Any], address: str, edit: Callable[[dict[str, Any], dict[str, Any]], None]
) -> dict[str, Any]:
    """Turn the no-op of `address` into an update whose `after` `edit` changes (before stays)."""

    def change(rc: dict[str, Any]) -> None:
        rc["change"]["actions"] = ["update"]
        rc["change"]["after"] = copy.deepcopy(rc["change"]["before"])
        edit(rc["change"]["before"], rc["change"]["after"])

    return mutate(doc, address, change)


def policy(values: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(values["policy"])
    return doc


def dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


# ------------------------------------------------------------------------------ passes


def test_clean_replan_and_first_plan_pass(project: Path, capsys: Any) -> None:
    for mode in ("clean", "create"):
        code, out, err = check(project, plan_doc(project, ".", mode), capsys)
        assert (code, err) == (0, ""), out
        assert out.splitlines()[-1] == "check-plan: passed: nothing blocking (0 reported)"
        assert "fail" not in out.lower()  # Atlantis reads "fail" in a custom check's output


# ------------------------------------------------------------------------------ policies


def test_a_policy_whose_deny_became_allow_is_new_access(project: Path, capsys: Any) -> None:
    def deny_to_allow(before: dict[str, Any], after: dict[str, Any]) -> None:
        doc = policy(after)
        for st in doc["Statement"]:
            if st["Sid"] == "RevokeSlackChannel":
                st["Effect"] = "Allow"
        after["policy"] = dump(doc)

    code, out, _ = check(project, update(plan_doc(project), KEY, deny_to_allow), capsys)
    assert code == 3, out
    (line,) = [ln for ln in out.splitlines() if ln.startswith("NEW ACCESS")]
    assert line.startswith(
        "NEW ACCESS: key `slack-prod` (account 111122223333/Region us-east-1): the plan's policy "
        "differs from generated/ and is wider than deployed: `arn:aws:iam::152659312504:"
    ), line
    assert "gains `kms:" in line and "kms:EncryptionContext:channel_id" in line
    assert "fail" in out.splitlines()[-1]
    code, _, _ = check(
        project, update(plan_doc(project), KEY, deny_to_allow), capsys, "--allow-widening"
    )
    assert code == 0


def test_a_narrower_policy_than_deployed_is_reported_and_passes(project: Path, capsys: Any) -> None:
    def narrow(before: dict[str, Any], after: dict[str, Any]) -> None:
        doc = policy(after)
        doc["Statement"].append(
            {
                "Sid": "Extra",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:Decrypt",
                "Resource": "*",
            }
        )
        after["policy"] = dump(doc)

    code, out, _ = check(project, update(plan_doc(project), KEY, narrow), capsys)
    assert code == 0, out
    assert (
        "the plan's policy differs from generated/; narrower than deployed (no new access)" in out
    )


def test_a_policy_known_only_after_apply_is_unproved(project: Path, capsys: Any) -> None:
    def unknown(rc: dict[str, Any]) -> None:
        rc["change"]["actions"] = ["update"]
        del rc["change"]["after"]["policy"]
        rc["change"]["after_unknown"] = {"policy": True}

    code, out, _ = check(project, mutate(plan_doc(project), KEY, unknown), capsys)
    assert code == 3 and "the plan's policy is known only after apply" in out, out


# ------------------------------------------------------------------------------ drift


def _drift(
    doc: dict[str, Any], address: str, before: dict[str, Any], after: dict[str, Any] | None
) -> None:
    rc = next(rc for rc in doc["resource_changes"] if rc["address"] == address)
    entry = {k: v for k, v in rc.items() if k != "change"}
    actions = ["delete"] if after is None else ["update"]
    entry["change"] = {"actions": actions, "before": before, "after": after, "after_unknown": {}}
    doc.setdefault("resource_drift", []).append(entry)


def test_a_key_pending_deletion_that_the_plan_recreates_is_refused(
    project: Path, capsys: Any
) -> None:
    doc = plan_doc(project)
    old = copy.deepcopy(
        next(rc for rc in doc["resource_changes"] if rc["address"] == KEY)["change"]["before"]
    )
    _drift(doc, KEY, old, None)

    def recreate(rc: dict[str, Any]) -> None:
        after = {k: v for k, v in rc["change"]["before"].items() if k not in ("arn", "key_id")}
        rc["change"].update(
            actions=["create"], before=None, after=after, after_unknown={"arn": True}
        )

    mutate(doc, KEY, recreate)
    code, out, _ = check(project, doc, capsys)
    assert code == 4, out
    (line,) = [ln for ln in out.splitlines() if ln.startswith("KEY PENDING DELETION")]
    arn = old["arn"]
    assert (
        f"key `slack-prod` ({arn}) left Terraform's state; this plan creates a new, empty key"
        in line
    )
    assert "state: PendingDeletion or deleted as of the plan (2026-11-23T10:00:00Z)" in line
    help_line = out.splitlines()[
        out.splitlines().index(line.split(" [")[0] + " [" + line.split(" [")[1]) + 1
    ]
    assert help_line == (
        f"  help: aws kms cancel-key-deletion --key-id {arn} --region us-east-1 && aws kms "
        f"enable-key --key-id {arn} --region us-east-1, then `terraform plan` again (if the key "
        "already left the state file, after an apply or `apply -refresh-only`: `terraform import "
        f"'{KEY}' {old['key_id']}` first)"
    )
    assert check(project, doc, capsys, "--allow-widening", "--allow-weakening")[0] == 4


def test_a_key_created_under_an_existing_alias_is_refused(project: Path, capsys: Any) -> None:
    doc = plan_doc(project)

    def recreate(rc: dict[str, Any]) -> None:
        rc["change"].update(actions=["create"], before=None)

    def move(rc: dict[str, Any]) -> None:
        rc["change"]["actions"] = ["update"]
        rc["change"]["before"] = {"name": "alias/acme-slack-prod", "target_key_id": "old-key"}
        rc["change"]["after"] = {"name": "alias/acme-slack-prod"}
        rc["change"]["after_unknown"] = {"target_key_id": True}

    code, out, _ = check(project, mutate(mutate(doc, KEY, recreate), ALIAS, move), capsys)
    assert (
        code == 4 and "KEY RE-CREATED: key `slack-prod`" in out and "still points at old-key" in out
    )


def test_a_key_disabled_outside_terraform_is_not_enabled_again(project: Path, capsys: Any) -> None:
    doc = plan_doc(project)
    rc = next(rc for rc in doc["resource_changes"] if rc["address"] == KEY)
    _drift(
        doc,
        KEY,
        copy.deepcopy(rc["change"]["before"]),
        {**rc["change"]["before"], "is_enabled": False},
    )
    doc = update(doc, KEY, lambda b, a: b.update(is_enabled=False))
    code, out, _ = check(project, doc, capsys)
    assert code == 3, out
    assert (
        "NEW ACCESS: key `slack-prod` (account 111122223333/Region us-east-1) was disabled outside "
        "Terraform and this plan enables it again"
    ) in out
    assert "key_states: [{environment: prod, enabled: false" in out
    inv = project / "generated" / "deployment.json"
    data = json.loads(inv.read_text())
    data["declared"]["key_states"] = [{"key": "slack-prod", "enabled": True, "ticket": "SEC-301"}]
    inv.write_text(json.dumps(data))
    code, out, _ = check(project, doc, capsys)
    assert code == 0 and "the plan enables it again, as org.yaml says (SEC-301)" in out, out


def test_undoing_an_out_of_band_narrowing_is_new_access(project: Path, capsys: Any) -> None:
    doc = plan_doc(project)
    rc = next(rc for rc in doc["resource_changes"] if rc["address"] == KEY)
    reviewed = rc["change"]["before"]
    narrowed = policy(reviewed)
    narrowed["Statement"].append(
        {
            "Sid": "Console",
            "Effect": "Deny",
            "Principal": {"AWS": "arn:aws:iam::152659312504:root"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )
    _drift(doc, KEY, copy.deepcopy(reviewed), {**reviewed, "policy": dump(narrowed)})
    doc = update(doc, KEY, lambda b, a: b.update(policy=dump(narrowed)))
    code, out, _ = check(project, doc, capsys)
    assert code == 3, out
    assert (
        "its policy was changed outside Terraform and this plan sets the reviewed one back" in out
    )
    assert "`arn:aws:iam::152659312504:" in out


def test_undoing_an_out_of_band_widening_passes(project: Path, capsys: Any) -> None:
    doc = plan_doc(project)
    rc = next(rc for rc in doc["resource_changes"] if rc["address"] == KEY)
    reviewed = rc["change"]["before"]
    wider = policy(reviewed)
    wider["Statement"].append(
        {
            "Sid": "Oob",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )
    _drift(doc, KEY, copy.deepcopy(reviewed), {**reviewed, "policy": dump(wider)})
    doc = update(doc, KEY, lambda b, a: b.update(policy=dump(wider)))
    code, out, _ = check(project, doc, capsys)
    assert code == 0, out
    assert "reverts an out-of-band policy change (narrower after the plan: no new access)" in out


# ------------------------------------------------------------------------------ destruction


def test_deleting_a_log_group_is_refused_unless_declared(project: Path, capsys: Any) -> None:
    doc = mutate(
        plan_doc(project), GROUP, lambda rc: rc["change"].update(actions=["delete"], after=None)
    )
    code, out, _ = check(project, doc, capsys)
    assert code == 4, out
    assert (
        "DESTROYED: the plan deletes log group `/byok/acme/slack` (account 111122223333/"
        "Region us-east-1)" in out
    )
    inv = project / "generated" / "deployment.json"
    data = json.loads(inv.read_text())
    data["declared"]["destructions"] = [
        {
            "resource": "log-group /byok/acme/slack",
            "account_id": None,
            "region": None,
            "ticket": "SEC-9",
        }
    ]
    inv.write_text(json.dumps(data))
    code, out, _ = check(project, doc, capsys)
    assert code == 0 and "as declared in org.yaml (SEC-9)" in out, out


def test_weaker_settings_and_undeclared_resources(project: Path, capsys: Any) -> None:
    doc = update(plan_doc(project), GROUP, lambda b, a: a.update(retention_in_days=1))
    code, out, _ = check(project, doc, capsys)
    assert code == 6 and "keeps logs for less time: the plan sets retention_in_days = 1" in out, out
    assert check(project, doc, capsys, "--allow-weakening")[0] == 0
    doc = plan_doc(project)
    doc["resource_changes"].append(
        {
            "address": "aws_iam_policy.extra",
            "mode": "managed",
            "type": "aws_iam_policy",
            "name": "extra",
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {
                "actions": ["create"],
                "before": None,
                "after": {"policy": "{}"},
                "after_unknown": {},
            },
        }
    )
    code, out, _ = check(project, doc, capsys)
    assert code == 3 and "the plan creates `aws_iam_policy.extra` (aws_iam_policy), which" in out, (
        out
    )


def test_a_plan_of_another_account_or_missing_resources(project: Path, capsys: Any) -> None:
    doc = plan_doc(project)
    for r in doc["prior_state"]["values"]["root_module"]["resources"]:
        if r["address"].endswith("aws_caller_identity.current"):
            r["values"]["account_id"] = "999988887777"
    code, out, _ = check(project, doc, capsys)
    assert code == 3 and "the plan was made in account 999988887777" in out, out
    doc = plan_doc(project)
    doc["resource_changes"] = [
        rc for rc in doc["resource_changes"] if rc["type"] != "aws_cloudwatch_metric_alarm"
    ]
    code, out, _ = check(project, doc, capsys)
    assert (
        code == 6
        and "WEAKENED: the plan does not manage alarm `acme-byok-CIS-4.7-DisableOrDeleteCMK`" in out
    )


# ------------------------------------------------------------------------------ plans it refuses


def test_a_truncated_plan_is_a_located_error(project: Path, capsys: Any) -> None:
    text = json.dumps(plan_doc(project), separators=(",", ":"))
    code, out, err = check(project, text[:5000], capsys)
    assert (code, out) == (1, "")
    assert err == (
        f"{project / 'plan.json'}:1:5001: error: not a JSON plan: the file ends before the JSON "
        "does (truncated?)\n"
    )
    code, _, err = check(project, '{\n  "format_version": 1.2,\n}', capsys)
    assert code == 1 and err.startswith(f"{project / 'plan.json'}:3:1: error: not a JSON plan:"), (
        err
    )


def test_a_plan_nested_too_deeply_is_an_error_not_a_crash(project: Path, capsys: Any) -> None:
    """json.loads recurses per level: a plan, or a policy string inside one, nested about
    1,000 deep is refused with a message (the policy one as a change byok cannot read)."""
    code, out, err = check(project, "[" * 100_000 + "]" * 100_000, capsys)
    assert (code, out, err) == (
        1,
        "",
        f"{project / 'plan.json'}:1:1: error: not a JSON plan: nested too deeply\n",
    )
    deep = '{"Statement": ' + "[" * 100_000 + "]" * 100_000 + "}"
    doc = update(plan_doc(project), KEY, lambda b, a: a.update(policy=deep))
    code, out, _ = check(project, doc, capsys)
    assert code == 3, out
    (line,) = [ln for ln in out.splitlines() if ln.startswith("NEW ACCESS")]
    assert line.startswith("NEW ACCESS: key `slack-prod` (account 111122223333/Region us-east-1)")


def test_a_plan_of_the_wrong_shape_is_located(project: Path, capsys: Any) -> None:
    doc = plan_doc(project)
    doc["resource_changes"][3]["change"]["actions"] = "update"
    text = json.dumps(doc, indent=1)
    code, _, err = check(project, text, capsys)
    line = text[: text.index('"actions": "update"')].count("\n") + 1
    assert code == 1
    assert err.startswith(f"{project / 'plan.json'}:{line}:") and err.endswith(
        "`actions` must be an array\n"
    ), err
    state = {"format_version": "1.0", "terraform_version": "1.11.4", "values": {}}
    code, _, err = check(project, json.dumps(state), capsys)
    assert code == 1 and "this is a state, not a plan" in err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(format_version="2.0"), "plan format 2.0: byok check-plan reads"),
        (
            lambda d: d.update(terraform_version="2.0.0"),
            "made with Terraform 2.0.0: byok check-plan judges",
        ),
        (lambda d: d.update(errored=True), "the plan errored"),
        (
            lambda d: (
                d["resource_changes"][0]["change"]["after"].update(region="us-east-1")
                if d["resource_changes"][0]["type"] == "aws_kms_key"
                else [
                    rc["change"]["after"].update(region="us-east-1")
                    for rc in d["resource_changes"]
                    if rc["type"] == "aws_kms_key"
                ]
            ),
            "which hashicorp/aws added to every resource in 6.0",
        ),
    ],
)
def test_other_major_versions_are_refused(
    project: Path, capsys: Any, edit: Any, message: str
) -> None:
    doc = plan_doc(project)
    edit(doc)
    code, out, err = check(project, doc, capsys)
    assert (code, out) == (1, "") and message in err, err
    assert err.startswith(str(project / "plan.json") + ":1:")


def test_a_lock_file_of_another_provider_major_is_refused(project: Path, capsys: Any) -> None:
    lock = (REPO / ".terraform.lock.hcl").read_text()
    assert 'version     = "5.' in lock
    (project / ".terraform.lock.hcl").write_text(
        lock.replace('version     = "5.', 'version     = "6.', 1)
    )
    code, _, err = check(project, plan_doc(project), capsys)
    assert code == 1 and "the root locks hashicorp/aws 6." in err, err
    (project / ".terraform.lock.hcl").write_text(lock)
    assert check(project, plan_doc(project), capsys)[0] == 0


# ------------------------------------------------------------------------------ formats


def test_json_and_sarif(project: Path, capsys: Any) -> None:
    doc = mutate(
        plan_doc(project), GROUP, lambda rc: rc["change"].update(actions=["delete"], after=None)
    )
    code, out, _ = check(project, doc, capsys, "--format", "json")
    report = json.loads(out)
    assert (code, report["exit_code"], report["passed"], report["root"]) == (4, 4, False, ".")
    (f,) = [f for f in report["findings"] if f["class"] == "destruction"]
    assert f["subject"] == "log group `/byok/acme/slack` (account 111122223333/Region us-east-1)"
    assert f["where"].startswith(str(project / "plan.json") + ":1:")
    code, out, _ = check(project, doc, capsys, "--format", "sarif")
    sarif = json.loads(out)
    (result,) = sarif["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("byok/destruction", "error")
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "plan.json", "uriBaseId": "%SRCROOT%"}
    assert loc["region"]["startLine"] == 1 and loc["region"]["startColumn"] > 1
