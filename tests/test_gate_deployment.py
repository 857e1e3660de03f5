"""Issue 21: the review gate judges everything Terraform will do. Each row of the issue's table
is a regenerated, committed change on a branch `pr`, judged as the CI example judges it:
`byok diff --base refs/remotes/origin/main`. Destroying data exits 4, new access 3, weakened
monitoring or evidence 6; a narrowing edit still exits 0 and a hand edit of generated/ is
still caught (E323).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, byok, copy_inputs, edit, git
from tests.test_stacks import STACK

BASE = "refs/remotes/origin/main"
ROOT_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", ".terraform.lock.hcl")


def _project(dest: Path) -> Path:
    copy_inputs(dest)
    shutil.copytree(
        REPO / "modules", dest / "modules", ignore=shutil.ignore_patterns(".terraform*")
    )
    for name in ROOT_FILES:
        shutil.copy2(REPO / name, dest / name)
    return dest


def _main(repo: Path, change: Callable[[Path], None] | None = None) -> None:
    """Commit the project (after `change`, regenerated) as `main`, mirror it as origin/main,
    and branch `pr` off it."""
    if change is not None:
        change(repo)
        assert byok(repo, "generate").returncode == 0
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "-qb", "pr")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    project = _project(tmp_path / "repo")
    _main(project)
    return project


def pr(repo: Path, change: Callable[[Path], None], generate: bool = True) -> None:
    change(repo)
    if generate:
        res = byok(repo, "generate")
        assert res.returncode == 0, res.stdout + res.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "change")


def diff(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return byok(repo, "diff", "--base", BASE, *args)


def findings(repo: Path, *args: str) -> list[dict[str, object]]:
    res = diff(repo, "--format", "json", *args)
    found: list[dict[str, object]] = json.loads(res.stdout)["findings"]
    return found


def org(old: str, new: str) -> Callable[[Path], None]:
    return lambda repo: edit(repo / "org.yaml", old, new)


def vendor(name: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda repo: edit(repo / "vendors" / f"{name}.yaml", old, new)


ROTATION_180 = "    key:\n      rotation_period_days: 180\n"
SLACK_LOGGING = 'logging:\n  principals:\n    - arn: "arn:aws:iam::152659312504:root"'


def _one_line(res: subprocess.CompletedProcess[str], *words: str) -> str:
    """The one line of the report holding every word."""
    lines = [ln for ln in res.stdout.splitlines() if all(w in ln for w in words)]
    assert lines, f"no line with {words}:\n{res.stdout}{res.stderr}"
    return lines[0]


# ------------------------------------------------------------------- access (exit 3)


def test_logging_principal_to_another_account_is_new_access(repo: Path) -> None:
    pr(repo, vendor("slack", SLACK_LOGGING, SLACK_LOGGING.replace("152659312504", "999988887777")))
    res = diff(repo)
    assert res.returncode == 3, res.stdout + res.stderr
    line = _one_line(res, "NEW ACCESS", "arn:aws:iam::999988887777:root", "sts:AssumeRole")
    assert "acme-slack-byok-logs" in line and "trust policy" in line


def test_extra_log_role_actions_are_new_access(repo: Path) -> None:
    extra = "    - logs:PutLogEvents\n    - logs:DeleteLogGroup\n    - logs:GetLogEvents\n"
    extra += "    - logs:PutRetentionPolicy\n"
    pr(repo, vendor("slack", "    - logs:PutLogEvents\n", extra))
    res = diff(repo)
    assert res.returncode == 3, res.stdout + res.stderr
    line = _one_line(res, "NEW ACCESS", "IAM role `acme-slack-byok-logs`", "permissions policy")
    for action in ("logs:DeleteLogGroup", "logs:GetLogEvents", "logs:PutRetentionPolicy"):
        assert action in line


def test_a_new_external_id_is_new_access(repo: Path) -> None:
    pr(repo, org("acme-slack-ekm-7Q2W9", "acme-slack-ekm-ROTATED"))
    res = diff(repo)
    assert res.returncode == 3, res.stdout + res.stderr
    _one_line(res, "NEW ACCESS", "sts:ExternalId = acme-slack-ekm-ROTATED")


def _replica(region: str) -> Callable[[Path], None]:
    return org(
        "    key:\n      deletion_window_days: 30\n",
        f"    key:\n      deletion_window_days: 30\n      replica_regions: [{region}]\n",
    )


def test_a_new_replica_region_is_new_access(repo: Path) -> None:
    pr(repo, _replica("us-west-2"))
    res = diff(repo)
    assert res.returncode == 3, res.stdout + res.stderr
    line = _one_line(res, "NEW ACCESS", "zoom-prod replicated to Region us-west-2")
    assert "generated/policies/zoom-prod.json" in line and "Zoom" in line


# ------------------------------------------------------------------- destruction (exit 4)


def test_logging_removed_destroys_the_vendor_log_group(repo: Path) -> None:
    def drop(repo: Path) -> None:
        path = repo / "vendors" / "slack.yaml"
        text = path.read_text()
        path.write_text(text[: text.index("logging:\n")])

    pr(repo, drop)
    res = diff(repo, "--allow-widening", "--allow-weakening")
    assert res.returncode == 4, res.stdout + res.stderr
    _one_line(res, "DESTROYED", "log group `/byok/acme/slack`")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (
            org("  - vendor: slack\n", "  - vendor: slack\n    key: {multi_region: true}\n"),
            "multi_region false -> true",
        ),
        (
            org(ROTATION_180, ROTATION_180 + "      origin: EXTERNAL\n"),
            "`aws_kms_key` becomes `aws_kms_external_key`",
        ),
    ],
    ids=["multi_region", "origin-external"],
)
def test_a_forces_replacement_key_option_is_destruction(
    repo: Path, change: Callable[[Path], None], why: str
) -> None:
    pr(repo, change)
    res = diff(repo, "--allow-widening", "--allow-weakening")
    assert res.returncode == 4, res.stdout + res.stderr
    _one_line(res, "DESTROYED", "key `", why)


def test_the_origin_external_replacement_is_exactly_what_the_inputs_say(repo: Path) -> None:
    """With the replacement declared, nothing else blocks but the unproved... nothing: exit 0."""
    decl = (
        "destructions:\n"
        + "".join(
            f'  - {{resource: "key databricks-{env}", reason: re-keyed with our material, '
            "ticket: SEC-300}\n"
            for env in ("prod", "staging")
        )
        + "\napps:\n"
    )

    def change(repo: Path) -> None:
        edit(repo / "org.yaml", ROTATION_180, ROTATION_180 + "      origin: EXTERNAL\n")
        edit(repo / "org.yaml", "apps:\n", decl)

    pr(repo, change)
    res = diff(repo, "--allow-weakening")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "destroyed (declared in org.yaml `destructions`)" in res.stdout
    declared = [f for f in findings(repo, "--allow-weakening") if f["declared"]]
    assert {f["class"] for f in declared} == {"destruction"} and len(declared) == 2


def test_a_removed_replica_region_is_destruction(tmp_path: Path) -> None:
    repo = _project(tmp_path / "repo")
    _main(repo, _replica("us-west-2"))
    pr(repo, org("      replica_regions: [us-west-2]\n", ""))
    res = diff(repo)
    assert res.returncode == 4, res.stdout + res.stderr
    _one_line(res, "DESTROYED", "replica key `zoom-prod`", "us-west-2")


def test_an_organization_rename_is_destruction(repo: Path) -> None:
    pr(repo, org("organization: acme\n", "organization: acme2\n"))
    res = diff(repo, "--allow-widening", "--allow-weakening")
    assert res.returncode == 4, res.stdout + res.stderr
    for what in (
        "CloudTrail trail `acme-byok`",
        "trail bucket `acme-byok-cloudtrail-111122223333`",
        "log group `/aws/cloudtrail/acme-byok`",
        "log group `/byok/acme/slack`",
    ):
        _one_line(res, "DESTROYED", what)
    # the keys and the audit keys stay where they are: only their aliases are renamed
    assert "DESTROYED: key" not in res.stdout and "audit key" not in res.stdout


TWO_STACKS = STACK.replace("[staging]", "[staging]") + (
    '  - account_id: "444455556666"\n'
    "    region: us-west-2\n"
    "    environments: [sandbox]\n"
    "    key_administrators: [arn:aws:iam::444455556666:role/KmsAdmins]\n"
)


def test_swapping_two_stacks_of_one_account_is_destruction(tmp_path: Path) -> None:
    repo = _project(tmp_path / "repo")
    _main(repo, org("apps:\n", TWO_STACKS + "\napps:\n"))
    first, second = TWO_STACKS.split('  - account_id: "444455556666"\n')[1:]
    swapped = "stacks:\n" + "".join(f'  - account_id: "444455556666"\n{s}' for s in (second, first))
    pr(repo, org(TWO_STACKS, swapped))
    res = diff(repo, "--allow-widening", "--allow-weakening")
    assert res.returncode == 4, res.stdout + res.stderr
    _one_line(res, "DESTROYED", "CloudTrail trail `acme-byok`", "444455556666/Region eu-west-1")
    _one_line(res, "DESTROYED", "log group `/aws/cloudtrail/acme-byok-us-west-2`")


# ------------------------------------------------------------------- weakening (exit 6)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            org("log_retention_days: 365", "log_retention_days: 1"),
            ("log group `/aws/cloudtrail/acme-byok`", "retention_in_days 365 -> 1"),
        ),
        (
            org("    - kms-oncall@acme.example\n", "    - attacker@evil.example\n"),
            (
                "alarm recipients removed",
                "kms-oncall@acme.example",
                "replaced by attacker@evil.example",
            ),
        ),
        (
            org("    - kms-oncall@acme.example\n", ""),
            ("alarm recipients removed", "kms-oncall@acme.example"),
        ),
        (
            org("  deletion_window_days: 30\n", "  deletion_window_days: 7\n"),
            ("key `slack-prod`", "deletion_window_in_days 30 -> 7"),
        ),
        (
            vendor("slack", "automatic_rotation: supported", "automatic_rotation: unsupported"),
            ("key `slack-prod`", "no longer rotates", "enable_key_rotation true -> false"),
        ),
        (
            org("  rotation_period_days: 365\n", "  rotation_period_days: 730\n"),
            ("key `slack-prod`", "rotates its key material less often"),
        ),
    ],
    ids=[
        "retention",
        "recipients-replaced",
        "recipient-removed",
        "deletion-window",
        "rotation-off",
        "rotation-slower",
    ],
)
def test_weakened_monitoring_exits_6(
    repo: Path, change: Callable[[Path], None], words: tuple[str, ...]
) -> None:
    pr(repo, change)
    res = diff(repo)
    assert res.returncode == 6, res.stdout + res.stderr
    assert _one_line(res, "WEAKENED", *words)
    assert diff(repo, "--allow-weakening").returncode == 0
    assert diff(repo, "--allow-widening").returncode == 6  # its own approval
    assert {f["class"] for f in findings(repo)} >= {"weakening"}


# issue 24's options: what an organization with an account baseline may turn off or reuse
RETENTION = "  log_retention_days: 365\n"
EMAILS_END = "    - kms-oncall@acme.example\n"
BASELINE_TOPIC = "arn:aws:sns:us-east-1:111122223333:baseline-alarms"
LOCK = "  object_lock: {mode: COMPLIANCE, days: 400}\n"


@pytest.mark.parametrize(
    ("base", "change", "words"),
    [
        (
            None,
            org(RETENTION, RETENTION + "  insights: false\n"),
            ("CloudTrail trail `acme-byok`", "records fewer CloudTrail Insights types"),
        ),
        (
            None,
            org(EMAILS_END, EMAILS_END + f"  topic_arn: {BASELINE_TOPIC}\n"),
            (
                "alarm `acme-byok-CIS-4.1-UnauthorizedAPICalls`",
                "no longer notifies",
                BASELINE_TOPIC,
            ),
        ),
        (
            org(EMAILS_END, EMAILS_END + "  cis: all\n"),
            org(EMAILS_END + "  cis: all\n", EMAILS_END),
            ("alarm removed", "alarm `acme-byok-CIS-4.2-ConsoleSigninWithoutMFA`"),
        ),
        (
            org(RETENTION, RETENTION + LOCK),
            org(RETENTION + LOCK, RETENTION),
            ("trail bucket Object Lock", "no longer locked against deletion"),
        ),
        (
            org(RETENTION, RETENTION + LOCK),
            org(LOCK, LOCK.replace("COMPLIANCE", "GOVERNANCE").replace("400", "30")),
            ("trail bucket Object Lock", "object_lock_days 400 -> 30"),
        ),
    ],
    ids=[
        "insights-off",
        "existing-topic",
        "cis-all-to-default",
        "object-lock-removed",
        "lock-shorter",
    ],
)
def test_weakened_baseline_options_exit_6(
    tmp_path: Path,
    base: Callable[[Path], None] | None,
    change: Callable[[Path], None],
    words: tuple[str, ...],
) -> None:
    repo = _project(tmp_path / "repo")
    _main(repo, base)
    pr(repo, change)
    res = diff(repo)
    assert res.returncode == 6, res.stdout + res.stderr
    _one_line(res, "WEAKENED", *words)
    assert diff(repo, "--allow-weakening").returncode == 0
    assert diff(repo, "--allow-widening").returncode == 6


def test_an_existing_trail_destroys_ours(repo: Path) -> None:
    existing = (
        "  existing:\n    arn: arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail\n"
        "    log_group_name: aws-controltower/CloudTrailLogs\n"
    )
    pr(repo, org(RETENTION, RETENTION + existing))
    res = diff(repo, "--allow-widening", "--allow-weakening")
    assert res.returncode == 4, res.stdout + res.stderr
    for what in (
        "CloudTrail trail `acme-byok`",
        "trail bucket `acme-byok-cloudtrail-111122223333`",
        "access-log bucket of the trail bucket `acme-byok-cloudtrail-access-111122223333`",
        "log group `/aws/cloudtrail/acme-byok`",
    ):
        _one_line(res, "DESTROYED", what)
    # the alarms now count another log group's events: ours are removed
    _one_line(res, "WEAKENED", "metric filter removed", "/aws/cloudtrail/acme-byok:acme-byok-")


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            "  enable_log_file_validation    = true\n",
            "  enable_log_file_validation    = false\n",
            "log file validation off",
        ),
        (
            "  enable_logging                = true\n",
            "  enable_logging                = false\n",
            "the trail may stop logging",
        ),
        (
            '    read_write_type           = "All"\n',
            '    read_write_type           = "WriteOnly"\n',
            "the trail may record only read or only write events",
        ),
        (
            "    include_management_events = true\n",
            "    include_management_events = true\n"
            '    exclude_management_event_sources = ["kms.amazonaws.com"]\n',
            "event sources are excluded",
        ),
        (
            "  include_global_service_events = true\n",
            "  include_global_service_events = true\n  advanced_event_selector {\n"
            '    name = "x"\n  }\n',
            "advanced event selectors narrow",
        ),
    ],
    ids=[
        "log-file-validation",
        "logging-off",
        "read-write-type",
        "excluded-sources",
        "advanced-selectors",
    ],
)
def test_a_module_edit_weakening_the_trail(repo: Path, old: str, new: str, words: str) -> None:
    pr(repo, lambda r: edit(r / "modules" / "cloudtrail" / "main.tf", old, new), generate=False)
    res = diff(repo)
    assert res.returncode == 3, res.stdout + res.stderr  # hand-written: unproved first
    _one_line(res, "WEAKENED", "modules/cloudtrail/main.tf", words)
    _one_line(res, "NOT PROVED", "modules/cloudtrail/main.tf changed")
    assert diff(repo, "--allow-widening").returncode == 6
    assert diff(repo, "--allow-widening", "--allow-weakening").returncode == 0


def test_prevent_destroy_removed_from_the_key_module(repo: Path) -> None:
    path = "modules/kms-key/main.tf"
    pr(
        repo,
        lambda r: edit(r / path, "prevent_destroy = true", "prevent_destroy = false"),
        generate=False,
    )
    res = diff(repo, "--allow-widening")
    assert res.returncode == 6, res.stdout + res.stderr
    _one_line(res, "WEAKENED", path, "prevent_destroy off")


# ------------------------------------------------------------------- nothing escapes


def test_a_symlinked_module_file_is_refused(repo: Path) -> None:
    def link(repo: Path) -> None:
        target = repo / "elsewhere.tf.txt"
        shutil.copy2(repo / "modules" / "kms-key" / "main.tf", target)
        (repo / "modules" / "kms-key" / "main.tf").unlink()
        (repo / "modules" / "kms-key" / "main.tf").symlink_to("../../elsewhere.tf.txt")

    pr(repo, link, generate=False)
    res = diff(repo, "--allow-widening", "--allow-weakening")
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stderr.startswith(
        "modules/kms-key/main.tf:1:1: E110 `modules/kms-key/main.tf` is a symbolic link "
        "(to `../../elsewhere.tf.txt`)"
    ), res.stderr
    # approved once or not, editing only the target later is refused the same way
    edit(repo / "elsewhere.tf.txt", "prevent_destroy = true", "prevent_destroy = false")
    git(repo, "commit", "-qam", "edit the target only")
    assert diff(repo, "--allow-widening", "--allow-weakening").returncode == 1


@pytest.mark.parametrize(
    "path", ["org.yaml", "vendors/slack.yaml", "generated/policies/zoom-prod.json", "main.tf"]
)
def test_every_symlink_byok_or_terraform_reads_is_refused(repo: Path, path: str) -> None:
    real = repo / f"{path}.real"
    (repo / path).rename(real)
    (repo / path).symlink_to(real.name)
    res = diff(repo)
    assert res.returncode == 1, res.stdout + res.stderr
    assert f"{path}:1:1: E110" in res.stderr


@pytest.mark.parametrize(
    "name",
    [
        "modules/kms-key/main.tofu",
        "modules/kms-key/main.tofu.json",
        "override.tf",
        "modules/cloudtrail/x_override.tf",
        "terraform.tfvars",
        "extra.auto.tfvars.json",
        "terraform.rc",
        ".github/workflows/byok-review.yml",
        "main.tofu",
    ],
)
def test_files_terraform_loads_are_not_proved(repo: Path, name: str) -> None:
    def add(repo: Path) -> None:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("# anything\n")

    pr(repo, add, generate=False)
    res = diff(repo)
    assert res.returncode == 3, res.stdout + res.stderr
    line = _one_line(res, "NOT PROVED", f"{name} changed")
    assert "exit 3 until approved" in line
    (found,) = [f for f in findings(repo) if f["class"] == "unproved"]
    assert found["files"] == [name]


def test_a_provider_lock_change_is_not_proved(repo: Path) -> None:
    pr(repo, lambda r: edit(r / ".terraform.lock.hcl", "version", "version "), generate=False)
    res = diff(repo)
    assert res.returncode == 3
    _one_line(res, "NOT PROVED", ".terraform.lock.hcl changed", "provider lock")


def test_a_tofu_file_in_generated_is_stale(repo: Path) -> None:
    pr(repo, lambda r: (r / "generated" / "main.tofu").write_text("# x\n"), generate=False)
    res = diff(repo)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "generated/main.tofu:1:1: E323" in res.stderr


def test_a_tag_shadowing_the_base_branch_is_refused(repo: Path) -> None:
    pr(repo, org("values: [C0123ABCD, C07QX4M2PLR]", "values: [C0123ABCD]"))  # widening
    git(repo, "tag", "origin/main", "HEAD")
    res = byok(repo, "diff", "--base", "origin/main")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "`refs/tags/origin/main`" in res.stderr and "`refs/remotes/origin/main`" in res.stderr
    # the full name is unambiguous: the widening is found
    assert diff(repo).returncode == 3


# ------------------------------------------------------------------- what still passes


def test_a_narrowing_edit_exits_0(repo: Path) -> None:
    pr(repo, org("values: [C0123ABCD, C07QX4M2PLR]", "values: [C0123ABCD, C07QX4M2PLR, C0999ZZZZ]"))
    res = diff(repo)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "NEW ACCESS" not in res.stdout and "DESTROYED" not in res.stdout


def test_longer_retention_and_a_new_recipient_exit_0(repo: Path) -> None:
    pr(repo, org("log_retention_days: 365", "log_retention_days: 731"))
    pr(
        repo,
        org(
            "    - kms-oncall@acme.example\n",
            "    - kms-oncall@acme.example\n    - new@acme.example\n",
        ),
    )
    res = diff(repo)
    assert res.returncode == 0, res.stdout + res.stderr


def test_a_hand_edit_of_generated_inventory_is_caught(repo: Path) -> None:
    def hand(repo: Path) -> None:
        path = repo / "generated" / "deployment.json"
        path.write_text(
            path.read_text().replace('"retention_in_days": 365', '"retention_in_days": 3653')
        )

    pr(repo, hand, generate=False)
    res = diff(repo)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "generated/deployment.json:" in res.stderr and "E323" in res.stderr


def test_a_base_without_an_inventory_is_compiled_from_its_inputs(tmp_path: Path) -> None:
    repo = _project(tmp_path / "repo")
    (repo / "generated" / "deployment.json").unlink()
    _main(repo)
    pr(repo, org("log_retention_days: 365", "log_retention_days: 1"))
    res = diff(repo)
    assert res.returncode == 6, res.stdout + res.stderr
    assert "has no generated/deployment.json: its deployment was compiled from its org.yaml" in (
        res.stdout
    )
    assert json.loads(diff(repo, "--format", "json").stdout)["notes"]


def test_json_findings_carry_class_and_files(repo: Path) -> None:
    pr(repo, org("log_retention_days: 365", "log_retention_days: 1"))
    doc = json.loads(diff(repo, "--format", "json").stdout)
    assert doc["weakens"] is True and doc["widens"] is False and doc["destroys"] is False
    weak = [f for f in doc["findings"] if f["class"] == "weakening"]
    assert {tuple(f["files"]) for f in weak} >= {
        ("generated/main.tf", "modules/cloudtrail/logs.tf"),
        ("generated/main.tf", "modules/vendor-log-role/main.tf"),
    }
    assert os.path.exists(repo / "generated" / "deployment.json")


def test_a_decommissioned_key_takes_its_replicas_with_it(tmp_path: Path) -> None:
    repo = _project(tmp_path / "repo")
    _main(repo, _replica("us-west-2"))

    def decommission(repo: Path) -> None:
        text = (repo / "org.yaml").read_text()
        start, end = text.index("  - vendor: zoom"), text.index("  - vendor: databricks")
        (repo / "org.yaml").write_text(
            text[:start]
            + text[end:]
            + "decommissions:\n  - key: zoom-prod\n    reason: contract ended\n"
            "    ticket: SEC-200\n    vendor_confirmed: 2026-11-20\n"
        )

    pr(repo, decommission)
    res = diff(repo)
    assert res.returncode == 0, res.stdout + res.stderr
    _one_line(res, "destroyed (declared in org.yaml", "replica key `zoom-prod`", "us-west-2")
