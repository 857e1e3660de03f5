"""`render.jsontext.dumps_indent2` writes exactly what `json.dumps(doc, indent=2,
ensure_ascii=False)` writes, and `render.tree.policy_json`, which assembles a policy's text
from its statements' (each made once), exactly what dumping the whole policy writes."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from byok.policy import iam
from byok.render.jsontext import dumps_indent2
from byok.render.tree import policy_json
from tests import test_semantics_properties as props
from tests.test_compile_shared import SHARED_STATEMENTS

REPO = Path(__file__).resolve().parent.parent

_SCALARS = st.one_of(
    st.text(),  # every escape: quotes, backslashes, control characters, non-ASCII, surrogates
    st.sampled_from(["", "kms:*", 'a"b', "a\\b", "\n", "\u2028", "é", "\x7f", "\ud800"]),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
)
_DOCS = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=6), inner, max_size=4),
        st.dictionaries(st.integers(), inner, max_size=2),
    ),
    max_leaves=30,
)


@settings(max_examples=1000, deadline=None)
@given(_DOCS)
def test_same_text_as_json_dumps(doc: Any) -> None:
    assert dumps_indent2(doc) == json.dumps(doc, indent=2, ensure_ascii=False)


def test_same_text_for_every_shipped_policy() -> None:
    found = sorted((REPO / "generated" / "policies").glob("*.json"))
    assert found
    for path in found:
        doc = json.loads(path.read_text("utf-8"))
        assert dumps_indent2(doc) + "\n" == path.read_text("utf-8"), path.name


def _stdlib(policy: iam.Policy) -> bytes:
    return (json.dumps(policy.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@props.modest(300)
@given(SHARED_STATEMENTS)
def test_policy_json_is_the_whole_policy_dumped_at_once(policies: list[iam.Policy]) -> None:
    """`policy_json` assembles the text from each statement's, made once."""
    for policy in policies:
        assert policy_json(SimpleNamespace(policy=policy)) == _stdlib(policy)  # type: ignore[arg-type]


def test_freed_statements_are_not_taken_for_new_ones() -> None:
    """Statements made and freed one after another (addresses reused) get their own text."""
    for i in range(300):
        doc = {"Statement": [{"Sid": f"S{i}", "Effect": "Allow", "Principal": "*"}]}
        policy = iam.Policy.from_json(doc)
        assert policy_json(SimpleNamespace(policy=policy)) == _stdlib(policy), i  # type: ignore[arg-type]
        del policy, doc
