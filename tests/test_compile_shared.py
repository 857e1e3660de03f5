"""The compile stage shares equal statements between keys (`statements.statement`) and makes
each statement's compact JSON once (`keys.compact_json`, which `policy_bytes` measures): the
shared statement must equal a fresh one, and the assembled text must be exactly the text of
the whole policy dumped at once."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from byok.compile import keys
from byok.compile.statements import statement
from byok.policy import iam
from tests import test_semantics_properties as props

REPO = Path(__file__).resolve().parent.parent


def _plain(policy: iam.Policy) -> str:
    return json.dumps(policy.to_json(), separators=(",", ":"), ensure_ascii=False)


def _with_shared_statements(policies: list[iam.Policy], pid: str | None) -> list[iam.Policy]:
    """The policies, one more holding all their statements (the same objects) in reverse order,
    and one with no statement; the last two with Id `pid`."""
    pool = [s for p in policies for s in p.statements]
    return [*policies, iam.Policy(id=pid, statements=tuple(reversed(pool))), iam.Policy(id=pid)]


# Policies sharing statements (the same objects, in other orders and positions), with an Id
# that needs escaping or none, and one with no statement at all.
SHARED_STATEMENTS = st.builds(
    _with_shared_statements,
    st.lists(props.policies(max_size=4), min_size=1, max_size=4),
    st.one_of(st.none(), st.text(max_size=12)),
)


@props.modest(300)
@given(SHARED_STATEMENTS)
def test_compact_json_is_the_whole_policy_dumped_at_once(policies: list[iam.Policy]) -> None:
    for policy in policies:
        assert keys.compact_json(policy) == _plain(policy)


def test_compact_json_of_every_shipped_policy() -> None:
    found = sorted((REPO / "generated" / "policies").glob("*.json"))
    assert found
    for path in found:
        policy = iam.Policy.from_json(json.loads(path.read_text()))
        assert keys.compact_json(policy) == _plain(policy), path.name


@given(
    st.lists(st.sampled_from(["arn:aws:iam::111122223333:root", "b", "a"]), max_size=3),
    st.lists(st.sampled_from(["kms:Decrypt", "kms:*", "kms:Encrypt"]), min_size=1, max_size=3),
    st.sampled_from(["Allow", "Deny"]),
)
def test_shared_statements_equal_fresh_ones(
    principals: list[str], actions: list[str], effect: str
) -> None:
    cond = (iam.Condition(operator="StringEquals", key="kms:ViaService", values=("x",)),)
    made = statement("Sid", effect, principals, actions, cond)  # type: ignore[arg-type]
    again = statement("Sid", effect, list(reversed(principals)), set(actions), cond)  # type: ignore[arg-type]
    fresh = iam.Statement(
        sid="Sid",
        effect=effect,  # type: ignore[arg-type]
        principal=iam.Principals(aws=tuple(sorted(set(principals)))),
        action=tuple(sorted(set(actions))),
        resource=("*",),
        conditions=cond,
    )
    assert made is again
    assert made == fresh


def test_freed_statements_are_not_taken_for_new_ones() -> None:
    """The texts are remembered by identity (the entry holds its statement): statements made
    and freed one after another, so that addresses are reused, each get their own text."""
    for i in range(300):
        doc = {"Statement": [{"Sid": f"S{i}", "Effect": "Allow", "Principal": "*"}]}
        policy = iam.Policy.from_json(doc)
        assert keys.compact_json(policy) == _plain(policy), i
        del policy, doc
