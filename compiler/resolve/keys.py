"""Stage 3, resolve: organization config x vendor catalog -> one `ResolvedKey` per
(app, environment), with parameters substituted and every cross-reference checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date

from pydantic import BaseModel, ConfigDict

from ..diagnostics import CompileError, Diagnostic, Loc, did_you_mean
from ..model.inputs import (
    App,
    ExtraStatement,
    Grant,
    KeyState,
    Org,
    ParamRef,
    Replacement,
    RevocationEntry,
    Scope,
    Suspension,
    Vendor,
)
from ..policy import iam
from .checks import check_app, check_vendor
from .extras import active_extras
from .features import check_features
from .grants import grant_principals, is_service, principal_values
from .monitoring import check_monitoring
from .replacements import generations
from .replicas import imported_material
from .rotation import long_rotation
from .stacks import check_stack_names, check_stacks, key_org
from .states import key_state


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Fact(Frozen):
    """A vendor fact as it reaches output: what it says and where it was stated."""

    what: str
    verified: bool
    source: str
    loc: Loc | None


class ScopeRevocation(Frozen):
    """All revocations of one scope on one key: packed into one Deny statement."""

    scope: Scope
    values: tuple[str, ...]
    entries: tuple[RevocationEntry, ...]
    # The vendor has not confirmed it sends the context key (every entry acknowledges it,
    # `unconfirmed_context_key`): the Deny may match nothing.
    unconfirmed: bool


class KeyOptionsResolved(Frozen):
    rotation_period_days: int
    deletion_window_days: int
    multi_region: bool
    imported_key_material: bool
    automatic_rotation: bool  # off for imported material and for vendors that cannot follow it
    replica_regions: tuple[str, ...] = ()  # sorted; each gets a replica with the same policy


class GrantWho(Frozen):
    aws: tuple[str, ...]
    service: tuple[str, ...]
    party: str  # "vendor" or "customer"


class ResolvedKey(Frozen):
    name: str
    alias: str
    environment: str
    org: Org
    app: App
    vendor: Vendor
    principals: tuple[str, ...]
    grants: tuple[tuple[str, tuple[str, ...], tuple[iam.Condition, ...]], ...]
    revocations: tuple[ScopeRevocation, ...]
    suspension: Suspension | None
    options: KeyOptionsResolved
    facts: tuple[Fact, ...]
    # Context keys the vendor documents on every request (scopes with `always_present`),
    # sorted: its Allow statements require them for encryption-context operations.
    required_context_keys: tuple[str, ...] = ()
    # Per grant (parallel to `grants`): who it names. `principals` above are the vendor's
    # (its own and its `party: vendor` grants' ARNs): revocations and suspension deny them.
    grant_who: tuple[GrantWho, ...] = ()
    # The organization's own statements in force on this key (expired ones left out).
    extras: tuple[ExtraStatement, ...] = ()
    # Key replacement (replacements.py): the keys this one replaces / is replaced by,
    # and the entry replacing it; its `decrypt_only_until` makes this key decrypt-only.
    replaces: str | None = None
    replaced_by: str | None = None
    retiring: Replacement | None = None
    # org.yaml `key_states` entry of the key's environment (states.py); None: enabled.
    key_state: KeyState | None = None

    @property
    def enabled(self) -> bool:
        return self.key_state is None or self.key_state.enabled

    @property
    def decrypt_only(self) -> bool:
        return self.retiring is not None and self.retiring.decrypt_only_until is not None


class ResolvedLogging(Frozen):
    app: str
    vendor: Vendor
    principals: tuple[str, ...]
    external_id: str
    actions: tuple[str, ...]


class Resolved(Frozen):
    org: Org
    vendors: tuple[Vendor, ...]
    keys: tuple[ResolvedKey, ...]
    logging: tuple[ResolvedLogging, ...]
    warnings: tuple[Diagnostic, ...]


def resolve(org: Org, vendors: Mapping[str, Vendor], today: date) -> Resolved:
    """Join `org` with the vendor catalog; raise `CompileError` listing every problem."""
    diags = [d for vendor in vendors.values() for d in check_vendor(vendor)]
    diags += check_stacks(org)
    diags += check_monitoring(org)
    diags += check_features(org)
    keys: list[ResolvedKey] = []
    logging: list[ResolvedLogging] = []
    seen: dict[str, Loc | None] = {}
    for index, app in enumerate(org.apps):
        vendor, found = _app_vendor(org, index, vendors, seen)
        diags += found
        if vendor is None:
            continue
        app_diags = list(check_app(org, app, vendor, today))
        diags += app_diags
        if any(d.severity == "error" for d in app_diags):
            continue
        keys.extend(_keys(org, app, vendor, today))
        if vendor.logging is not None:
            logging.append(_logging(app, vendor))
    diags += check_stack_names(
        org, {(k.vendor.name, k.environment) for k in keys if k.vendor.logging is not None}
    )
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        raise CompileError(errors)
    warnings = [d for d in diags if d.severity == "warning"] + _unverified(keys, logging)
    periods = ((k.app, k.options.rotation_period_days, k.options.automatic_rotation) for k in keys)
    warnings += long_rotation(org, periods)
    return Resolved(
        org=org,
        vendors=tuple(vendors[k] for k in sorted(vendors)),
        keys=tuple(keys),
        logging=tuple(logging),
        warnings=tuple(warnings),
    )


def _app_vendor(
    org: Org, index: int, vendors: Mapping[str, Vendor], seen: dict[str, Loc | None]
) -> tuple[Vendor | None, list[Diagnostic]]:
    """The vendor of app `index`, or the diagnostic why there is none (unknown, duplicate)."""
    app = org.apps[index]
    vendor = vendors.get(app.vendor)
    if vendor is None:
        return None, [
            Diagnostic.make(
                "E301",
                f"unknown vendor `{app.vendor}`",
                app.where.at("vendor"),
                did_you_mean(app.vendor, vendors),
            )
        ]
    if app.vendor in seen:
        return None, [
            Diagnostic.make(
                "E206",
                f"duplicate app for vendor `{app.vendor}` (first at {seen[app.vendor]})",
                org.where.at("apps", index),
            )
        ]
    seen[app.vendor] = app.where.loc
    return vendor, []


def _param(app: App, value: str | ParamRef) -> tuple[str, ...]:
    if not isinstance(value, ParamRef):
        return (value,)
    given = app.parameters[value.parameter]
    return (given,) if isinstance(given, str) else given


def _options(org: Org, app: App, vendor: Vendor) -> KeyOptionsResolved:
    """The app's key options over the org defaults; a vendor that needs a multi-Region key
    gets one."""
    d, k = org.defaults, app.key
    imported = imported_material(org, app)
    return KeyOptionsResolved(
        rotation_period_days=k.rotation_period_days or d.rotation_period_days,
        deletion_window_days=k.deletion_window_days or d.deletion_window_days,
        multi_region=vendor.key.multi_region == "required"
        or (d.multi_region if k.multi_region is None else k.multi_region),
        imported_key_material=imported,
        automatic_rotation=not imported and vendor.key.automatic_rotation == "supported",
        replica_regions=tuple(sorted(set(k.replica_regions or ()))),
    )


def _grants(
    app: App, vendor: Vendor
) -> tuple[tuple[str, tuple[str, ...], tuple[iam.Condition, ...]], ...]:
    def conditions(g: Grant) -> tuple[iam.Condition, ...]:
        return tuple(
            iam.Condition(
                operator=c.operator,
                key=c.key,
                values=tuple(sorted({x for v in c.values for x in _param(app, v)})),
            )
            for c in g.conditions
        )

    return tuple((g.name, g.actions, conditions(g)) for g in vendor.grants)


def _suspension(app: App, env: str) -> Suspension | None:
    s = app.suspension
    return None if s is None or (s.environments is not None and env not in s.environments) else s


def _grant_who(app: App, vendor: Vendor) -> tuple[GrantWho, ...]:
    out = []
    for g in vendor.grants:
        who = grant_principals(app, vendor, g)
        out.append(
            GrantWho(
                aws=tuple(w for w in who if not is_service(w)),
                service=tuple(w for w in who if is_service(w)),
                party=g.party,
            )
        )
    return tuple(out)


def _keys(org: Org, app: App, vendor: Vendor, today: date) -> Iterator[ResolvedKey]:
    options, grants = _options(org, app, vendor), _grants(app, vendor)
    who = _grant_who(app, vendor)
    own = {v for p in vendor.principals for v in principal_values(app, p)}
    own |= {a for w in who if w.party == "vendor" for a in w.aws}
    principals = tuple(sorted(own))
    for env, gen in ((e, g) for e in app.environments for g in generations(org, app, e)):
        revs = _scope_revocations(app, vendor, env)
        suspension = _suspension(app, env)
        yield ResolvedKey(
            name=gen.name,
            alias=f"alias/{org.organization}-{gen.name}",
            org=key_org(org, env),
            replaces=gen.replaces,
            replaced_by=gen.replaced_by,
            retiring=gen.retiring,
            environment=env,
            app=app,
            vendor=vendor,
            principals=principals,
            grants=grants,
            revocations=revs,
            suspension=suspension,
            options=options,
            facts=_facts(vendor, revs, suspension is not None),
            required_context_keys=required_context_keys(vendor),
            grant_who=who,
            extras=active_extras(app, env, today),
            key_state=key_state(app, env),
        )


def _scope_revocations(app: App, vendor: Vendor, env: str) -> tuple[ScopeRevocation, ...]:
    by_scope: dict[str, list[RevocationEntry]] = {}
    for r in app.revocations:
        if r.environments is None or env in r.environments:
            by_scope.setdefault(r.scope, []).append(r)
    scopes = {s.name: s for s in vendor.revocation.scopes}
    return tuple(
        ScopeRevocation(
            scope=scopes[name],
            entries=tuple(entries),
            values=tuple(sorted({v for e in entries for v in e.values})),
            unconfirmed=not scopes[name].verified,
        )
        for name, entries in sorted(by_scope.items())
    )


def required_context_keys(vendor: Vendor) -> tuple[str, ...]:
    return tuple(sorted({s.context_key for s in vendor.revocation.scopes if s.always_present}))


def _facts(vendor: Vendor, revs: tuple[ScopeRevocation, ...], suspended: bool) -> tuple[Fact, ...]:
    out = [
        Fact(
            what=f"principal `{p.arn or p.service or p.parameter}`",
            verified=p.verified,
            source=p.source,
            loc=p.where.loc,
        )
        for p in list(vendor.principals) + [q for g in vendor.grants for q in g.principals or ()]
    ]
    out += [
        Fact(what=f"grant `{g.name}`", verified=g.verified, source=g.source, loc=g.where.loc)
        for g in vendor.grants
    ]
    out += [
        Fact(
            what=f"revocation scope `{r.scope.name}` (context key `{r.scope.context_key}`)",
            verified=r.scope.verified,
            source=r.scope.source,
            loc=r.scope.where.loc,
        )
        for r in revs
    ]
    out += [
        Fact(
            what=f"context key `{s.context_key}` always present (scope `{s.name}`)",
            verified=s.always_present.verified,
            source=s.always_present.source,
            loc=s.always_present.where.loc,
        )
        for s in vendor.revocation.scopes
        if s.always_present is not None
    ]
    if suspended:
        ks = vendor.revocation.kill_switch
        out.append(
            Fact(what="kill switch", verified=ks.verified, source=ks.source, loc=ks.where.loc)
        )
    return tuple(out)


def _logging(app: App, vendor: Vendor) -> ResolvedLogging:
    assert vendor.logging is not None
    lg = vendor.logging
    return ResolvedLogging(
        app=vendor.name,
        vendor=vendor,
        principals=tuple(sorted({v for p in lg.principals for v in principal_values(app, p)})),
        external_id=str(app.parameters[lg.external_id_parameter]),
        actions=tuple(sorted(set(lg.actions))),
    )


def _unverified(keys: list[ResolvedKey], logging: list[ResolvedLogging]) -> list[Diagnostic]:
    facts = {(f.what, f.loc): f for k in keys for f in k.facts if not f.verified}
    for lg in logging:
        lgf = lg.vendor.logging
        assert lgf is not None
        if not lgf.verified:
            facts[("logging role", lgf.where.loc)] = Fact(
                what="logging role", verified=False, source=lgf.source, loc=lgf.where.loc
            )
    return [
        Diagnostic.make(
            "W101",
            f"unverified vendor fact reaches generated output: {f.what}",
            f.loc,
            f"confirm it ({f.source}), then set `verified: true`",
        )
        for f in facts.values()
    ]
