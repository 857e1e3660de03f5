"""Static and unit tests of the hand-written Terraform: ``modules/*`` and the root module.

Each module is copied to a scratch directory and initialised once (``-backend=false``, providers
from the offline mirror via ``.build/terraformrc``); ``terraform test`` (plan-only
``*.tftest.hcl`` files with a mocked AWS provider) then run in that copy. A mutation test proves the
key assertions of each module's tests can fail. The root ``main.tf`` is validated and planned
against a stand-in ``generated/`` module (tests/fixtures/terraform/generated_stub), and against the
real ``generated/`` when it exists.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tfhelpers import (
    FIXTURES,
    MODULES_DIR,
    REPO_ROOT,
    ROOT_TF_FILES,
    copy_module,
    copy_root,
    init,
    module_names,
    run_tf,
    tf_env,
)

pytestmark = pytest.mark.terraform

MODULES = (
    "access-analyzer",
    "budget",
    "cloudtrail",
    "config-rules",
    "key-alarms",
    "kms-key",
    "log-subscription",
    "vendor-log-role",
)

_KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-00000000000"

# Wrong expectations injected into each module's tests: (test file, needle that must occur
# exactly once, replacement, error_message the failed assertion must print).
MUTATIONS: dict[str, list[tuple[str, str, str, str]]] = {
    "access-analyzer": [
        (
            "access_analyzer.tftest.hcl",
            '"principal.AWS" = ["409910850980", "arn:aws:iam::409910850980:root"]',
            '"principal.AWS" = ["409910850980"]',
            "Each rule must match only its key and exactly its principals.",
        ),
        (
            "access_analyzer.tftest.hcl",
            'aws_accessanalyzer_analyzer.this[0].type == "ACCOUNT" &&',
            'aws_accessanalyzer_analyzer.this[0].type == "ORGANIZATION" &&',
            "The analyzer must be an ACCOUNT analyzer named var.analyzer_name.",
        ),
    ],
    "budget": [
        (
            "budget.tftest.hcl",
            'limit_amount == "27.40"',
            'limit_amount == "27.4"',
            "limit_usd must be sent with two decimals.",
        ),
        (
            "budget.tftest.hcl",
            '"ACTUAL:80:GREATER_THAN:PERCENTAGE:',
            '"ACTUAL:100:GREATER_THAN:PERCENTAGE:',
            "Alerts: e-mail at 80% actual and 100% forecast spend.",
        ),
    ],
    "config-rules": [
        (
            "config_rules.tftest.hcl",
            '.kmsKeyIds == "1111-key,2222-key"',
            '.kmsKeyIds == "2222-key,1111-key"',
            "The deletion rule must check exactly var.kms_key_ids.",
        ),
        (
            "config_rules.tftest.hcl",
            '"key-rotation-enabled"           = "CMK_BACKING_KEY_ROTATION_ENABLED"',
            '"key-rotation-enabled"           = "CMK_ROTATION_ENABLED"',
            "The rules must be AWS's managed rules for rotation, deletion and the trail.",
        ),
    ],
    "log-subscription": [
        (
            "log_subscription.tftest.hcl",
            'Action == ["firehose:PutRecord", "firehose:PutRecordBatch"]',
            'Action == ["firehose:*"]',
            "The role may only put records into the SIEM stream.",
        ),
        (
            "log_subscription.tftest.hcl",
            '.source_arn == "arn:aws:logs:us-east-1:111122223333:log-group:/byok/acme/slack:*"',
            '.source_arn == "arn:aws:logs:us-east-1:111122223333:*"',
            "Only Logs, per subscribed log group of this account, may invoke it.",
        ),
    ],
    "kms-key": [
        (
            "kms_key.tftest.hcl",
            "aws_kms_key.this[0].enable_key_rotation == true",
            "aws_kms_key.this[0].enable_key_rotation == false",
            "Automatic key rotation must be enabled.",
        ),
        (
            "kms_key.tftest.hcl",
            "aws_kms_key.this[0].rotation_period_in_days == 180",
            "aws_kms_key.this[0].rotation_period_in_days == 181",
            "rotation_period_in_days was not passed through.",
        ),
        (
            "kms_key.tftest.hcl",
            "aws_kms_key.this[0].deletion_window_in_days == 14",
            "aws_kms_key.this[0].deletion_window_in_days == 15",
            "deletion_window_in_days was not passed through.",
        ),
        (
            "kms_key.tftest.hcl",
            'Statement[0].Sid == "AccountRoot"',
            'Statement[0].Sid == "Root"',
            "The key policy lost its AccountRoot statement.",
        ),
    ],
    "cloudtrail": [
        (
            "cloudtrail.tftest.hcl",
            "is_multi_region_trail == true",
            "is_multi_region_trail == false",
            "The trail must be multi-Region.",
        ),
        (
            "cloudtrail.tftest.hcl",
            "enable_log_file_validation == true",
            "enable_log_file_validation == false",
            "Log file validation must be enabled.",
        ),
        (
            "cloudtrail.tftest.hcl",
            f'aws_cloudtrail.this[0].kms_key_id == "{_KEY_ARN}1"',
            f'aws_cloudtrail.this[0].kms_key_id == "{_KEY_ARN}2"',
            "The trail must be encrypted with its own KMS key.",
        ),
        (
            "cloudtrail.tftest.hcl",
            'toset(["ApiCallRateInsight", "ApiErrorRateInsight"])',
            'toset(["ApiCallRateInsight"])',
            "Both ApiCallRateInsight and ApiErrorRateInsight must be enabled.",
        ),
        (
            "cloudtrail.tftest.hcl",
            "aws_s3_bucket_public_access_block.this[0].restrict_public_buckets,",
            "!aws_s3_bucket_public_access_block.this[0].restrict_public_buckets,",
            "All four public access block settings must be true.",
        ),
        (
            "cloudtrail.tftest.hcl",
            '"aws:SourceAccount" = "111122223333"\n    }\n    error_message = "The CloudWatch',
            '"aws:SourceAccount" = "444455556666"\n    }\n    error_message = "The CloudWatch',
            "The CloudWatch Logs role trust needs aws:SourceArn and aws:SourceAccount.",
        ),
        (
            "cloudtrail.tftest.hcl",
            '{ "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/BreakGlassKms" }',
            '{ "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/Other" }',
            "Audit keys: the break-glass-only actions are denied to others.",
        ),
        (
            "cloudtrail.tftest.hcl",
            '"arn:aws:logs:us-east-1:111122223333:log-group:/byok/acme/zoom",',
            '"arn:aws:logs:us-east-1:111122223333:log-group:*",',
            "Only the named log groups may use the trail key.",
        ),
        (
            "cloudtrail.tftest.hcl",
            "aws_cloudwatch_log_group.this[0].skip_destroy == true",
            "aws_cloudwatch_log_group.this[0].skip_destroy == false",
            "The trail's log group must survive a destroy (skip_destroy).",
        ),
        (
            "cloudtrail.tftest.hcl",
            'log-group:/aws/cloudtrail/acme-byok"]',
            'log-group:*"]',
            "The alarm key may encrypt the trail's log group only.",
        ),
    ],
    "vendor-log-role": [
        (
            "vendor_log_role.tftest.hcl",
            '["sts:ExternalId"] == "slack-ekm-Abc123"',
            '["sts:ExternalId"] == "slack-ekm-Wrong"',
            "The trust policy must require sts:ExternalId (StringEquals).",
        ),
        (
            "vendor_log_role.tftest.hcl",
            '["sts:ExternalId"] == "acme_slack-EKM+=,.@:/09"',
            '["sts:ExternalId"] == "acme-slack-EKM+=,.@:/09"',
            "An ExternalId with `_` must reach the trust policy.",
        ),
    ],
    "key-alarms": [
        (
            "key_alarms.tftest.hcl",
            '"CIS-4.7-DisableOrDeleteCMK"   = "{($.eventSource = kms.amazonaws.com) && ((',
            '"CIS-4.7-DisableOrDeleteCMK"   = "{ ($.eventSource = kms.amazonaws.com) && ((',
            "CIS v3.0.0 patterns must be the benchmark's Remediation text, verbatim.",
        ),
        (
            "key_alarms.tftest.hcl",
            f'aws_sns_topic.this[0].kms_master_key_id == "{_KEY_ARN}1"',
            f'aws_sns_topic.this[0].kms_master_key_id == "{_KEY_ARN}2"',
            "The alarm topic must be KMS-encrypted with var.kms_key_arn.",
        ),
        (
            "key_alarms.tftest.hcl",
            '"CIS-4.8-S3BucketPolicyChanges",\n    ]',
            '"CIS-4.8-S3BucketPolicyChanges", "CIS-4.2-ConsoleSigninWithoutMFA",\n    ]',
            "The default set is CIS v3.0.0 4.1, 4.3, 4.4, 4.5, 4.7, 4.8 and 4.15.",
        ),
        (
            "key_alarms.tftest.hcl",
            '($.resources[0].ARN = \\"*:key/1234abcd-12ab-34cd-56ef-1234567890ab\\")',
            '($.resources[0].ARN = \\"*\\")',
            "GrantCreated must match only CreateGrant on the deployment's keys.",
        ),
        (
            "key_alarms.tftest.hcl",
            "].threshold == 1209600 &&",
            "].threshold == 1209601 &&",
            "The expiry alarm must fire material_expiry_warning_days before expiry.",
        ),
    ],
}


def test_every_module_is_covered() -> None:
    """A new module under modules/ must be added here (and get tests and mutations)."""
    assert tuple(module_names()) == MODULES
    assert set(MUTATIONS) == set(MODULES)


MUTANT_PREFIX = "zz_mutant_"  # sorts after every real test file, so those run first


@pytest.fixture(scope="module", params=MODULES)
def module_workdir(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, dict[str, str]]:
    """``(name, initialised scratch copy of modules/<name>, env)``, shared by the tests below."""
    name: str = request.param
    base = tmp_path_factory.mktemp(f"tf-{name}")
    workdir = copy_module(name, base)
    env = tf_env(data_dir=base / "tfdata")
    init(workdir, env)
    return name, workdir, env


@pytest.fixture(scope="module")
def module_test_run(
    module_workdir: tuple[str, Path, dict[str, str]],
) -> tuple[str, list[str], subprocess.CompletedProcess[str]]:
    """One ``terraform test`` of the module's own tests plus their mutants (``MUTATIONS``
    applied, as extra files holding only the run blocks a mutation touched): the real tests
    must pass and every mutant must fail. One invocation instead of two saves the fixed cost of
    a ``terraform test`` (about 2 s of CPU: loading the configuration and the AWS provider's
    schema) per module. Returns the names of the real test files too."""
    name, workdir, env = module_workdir
    tests = workdir / "tests"
    real = sorted(p.name for p in tests.glob("*.tftest.hcl"))
    mutated: dict[str, str] = {}
    for test_file, needle, replacement, _ in MUTATIONS[name]:
        text = mutated.get(test_file, (tests / test_file).read_text())
        assert text.count(needle) == 1, f"{name}/tests/{test_file}: mutation needle {needle!r}"
        mutated[test_file] = text.replace(needle, replacement)
    replacements = [m[2] for m in MUTATIONS[name]]
    for test_file, text in mutated.items():
        mutant = tests / f"{MUTANT_PREFIX}{test_file}"
        mutant.write_text(_keep_mutated_runs(text, replacements))
    proc = run_tf(["test", "-no-color"], workdir, 300, env=env, check=False)
    return name, real, proc


def test_fmt() -> None:
    """``terraform fmt -check`` on modules/ (incl. tests), the root *.tf and the fixtures."""
    env = tf_env()
    run_tf(["fmt", "-check", "-recursive", "-diff", "-no-color", "modules"], REPO_ROOT, 60, env=env)
    run_tf(
        ["fmt", "-check", "-recursive", "-diff", "-no-color", str(FIXTURES)], REPO_ROOT, 60, env=env
    )
    root_files = [n for n in ROOT_TF_FILES if (REPO_ROOT / n).is_file()]
    assert root_files, "the root module (main.tf, ...) is missing"
    for name in root_files:
        run_tf(["fmt", "-check", "-diff", "-no-color", name], REPO_ROOT, 60, env=env)


def test_module_layout(module_workdir: tuple[str, Path, dict[str, str]]) -> None:
    """terraform-aws-modules layout: the four files, a README with tf-docs markers, tests."""
    name, _, _ = module_workdir
    mod = MODULES_DIR / name
    for f in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (mod / f).is_file(), f"modules/{name}/{f} is missing"
    readme = (mod / "README.md").read_text()
    assert "<!-- BEGIN_TF_DOCS -->" in readme and "<!-- END_TF_DOCS -->" in readme
    variables = re.findall(r'^variable "([^"]+)"', (mod / "variables.tf").read_text(), re.M)
    outputs = re.findall(r'^output "([^"]+)"', (mod / "outputs.tf").read_text(), re.M)
    assert "create" in variables
    for v in variables:
        assert f'name="input_{v}"' in readme, f"README of {name} does not document input {v}"
    for o in outputs:
        assert f'name="output_{o}"' in readme, f"README of {name} does not document output {o}"
    assert list(mod.glob("tests/*.tftest.hcl")), f"modules/{name} has no terraform tests"


def test_readme_tables_are_current() -> None:
    """The terraform-docs tables in the READMEs match the code (`python scripts/tf_docs.py`)."""
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "tf_docs.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_terraform_test(
    module_test_run: tuple[str, list[str], subprocess.CompletedProcess[str]],
) -> None:
    """``terraform test``: every run block of every tests/*.tftest.hcl passes, and no warning
    (e.g. a deprecated attribute). Each run validates the whole configuration first and prints
    its warnings, so this also covers ``terraform validate`` without paying for its own provider
    start (about 3 s per module)."""
    name, real, proc = module_test_run
    assert real, f"modules/{name} has no terraform tests"
    output = proc.stdout + proc.stderr
    for test_file in real:
        assert f"tests/{test_file}... pass" in proc.stdout, f"{name}: {output}"
    assert re.search(r"\b[1-9]\d* passed, ", proc.stdout), output
    assert "Warning:" not in output, f"{name}: {output}"


def test_terraform_test_catches_wrong_expectations(
    module_test_run: tuple[str, list[str], subprocess.CompletedProcess[str]],
) -> None:
    """Mutation check: each key assertion fails (and says why) when its expectation is wrong;
    the mutants ran in the same ``terraform test`` as the real tests (``module_test_run``)."""
    name, _, proc = module_test_run
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"{name}: mutated tests still pass\n{output}"
    for test_file in {m[0] for m in MUTATIONS[name]}:
        assert f"tests/{MUTANT_PREFIX}{test_file}... fail" in proc.stdout, f"{name}: {output}"
    assert "Error: Test assertion failed" in output, output
    printed = set(output.splitlines())
    for _, _, _, message in MUTATIONS[name]:
        assert message in printed, f"{name}: no failure for {message!r}\n{output}"


def _keep_mutated_runs(text: str, replacements: list[str]) -> str:
    """Drop the top-level ``run`` blocks no mutation touched (each run costs a plan)."""
    starts = [m.start() for m in re.finditer(r'^run "', text, re.M)]
    if not starts:
        return text
    chunks = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    kept = [c for c in chunks if any(r in c for r in replacements)]
    return text[: starts[0]] + "".join(kept)


def _check_root(tmp_path: Path, generated: Path, *, smoke: bool) -> None:
    tests = [FIXTURES / "root_smoke.tftest.hcl"] if smoke else []
    root = copy_root(tmp_path / "root", generated, tests)
    env = tf_env(data_dir=tmp_path / "tfdata")
    init(root, env)
    proc = run_tf(["validate", "-json", "-no-color"], root, 120, env=env)
    assert json.loads(proc.stdout)["valid"], proc.stdout
    if smoke:
        proc = run_tf(["test", "-no-color"], root, 300, env=env)
        assert "0 failed" in proc.stdout, proc.stdout


def test_root_module_with_stub_generated(tmp_path: Path) -> None:
    """Root main.tf + a stand-in generated/ that calls every module as docs/contracts.md says."""
    _check_root(tmp_path, FIXTURES / "generated_stub", smoke=True)


def test_root_module_with_generated(tmp_path: Path) -> None:
    """Root main.tf + the real generated/ (skipped until `byok generate` has written it)."""
    generated = REPO_ROOT / "generated"
    if not any(generated.glob("*.tf")):
        pytest.skip("generated/ holds no Terraform yet")
    _check_root(tmp_path, generated, smoke=False)


def test_generated_refuses_another_account_or_region(tmp_path: Path) -> None:
    """A plan with credentials of another account, or a provider in another Region, fails (data
    source postconditions), and one in org.yaml's account and Region plans. A `check` block only
    warns: https://developer.hashicorp.com/terraform/language/checks"""
    root = copy_root(
        tmp_path / "root", REPO_ROOT / "generated", [FIXTURES / "account_region_guard.tftest.hcl"]
    )
    env = tf_env(data_dir=tmp_path / "tfdata")
    init(root, env)
    proc = run_tf(["test", "-no-color"], root, 300, env=env, check=False)
    assert re.search(r"Success! 3 passed, 0 failed\.", proc.stdout), proc.stdout + proc.stderr


def test_root_provider_is_pinned_to_the_compiled_account_and_region() -> None:
    """The root provider takes its Region and allowed account from generated/organization.json
    (what org.yaml says), never from a variable or the environment.
    https://registry.terraform.io/providers/hashicorp/aws/latest/docs#allowed_account_ids"""
    text = (REPO_ROOT / "main.tf").read_text()
    assert 'jsondecode(file("${path.module}/generated/organization.json"))' in text
    assert "region              = local.organization.region" in text
    assert "allowed_account_ids = [local.organization.account_id]" in text
    assert "variable" not in (REPO_ROOT / "variables.tf").read_text().replace("variables", "")
    org = json.loads((REPO_ROOT / "generated" / "organization.json").read_text())
    assert org == {"account_id": "111122223333", "region": "us-east-1"}
