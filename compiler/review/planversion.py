"""Which plans `byok check-plan` judges: the Terraform and AWS provider versions it knows.

- Plan format (`format_version`): major 1 only. Terraform's JSON output format promises that
  a new major version "indicates an incompatible change"
  (https://developer.hashicorp.com/terraform/internals/json-format#format-summary).
- Terraform (`terraform_version`): 1.x only (the root's `required_version` is `>= 1.5.7`; the
  plan fields read here are those of Terraform 1.x).
- AWS provider: hashicorp/aws 5.x only, the major version `.terraform.lock.hcl` pins (5.100.0)
  and the one `deployment.FORCES_REPLACEMENT`, the attribute names read here and the
  PendingDeletion behaviour (a key pending deletion leaves the state at refresh) were read
  from. The plan JSON does not record provider versions, so two things are checked: the root's
  `.terraform.lock.hcl` when present, and the plan's own resources: provider 6.0 added a
  `region` argument to every resource (CHANGELOG 6.0.0, #43075), which no `aws_kms_key`,
  `aws_kms_alias` or `aws_cloudwatch_log_group` of 5.x has.

A plan of another version is refused (exit 1) with the reason, never judged by guess.
"""

from __future__ import annotations

import re

from .planfile import Plan, PlanError

PROVIDER = "hashicorp/aws"
PROVIDER_MAJOR = 5
_LOCK = re.compile(
    r'provider\s+"[^"]*/hashicorp/aws"\s*\{[^}]*?\bversion\s*=\s*"(\d+)\.([^"]*)"', re.DOTALL
)
# Resource types that have no `region` attribute in hashicorp/aws 5.x (6.x adds one to all).
_NO_REGION_IN_5 = ("aws_kms_key", "aws_kms_alias", "aws_cloudwatch_log_group", "aws_iam_role")


def _major(version: str) -> str:
    return version.split(".", 1)[0].lstrip("v")


def check_versions(plan: Plan, lock_text: str | None, lock_name: str) -> None:
    """Raise `PlanError` for a plan this byok does not judge."""
    if _major(plan.format_version) != "1":
        raise PlanError(
            plan.where(("format_version",)),
            f"plan format {plan.format_version}: byok check-plan reads Terraform's JSON plan "
            "format 1.x (a new major version is an incompatible change)",
        )
    if _major(plan.terraform_version) != "1":
        raise PlanError(
            plan.where(("terraform_version",)),
            f"made with Terraform {plan.terraform_version}: byok check-plan judges plans of "
            "Terraform 1.x",
        )
    _check_provider(plan, lock_text, lock_name)


def _check_provider(plan: Plan, lock_text: str | None, lock_name: str) -> None:
    for c in (*plan.changes, *plan.drift):
        if not c.type.startswith("aws_"):
            continue
        if c.provider and not c.provider.endswith(f"/{PROVIDER}"):
            raise PlanError(
                plan.where((*c.path, "provider_name")),
                f"`{c.address}` is managed by provider `{c.provider}`: byok check-plan judges "
                f"plans of {PROVIDER}",
            )
        values = c.after or c.before or {}
        if c.type in _NO_REGION_IN_5 and "region" in values:
            raise PlanError(
                plan.where(c.path),
                f"`{c.address}` has a `region` argument, which {PROVIDER} added to every "
                f"resource in 6.0: byok check-plan judges plans of {PROVIDER} "
                f"{PROVIDER_MAJOR}.x (the version .terraform.lock.hcl pins)",
            )
    m = _LOCK.search(lock_text or "")
    if m and m.group(1) != str(PROVIDER_MAJOR):
        raise PlanError(
            f"{lock_name}:{lock_text[: m.start()].count(chr(10)) + 1 if lock_text else 1}:1",
            f"the root locks {PROVIDER} {m.group(1)}.{m.group(2)}: byok check-plan judges plans "
            f"of {PROVIDER} {PROVIDER_MAJOR}.x (forces-replacement attributes and the "
            "PendingDeletion behaviour it relies on were read from 5.100.0)",
        )
