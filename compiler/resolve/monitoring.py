"""Checks of org.yaml's `alarms:` and `trail:` (issue 24), for the resolve stage: the alarms
notify someone (E368), and an existing trail or topic is one of the repository root's account and
Region (E369): its metric filters and alarms are created there, and a CloudWatch alarm notifies
only a topic of its own Region (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
AlarmThatSendsEmail.html); a trail delivers to a log group of its home Region."""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic
from ..model.inputs import Org


def check_monitoring(org: Org) -> Iterator[Diagnostic]:
    alarms, trail = org.alarms, org.trail
    if alarms.emails is None and alarms.topic_arn is None:
        yield Diagnostic.make(
            "E368",
            "the alarms notify nobody: `alarms` needs `emails`, `topic_arn` (an existing SNS "
            "topic), or both",
            org.where.at("alarms", key=True),
            "add `emails: [secops@example.com]`",
        )
    if alarms.emails is None and alarms.topic_arn is not None and org.stacks:
        yield Diagnostic.make(
            "E368",
            "the stacks' alarms notify nobody: `alarms.topic_arn` is the repository root's "
            "topic, and each stack creates its own alarm topic for `alarms.emails`",
            org.where.at("alarms", key=True),
            "add `emails: [...]` for the stacks' topics",
        )
    found = [("topic_arn", alarms.where, alarms.topic_arn)]
    if trail.existing is not None:
        found.append(("arn", trail.existing.where, trail.existing.arn))
    for field, where, arn in found:
        if arn is None:
            continue
        region, account = arn.split(":")[3:5]
        if (account, region) != (org.account_id, org.region):
            yield Diagnostic.make(
                "E369",
                f"`{arn}` is in account {account}, Region {region}, not org.yaml's "
                f"({org.account_id}, {org.region}), where the alarms are created",
                where.at(field),
                "name the trail or topic of org.yaml's account and Region, or leave it out "
                "(byok then creates its own)",
            )
