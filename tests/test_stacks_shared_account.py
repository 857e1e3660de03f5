"""Two Terraform roots in one account (a stack in org.yaml's account, or two stacks in one
account): every name AWS keeps per account or globally differs between them, so neither
`terraform apply` fails on, or adopts, the other's resource. S3 bucket names are global and IAM
role names unique in an account; a multi-Region trail has a shadow copy, its name, in every
Region (DescribeTrails lists them: a second trail of that name would be ambiguous).
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-create-and-update-a-trail-by-using-the-aws-cli-create-trail.html

The names are read from the rendered roots and the modules' own HCL (parsed, not grepped): each
module call's inputs, then the name expression of each resource the module creates.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from byok.cli.main import main
from byok.diagnostics import CompileError
from byok.pipeline import build_tree
from tests.conftest import REPO
from tests.test_golden import TODAY
from tests.test_hcl_roundtrip import blocks, evaluate, merged_locals, parse
from tests.test_stacks import STACK, _with_stack
from tests.tfhelpers import copy_root, init, run_tf, tf_env

ACCOUNT = "111122223333"
# In org.yaml's account, another Region: Slack's sandbox key (Slack writes logs: a log role) and
# Databricks' staging key.
SAME_ACCOUNT = STACK.replace("444455556666", ACCOUNT).replace("[staging]", "[sandbox, staging]")

# Resource type -> (the attribute naming it, where that name must be unique). `parent`: named
# inside the resource it is attached to. A type missing here fails the first test: decide it.
SCOPES: dict[str, tuple[str | None, str]] = {
    "aws_s3_bucket": ("bucket", "global"),
    "aws_iam_role": ("name", "account"),
    "aws_cloudtrail": ("name", "account"),  # multi-Region: a shadow trail in every Region
    "aws_kms_key": (None, "region"),
    "aws_kms_external_key": (None, "region"),
    "aws_kms_replica_key": (None, "region"),
    "aws_kms_alias": ("name", "region"),
    "aws_cloudwatch_log_group": ("name", "region"),
    "aws_cloudwatch_log_metric_filter": ("name", "region"),
    "aws_cloudwatch_metric_alarm": ("alarm_name", "region"),
    "aws_sns_topic": ("name", "region"),
    "aws_sns_topic_policy": (None, "parent"),
    "aws_sns_topic_subscription": (None, "parent"),
    "aws_iam_role_policy": ("name", "parent"),
    "aws_s3_bucket_ownership_controls": (None, "parent"),
    "aws_s3_bucket_public_access_block": (None, "parent"),
    "aws_s3_bucket_versioning": (None, "parent"),
    "aws_s3_bucket_server_side_encryption_configuration": (None, "parent"),
    "aws_s3_bucket_lifecycle_configuration": (None, "parent"),
    "aws_s3_bucket_policy": (None, "parent"),
    "aws_s3_bucket_logging": (None, "parent"),
    "aws_s3_bucket_object_lock_configuration": (None, "parent"),
    # one account-level analyzer per type and Region; budgets are named per account
    "aws_accessanalyzer_analyzer": ("analyzer_name", "region"),
    "aws_accessanalyzer_archive_rule": ("rule_name", "parent"),
    "aws_budgets_budget": ("name", "account"),
    "aws_config_config_rule": ("name", "region"),
    "aws_cloudwatch_log_subscription_filter": ("name", "parent"),
    "aws_lambda_permission": ("statement_id", "parent"),
}
_REF = re.compile(r"\$\{(var|local)\.(\w+)\}")


def _resources(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(t, body) for r in doc.get("resource", []) for t, v in r.items() for body in v.values()]


def _module(name: str) -> dict[str, Any]:
    """Every block of the module's *.tf files (a module may spread its resources over several
    files: modules/cloudtrail)."""
    merged: dict[str, Any] = {}
    for path in sorted((REPO / "modules" / name).glob("*.tf")):
        for kind, entries in parse(path.read_text()).items():
            merged.setdefault(kind, []).extend(entries)
    return merged


def test_every_resource_type_has_a_name_scope(project: Path) -> None:
    """A new resource type in a module or a rendered root must be placed in SCOPES."""
    _with_stack(project, SAME_ACCOUNT)
    files = build_tree(project, TODAY).files
    rendered = [parse(b) for p, b in files.items() if p.endswith(".tf")]
    modules = [_module(p.parent.name) for p in sorted((REPO / "modules").glob("*/main.tf"))]
    types = {t for doc in [*rendered, *modules] for t, _ in _resources(doc)}
    assert types - set(SCOPES) == set()


class _Names:
    """A module instance's name expressions, evaluated with its inputs."""

    def __init__(self, call: dict[str, Any], root: dict[str, Any], files: dict[str, bytes]):
        self.call, self.root, self.files = call, root, files
        self.each_key: str | None = None
        self.each_value: dict[str, Any] | None = None
        name = PurePosixPath(call["source"]).name
        self.module = _module(name)
        self.locals = merged_locals(self.module)
        variables = parse((REPO / "modules" / name / "variables.tf").read_text())
        self.defaults = {k: v.get("default") for k, v in blocks(variables, "variable").items()}

    def var(self, name: str) -> Any:
        if name not in self.call:
            return self.defaults[name]
        local, each = self.root, self.each_value
        return evaluate(
            self.call[name], local=local, files=self.files, each_key=self.each_key, each_value=each
        )

    def value(self, expr: str) -> str:
        if m := re.fullmatch(r'\$\{coalesce\(var\.(\w+), "(.*)"\)\}', expr):
            chosen = self.var(m[1])
            return self.value(m[2]) if chosen is None else str(chosen)
        if m := re.fullmatch(r"\$\{local\.(\w+)\}", expr):
            return self.value(self.locals[m[1]]) if m[1] != "account_id" else self.root[m[1]]
        out = _REF.sub(lambda m: self.value(m[0]) if m[1] == "local" else str(self.var(m[2])), expr)
        assert "${" not in out, f"cannot evaluate {expr!r}"
        return out

    def named(self) -> set[tuple[str, str, str]]:
        """(scope, resource type, name) of what this instance creates with a global or
        account-wide name."""
        out = set()
        for kind, body in _resources(self.module):
            attr, scope = SCOPES[kind]
            if scope in ("global", "account") and attr is not None:
                out.add((scope, kind, self.value(body[attr])))
        return out


def _root_names(files: dict[str, bytes], prefix: str) -> set[tuple[str, str, str]]:
    """Every global or account-wide name the root at `prefix` creates, over its module calls
    (main.tf's and features.tf's)."""
    docs = [parse(files[f"{prefix}{n}"]) for n in ("main.tf", "features.tf") if prefix + n in files]
    root = {k: v for doc in docs for k, v in merged_locals(doc).items()}
    calls = [call for doc in docs for call in blocks(doc, "module").values()]
    out: set[tuple[str, str, str]] = set()
    for call in calls:
        names = _Names(call, root, files)
        each = call.get("for_each")
        if each is None:
            out |= names.named()
            continue
        m = re.fullmatch(r"\$\{local\.(\w+)\}", each)
        assert m, each
        for key, value in root[m[1]].items():
            names.each_key, names.each_value = key, value
            out |= names.named()
    return out


def test_two_roots_in_one_account_name_their_account_wide_resources_apart(
    project: Path,
) -> None:
    _with_stack(project, SAME_ACCOUNT)
    files = build_tree(project, TODAY).files
    root = _root_names(files, "")
    stack = _root_names(files, "stacks/111122223333-eu-west-1/")
    assert root == {  # unchanged by the stack: the names it had alone
        ("global", "aws_s3_bucket", "acme-byok-cloudtrail-111122223333"),
        ("global", "aws_s3_bucket", "acme-byok-cloudtrail-access-111122223333"),
        ("account", "aws_iam_role", "acme-byok-cloudtrail-cloudwatch-logs"),
        ("account", "aws_cloudtrail", "acme-byok"),
        ("account", "aws_iam_role", "acme-slack-byok-logs"),
        ("account", "aws_budgets_budget", "acme-byok"),
    }
    assert stack == {
        ("global", "aws_s3_bucket", "acme-byok-eu-west-1-cloudtrail-111122223333"),
        ("global", "aws_s3_bucket", "acme-byok-eu-west-1-cloudtrail-access-111122223333"),
        ("account", "aws_iam_role", "acme-byok-eu-west-1-cloudtrail-cloudwatch-logs"),
        ("account", "aws_cloudtrail", "acme-byok-eu-west-1"),
        ("account", "aws_iam_role", "acme-slack-byok-logs-eu-west-1"),
        ("account", "aws_budgets_budget", "acme-byok-eu-west-1"),
    }
    assert {(k, n) for _, k, n in root} & {(k, n) for _, k, n in stack} == set()


def test_the_first_root_of_an_account_keeps_its_names(project: Path) -> None:
    """Two stacks in one other account: the one listed first is named as if alone (adding the
    second renames nothing that exists), the second carries its Region."""
    second = STACK.replace("stacks:\n", "").replace("eu-west-1", "eu-central-1")
    _with_stack(project, STACK + second.replace("[staging]", "[sandbox]"))
    files = build_tree(project, TODAY).files
    first = _root_names(files, "stacks/444455556666-eu-west-1/")
    later = _root_names(files, "stacks/444455556666-eu-central-1/")
    assert first == {
        ("global", "aws_s3_bucket", "acme-byok-cloudtrail-444455556666"),
        ("global", "aws_s3_bucket", "acme-byok-cloudtrail-access-444455556666"),
        ("account", "aws_iam_role", "acme-byok-cloudtrail-cloudwatch-logs"),
        ("account", "aws_cloudtrail", "acme-byok"),
        ("account", "aws_budgets_budget", "acme-byok"),
    }
    assert later == {
        ("global", "aws_s3_bucket", "acme-byok-eu-central-1-cloudtrail-444455556666"),
        ("global", "aws_s3_bucket", "acme-byok-eu-central-1-cloudtrail-access-444455556666"),
        ("account", "aws_iam_role", "acme-byok-eu-central-1-cloudtrail-cloudwatch-logs"),
        ("account", "aws_cloudtrail", "acme-byok-eu-central-1"),
        ("account", "aws_iam_role", "acme-slack-byok-logs-eu-central-1"),
        ("account", "aws_budgets_budget", "acme-byok-eu-central-1"),
    }


def test_a_log_role_name_too_long_with_the_region(project: Path) -> None:
    """E380 for a vendor's log role: a 31-character vendor (Slack's file, renamed) whose role
    in a stack sharing org.yaml's account would be 65 characters; the trail's name fits."""
    long = "slack-enterprise-key-management"
    vendor = (project / "vendors" / "slack.yaml").read_text().replace("name: slack\n", "", 1)
    (project / "vendors" / f"{long}.yaml").write_text(f"name: {long}\n" + vendor)
    org = project / "org.yaml"
    text = org.read_text().replace("organization: acme\n", "organization: acmecorp\n")
    org.write_text(text.replace("  - vendor: slack\n", f"  - vendor: {long}\n"))
    _with_stack(project, SAME_ACCOUNT.replace("eu-west-1", "ap-southeast-2"))
    line = _line_of(org, "stacks:") + 1
    with pytest.raises(CompileError) as err:
        build_tree(project, TODAY)
    assert [d.render() for d in err.value.diagnostics] == [
        f"org.yaml:{line}:5: E380 stack `111122223333-ap-southeast-2` shares account "
        f"111122223333 with org.yaml's root, so its {long} log role is named with its Region: "
        f"`acmecorp-{long}-byok-logs-ap-southeast-2` is 65 characters, over 64\n"
        "  help: put the stack in an account of its own, or shorten `organization` (which "
        "renames every root's trail and roles)"
    ]


def _line_of(path: Path, text: str) -> int:
    body = path.read_text()
    return body[: body.index(text)].count("\n") + 1


@pytest.mark.terraform
def test_two_roots_in_one_account_validate_offline(project: Path, tmp_path: Path) -> None:
    """The root and the stack that shares its account: `terraform validate` offline (the
    cloudtrail module's own validation of the longer trail name included)."""
    _with_stack(project, SAME_ACCOUNT)
    assert main(["-C", str(project), "generate"]) == 0
    root = copy_root(tmp_path / "root", project / "generated")
    stacks = sorted((root / "generated" / "stacks").iterdir())
    assert [s.name for s in stacks] == ["111122223333-eu-west-1"]
    for n, workdir in enumerate([root, *stacks]):
        env = tf_env(data_dir=tmp_path / f"tfdata{n}")
        init(workdir, env)
        proc = run_tf(["validate", "-no-color"], workdir, 120, env=env)
        assert "Success! The configuration is valid." in proc.stdout, workdir
