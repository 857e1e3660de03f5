"""The optional features of each root in the deployment inventory (render/inventory.py): what
`features.tf` makes of render/features.py's plans through `modules/access-analyzer`, `budget`,
`log-subscription` and `config-rules`, by the identity AWS gives each resource (an analyzer and
a Config rule by name in their account and Region, a budget by name in its account: budgets are
global, an archive rule, a subscription filter or an invoke permission inside its parent)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .features import AnalyzerPlan, ArchiveRule, BudgetPlan, ConfigPlan, Features, SiemPlan
from .inventory_root import RootResources

# modules/config-rules locals.rules: the rule keys
CONFIG_RULES = (
    "key-not-scheduled-for-deletion",
    "key-rotation-enabled",
    "multi-region-trail",
    "security-trail",
)


def _files(root: RootResources, module: str) -> tuple[str, ...]:
    return (f"{root.module_dir}/features.tf", f"modules/{module}/main.tf")


def _analyzer(root: RootResources, a: AnalyzerPlan) -> None:
    """The analyzer; its archive rules are each key's own (`archive_rules`)."""
    if a.create:
        root.add(
            "module.access_analyzer.aws_accessanalyzer_analyzer.this[0]",
            "aws_accessanalyzer_analyzer",
            "analyzer",
            a.name,
            replace_on={"analyzer_name": a.name, "type": a.type},
            files=_files(root, "access-analyzer"),
        )


def rules_by_key(a: AnalyzerPlan | None) -> dict[str, list[ArchiveRule]]:
    """Key name -> its archive rules (none without an analyzer)."""
    out: dict[str, list[ArchiveRule]] = {}
    for rule in a.rules if a is not None else ():
        out.setdefault(rule.key, []).append(rule)
    return out


def archive_rules(root: RootResources, a: AnalyzerPlan, rules: Sequence[ArchiveRule]) -> None:
    """Archive `rules` of analyzer `a` (one key's: render/inventory.py `_key`)."""
    files = _files(root, "access-analyzer")
    for rule in rules:
        root.add(
            f'module.access_analyzer.aws_accessanalyzer_archive_rule.this["{rule.name}"]',
            "aws_accessanalyzer_archive_rule",
            "archive-rule",
            f"{a.name}/{rule.name}",
            replace_on={"analyzer_name": a.name, "rule_name": rule.name},
            files=files,
        )


def _budget(root: RootResources, b: BudgetPlan) -> None:
    root.add(
        "module.budget.aws_budgets_budget.this[0]",
        "aws_budgets_budget",
        "budget",
        b.name,
        region="",  # arn:aws:budgets::<account>:budget/<name>
        replace_on={"name": b.name},
        files=_files(root, "budget"),
    )


def siem_trust_policy(account: str, region: str) -> dict[str, Any]:
    """modules/log-subscription aws_iam_role.this assume_role_policy, as the module builds it."""
    statement = {
        "Sid": "CloudWatchLogsOfThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": "logs.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account},
            "StringLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account}:*"},
        },
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def siem_permissions_policy(destination: str) -> dict[str, Any]:
    """modules/log-subscription aws_iam_role_policy.this policy, as the module builds it."""
    statement = {
        "Sid": "PutIntoThisStreamOnly",
        "Effect": "Allow",
        "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
        "Resource": [destination],
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def _siem(root: RootResources, s: SiemPlan) -> None:
    files = _files(root, "log-subscription")
    lam = ":lambda:" in s.destination_arn
    if not lam:
        root.role(
            "module.siem",
            s.name,
            "put-records-into-siem-stream",
            files,
            trust_policy=siem_trust_policy(root.account, root.region),
            permissions_policy=siem_permissions_policy(s.destination_arn),
        )
    for key, group in s.log_groups:
        root.add(
            f'module.siem.aws_cloudwatch_log_subscription_filter.this["{key}"]',
            "aws_cloudwatch_log_subscription_filter",
            "log-subscription",
            f"{group}:{s.name}",
            replace_on={"log_group_name": group, "name": s.name},
            files=files,
        )
        if lam:
            _invoke_permission(root, s, key, group, files)


def _invoke_permission(
    root: RootResources, s: SiemPlan, key: str, group: str, files: tuple[str, ...]
) -> None:
    sid = f"{s.name}-{key}"
    source = f"arn:aws:logs:{root.region}:{root.account}:log-group:{group}:*"
    root.add(
        f'module.siem.aws_lambda_permission.this["{key}"]',
        "aws_lambda_permission",
        "invoke-permission",
        f"{s.destination_arn}:{sid}",
        replace_on={
            "action": "lambda:InvokeFunction",
            "function_name": s.destination_arn,
            "principal": "logs.amazonaws.com",
            "source_account": root.account,
            "source_arn": source,
            "statement_id": sid,
        },
        files=files,
    )


def _config(root: RootResources, c: ConfigPlan) -> None:
    for key in CONFIG_RULES:
        name = f"{c.name_prefix}-{key}"
        root.add(
            f'module.config_rules.aws_config_config_rule.this["{key}"]',
            "aws_config_config_rule",
            "config-rule",
            name,
            replace_on={"name": name},
            files=_files(root, "config-rules"),
        )


def feature_resources(root: RootResources, plans: Features) -> None:
    """Every feature's resources but the keys' archive rules (`archive_rules`)."""
    if plans.analyzer:
        _analyzer(root, plans.analyzer)
    if plans.budget:
        _budget(root, plans.budget)
    if plans.siem:
        _siem(root, plans.siem)
    if plans.config:
        _config(root, plans.config)
