"""Stage 5, verify: the guard-rail proofs and lints (issues 12 and 24), split from `verify`.

No lockout (the account root and administrators keep kms:PutKeyPolicy, break-glass keeps every
break-glass-only action), only break-glass disables, deletes, imports or deletes material, or
moves the primary Region, kms:CreateGrant only for AWS resources unless a vendor declares
`create_grant`, and kms:ReplicateKey only into the declared replica Regions. Each is checked
with the evaluator for the account root, every administrator, break-glass, every vendor
principal and another role of the account, with `aws:PrincipalArn` set as AWS sets it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from ..compile.guards import (
    GRANT_FOR_AWS,
    GUARD_REPLICAS_SID,
    LIFECYCLE_ACTIONS,
    PRINCIPAL_ARN,
    REPLICA_REGION,
    grant_exempt_patterns,
)
from ..compile.keys import CompiledKey
from ..diagnostics import Diagnostic
from ..model.inputs import Grant, Org, Vendor
from ..policy import catalog
from ..policy.evaluate import Request, evaluate, evaluate_all
from ..policy.matching import glob_matches
from ..resolve import Resolved


def _as(who: str, action: str, **context: str) -> Request:
    """A request by `who`, with `aws:PrincipalArn` set as AWS sets it for that principal (the
    role ARN for a role session). The evaluator derives no context key by itself."""
    return _request(who, action, tuple(sorted(context.items())))


@lru_cache(maxsize=4096)
def _bare(who: str, action: str) -> Request:
    """A request without `aws:PrincipalArn` (a Deny conditioned on it must still hold)."""
    return Request(principal=who, action=action)


@lru_cache(maxsize=4096)  # requests are immutable; every key asks the same few (issue 16)
def _request(who: str, action: str, context: tuple[tuple[str, str], ...]) -> Request:
    return Request(principal=who, action=action, context={PRINCIPAL_ARN: who, **dict(context)})


# Each guard asks every key the same requests, determined by a few organization facts and the
# key's probe principals: made once per set of facts (an interned tuple), so the evaluator
# shares their decisions between keys whose policies decide them alike (`evaluate_all`).
# `Asks` pairs each request with what its diagnostic names, in the order the proofs ask.
Asks = tuple[tuple[tuple[str, ...], ...], tuple[Request, ...]]


def _asked(items: list[tuple[tuple[str, ...], Request]]) -> Asks:
    return tuple(label for label, _ in items), tuple(r for _, r in items)


@lru_cache(maxsize=1024)
def _lockout_asks(owners: tuple[str, ...], break_glass: str | None) -> Asks:
    needs = [(w, "kms:PutKeyPolicy", "key_administrators") for w in owners]
    if break_glass:
        needs += [(break_glass, a, "break_glass") for a in LIFECYCLE_ACTIONS]
    return _asked([(need, _as(need[0], need[1])) for need in needs])


def no_lockout(ck: CompiledKey) -> Iterator[Diagnostic]:
    """The account root and every administrator keep kms:PutKeyPolicy; the break-glass role
    keeps kms:DisableKey and kms:ScheduleKeyDeletion (the only principal that does)."""
    org = ck.key.org
    labels, requests = _lockout_asks(_owners(ck), org.break_glass)
    for (who, action, field), d in zip(
        labels, evaluate_all(ck.policy, requests, org.account_id), strict=True
    ):
        if d.decision != "allow":
            yield Diagnostic.make(
                "E507",
                f"key `{ck.key.name}`: `{who}` could not call {action} ({d.reason})",
                org.where.at(field),
            )


def _owners(ck: CompiledKey) -> tuple[str, ...]:
    org = ck.key.org
    return (f"arn:aws:iam::{org.account_id}:root", *org.key_administrators)


def _probes(ck: CompiledKey) -> tuple[str, ...]:
    """Principals the guard proofs try: the account root, administrators, break-glass, every
    vendor principal (an account root as a role of that account, the `aws:PrincipalArn` AWS
    would send) and an arbitrary other role of the organization's account."""
    org = ck.key.org
    vendor = [
        p[: -len("root")] + "role/AnyRole" if p.endswith(":root") else p for p in ck.key.principals
    ]
    others = [*_owners(ck), f"arn:aws:iam::{org.account_id}:role/AnyOtherRole"]
    return tuple(sorted({*others, *vendor, *([org.break_glass] if org.break_glass else [])}))


@lru_cache(maxsize=1024)
def _lifecycle_asks(probes: tuple[str, ...], break_glass: str | None) -> Asks:
    return _asked(
        [
            ((who, action), req)
            for who in probes
            if who != break_glass
            for action in LIFECYCLE_ACTIONS
            for req in (_as(who, action), _bare(who, action))
        ]
    )


def only_break_glass_disables(ck: CompiledKey) -> Iterator[Diagnostic]:
    """Every principal but break-glass is denied every `LIFECYCLE_ACTIONS` action (disable,
    schedule deletion, import or delete material, move the primary Region), also when the
    request carries no `aws:PrincipalArn` (the Deny is then unconditional)."""
    org = ck.key.org
    labels, requests = _lifecycle_asks(_probes(ck), org.break_glass)
    for (who, action), d in zip(
        labels, evaluate_all(ck.policy, requests, org.account_id), strict=True
    ):
        if d.decision != "deny":
            yield Diagnostic.make(
                "E520",
                f"key `{ck.key.name}`: `{who}` may call {action} ({d.reason}); "
                "only the break-glass role may",
                org.where.at("break_glass") or org.where.loc,
            )


@lru_cache(maxsize=1024)
def _grant_asks(probes: tuple[str, ...]) -> Asks:
    return _asked(
        [
            ((who, ctx.get(GRANT_FOR_AWS, "absent")), _as(who, "kms:CreateGrant", **ctx))
            for who in probes
            for ctx in ({}, {GRANT_FOR_AWS: "false"})
        ]
    )


def grants_only_for_aws(ck: CompiledKey) -> Iterator[Diagnostic]:
    """kms:CreateGrant is denied to every probe principal unless the grant is for an AWS
    resource, or the principal belongs to a vendor that declares `create_grant`."""
    exempt = grant_exempt_patterns(ck.key)
    probes = tuple(w for w in _probes(ck) if not any(glob_matches(p, w) for p in exempt))
    labels, requests = _grant_asks(probes)
    for (who, given), d in zip(
        labels, evaluate_all(ck.policy, requests, ck.key.org.account_id), strict=True
    ):
        if d.decision != "deny":
            yield Diagnostic.make(
                "E521",
                f"key `{ck.key.name}`: `{who}` may call kms:CreateGrant with "
                f"{GRANT_FOR_AWS} {given} ({d.reason})",
                ck.origins.get("GrantsOnlyForAwsResources"),
            )


# Regions a replica may never be created in unless declared: one AWS Region and one that only
# differs by a suffix, so a prefix-matching mistake in the guard would show.
_PROBE_REGIONS = ("ap-southeast-2", "us-west-2x")


@lru_cache(maxsize=1024)
def _replica_asks(probes: tuple[str, ...], others: tuple[str, ...]) -> Asks:
    """Every probe into every undeclared Region, then with no Region (labelled "")."""
    return _asked(
        [
            ((who, region or ""), _as(who, "kms:ReplicateKey", **_region(region)))
            for who in probes
            for region in [*others, None]
        ]
    )


def _region(region: str | None) -> dict[str, str]:
    return {} if region is None else {REPLICA_REGION: region}


def replicas_only_where_declared(ck: CompiledKey) -> Iterator[Diagnostic]:
    """kms:ReplicateKey is denied to every probe principal (break-glass included) into any Region
    the key does not declare, and with no `kms:ReplicaRegion` at all; a declared Region is not
    denied by the guard (the account root keeps it through IAM, so Terraform can replicate)."""
    org, declared = ck.key.org, ck.key.options.replica_regions
    where = ck.origins.get(GUARD_REPLICAS_SID)
    others = tuple(r for r in (*_PROBE_REGIONS, org.region) if r not in declared)
    labels, requests = _replica_asks(_probes(ck), others)
    for (who, region), d in zip(
        labels, evaluate_all(ck.policy, requests, org.account_id), strict=True
    ):
        if d.decision != "deny" or d.reason != "explicit_deny":
            yield Diagnostic.make(
                "E523",
                f"key `{ck.key.name}`: `{who}` may replicate the key into "
                f"{region or 'a Region the request does not name'} ({d.reason})",
                where,
            )
    root = f"arn:aws:iam::{org.account_id}:root"
    for region in declared:
        d = evaluate(
            ck.policy, _as(root, "kms:ReplicateKey", **{REPLICA_REGION: region}), org.account_id
        )
        if d.decision == "deny":
            yield Diagnostic.make(
                "E523",
                f"key `{ck.key.name}`: the account cannot replicate the key into its declared "
                f"Region {region} ({d.reason})",
                where,
            )


def _no_break_glass(org: Org) -> Iterator[Diagnostic]:
    if org.break_glass is None:
        yield Diagnostic.make(
            "W108",
            "no `break_glass` role: every key denies "
            + ", ".join(LIFECYCLE_ACTIONS)
            + " to every principal",
            org.where.at("organization", key=True),
            "to decommission a key or import material, first add `break_glass` in a reviewed "
            "change and apply it (kms:PutKeyPolicy, alarmed), then act as that role",
        )


def _only_for_aws_resources(grant: Grant) -> bool:
    """The grant itself requires `Bool kms:GrantIsForAWSResource = true` (AWS's own pattern for
    letting an integrated service create grants), or confines every request to one made through
    an AWS service (`kms:ViaService` matched by a positive string operator): such a CreateGrant
    is the service's, on the caller's behalf, which is when kms:GrantIsForAWSResource is true
    (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
    #conditions-kms-grant-is-for-aws-resource; #conditions-kms-via-service). The guard then
    never denies what the grant allows."""
    return any(
        (
            c.operator == "Bool"
            and c.key.lower() == GRANT_FOR_AWS.lower()
            and [getattr(v, "lower", lambda: "")() for v in c.values] == ["true"]
        )
        or (
            c.key.lower() == "kms:viaservice"
            and c.operator.removeprefix("ForAnyValue:") in ("StringEquals", "StringLike")
        )
        for c in grant.conditions
    )


def _undeclared_grants(vendor: Vendor) -> Iterator[Diagnostic]:
    """A vendor granted kms:CreateGrant without declaring `create_grant` would be denied it by
    the guard: the grant would print as granted and do nothing."""
    if vendor.create_grant is not None:
        return
    for grant in vendor.grants:
        if _only_for_aws_resources(grant):
            continue  # the guard never denies what this grant allows
        if any("kms:CreateGrant" in catalog.expand_actions(a) for a in grant.actions):
            yield Diagnostic.make(
                "E522",
                f"vendor `{vendor.name}` grant `{grant.name}` allows kms:CreateGrant, but the "
                "vendor file does not declare `create_grant`: every key denies grants that are "
                "not for AWS resources",
                grant.where.at("actions"),
                "add `create_grant:` with the `source` that documents the vendor creates grants",
            )


def verify_inputs(resolved: Resolved) -> list[Diagnostic]:
    """Checks of the organization and vendor files that hold for every key at once (reported
    once, not once per key): an undeclared kms:CreateGrant (E522), no break-glass role (W108)."""
    out = list(_no_break_glass(resolved.org))
    for vendor in resolved.vendors:
        out += _undeclared_grants(vendor)
    return out
