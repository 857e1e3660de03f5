"""Stage 2, model: what the inputs say beyond the key policies. In a vendor file: the data the
vendor keeps under its own keys (`not_covered`) and how a revocation behaves on its side
(`revocation.takes_effect`, `data_key_caching`, `restore`); no proof covers them, so they are
shown with their sources. In org.yaml: the optional AWS features around the keys."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import Fact, Model
from .types import Text


class Behaviour(Fact):
    """What the vendor documents about one aspect of revocation and recovery, in words
    (`description`); `verified: false` when the source does not state it outright. Shown in
    ACCESS.md, the handoff sheet and `generate`'s "not proved" lines: no proof covers it."""

    description: Text


class NotCovered(Fact):
    """Data the vendor keeps under its own keys, not the customer's key: revoking or deleting
    the key does not make it unreadable to the vendor."""

    data: Text


# --------------------------------------------------------------------------- org.yaml features

# CreateAnalyzer `analyzerName`: [A-Za-z][A-Za-z0-9_.-]*, 1-255 characters.
# https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CreateAnalyzer.html
AnalyzerName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,254}$")]


class AccessAnalyzer(Model):
    """IAM Access Analyzer (external access) with an archive rule per key for exactly the vendor
    principals the catalog grants: any other external principal on a key stays an active
    finding (`byok audit --access-analyzer` reports it). On unless `enabled: false`."""

    enabled: bool = True
    # ORGANIZATION: only in the Organizations management or delegated administrator account.
    type: Literal["ACCOUNT", "ORGANIZATION"] = "ACCOUNT"
    # The account's existing analyzer (an account has at most one account-level analyzer per
    # Region): the archive rules attach to it and none is created.
    existing_analyzer: AnalyzerName | None = None


# Cost Explorer's SERVICE dimension values, as `aws ce get-dimension-values --dimension SERVICE`
# prints them.
CostService = Annotated[str, Field(pattern=r"^[A-Za-z0-9 ()&./-]{2,100}$")]
BUDGET_SERVICES = ("AWS CloudTrail", "AWS Key Management Service", "AmazonCloudWatch")


class Budget(Model):
    """An AWS Budgets cost budget on the account's KMS, CloudTrail and CloudWatch (Logs) spend,
    e-mailing the alarm addresses. `limit_usd` absent: the month's estimate of those services
    (`byok cost`, default assumptions), rounded up to whole dollars."""

    limit_usd: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    actual_threshold_percent: Annotated[int, Field(ge=1, le=1000)] = 100
    forecast_threshold_percent: Annotated[int, Field(ge=1, le=1000)] = 100
    services: Annotated[tuple[CostService, ...], Field(min_length=1)] = BUDGET_SERVICES


# A Firehose delivery stream or a Lambda function (optionally a version or alias), which a
# subscription filter delivers to directly (same account and Region as the log groups).
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
SIEM_ARN_PATTERN = (
    r"^arn:aws(-cn|-us-gov)?:(firehose:([a-z0-9-]+):([0-9]{12}):deliverystream/[A-Za-z0-9_.-]{1,64}"
    r"|lambda:([a-z0-9-]+):([0-9]{12}):function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?)$"
)


class Siem(Model):
    """Subscribe the trail's and the vendors' log groups (of org.yaml's account and Region) to
    the organization's SIEM entry point, with the least privilege it needs."""

    destination_arn: Annotated[str, Field(pattern=SIEM_ARN_PATTERN)]
    # A CloudWatch Logs filter pattern; empty: every event.
    filter_pattern: Annotated[str, Field(max_length=1024)] = ""


class ConfigRules(Model):
    """AWS Config managed rules for key rotation, key deletion and the trail, for accounts that
    record with AWS Config (its recorder is not created here)."""

    maximum_execution_frequency: Literal[
        "One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"
    ] = "TwentyFour_Hours"
