"""Stage 2, model: org.yaml's `alarms:` and `trail:` (issue 24): the CIS v3.0.0 alarm set, an
existing SNS topic or trail of the account's baseline, Insights, Object Lock and the trail
bucket's access-log bucket. `Org` (inputs.py) holds one of each."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import Model
from .types import NOT_BOOL, Email

# https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html (names: 1-256 of A-Za-z0-9_-)
SnsTopicArn = Annotated[
    str,
    Field(
        pattern=r"^arn:aws(-cn|-us-gov)?:sns:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:[A-Za-z0-9_-]{1,256}$"
    ),
]
# https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html (Name)
TrailArn = Annotated[
    str,
    Field(
        pattern=r"^arn:aws(-cn|-us-gov)?:cloudtrail:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:trail/"
        r"[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$"
    ),
]
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
LogGroupName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_/.#-]{1,512}$")]
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
BucketName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]


class Alarms(Model):
    """Who the alarms notify: `emails` (subscribed to the alarm topic), and/or an existing SNS
    topic of the repository root's account and Region (`topic_arn`; E368 without either).
    `cis`: CIS AWS Foundations Benchmark v3.0.0 section 4, the `default` set (key access and its
    evidence) or `all` (modules/key-alarms/controls.json)."""

    emails: Annotated[tuple[Email, ...], Field(min_length=1)] | None = None
    topic_arn: SnsTopicArn | None = None
    cis: Literal["default", "all"] = "default"

    @property
    def addresses(self) -> tuple[str, ...]:
        """The email addresses subscribed (none: only the existing topic's own subscribers)."""
        return tuple(self.emails or ())


class ExistingTrail(Model):
    """A trail the account already has (its baseline's, or the organization trail), used instead
    of creating one: its ARN and the CloudWatch Logs group it delivers to, both in the repository
    root's account and Region (E369)."""

    arn: TrailArn
    log_group_name: LogGroupName


class ObjectLock(Model):
    mode: Literal["GOVERNANCE", "COMPLIANCE"]
    days: Annotated[int, Field(ge=1, le=36500)]


class Trail(Model):
    log_retention_days: Annotated[
        Literal[
            1,
            3,
            5,
            7,
            14,
            30,
            60,
            90,
            120,
            150,
            180,
            365,
            400,
            545,
            731,
            1096,
            1827,
            2192,
            2557,
            2922,
            3288,
            3653,
        ],
        NOT_BOOL,
    ] = 365
    insights: bool = True  # CloudTrail Insights (billed per event analysed)
    existing: ExistingTrail | None = None
    object_lock: ObjectLock | None = None  # on the trail bucket created here
    access_log_bucket: BucketName | None = None  # an existing bucket for its access logs
