"""What reaches generated output on a vendor's word: the facts of a key (principals, grants,
scopes, the kill switch) with their sources, and W101 for those the vendor file does not mark
verified."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from ..diagnostics import Diagnostic, Loc
from ..model.inputs import Scope, Vendor


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Fact(Frozen):
    """A vendor fact as it reaches output: what it says and where it was stated."""

    what: str
    verified: bool
    source: str
    loc: Loc | None


def key_facts(vendor: Vendor, scopes: Sequence[Scope], suspended: bool) -> tuple[Fact, ...]:
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
            what=f"revocation scope `{s.name}` (context key `{s.context_key}`)",
            verified=s.verified,
            source=s.source,
            loc=s.where.loc,
        )
        for s in scopes
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


def unverified(facts: Iterable[Fact], logging: Iterable[Fact]) -> list[Diagnostic]:
    """W101 once per unverified fact (by what and where) that reaches the output: the keys'
    facts in key order, then the vendors' logging roles (`keys.logging_fact`)."""
    found = {(f.what, f.loc): f for f in facts if not f.verified}
    for fact in logging:
        found[(fact.what, fact.loc)] = fact
    return [
        Diagnostic.make(
            "W101",
            f"unverified vendor fact reaches generated output: {f.what}",
            f.loc,
            f"confirm it ({f.source}), then set `verified: true`",
        )
        for f in found.values()
    ]
