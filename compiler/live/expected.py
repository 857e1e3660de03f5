"""What `generated/` says is deployed: the policies Terraform applies (`generated/policies/`),
the account and Region (`generated/organization.json`), and the key options, revocations and
trail of the compiled inputs (`pipeline.build_tree`, the same compilation `make generate` ran).

The metric filter patterns have one source of truth, the `key-alarms` module's
`controls.json` (`alarms.py` reads it as the module does); the rest of each root's chain (trail,
log groups, roles, topic) comes from the locals its `main.tf` passes to the modules (`chain.py`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..compile import Compiled, CompiledKey
from ..diagnostics import Loc
from ..model import Org
from ..pipeline import OUT_DIR, build_tree
from ..policy import iam
from ..render.features import finding_principals
from ..render.locals import locals_block
from ..render.stacks import roots
from ..resolve.stacks import name_suffix, trail_name
from .alarms import Controls, load_controls
from .aws import LiveError
from .chain import Chain, chain_from_locals


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
    unconfirmed: frozenset[str] = frozenset()  # context keys of scopes marked verified: false
    # Where a pasted `revocations:` entry goes in org.yaml (adopt.py): the column (1-based) of
    # the app's first revocation entry's keys, else of the app's own keys.
    entry_col: int | None = None
    app_col: int | None = None
    # principal.AWS values of the vendor principals its archive rules expect (render.features)
    expected_external: tuple[str, ...] = ()
    # org.yaml `key_states`: whether the key is to be enabled, and the entry's ticket
    enabled: bool = True
    state_ticket: str | None = None


@dataclass(frozen=True)
class Expected:
    account: str
    region: str
    trail_name: str  # the repository root's
    alarm_emails: tuple[str, ...]
    keys: dict[str, KeySpec]
    # A stack's trail, where it differs (a stack sharing its account: resolve.stacks.trail_name)
    trail_names: dict[tuple[str, str], str] = field(default_factory=dict)
    controls: Controls | None = None  # modules/key-alarms/controls.json
    chains: dict[tuple[str, str], Chain] = field(default_factory=dict)  # per root
    # Each root's IAM Access Analyzer (its name), absent where org.yaml turns it off
    analyzers: dict[tuple[str, str], str] = field(default_factory=dict)

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
        unconfirmed=frozenset(
            str(s.context_key) for s in k.vendor.revocation.scopes if not s.verified
        ),
        entry_col=_col(k.app.revocations[0].where.loc if k.app.revocations else None),
        app_col=_col(k.app.where.loc),
        expected_external=tuple(sorted({v for p in k.principals for v in finding_principals(p)})),
        enabled=k.enabled,
        state_ticket=k.key_state.ticket if k.key_state is not None else None,
    )


def _col(loc: Loc | None) -> int | None:
    return loc.col if loc is not None else None


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
        trail_names={p: trail_name(org.organization, name_suffix(org, *p)) for p in places},
        controls=load_controls(root) if patterns else None,
        chains=_chains(result.compiled),
        analyzers=_analyzers(org, places | {(org.account_id, org.region)}),
    )


def _chains(compiled: Compiled) -> dict[tuple[str, str], Chain]:
    """Each Terraform root's chain, from the locals its main.tf passes to the modules."""
    org = compiled.resolved.org
    out = {}
    for i, r in enumerate(roots(compiled)):
        place = (r.resolved.org.account_id, r.resolved.org.region)
        loc = locals_block(r, name_suffix(org, *place), root=i == 0)
        out[place] = chain_from_locals(json.loads(json.dumps(loc)))
    return out


def _analyzers(org: Org, places: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Each root's analyzer name, as render.features names it."""
    aa = org.access_analyzer
    if not aa.enabled:
        return {}
    return {
        p: aa.existing_analyzer or trail_name(org.organization, name_suffix(org, *p))
        for p in places
    }
