"""Checks of org.yaml's optional AWS features (model/features.py) against the rest of org.yaml.

E381: CloudWatch Logs delivers a subscription filter straight to a Firehose stream or a Lambda
function only in the log groups' own account and Region; another account needs a CloudWatch
Logs destination, which byok does not create.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..diagnostics import Diagnostic
from ..model import Org
from ..model.features import SIEM_ARN_PATTERN


def siem_place(arn: str) -> tuple[str, str]:
    """(account, Region) of a SIEM destination ARN the model accepted.

    >>> siem_place("arn:aws:firehose:eu-west-1:111122223333:deliverystream/siem")
    ('111122223333', 'eu-west-1')
    """
    m = re.match(SIEM_ARN_PATTERN, arn)
    assert m is not None, arn
    region, account = (m.group(3), m.group(4)) if m.group(3) else (m.group(5), m.group(6))
    return account, region


def check_features(org: Org) -> Iterator[Diagnostic]:
    if org.siem is None:
        return
    account, region = siem_place(org.siem.destination_arn)
    if (account, region) != (org.account_id, org.region):
        yield Diagnostic.make(
            "E381",
            f"siem destination is in account {account}, Region {region}; the log groups are in "
            f"org.yaml's account {org.account_id}, Region {org.region}",
            org.siem.where.at("destination_arn"),
            "name a Firehose stream or Lambda function of org.yaml's account and Region (for "
            "another account, forward from one there)",
        )
