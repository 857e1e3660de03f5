"""The optional AWS features around the keys (org.yaml `access_analyzer`, `budget`, `siem`,
`config_rules`; model/features.py), as typed plans per Terraform root and the `features.tf` that
calls their modules (`access-analyzer`, `budget`, `log-subscription`, `config-rules`).

Each plan is computed from the compiled root alone, so the repository root and every stack get
their own: an analyzer and budget in each account, archive rules for the root's keys only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..compile import Compiled
from ..model import Org
from ..resolve.features import siem_place
from ..resolve.stacks import name_suffix, trail_name
from . import cost
from .hcl import HclValue

# An Access Analyzer criterion takes at most 20 values: a key with more values gets more rules.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-quotas.html
RULE_VALUES = 20


@dataclass(frozen=True)
class ArchiveRule:
    name: str
    key: str  # the key (by name) whose findings it archives
    principals: tuple[str, ...]  # principal.AWS values, sorted


@dataclass(frozen=True)
class AnalyzerPlan:
    name: str
    create: bool  # False: the archive rules attach to the existing analyzer `name`
    type: str
    rules: tuple[ArchiveRule, ...]


@dataclass(frozen=True)
class BudgetPlan:
    name: str
    limit_usd: int
    estimated: bool  # the limit is `byok cost`'s estimate (org.yaml gives none)
    services: tuple[str, ...]
    actual_threshold_percent: int
    forecast_threshold_percent: int


@dataclass(frozen=True)
class SiemPlan:
    name: str
    destination_arn: str
    filter_pattern: str
    log_groups: tuple[tuple[str, str], ...]  # (stable key, log group name); trail first


@dataclass(frozen=True)
class ConfigPlan:
    name_prefix: str
    maximum_execution_frequency: str


@dataclass(frozen=True)
class Features:
    analyzer: AnalyzerPlan | None
    budget: BudgetPlan | None
    siem: SiemPlan | None
    config: ConfigPlan | None

    def __bool__(self) -> bool:
        return any((self.analyzer, self.budget, self.siem, self.config))


def finding_principals(principal: str) -> tuple[str, ...]:
    """How an Access Analyzer finding may name `principal` in `principal.AWS`: an account root
    both as its 12-digit id and as its ARN (findings name accounts by id), anything else as is.

    >>> finding_principals("arn:aws:iam::152659312504:root")
    ('152659312504', 'arn:aws:iam::152659312504:root')
    """
    parts = principal.split(":")
    if len(parts) == 6 and parts[2] == "iam" and parts[5] == "root":
        return (parts[4], principal)
    return (principal,)


def _rules(compiled: Compiled, prefix: str) -> tuple[ArchiveRule, ...]:
    out = []
    for ck in sorted(compiled.keys, key=lambda c: c.key.name):
        values = sorted({v for p in ck.key.principals for v in finding_principals(p)})
        chunks = [values[i : i + RULE_VALUES] for i in range(0, len(values), RULE_VALUES)]
        for n, chunk in enumerate(chunks, 1):
            name = f"{prefix}-{ck.key.name}" + (f"-{n}" if n > 1 else "")
            out.append(ArchiveRule(name, ck.key.name, tuple(chunk)))
    return tuple(out)


def _analyzer(compiled: Compiled, prefix: str) -> AnalyzerPlan | None:
    aa = compiled.resolved.org.access_analyzer
    if not aa.enabled:
        return None
    name = aa.existing_analyzer or prefix
    return AnalyzerPlan(name, aa.existing_analyzer is None, aa.type, _rules(compiled, prefix))


def _budget(compiled: Compiled, prefix: str) -> BudgetPlan | None:
    org = compiled.resolved.org
    b = org.budget
    if b is None:
        return None
    lines = cost.estimate(
        cost.resources([compiled]),
        retention_days=org.trail.log_retention_days,
        emails=len(org.alarms.addresses),
        a=cost.Assumptions(),
    )
    limit = b.limit_usd or cost.budget_limit(lines, b.services)
    return BudgetPlan(
        prefix,
        limit,
        b.limit_usd is None,
        tuple(sorted(set(b.services))),
        b.actual_threshold_percent,
        b.forecast_threshold_percent,
    )


def _siem(compiled: Compiled, prefix: str) -> SiemPlan | None:
    org = compiled.resolved.org
    s = org.siem
    # Only the root in the destination's account and Region (E381 makes that org.yaml's root).
    if s is None or siem_place(s.destination_arn) != (org.account_id, org.region):
        return None
    groups = [("trail", f"/aws/cloudtrail/{prefix}")]
    groups += [
        (f"vendor-{lg.app}", f"/byok/{org.organization}/{lg.app}")
        for lg in compiled.resolved.logging
    ]
    return SiemPlan(f"{prefix}-siem", s.destination_arn, s.filter_pattern, tuple(groups))


def features(compiled: Compiled, suffix: str = "") -> Features:
    """The plans of one root; `suffix` as for `resolve.stacks.trail_name`."""
    org = compiled.resolved.org
    prefix = trail_name(org.organization, suffix)
    config = org.config_rules
    return Features(
        analyzer=_analyzer(compiled, prefix),
        budget=_budget(compiled, prefix),
        siem=_siem(compiled, prefix),
        config=ConfigPlan(prefix, config.maximum_execution_frequency) if config else None,
    )


def rule_value(r: ArchiveRule) -> dict[str, HclValue]:
    """An archive rule's value in features.tf's `archive_rules`."""
    return {"key": r.key, "principals": list(r.principals)}


def features_locals(
    f: Features, rule: Callable[[ArchiveRule], HclValue] = rule_value
) -> dict[str, HclValue]:
    """The `locals` of features.tf: every value a literal (hcl.py writes them); `rule`: each
    archive rule's value (render/pieces.py gives it written already)."""
    out: dict[str, HclValue] = {}
    if f.analyzer:
        a = f.analyzer
        out["access_analyzer"] = {
            "name": a.name,
            "create": a.create,
            "type": a.type,
            "archive_rules": {r.name: rule(r) for r in a.rules},
        }
    if f.budget:
        b = f.budget
        out["budget"] = {
            "name": b.name,
            "limit_usd": b.limit_usd,
            "services": list(b.services),
            "actual_threshold_percent": b.actual_threshold_percent,
            "forecast_threshold_percent": b.forecast_threshold_percent,
        }
    if f.siem:
        s = f.siem
        out["siem"] = {
            "name": s.name,
            "destination_arn": s.destination_arn,
            "filter_pattern": s.filter_pattern,
            "log_groups": dict(s.log_groups),
        }
    if f.config:
        out["config_rules"] = {
            "name_prefix": f.config.name_prefix,
            "maximum_execution_frequency": f.config.maximum_execution_frequency,
        }
    return out


def _codes(values: tuple[str, ...]) -> str:
    return ", ".join(f"`{v}`" for v in values)


def _analyzer_lines(a: AnalyzerPlan) -> list[str]:
    how = "created here" if a.create else "the account's existing analyzer"
    return [
        f"- IAM Access Analyzer `{a.name}` ({a.type} zone of trust, {how}): one archive rule "
        "per key for exactly the vendor principals it grants; any other principal outside "
        "the zone of trust on a key stays an active finding (`byok audit --access-analyzer` "
        "reports it with the key's name). Archive rules archive new findings only, and the "
        "analyzer sees its own Region: replicas in other Regions are not analysed here. The "
        "vendors' log roles, which trust the vendor's account, are external access too: "
        "their findings (IAM roles) are not archived and not reported by `byok audit`.",
        *(f"  - `{r.name}`: `{r.key}`: {_codes(r.principals)}" for r in a.rules),
    ]


def _budget_lines(b: BudgetPlan) -> list[str]:
    src = "the estimate below, rounded up" if b.estimated else "org.yaml `budget.limit_usd`"
    return [
        f"- AWS Budgets `{b.name}`: ${b.limit_usd} a month ({src}) on "
        f"{', '.join(b.services)}, e-mailing org.yaml's alarm addresses when the month's "
        f"actual spend exceeds {b.actual_threshold_percent}% of it or its forecast spend "
        f"{b.forecast_threshold_percent}%. It counts the whole account's spend on these "
        "services, not only byok's."
    ]


def access_section(f: Features) -> list[str]:
    """ACCESS.md's account of the features of one root, with what each does not cover."""
    lines = _analyzer_lines(f.analyzer) if f.analyzer else []
    lines += _budget_lines(f.budget) if f.budget else []
    if f.siem:
        s = f.siem
        groups = ", ".join(f"`{g}`" for _, g in s.log_groups)
        lines.append(
            f"- SIEM: {groups} subscribed to `{s.destination_arn}` (filter "
            f"`{s.filter_pattern or 'every event'}`), with only the access that delivery needs."
        )
    if f.config:
        lines.append(
            f"- AWS Config rules `{f.config.name_prefix}-*`: key rotation on, these keys not "
            "pending deletion, a multi-Region trail into this bucket and log group, a trail "
            f"meeting AWS's security checks ({f.config.maximum_execution_frequency}); they need "
            "the account's own AWS Config recorder."
        )
    return lines


def around_section(org: Org, roots: Sequence[Compiled]) -> str:
    """ACCESS.md's "Around the keys": each root's features (`org`: org.yaml's organization)."""
    around: list[str] = []
    for root in roots:
        where = root.resolved.org
        lines = access_section(features(root, name_suffix(org, where.account_id, where.region)))
        if lines and len(roots) > 1:
            around.append(f"- Terraform root in account `{where.account_id}`, `{where.region}`:")
            lines = ["  " + line for line in lines]
        around += lines
    return "\n## Around the keys\n\n" + "\n".join(around) + "\n" if around else ""
