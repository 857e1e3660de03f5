"""The modules' input validation agrees with the compiler: whatever `byok generate` accepts, the
module it feeds accepts at `terraform plan` (a run that "proved" and then failed at plan is the
bug this guards against: the vendor-log-role module once rejected `_` in an ExternalId, which the
compiler and STS accept).

The rules live in one place, `byok.model.types` (`terraform_validations()` renders them); the
first test checks each module carries exactly the rendered condition, the property tests check
every value the compiler accepts passes the module's regex (read from the module's own text;
Terraform's RE2 and Python's `re` agree on these plain classes and bounded repeats).

STS ExternalId: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html#API_AssumeRole_RequestParameters
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from byok.model.inputs import App, Org, Vendor
from byok.model.types import (
    EXTERNAL_ID_PATTERN,
    IAM_ARN_PATTERN,
    LOGS_ACTION_PATTERN,
    SLUG_PATTERN,
    terraform_validations,
)
from byok.pipeline import load_inputs
from byok.resolve.checks import check_app

REPO = Path(__file__).resolve().parent.parent
MODULES = REPO / "modules"
ORG_NAME_PATTERN = Org.model_fields["organization"].metadata[0].pattern


def _variable_block(module: str, variable: str) -> str:
    text = (MODULES / module / "variables.tf").read_text()
    start = text.index(f'variable "{variable}" {{')
    end = text.find('\nvariable "', start + 1)
    return text[start : end if end > 0 else len(text)]


def _module_regex(module: str, variable: str, operand: str | None = None) -> re.Pattern[str]:
    """The regex a module's validation applies to `operand` (default `var.<variable>`)."""
    block = _variable_block(module, variable)
    operand = operand or f"var.{variable}"
    found = re.findall(r'can\(regex\("((?:[^"\\]|\\.)*)", ' + re.escape(operand) + r"\)\)", block)
    assert len(found) == 1, f"{module}.{variable}: {found}"
    return re.compile(found[0].replace("\\\\", "\\"))


def test_modules_carry_the_compilers_rules() -> None:
    for (module, variable), condition in terraform_validations().items():
        block = _variable_block(module, variable)
        lines = [ln.strip() for ln in block.splitlines() if ln.strip().startswith("condition")]
        assert f"condition     = {condition}" in lines, f"{module}.{variable}: {lines}"


def test_external_id_rule_accepts_underscore_and_rejects_space() -> None:
    assert re.fullmatch(EXTERNAL_ID_PATTERN, "acme_slack-EKM+=,.@:/09")
    assert not re.fullmatch(EXTERNAL_ID_PATTERN, "acme slack")
    assert not re.fullmatch(EXTERNAL_ID_PATTERN, "x")
    ext = _module_regex("vendor-log-role", "external_id")
    assert ext.fullmatch("acme_slack")


@cache
def _inputs() -> tuple[Org, App, Vendor]:
    org, vendors = load_inputs(REPO)
    app = next(a for a in org.apps if a.vendor == "slack")
    return org, app, vendors["slack"]


def _compiler_accepts_external_id(value: str) -> bool:
    """What `byok generate` decides for this ExternalId in the shipped org.yaml (its real checks:
    the vendor's pattern and the STS rule)."""
    org, app, vendor = _inputs()
    params = {**app.parameters, "external_id": value}
    candidate = app.model_copy(update={"parameters": params})
    diags = check_app(org, candidate, vendor, date(2026, 11, 23))
    return not any(d.severity == "error" for d in diags)


def _module_accepts_external_id(value: str) -> bool:
    block = _variable_block("vendor-log-role", "external_id")
    lo, hi = (int(n) for n in re.findall(r"length\(var\.external_id\) [<>]= (\d+)", block))
    return lo <= len(value) <= hi and bool(
        _module_regex("vendor-log-role", "external_id").fullmatch(value)
    )


@given(
    st.one_of(
        st.from_regex(EXTERNAL_ID_PATTERN, fullmatch=True),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
        st.text(max_size=12),
    )
)
def test_every_external_id_the_compiler_accepts_the_module_accepts(value: str) -> None:
    if _compiler_accepts_external_id(value):
        assert _module_accepts_external_id(value), value


def test_the_compiler_refuses_what_sts_refuses() -> None:
    """A vendor pattern looser than STS does not let a bad ExternalId through (E330)."""
    assert _compiler_accepts_external_id("acme_slack-ekm")
    assert not _compiler_accepts_external_id("acme slack")


@given(st.from_regex(IAM_ARN_PATTERN, fullmatch=True))
def test_every_principal_arn_the_compiler_accepts_the_modules_accept(arn: str) -> None:
    assert _module_regex("vendor-log-role", "trusted_principal_arns", "a").fullmatch(arn)
    assert _module_regex("cloudtrail", "break_glass_role_arn").fullmatch(arn)


@given(st.from_regex(LOGS_ACTION_PATTERN, fullmatch=True))
def test_every_logs_action_the_compiler_accepts_the_module_accepts(action: str) -> None:
    assert _module_regex("vendor-log-role", "actions", "a").fullmatch(action)


@given(st.from_regex(ORG_NAME_PATTERN, fullmatch=True), st.from_regex(SLUG_PATTERN, fullmatch=True))
def test_every_derived_name_the_compiler_writes_the_modules_accept(org: str, app: str) -> None:
    """Names render/tree.py derives from the organization and vendor names (role, log group, trail,
    alarm prefix) pass the validation of the module that receives them."""
    assert _module_regex("vendor-log-role", "name").fullmatch(f"{org}-{app}-byok-logs")
    assert _module_regex("vendor-log-role", "log_group_name").fullmatch(f"/byok/{org}/{app}")
    assert _module_regex("cloudtrail", "name").fullmatch(f"{org}-byok")
    assert _module_regex("key-alarms", "name_prefix").fullmatch(f"{org}-byok")
