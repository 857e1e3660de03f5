"""Several accounts (`stacks:` in org.yaml): which account and Region each environment's keys
live in, and the checks of the stacks.

An environment no stack lists stays in org.yaml `account_id` and `region` (the repository root,
one `terraform apply`). A key in a stack is resolved against a copy of the organization with
that stack's account, Region, key administrators and break-glass role, so its policy, proofs and
handoff name that account.

Every root has its own trail, alarms and vendor log roles. A stack in an account that another
root already deploys to (org.yaml's, or a stack listed before it) gives those its own names, with
its Region (`name_suffix`): S3 bucket names are global and IAM role names unique in an account,
so the same names would fail the second `terraform apply` (BucketAlreadyOwnedByYou,
EntityAlreadyExists), or in us-east-1, where S3 answers success for a bucket its account owns,
let it take over the first's bucket; a multi-Region trail is listed by name in every Region.
The first root of an account keeps the names it always had.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
"""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic
from ..model.inputs import Org, Stack

TRAIL_NAME_MAX = 32  # modules/cloudtrail var.name: its bucket and role names stay within AWS's
ROLE_NAME_MAX = 64  # IAM role names


def stack_of(org: Org, env: str) -> Stack | None:
    return next((s for s in org.stacks if env in s.environments), None)


def key_org(org: Org, env: str) -> Org:
    """The organization as a key of `env` sees it (its stack's account and Region)."""
    stack = stack_of(org, env)
    if stack is None:
        return org
    return org.model_copy(
        update={
            "account_id": stack.account_id,
            "region": stack.region,
            "key_administrators": stack.key_administrators,
            "break_glass": stack.break_glass,
        }
    )


def stack_id(account_id: str, region: str) -> str:
    """The directory of a stack under `generated/stacks/`.

    >>> stack_id("444455556666", "eu-west-1")
    '444455556666-eu-west-1'
    """
    return f"{account_id}-{region}"


def check_stacks(org: Org) -> Iterator[Diagnostic]:
    seen_ids = {stack_id(org.account_id, org.region)}
    seen_envs: set[str] = set()
    for i, s in enumerate(org.stacks):
        where = org.where.at("stacks", i)
        sid = stack_id(s.account_id, s.region)
        if sid in seen_ids:
            yield Diagnostic.make(
                "E347",
                f"stack `{sid}` is declared twice (or is org.yaml's own account and Region)",
                where,
                help="list each environment once, in the stack of its account and Region",
            )
        seen_ids.add(sid)
        for j, env in enumerate(s.environments):
            if env in seen_envs:
                yield Diagnostic.make(
                    "E348", f"environment `{env}` is in two stacks", s.where.at("environments", j)
                )
            seen_envs.add(env)
        people = [*s.key_administrators, *([s.break_glass] if s.break_glass else [])]
        for arn in people:
            if arn.split(":")[4] != s.account_id:
                yield Diagnostic.make(
                    "E349",
                    f"stack `{sid}`: `{arn}` is not in the stack's account {s.account_id}",
                    where,
                    help="a key's administrators and break-glass role are roles of its account",
                )


def _first_of_account(org: Org, account_id: str, region: str) -> str | None:
    """The root before the one at `account_id`/`region` in the same account (org.yaml's, or a
    stack listed earlier), or None when that root is its account's first."""
    earlier = {org.account_id: "org.yaml's root"}
    for s in org.stacks:
        if (s.account_id, s.region) == (account_id, region):
            return earlier.get(account_id)
        earlier.setdefault(s.account_id, f"stack `{stack_id(s.account_id, s.region)}`")
    return None


def name_suffix(org: Org, account_id: str, region: str) -> str:
    """What the trail and log role names of the root at `account_id`/`region` end with: nothing
    for its account's first root, `-<region>` after it.

    `org` is org.yaml's organization (not a key's copy: that has lost org.yaml's account).
    """
    return "" if _first_of_account(org, account_id, region) is None else f"-{region}"


def trail_name(organization: str, suffix: str = "") -> str:
    """A root's trail, the prefix of its bucket, role, log group, topics and alarms (render.tree).

    >>> trail_name("acme"), trail_name("acme", "-eu-west-1")
    ('acme-byok', 'acme-byok-eu-west-1')
    """
    return f"{organization}-byok{suffix}"


def log_role_name(organization: str, app: str, suffix: str = "") -> str:
    """The IAM role a vendor assumes to write its logs in a root (render.tree)."""
    return f"{organization}-{app}-byok-logs{suffix}"


def check_stack_names(org: Org, logged: set[tuple[str, str]]) -> Iterator[Diagnostic]:
    """E380: a stack sharing its account whose Region makes a name too long. `logged`: the
    (vendor, environment) of each key whose vendor writes logs (a log role in its root)."""
    for i, s in enumerate(org.stacks):
        first = _first_of_account(org, s.account_id, s.region)
        if first is None:
            continue
        apps = sorted({app for app, env in logged if env in s.environments})
        suffix = name_suffix(org, s.account_id, s.region)
        names = [("trail", trail_name(org.organization, suffix), TRAIL_NAME_MAX)]
        names += [
            (f"{app} log role", log_role_name(org.organization, app, suffix), ROLE_NAME_MAX)
            for app in apps
        ]
        for what, name, limit in names:
            if len(name) > limit:
                yield Diagnostic.make(
                    "E380",
                    f"stack `{stack_id(s.account_id, s.region)}` shares account {s.account_id} "
                    f"with {first}, so its {what} is named with its Region: `{name}` is "
                    f"{len(name)} characters, over {limit}",
                    org.where.at("stacks", i),
                    help="put the stack in an account of its own, or shorten `organization` "
                    "(which renames every root's trail and roles)",
                )
