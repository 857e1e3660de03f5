"""Stage 4, compile: the guard rails every key policy carries (issues 12 and 24), and who a
suspension denies.

Only break-glass calls the actions that make a key unusable or move it; `kms:CreateGrant` only
for AWS resources; `kms:ReplicateKey` only into the declared replica Regions. verify/guards.py
proves each on the compiled policy.
"""

from __future__ import annotations

from ..diagnostics import Loc
from ..policy import iam
from ..resolve import ResolvedKey
from .statements import statement

# Only the break-glass role may call these on a key (see `_guards`): each makes the key
# unusable or moves it, and none is routine (issue 24). Decided from the KMS permissions
# reference (https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html)
# one action at a time; README, "Guard rails", lists what stays open and why:
# - DisableKey, ScheduleKeyDeletion: the key stops working, or is deleted for good
#   (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html).
# - DeleteImportedKeyMaterial: "the KMS key becomes unusable" at once; material made with
#   `byok import-material --generate` has no copy
#   (https://docs.aws.amazon.com/kms/latest/APIReference/API_DeleteImportedKeyMaterial.html).
# - ImportKeyMaterial: a re-import sets a new expiry (a sooner one makes the key unusable when
#   it passes), and NEW_KEY_MATERIAL associates further material with the key, whose expiry or
#   deletion makes the whole key unusable ("If you delete any of these key materials or let
#   them expire, the KMS key state changes to PendingImport")
#   (https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-import-key-material.html).
# - UpdatePrimaryRegion: moves the primary of a multi-Region key to a replica's Region
#   (https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdatePrimaryRegion.html).
LIFECYCLE_ACTIONS = (
    "kms:DeleteImportedKeyMaterial",
    "kms:DisableKey",
    "kms:ImportKeyMaterial",
    "kms:ScheduleKeyDeletion",
    "kms:UpdatePrimaryRegion",
)
GUARD_LIFECYCLE_SID = "OnlyBreakGlassDisablesOrDeletes"
GUARD_GRANTS_SID = "GrantsOnlyForAwsResources"
GUARD_REPLICAS_SID = "ReplicasOnlyInDeclaredRegions"
PRINCIPAL_ARN = "aws:PrincipalArn"
GRANT_FOR_AWS = "kms:GrantIsForAWSResource"
# "Use kms:ReplicaRegion to limit the Regions in which a principal can replicate a multi-Region
# key"; its value is the ReplicateKey request's ReplicaRegion (a required parameter)
# https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-replica-region
REPLICA_REGION = "kms:ReplicaRegion"


def grant_exempt_patterns(key: ResolvedKey) -> tuple[str, ...]:
    """`aws:PrincipalArn` patterns of the principals that may create grants for themselves: the
    vendor's, when its file declares `create_grant`. An account root names every principal of
    that account, whose `aws:PrincipalArn` is a role or user ARN, so it becomes `...:<id>:*`.

    >>> from types import SimpleNamespace as N
    >>> k = N(vendor=N(create_grant=object()), principals=(
    ...     "arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:role/R"))
    >>> grant_exempt_patterns(k)  # type: ignore[arg-type]
    ('arn:aws:iam::111111111111:*', 'arn:aws:iam::222222222222:role/R')
    """
    if key.vendor.create_grant is None:
        return ()
    return tuple(
        sorted({p[: -len("root")] + "*" if p.endswith(":root") else p for p in key.principals})
    )


def replica_guard(regions: tuple[str, ...]) -> iam.Statement:
    """`kms:ReplicateKey` only into the key's declared replica Regions, for every principal
    (break-glass too: a replica escapes every later revocation unless org.yaml lists its Region,
    and then it gets the primary's policy file). No declared Region: denied outright.
    `StringNotEquals` is true when the key is absent, so such a request is denied as well."""
    conds: tuple[iam.Condition, ...] = ()
    if regions:
        conds = (iam.Condition(operator="StringNotEquals", key=REPLICA_REGION, values=regions),)
    return statement(GUARD_REPLICAS_SID, "Deny", ["*"], ["kms:ReplicateKey"], conds)


def guard_statements(key: ResolvedKey) -> tuple[list[iam.Statement], dict[str, Loc | None]]:
    """Deny statements every key carries, whatever the vendor (issues 12 and 24).

    - Only the break-glass role calls `LIFECYCLE_ACTIONS`. `aws:PrincipalArn` is the role ARN
      for a role session, so the break-glass role's sessions keep them. Without a break-glass
      role nobody may: decommission needs a reviewed policy change that adds one.
    - `kms:CreateGrant` only for AWS resources (`kms:GrantIsForAWSResource` true): account-root
      delegation would otherwise let any IAM principal of the account grant anyone use.
      `BoolIfExists` also denies a request that lacks the key.
    - `kms:ReplicateKey` only into the declared `replica_regions` (`replica_guard`).
    No statement covers `kms:DescribeKey` (moto breaks DescribeKey under such a Deny)."""
    org = key.org
    lifecycle: tuple[iam.Condition, ...] = ()
    if org.break_glass:
        lifecycle = (
            iam.Condition(operator="ArnNotEquals", key=PRINCIPAL_ARN, values=(org.break_glass,)),
        )
    grant_conds = [iam.Condition(operator="BoolIfExists", key=GRANT_FOR_AWS, values=("false",))]
    exempt = grant_exempt_patterns(key)
    if exempt:
        grant_conds.append(iam.Condition(operator="ArnNotLike", key=PRINCIPAL_ARN, values=exempt))
    stmts = [
        statement(GUARD_LIFECYCLE_SID, "Deny", ["*"], LIFECYCLE_ACTIONS, lifecycle),
        statement(GUARD_GRANTS_SID, "Deny", ["*"], ["kms:CreateGrant"], tuple(grant_conds)),
        replica_guard(key.options.replica_regions),
    ]
    grant_origin = key.vendor.create_grant.where.loc if key.vendor.create_grant else org.where.loc
    app_key = key.app.where.at("key") if key.options.replica_regions else key.app.where.loc
    origins: dict[str, Loc | None] = {
        GUARD_LIFECYCLE_SID: org.where.at("break_glass") if org.break_glass else org.where.loc,
        GUARD_GRANTS_SID: grant_origin,
        GUARD_REPLICAS_SID: app_key,
    }
    return stmts, origins


def suspended_principals(key: ResolvedKey) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(AWS principals, service principals) a suspension denies: the vendor's, and the
    organization's own principals its `party: customer` grants name (roles the vendor assumes,
    such as Databricks' cross-account role that EC2 uses for EBS): every path the vendor file
    opens to the key is cut (issue 24)."""
    aws = set(key.principals)
    services: set[str] = set()
    for who in key.grant_who:
        if who.party == "customer":
            aws |= set(who.aws)
            services |= set(who.service)
    return tuple(sorted(aws)), tuple(sorted(services))
