"""`Policy.from_json` parses each statement once per process (policy/iam.py, issue 29): a
statement whose JSON recurs (across keys, across the two sides of `byok diff`) is one shared
object. The memo must never answer for a different input: equal to a fresh parse for any
statement, no answer for input `json.loads` cannot make, and no remembered error."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byok.policy import iam
from byok.policy.iam import Policy, PolicyFormatError
from tests.test_semantics_properties import modest, statements

GRANT = {"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"}  # fmt: skip


class Text(str):
    """A str subclass: `repr` alone would not tell it from a str."""


def _only(doc: Any) -> iam.Statement:
    return Policy.from_json({"Statement": [doc]}).statements[0]


def test_equal_json_gives_one_object_and_a_fresh_parse_agrees() -> None:
    first = _only(GRANT)
    assert _only(copy.deepcopy(GRANT)) is first
    assert first == iam._parse_statement(copy.deepcopy(GRANT), 0)
    reordered = dict(reversed(list(GRANT.items())))
    assert _only(reordered) == first  # another key order: another entry, the same statement


def test_input_json_loads_cannot_make_is_parsed_every_time() -> None:
    _only(GRANT)
    as_tuple = {**GRANT, "Action": ("kms:Decrypt", "kms:Encrypt")}
    with pytest.raises(PolicyFormatError, match="`Action` must be a string or a list"):
        _only(as_tuple)
    subclassed = {**GRANT, "Sid": Text("Use")}
    got = _only(subclassed)
    assert got == _only(GRANT) and got is not _only(GRANT)


def test_errors_are_not_remembered() -> None:
    bad = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Oops": 1}
    for _ in range(2):
        with pytest.raises(PolicyFormatError, match="unknown statement element `Oops`"):
            _only(bad)


def test_a_full_memo_is_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(iam, "_PARSED", {})
    monkeypatch.setattr(iam, "_PARSED_MAX", 2)
    for sid in ("A", "B", "C"):
        _only({**GRANT, "Sid": sid})
    assert list(iam._PARSED) == [repr({**GRANT, "Sid": "C"})]


@modest(300)
@given(st.lists(statements(), min_size=1, max_size=6))
def test_the_memo_answers_what_a_fresh_parse_answers(raws: list[dict[str, Any]]) -> None:
    """Random statements of the semantic property tests, each parsed twice through the memo:
    the same statement as a parse without it, field for field."""
    for raw in raws:
        fresh = iam._parse_statement(copy.deepcopy(raw), 0)
        assert _only(raw) == fresh
        assert _only(copy.deepcopy(raw)).model_dump() == fresh.model_dump()


def test_nesting_too_deep_to_remember_is_refused_as_a_fresh_parse_refuses_it() -> None:
    """A value nested deeper than Python's recursion limit (a crafted policy file) gets the
    parse's own error, not a RecursionError from telling whether the memo may hold it."""
    deep: Any = "x"
    for _ in range(5_000):
        deep = [deep]
    raw = {**GRANT, "Condition": {"StringEquals": {"kms:ViaService": deep}}}
    why = "condition values of kms:ViaService must be strings, numbers or booleans"
    with pytest.raises(PolicyFormatError, match=why):
        iam._parse_statement(raw, 0)
    with pytest.raises(PolicyFormatError, match=why):
        _only(raw)
