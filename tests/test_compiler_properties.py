"""Properties of the compiler's real output (design.md, "Policy semantics"), for vendors, org
configs and revocations drawn by hypothesis and fed through the real loader and model:

1. adding revocations never widens (comparer: narrower or equivalent; evaluator agrees);
2. adding revocations leaves every Allow statement byte-identical;
3. every revocation is effective for every revoked action;
4. no collateral damage: other values, a missing context key, and administrators' management
   (kms:PutKeyPolicy: no lockout) keep their decisions.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from byok.compile.keys import CONTEXT_PREFIX, CompiledKey, compile_key
from byok.load import load_bytes
from byok.model import Org, Vendor, build
from byok.policy import catalog, keyspecs
from byok.policy.compare import compare
from byok.policy.evaluate import Request, evaluate
from byok.resolve import resolve

ACCOUNT = "111122223333"
SRC = "https://example.com/source"
# Drawn vendors use SYMMETRIC_DEFAULT keys: actions such a key cannot perform (kms:Sign, ...)
# are rejected (E363), so they are not drawn.
ACTIONS = sorted(
    a
    for a in catalog.KMS_ACTIONS - catalog.NON_KEY_ACTIONS
    if not keyspecs.unusable("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", [a])
)
CRYPTO = sorted(catalog.CRYPTOGRAPHIC_ACTIONS & set(ACTIONS))
VALUE = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=4, max_size=10)
accounts = st.from_regex(r"\A[1-9][0-9]{11}\Z").filter(lambda a: a != ACCOUNT)


@st.composite
def vendors(draw: st.DrawFn) -> dict[str, Any]:
    principals = draw(st.lists(accounts, min_size=1, max_size=3, unique=True))
    granted = draw(
        st.lists(
            st.sampled_from([*CRYPTO, "kms:DescribeKey", "kms:GenerateDataKey*", "kms:ReEncrypt*"]),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    # `revocation.actions` must cover every granted data action (E326); they may deny more.
    extra = draw(st.lists(st.sampled_from(CRYPTO), max_size=2, unique=True))
    revoked = sorted(catalog.data_actions(granted) | set(extra)) or ["kms:Decrypt"]
    scopes = draw(
        st.lists(
            st.sampled_from(["channel", "workspace", "file", "team"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    return {
        "name": "acme-vendor",
        "display_name": "Acme",
        "product": "EKM",
        "homepage": SRC,
        "principals": [
            {"arn": f"arn:aws:iam::{a}:root", "source": SRC, "verified": True} for a in principals
        ],
        "grants": [{"name": "use", "actions": granted, "source": SRC, "verified": True}],
        "key": {
            "multi_region": "optional",
            "automatic_rotation": "supported",
            "replacement_needs_new_arn": True,
            "source": SRC,
            "verified": True,
        },
        "revocation": {
            "actions": revoked,
            "kill_switch": {"supported": True, "source": SRC, "verified": True},
            "scopes": [
                {
                    "name": s,
                    "description": s,
                    "context_key": f"{s}_id",
                    "pattern": "^[A-Z0-9]{4,10}$",
                    "source": SRC,
                    "verified": True,
                }
                for s in scopes
            ],
        },
    }


@st.composite
def orgs(draw: st.DrawFn, vendor: dict[str, Any]) -> dict[str, Any]:
    scopes = [s["name"] for s in vendor["revocation"]["scopes"]]
    revocations = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "scope": st.sampled_from(scopes),
                    "values": st.lists(VALUE, min_size=1, max_size=6, unique=True),
                    "reason": st.just("test"),
                    "ticket": st.from_regex(r"\ASEC-[0-9]{1,4}\Z"),
                }
            ),
            max_size=4,
        )
    )
    admins = draw(
        st.lists(st.sampled_from(["Admins", "SecEng", "Platform"]), min_size=1, unique=True)
    )
    org: dict[str, Any] = {
        "organization": "acme",
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "key_administrators": [f"arn:aws:iam::{ACCOUNT}:role/{a}" for a in admins],
        "alarms": {"emails": ["secops@acme.example"]},
        "apps": [{"vendor": "acme-vendor", "environments": ["prod"], "revocations": revocations}],
    }
    if draw(st.booleans()) and draw(st.booleans()):
        org["apps"][0]["suspension"] = {"reason": "incident", "ticket": "SEC-1"}
    return org


def _compile(vendor: dict[str, Any], org: dict[str, Any]) -> CompiledKey:
    v = build(Vendor, load_bytes(yaml.safe_dump(vendor).encode(), "vendors/acme-vendor.yaml"))
    o = build(Org, load_bytes(yaml.safe_dump(org).encode(), "org.yaml"))
    resolved = resolve(o, {"acme-vendor": v}, date(2026, 11, 23))
    (key,) = resolved.keys
    return compile_key(key)


scenario = vendors().flatmap(lambda v: st.tuples(st.just(v), orgs(v)))


def _requests(ck: CompiledKey, extra_values: list[str]) -> list[Request]:
    who = (
        list(ck.key.principals)
        + list(ck.key.org.key_administrators)
        + ["arn:aws:iam::999999999999:root"]
    )
    keys = [CONTEXT_PREFIX + s.context_key for s in ck.key.vendor.revocation.scopes]
    values = sorted(
        {v for r in ck.key.revocations for v in r.values} | set(extra_values) | {"ZZZZ9"}
    )
    out = []
    for i, action in enumerate(ACTIONS):
        p = who[i % len(who)]
        out.append(Request(principal=p, action=action))
        k, v = keys[i % len(keys)], values[i % len(values)]
        out.append(Request(principal=p, action=action, context={k: v}))
    return out


@given(scenario, st.lists(VALUE, max_size=3))
def test_revocations_never_widen(
    case: tuple[dict[str, Any], dict[str, Any]], extra: list[str]
) -> None:
    ck = _compile(*case)
    result = compare(ck.base_policy, ck.policy)
    assert result.relation in ("narrower", "equivalent"), result
    assert result.new_access is None
    for req in _requests(ck, extra):
        if evaluate(ck.policy, req).decision == "allow":
            assert evaluate(ck.base_policy, req).decision == "allow", req


@given(scenario)
def test_allow_statements_are_byte_identical(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    vendor, org = case
    with_revs = _compile(vendor, org)
    bare = {
        **org,
        "apps": [
            {k: v for k, v in org["apps"][0].items() if k not in ("revocations", "suspension")}
        ],
    }
    without = _compile(vendor, bare)

    def allows(ck: CompiledKey) -> str:
        return json.dumps([s.to_json() for s in ck.policy.statements if s.effect == "Allow"])

    assert allows(with_revs) == allows(without)
    assert without.policy == with_revs.base_policy


@given(scenario)
def test_every_revocation_is_effective(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    ck = _compile(*case)
    revoked = sorted(catalog.expand_all(ck.key.vendor.revocation.actions))
    for rev in ck.key.revocations:
        for value in rev.values:
            for principal in ck.key.principals:
                for action in revoked:
                    req = Request(
                        principal=principal,
                        action=action,
                        context={CONTEXT_PREFIX + rev.scope.context_key: value},
                    )
                    d = evaluate(ck.policy, req)
                    assert (d.decision, d.reason) == ("deny", "explicit_deny"), req


@given(scenario, VALUE)
def test_no_collateral_damage(case: tuple[dict[str, Any], dict[str, Any]], other: str) -> None:
    ck = _compile(*case)
    for who in (f"arn:aws:iam::{ACCOUNT}:root", *ck.key.org.key_administrators):
        assert (
            evaluate(ck.policy, Request(principal=who, action="kms:PutKeyPolicy")).decision
            == "allow"
        )
    if ck.key.suspension is not None:
        return  # a suspension denies the vendor every context, by design
    revoked_anywhere = {v for r in ck.key.revocations for v in r.values}
    for rev in ck.key.revocations:
        key = CONTEXT_PREFIX + rev.scope.context_key
        for principal in ck.key.principals:
            for action in sorted(catalog.expand_all(ck.key.vendor.revocation.actions)):
                contexts: list[dict[str, str | tuple[str, ...]]] = [{}]
                if other not in rev.values:
                    contexts.append({key: other})
                for ctx in contexts:
                    req = Request(principal=principal, action=action, context=ctx)
                    if ctx and other in revoked_anywhere:
                        continue
                    assert (
                        evaluate(ck.policy, req).decision == evaluate(ck.base_policy, req).decision
                    )
