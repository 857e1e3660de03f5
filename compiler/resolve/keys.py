"""Stage 3, resolve: organization config x vendor catalog -> one `ResolvedKey` per
(app, environment), with parameters substituted and every cross-reference checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date

from ..diagnostics import CompileError, Diagnostic, Loc, did_you_mean
from ..load import LMap
from ..model.base import Where
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
from .checks import check_app, check_key_names, check_vendor
from .extras import active_extras
from .facts import Fact, Frozen, key_facts, unverified
from .features import check_features
from .grants import grant_principals, is_service, principal_values
from .monitoring import check_monitoring
from .replacements import generations
from .replicas import imported_material
from .rotation import long_rotation
from .stacks import check_stack_names, check_stacks, key_org
from .states import key_state


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


class AppResolved(Frozen):
    """One app resolved on its own (`resolve_app`): its problems, and unless one is an error,
    its keys and its vendor's logging role."""

    diagnostics: tuple[Diagnostic, ...]
    keys: tuple[ResolvedKey, ...] = ()
    logging: ResolvedLogging | None = None

    @property
    def failed(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)


def settings_where(org: Org) -> Where:
    """`org.where` without the apps: the handle each app's copy of the organization keeps."""
    node = org.where.node
    if node is None or "apps" not in node.items:
        return org.where
    items = {k: v for k, v in node.items.items() if k != "apps"}
    return Where(LMap(items, node.at, {k: v for k, v in node.keys.items() if k != "apps"}))


def app_org(org: Org, app: App, where: Where | None = None) -> Org:
    """The organization as one app's keys see it: its settings and that app alone (`where`:
    `settings_where(org)`). A key's policy, proofs and files are a function of its app, its
    vendor and the settings, never of the other apps: `byok generate` reuses them while those
    three are unchanged (issue 29), and a key that read another app would differ there."""
    return org.model_copy(update={"apps": (app,), "where": where or settings_where(org)})


def resolve_app(org: Org, app: App, vendor: Vendor, today: date) -> AppResolved:
    """One app against its vendor; `org` is `app_org`'s (the settings and this app)."""
    diags = tuple(check_app(org, app, vendor, today))
    if any(d.severity == "error" for d in diags):
        return AppResolved(diagnostics=diags)
    logging = _logging(app, vendor) if vendor.logging is not None else None
    return AppResolved(
        diagnostics=diags, keys=tuple(_keys(org, app, vendor, today)), logging=logging
    )


def resolve(org: Org, vendors: Mapping[str, Vendor], today: date) -> Resolved:
    """Join `org` with the vendor catalog; raise `CompileError` listing every problem."""
    diags = [d for vendor in vendors.values() for d in check_vendor(vendor)]
    diags += check_stacks(org)
    diags += check_monitoring(org)
    diags += check_features(org)
    keys: list[ResolvedKey] = []
    logging: list[ResolvedLogging] = []
    seen: dict[str, Loc | None] = {}
    where = settings_where(org)
    for index, app in enumerate(org.apps):
        vendor, found = _app_vendor(org, index, vendors, seen)
        diags += found
        if vendor is None:
            continue
        one = resolve_app(app_org(org, app, where), app, vendor, today)
        diags += [*one.diagnostics, *check_key_names(org, app)]
        if one.failed:
            continue
        keys.extend(one.keys)
        if one.logging is not None:
            logging.append(one.logging)
    diags += check_stack_names(
        org, {(k.vendor.name, k.environment) for k in keys if k.vendor.logging is not None}
    )
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        raise CompileError(errors)
    facts = [f for k in keys for f in k.facts]
    logged = [f for lg in logging if (f := logging_fact(lg)) is not None]
    warnings = [d for d in diags if d.severity == "warning"] + unverified(facts, logged)
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
            facts=key_facts(vendor, [r.scope for r in revs], suspension is not None),
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


def logging_fact(lg: ResolvedLogging) -> Fact | None:
    """The vendor's logging role as a fact, when its file does not say it is verified."""
    lgf = lg.vendor.logging
    assert lgf is not None
    if lgf.verified:
        return None
    return Fact(what="logging role", verified=False, source=lgf.source, loc=lgf.where.loc)
