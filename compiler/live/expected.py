"""What `generated/` says is deployed: the policies Terraform applies (`generated/policies/`),
the account and Region (`generated/organization.json`), and the key options, revocations and
trail of the compiled inputs (`pipeline.build_tree`, the same compilation `make generate` ran).

The metric filter patterns have one source of truth, the `key-alarms` module: they are read
from `modules/key-alarms/main.tf`, never restated here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..compile import CompiledKey
from ..pipeline import OUT_DIR, build_tree
from ..policy import iam
from ..resolve.stacks import name_suffix, trail_name
from .aws import LiveError

ALARMS_MODULE = Path("modules") / "key-alarms" / "main.tf"
_CONTROL = re.compile(r"^    ([A-Za-z0-9]+) = \{$")
_PATTERN = re.compile(r'^      pattern\s*= "((?:[^"\\]|\\.)*)"$')


@dataclass(frozen=True)
class Revoked:
    """One org.yaml revocation value (or a suspension) in force on a key, with its ticket."""

    context_key: str  # "" for a suspension (every request of the vendor)
    value: str
    ticket: str
    scope: str


@dataclass(frozen=True)
class KeySpec:
    name: str
    alias: str
    vendor: str
    environment: str
    policy: iam.Policy
    rotation: bool
    rotation_period_days: int
    multi_region: bool
    imported: bool
    vendor_principals: tuple[str, ...]
    scopes: dict[str, str]  # context key (without the kms:EncryptionContext: prefix) -> scope
    place: tuple[str, str]  # the account and Region it lives in (its stack's, or org.yaml's)
    revoked: tuple[Revoked, ...] = ()


@dataclass(frozen=True)
class Expected:
    account: str
    region: str
    trail_name: str  # the repository root's
    alarm_emails: tuple[str, ...]
    keys: dict[str, KeySpec]
    filters: dict[str, str] = field(default_factory=dict)  # control -> pattern (verbatim)
    # A stack's trail, where it differs (a stack sharing its account: resolve.stacks.trail_name)
    trail_names: dict[tuple[str, str], str] = field(default_factory=dict)

    def trail_at(self, place: tuple[str, str]) -> str:
        """The trail of the root at `place` (account, Region)."""
        return self.trail_names.get(place, self.trail_name)

    def places(self) -> list[tuple[str, str]]:
        """Every Terraform root's account and Region: the repository root's first, then the
        stacks' (each has its keys, trail and alarms there)."""
        root = (self.account, self.region)
        return [root, *sorted({s.place for s in self.keys.values()} - {root})]


def named_principals(policy: iam.Policy) -> set[str]:
    """Every principal string a policy names (AWS principals and service principals)."""
    out: set[str] = set()
    for st in policy.statements:
        if st.principal is not None:
            out |= set(st.principal.aws) | set(st.principal.service)
    return out


def alarm_patterns(root: Path) -> dict[str, str]:
    """Control name -> metric filter pattern, as written in the key-alarms module."""
    path = root / ALARMS_MODULE
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise LiveError(f"cannot read {ALARMS_MODULE}: {exc.strerror}") from exc
    out: dict[str, str] = {}
    control = None
    for line in lines:
        if m := _CONTROL.match(line):
            control = m.group(1)
        elif (m := _PATTERN.match(line)) and control is not None:
            out[control] = json.loads(f'"{m.group(1)}"')  # HCL and JSON escapes agree here
    return out


def _revoked(ck: CompiledKey) -> tuple[Revoked, ...]:
    out = [
        Revoked(str(r.scope.context_key), str(value), str(entry.ticket), str(r.scope.name))
        for r in ck.key.revocations
        for entry in r.entries
        for value in entry.values
    ]
    if ck.key.suspension is not None:
        out.append(Revoked("", "*", str(ck.key.suspension.ticket), "suspension"))
    return tuple(out)


def _spec(ck: CompiledKey, policy: iam.Policy) -> KeySpec:
    k, o = ck.key, ck.key.options
    scopes = {str(s.context_key): str(s.name) for s in k.vendor.revocation.scopes}
    return KeySpec(
        name=k.name,
        alias=k.alias,
        vendor=k.vendor.name,
        environment=k.environment,
        policy=policy,
        rotation=o.automatic_rotation,
        rotation_period_days=o.rotation_period_days,
        multi_region=o.multi_region,
        imported=o.imported_key_material,
        vendor_principals=k.principals,
        scopes=scopes,
        place=(k.org.account_id, k.org.region),
        revoked=_revoked(ck),
    )


def _policy(root: Path, name: str) -> iam.Policy:
    path = root / OUT_DIR / "policies" / f"{name}.json"
    try:
        return iam.Policy.from_json(json.loads(path.read_text()))
    except (OSError, ValueError) as exc:
        raise LiveError(f"cannot read {OUT_DIR}/policies/{name}.json: {exc}") from exc


def load_expected(root: Path, today: date, *, patterns: bool = True) -> Expected:
    """Raise `CompileError` when the inputs do not compile, `LiveError` when a file is missing."""
    result = build_tree(root, today, guard=False)
    org = result.compiled.resolved.org
    try:
        where = json.loads((root / OUT_DIR / "organization.json").read_text())
    except (OSError, ValueError) as exc:
        raise LiveError(f"cannot read {OUT_DIR}/organization.json: {exc}") from exc
    keys = {ck.key.name: _spec(ck, _policy(root, ck.key.name)) for ck in result.compiled.keys}
    places = {spec.place for spec in keys.values()}
    return Expected(
        account=str(where["account_id"]),
        region=str(where["region"]),
        trail_name=trail_name(org.organization),
        alarm_emails=tuple(sorted(str(e) for e in org.alarms.addresses)),
        keys=keys,
        filters=alarm_patterns(root) if patterns else {},
        trail_names={p: trail_name(org.organization, name_suffix(org, *p)) for p in places},
    )
