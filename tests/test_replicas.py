"""Multi-Region replicas (`key.replica_regions`): validation (E340-E343), the rendered
`generated/replicas.tf` (one provider alias and one `aws_kms_replica_key` per Region, each with
the primary's policy file), the E530 check on the rendered text, and the handoff.

KMS does not copy a key policy to a replica, nor later changes of the primary's policy:
https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-replicate.html
(and "Updating the key policy of a multi-Region key" in multi-region-keys-manage.html).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byok.diagnostics import CompileError
from byok.pipeline import build_tree
from byok.render.replicas import POLICY_EXPR
from byok.verify import check_replica_policies
from tests.test_golden import TODAY

SHIPPED = "      replica_regions: [us-west-2]\n"
ZOOM_KEY = "      deletion_window_days: 30\n"  # the Zoom app's key options in the shipped org.yaml


@pytest.fixture
def project(project: Path) -> Path:
    """The shipped project with Zoom's key replicated to us-west-2 (as `make e2e` applies it)."""
    org = project / "org.yaml"
    text = org.read_text()
    assert text.count(ZOOM_KEY) == 1
    org.write_text(text.replace(ZOOM_KEY, ZOOM_KEY + SHIPPED))
    return project


def _regions(project: Path, line: str, extra: str = "") -> None:
    org = project / "org.yaml"
    text = org.read_text()
    assert text.count(SHIPPED) == 1
    org.write_text(text.replace(SHIPPED, line + extra))


def _errors(project: Path) -> list[str]:
    with pytest.raises(CompileError) as err:
        build_tree(project, TODAY)
    return [d.render() for d in err.value.diagnostics]


def _line() -> int:
    text = (Path(__file__).resolve().parents[1] / "org.yaml").read_text()
    return text[: text.index(ZOOM_KEY)].count("\n") + 2


def test_zoom_replica_is_rendered_with_the_primary_policy(project: Path) -> None:
    files = build_tree(project, TODAY).files
    text = files["replicas.tf"].decode()
    assert (
        'provider "aws" {\n  alias               = "us_west_2"\n'
        '  region              = "us-west-2"\n'
        "  allowed_account_ids = [local.account_id]\n}"
    ) in text
    assert 'resource "aws_kms_replica_key" "us_west_2" {' in text
    assert 'for_each = toset(["zoom-prod"])' in text
    assert f"  policy                             = {POLICY_EXPR}\n" in text
    assert f"  policy                  = {POLICY_EXPR}\n" in files["main.tf"].decode()
    assert "prevent_destroy = true" in text
    handoff = files["handoff/zoom-prod.md"].decode()
    assert (
        "- replica key ARN in `us-west-2`: `terraform output -json handoff | jq -r "
        '\'.["zoom-prod"].replica_key_arns["us-west-2"]\'` (alias `alias/acme-zoom-prod` there '
        "too)\n"
    ) in handoff
    assert "replica_key_arns          = try(local.replica_key_arns[k], {})" in (
        files["outputs.tf"].decode()
    )


def test_no_replicas_no_file(project: Path) -> None:
    _regions(project, "")
    files = build_tree(project, TODAY).files
    assert "replicas.tf" not in files
    assert "replica_key_arns" not in files["outputs.tf"].decode()


def test_replica_in_the_primary_region_is_refused(project: Path) -> None:
    _regions(project, "      replica_regions: [eu-west-1, us-east-1]\n")
    line = _line()
    assert _errors(project) == [
        f"org.yaml:{line}:36: E340 replica Region `us-east-1` is the primary key's Region "
        "(org.yaml `region`)\n  help: a multi-Region key has at most one key per Region; "
        "list other Regions"
    ]


def test_duplicate_replica_region_is_refused(project: Path) -> None:
    _regions(project, "      replica_regions: [eu-west-1, eu-west-1]\n")
    assert _errors(project) == [
        f"org.yaml:{_line()}:36: E341 replica Region `eu-west-1` listed twice"
    ]


def test_not_a_region_is_refused(project: Path) -> None:
    _regions(project, "      replica_regions: [mars-north-1]\n")
    (msg,) = _errors(project)
    assert msg.startswith(f"org.yaml:{_line()}:25: E")
    assert "an AWS region such as `us-east-1`" in msg


def test_replicas_of_a_single_region_key_are_refused(project: Path) -> None:
    _regions(project, "")
    org = project / "org.yaml"
    text = org.read_text()
    slack = "    parameters:\n      external_id: acme-slack-ekm-7Q2W9\n"
    org.write_text(text.replace(slack, slack + "    key:\n      replica_regions: [eu-west-1]\n"))
    line = text[: text.index(slack)].count("\n") + 4
    assert _errors(project) == [
        f"org.yaml:{line}:24: E342 `slack` key is not multi-Region: it cannot have replicas\n"
        "  help: set `multi_region: true` on the app's key (only at creation: AWS cannot "
        "convert a single-Region key)"
    ]


def test_replicas_of_imported_material_are_refused(project: Path) -> None:
    _regions(project, SHIPPED, "      imported_key_material: true\n")
    assert _errors(project) == [
        f"org.yaml:{_line()}:24: E343 `zoom` key has imported key material: replicas are not "
        "supported\n  help: each replica of an EXTERNAL key needs the same material imported "
        "separately; use AWS-generated material for a replicated key"
    ]


def test_check_fails_on_another_policy_expression(project: Path) -> None:
    result = build_tree(project, TODAY)
    files = dict(result.files)
    other = POLICY_EXPR.replace("${each.key}", "slack-prod")
    files["replicas.tf"] = files["replicas.tf"].replace(POLICY_EXPR.encode(), other.encode())
    (diag,) = check_replica_policies(result.compiled, files)
    assert diag.render() == (
        f"org.yaml:{_line()}:24: E530 replicas in `us-west-2` are rendered with policy `{other}`, "
        f"not the primary's `{POLICY_EXPR}`"
    )


def test_check_fails_on_a_missing_replica(project: Path) -> None:
    result = build_tree(project, TODAY)
    files = dict(result.files)
    files["replicas.tf"] = files["replicas.tf"].replace(b'toset(["zoom-prod"])', b"toset([])")
    (diag,) = check_replica_policies(result.compiled, files)
    assert diag.render() == (
        f"org.yaml:{_line()}:24: E530 replicas in `us-west-2`: rendered [], "
        "org.yaml lists ['zoom-prod']"
    )
    del files["replicas.tf"]
    assert [d.code for d in check_replica_policies(result.compiled, files)] == ["E530"]


REGIONS = ["us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ca-central-1"]


@given(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=4, unique=True))
def test_every_listed_region_gets_a_replica_with_the_primary_policy(regions: list[str]) -> None:
    """Whatever Regions are listed, each gets exactly one provider and one replica resource of
    the key, with the primary's policy expression, and the E530 check passes."""
    import tempfile

    from tests.conftest import copy_inputs

    with tempfile.TemporaryDirectory() as tmp:
        project = copy_inputs(Path(tmp) / "p", with_generated=False)
        org = project / "org.yaml"
        org.write_text(org.read_text().replace(ZOOM_KEY, ZOOM_KEY + SHIPPED))
        _regions(project, f"      replica_regions: [{', '.join(regions)}]\n")
        result = build_tree(project, TODAY)
        text = result.files["replicas.tf"].decode()
        for region in regions:
            ident = region.replace("-", "_")
            assert text.count(f'  region              = "{region}"\n') == 1
            assert text.count(f'resource "aws_kms_replica_key" "{ident}" {{') == 1
        assert text.count(f"policy                             = {POLICY_EXPR}") == len(regions)
        assert check_replica_policies(result.compiled, result.files) == []
