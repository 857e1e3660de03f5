"""`byok audit`'s checks: what is deployed (`state.py`) against what `generated/` says
(`expected.py`). Pure functions of the values read, so they are tested without AWS.

KMS behaviour relied on (https://docs.aws.amazon.com/kms/latest/APIReference/):
`DescribeKey` `KeyState` (Enabled, Disabled, PendingDeletion, PendingImport, ...), `DeletionDate`,
`Origin`, `ValidTo`/`ExpirationModel` for imported material, `MultiRegionConfiguration`;
`GetKeyRotationStatus` `KeyRotationEnabled`/`RotationPeriodInDays`; `ListGrants`
`GranteePrincipal`.
"""

from __future__ import annotations

from typing import Any

from ..policy import iam
from ..policy.compare import compare
from ..policy.evaluate import Request, statement_applies
from .adopt import adoption
from .expected import KeySpec, named_principals
from .findings import Finding
from .state import KeyState


def _ok(name: str, check: str, message: str, **detail: Any) -> Finding:
    return Finding(name, check, "ok", message, detail)


def _bad(name: str, check: str, message: str, **detail: Any) -> Finding:
    return Finding(name, check, "finding", message, detail)


def granting_principals(generated: iam.Policy, deployed: iam.Policy, request: Request) -> list[str]:
    """The `Principal` values of the deployed Allow statements the review never saw that
    apply to `request`: the principal that gained access, as the policy names it."""
    ctx = {k.lower(): (v,) if isinstance(v, str) else tuple(v) for k, v in request.context.items()}
    out: set[str] = set()
    for st in deployed.statements:
        if st.effect != "Allow" or st in generated.statements or st.principal is None:
            continue
        if statement_applies(st, request, ctx) is not None:
            p = st.principal
            out |= {"*"} if p.star else {*p.aws, *p.service, *p.federated}
    return sorted(out)


def policy_finding(spec: KeySpec, deployed_doc: dict[str, Any], account: str) -> Finding:
    """The deployed key policy compared semantically with generated/policies/<key>.json."""
    name, check = spec.name, "policy"
    try:
        deployed = iam.Policy.from_json(deployed_doc)
    except ValueError as exc:
        return _bad(name, check, f"deployed policy is not a policy byok can read: {exc}")
    cmp = compare(spec.policy, deployed, account)
    new = cmp.new_access.to_json() if cmp.new_access else None
    lost = cmp.lost_access.to_json() if cmp.lost_access else None
    if cmp.relation == "equivalent":
        return _ok(name, check, f"equivalent to generated/policies/{name}.json")
    if cmp.relation in ("wider", "incomparable"):
        assert cmp.new_access is not None
        req = cmp.new_access
        named = granting_principals(spec.policy, deployed, req) or [req.principal]
        who = ", ".join(f"`{p}`" for p in named)
        example = "" if named == [req.principal] else f" (e.g. as `{req.principal}`)"
        msg = f"WIDER than reviewed: {who} gained `{req.action}`{example}"
        if lost:
            msg += " (and some reviewed access was removed)"
        wide: dict[str, Any] = {"principals": named, "new_access": new, "lost_access": lost}
        return Finding(name, check, "wider", msg, wide)
    if cmp.relation == "narrower":
        entry = adoption(spec.policy, deployed, spec)
        advice = (
            "an out-of-band revocation: the next `terraform apply` reverts it unless org.yaml "
            "adopts it"
        )
        if entry is None:
            advice += " (no org.yaml revocation expresses it: edit org.yaml or re-apply)"
        detail: dict[str, Any] = {"lost_access": lost}
        if entry:
            detail["adopt"] = entry
        return _bad(name, check, f"narrower than reviewed: {advice}", **detail)
    return _bad(name, check, f"cannot compare (unknown): {cmp.reason}", new_access=new)


def _state(spec: KeySpec, meta: dict[str, Any]) -> list[Finding]:
    name, out = spec.name, []
    ks = meta.get("KeyState", "?")
    if ks in ("Enabled", "Disabled"):
        out.append(_enabled_state(spec, meta, ks == "Enabled"))
    elif ks == "PendingDeletion":
        when = meta.get("DeletionDate")
        out.append(_bad(name, "state", f"pending deletion (on {when})" if when else ks))
    else:
        out.append(_bad(name, "state", f"key state is {ks}, not Enabled"))
    multi = bool(meta.get("MultiRegion", False))
    if multi != spec.multi_region:
        out.append(
            _bad(
                name, "multi-region", f"MultiRegion is {multi}, generated/ says {spec.multi_region}"
            )
        )
    replicas = meta.get("MultiRegionConfiguration", {}).get("ReplicaKeys", [])
    if replicas:
        regions = ", ".join(sorted(r.get("Region", "?") for r in replicas))
        out.append(_ok(name, "replicas", f"replicas in {regions}"))
    return out + _material(spec, meta)


def _enabled_state(spec: KeySpec, meta: dict[str, Any], on: bool) -> Finding:
    """The key state against org.yaml `key_states` (README, "Incidents")."""
    name, arn = spec.name, meta.get("Arn", spec.alias)
    if on == spec.enabled:
        said = f", as org.yaml says ({spec.state_ticket})" if spec.state_ticket else ""
        return _ok(name, "state", f"{'enabled' if on else 'disabled'}{said}")
    if on:
        return _bad(
            name,
            "state",
            f"enabled, but org.yaml disables it ({spec.state_ticket}): `terraform apply` as the "
            "break-glass role disables it",
        )
    env = spec.environment
    adopt = (
        f"# org.yaml, under the app `vendor: {spec.vendor}`, in `key_states:`\n"
        f"  - environment: {env}\n"
        "    enabled: false\n"
        "    reason: <why: the incident>\n"
        "    ticket: <TICKET>"
    )
    msg = (
        "disabled outside Terraform: the next `terraform apply` enables it again (`byok "
        "check-plan` refuses that plan). Either keep it disabled: adopt it in org.yaml (below), "
        f"generate, review, apply; or enable it now: `aws kms enable-key --key-id {arn}`"
    )
    return _bad(name, "state", msg, adopt=adopt)


def _material(spec: KeySpec, meta: dict[str, Any]) -> list[Finding]:
    origin = meta.get("Origin", "AWS_KMS")
    if (origin == "EXTERNAL") != spec.imported:
        return [_bad(spec.name, "origin", f"Origin is {origin}, generated/ disagrees")]
    if origin != "EXTERNAL":
        return []
    if meta.get("ExpirationModel") == "KEY_MATERIAL_EXPIRES":
        return [_ok(spec.name, "material", f"imported material expires {meta.get('ValidTo')}")]
    return [_ok(spec.name, "material", "imported material does not expire")]


def _rotation(spec: KeySpec, rotation: dict[str, Any]) -> list[Finding]:
    name = spec.name
    if not rotation:
        return []
    on = bool(rotation.get("KeyRotationEnabled"))
    if on != spec.rotation:
        want = "on" if spec.rotation else "off"
        return [
            _bad(
                name,
                "rotation",
                f"automatic rotation is {'on' if on else 'off'}, generated/ says {want}",
            )
        ]
    if not on:
        return [_ok(name, "rotation", "off, as generated/ says")]
    period = rotation.get("RotationPeriodInDays")
    if period is None:
        return [_ok(name, "rotation", "on (the endpoint did not report the period)")]
    if period != spec.rotation_period_days:
        msg = f"rotation period is {period} days, generated/ says {spec.rotation_period_days}"
        return [_bad(name, "rotation", msg)]
    return [_ok(name, "rotation", f"on, every {period} days")]


def _grants(spec: KeySpec, grants: list[dict[str, Any]]) -> list[Finding]:
    named = named_principals(spec.policy)
    out = []
    for g in grants:
        grantee = str(g.get("GranteePrincipal", "?"))
        ops = ", ".join(g.get("Operations", []))
        gid = g.get("GrantId", "?")
        if grantee in named:
            out.append(_ok(spec.name, "grant", f"grant {gid} to `{grantee}` ({ops})"))
        else:
            msg = f"grant {gid} to `{grantee}`, a principal the policy does not name ({ops})"
            out.append(
                _bad(spec.name, "grant", msg, grantee=grantee, operations=g.get("Operations", []))
            )
    return out


def _last_use(spec: KeySpec, last: dict[str, Any] | str | None) -> list[Finding]:
    if last is None:
        return []
    if isinstance(last, str):
        return [_ok(spec.name, "last use", last)]
    used = last.get("KeyLastUsage")
    if used:
        msg = f"last used {used.get('Timestamp')} ({used.get('Operation')})"
    else:
        msg = f"no successful cryptographic use recorded since {last.get('TrackingStartDate')}"
    return [_ok(spec.name, "last use", msg)]


def audit_key(spec: KeySpec, state: KeyState, account: str) -> list[Finding]:
    if state.key_id is None:
        return [_bad(spec.name, "alias", f"alias `{spec.alias}` does not exist: key not deployed")]
    out = [_ok(spec.name, "alias", f"`{spec.alias}` -> {state.key_id}")]
    if state.policy is not None:
        out.append(policy_finding(spec, state.policy, account))
    out += _state(spec, state.meta)
    out += _rotation(spec, state.rotation)
    out += _grants(spec, state.grants)
    return out + _last_use(spec, state.last_use)
