"""What the evaluator works out once and reuses (issues 16 and 29): compiled statements and
compiled policies, each remembering its answers.

A statement is compiled once per value (`compiled_statement`): its parsed conditions, and how
it named each principal, action and resource and answered each request asked so far. A policy
is compiled once per sequence of compiled statements (`compiled_policy`): the equal policies
of different keys (an application's keys in every environment, a key's base policy and another
key's) share one, which remembers each decision it gave, by the request's value.

Why a remembered decision is the decision: `evaluate` reads nothing of a policy but its
statements, in order (a statement's label is its Sid or its position), and of the key's account
nothing but whether the request's principal belongs to it (`same_account`). Compiled statements
are shared by value, so equal statement sequences are the same tuple of compiled statements;
the memo key is that tuple, and the request by value (`request_key`: every field of it) with
that one bit. Every memo is bounded, cleared when full, so a long run does not keep its
statements alive; an entry holds what its key names, so no address is reused while cached.
`tests/test_evaluate_memo.py` compares remembered answers with fresh ones (`forget`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from . import iam
from .condops import parse_operator
from .request import Request
from .statements import (
    PLAIN,
    Kind,
    Reading,
    action_ok,
    check_statement,
    may_open,
    open_readings,
    principal_kind,
    resource_ok,
    statement_label,
)

COMPILED_MAX = 1 << 12
MEMO_MAX = 1 << 10
POLICIES_MAX = 1 << 8
INTERNED_MAX = 1 << 10
T = TypeVar("T")
V = TypeVar("V")


def keep(memo: dict[Any, Any], key: Hashable, value: V, limit: int = MEMO_MAX) -> V:
    """`memo[key] = value`, returned; a memo at `limit` entries is cleared first, so every memo
    stays bounded (a comparer's witnesses can be many)."""
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value
    return value


class CompiledStatement:
    """A statement `check_statement` accepted, with its parsed conditions and memos of how it
    answers the principals, actions, resources and requests (immutable: by identity) asked so
    far. The verifier asks the same few statements tens of times (issue 16): once each."""

    __slots__ = ("actions", "asked", "conds", "kinds", "may_open", "opens", "resources", "st")

    def __init__(self, st: iam.Statement) -> None:
        check_statement(st)  # raises: nothing is cached for a refused statement
        self.st = st
        self.conds = tuple(
            (c.key.lower(), parse_operator(c.operator), c.values) for c in st.conditions
        )
        self.may_open = may_open(st)
        self.kinds: dict[tuple[str, Reading], Kind | None] = {}
        self.opens: dict[str, Reading] = {}
        self.actions: dict[str, bool] = {}
        self.resources: dict[str | None, bool] = {}
        self.asked: dict[tuple[int, Reading], tuple[Request, Kind | None]] = {}

    def kind(self, who: str, reading: Reading = PLAIN) -> Kind | None:
        if (who, reading) in self.kinds:
            return self.kinds[who, reading]
        return keep(self.kinds, (who, reading), principal_kind(self.st, who, reading))

    def open(self, who: str) -> Reading:
        """The readings that change whether this statement names `who` (`open_readings`)."""
        if who in self.opens:
            return self.opens[who]
        return keep(self.opens, who, open_readings(self.st, who))

    def acts(self, action: str) -> bool:
        """Whether the action element names `action`."""
        if action in self.actions:
            return self.actions[action]
        return keep(self.actions, action, action_ok(self.st, action))

    def names(self, action: str, resource: str | None) -> bool:
        """Whether the action and resource elements name this request."""
        if not self.acts(action):
            return False
        if resource in self.resources:
            return self.resources[resource]
        return keep(self.resources, resource, resource_ok(self.st, resource))


class _Memo:
    """Results remembered by a key that fully determines them; bounded (cleared when full)."""

    __slots__ = ("results",)

    def __init__(self) -> None:
        self.results: dict[Hashable, Any] = {}

    def recall(self, key: Hashable) -> Any:
        return self.results.get(key)

    def remember(self, key: Hashable, value: Any) -> None:
        keep(self.results, key, value)


Labelled = tuple[tuple[str, CompiledStatement], ...]  # (label, statement), in policy order


class ActionView(_Memo):
    """The statements of a policy whose action element names one action, with their labels
    (`statement_label`), in order: what decides every request for that action under the plain
    reading, since a statement that does not name the action never applies. Interned by value,
    so the keys whose policies differ only in statements about other actions (revocations, the
    vendor grants) share one, and its decisions (issue 29)."""

    __slots__ = ("entries",)

    def __init__(self, entries: Labelled) -> None:
        super().__init__()
        self.entries = entries


class CompiledPolicy(_Memo):
    """A policy's compiled statements, with the readings left open for each principal, its
    action views, and the results the evaluator computed."""

    __slots__ = ("labelled", "openers", "opens", "statements", "views")

    def __init__(self, statements: tuple[CompiledStatement, ...]) -> None:
        super().__init__()
        self.statements = statements
        self.labelled: Labelled = tuple(
            (statement_label(cs.st, i), cs) for i, cs in enumerate(statements)
        )
        # Only a statement whose principal element has entries AWS leaves open can open one.
        self.openers = tuple(cs for cs in statements if cs.may_open)
        self.opens: dict[str, Reading] = {}
        self.views: dict[str, ActionView] = {}

    def open(self, who: str) -> Reading:
        """The readings some statement's principal element leaves open for `who`."""
        got = self.opens.get(who)
        if got is None:
            got = PLAIN
            for cs in self.openers:
                got |= cs.open(who)
            keep(self.opens, who, got)
        return got

    def view(self, action: str) -> ActionView:
        got = self.views.get(action)
        if got is None:
            entries = tuple((label, cs) for label, cs in self.labelled if cs.acts(action))
            got = _VIEWS.get(entries)
            if got is None:
                got = keep(_VIEWS, entries, ActionView(entries), INTERNED_MAX)
            keep(self.views, action, got)
        return got


class Batch(_Memo):
    """Requests the verifier asks of every key together (one tuple, which the caller interns),
    with their principals and actions; it remembers their decisions by the key's account and
    the policy's views of those actions (`evaluate.evaluate_all`)."""

    __slots__ = ("actions", "requests", "whos")

    def __init__(self, requests: tuple[Request, ...]) -> None:
        super().__init__()
        self.requests = requests
        self.whos = tuple(dict.fromkeys(r.principal for r in requests))
        self.actions = tuple(dict.fromkeys(r.action for r in requests))


_COMPILED: dict[iam.Statement, CompiledStatement] = {}
# Each policy's compiled form, by identity (the entry holds the policy, so an id is never
# reused while cached); the verifier works through the keys one at a time.
_POLICIES: dict[int, tuple[iam.Policy, CompiledPolicy]] = {}
_SEEN: dict[int, tuple[iam.Statement, CompiledStatement]] = {}
_INTERNED: dict[tuple[CompiledStatement, ...], CompiledPolicy] = {}
_VIEWS: dict[Labelled, ActionView] = {}
# By identity (the entry holds the tuple, so an id is never reused while cached).
_BATCHES: dict[int, Batch] = {}


def compiled_statement(st: iam.Statement) -> CompiledStatement:
    """By value: keys of one organization share most statements (the guard rails, the vendor
    grants of every environment), so what one statement answered serves every equal one. The
    same object is looked up by identity first (a key's base policy holds its policy's own
    statements): comparing pydantic models by value costs more than compiling some of them."""
    seen = _SEEN.get(id(st))
    if seen is not None and seen[0] is st:
        return seen[1]
    got = _COMPILED.get(st)
    if got is None:
        got = keep(_COMPILED, st, CompiledStatement(st), COMPILED_MAX)
    keep(_SEEN, id(st), (st, got), COMPILED_MAX)  # holds `st`: its id is not reused while cached
    return got


def compiled_policy(policy: iam.Policy) -> CompiledPolicy:
    got = _POLICIES.get(id(policy))
    if got is not None and got[0] is policy:
        return got[1]
    statements = tuple(compiled_statement(st) for st in policy.statements)
    made = _INTERNED.get(statements)
    if made is None:
        made = keep(_INTERNED, statements, CompiledPolicy(statements), INTERNED_MAX)
    keep(_POLICIES, id(policy), (policy, made), POLICIES_MAX)
    return made


def batch(requests: tuple[Request, ...]) -> Batch:
    got = _BATCHES.get(id(requests))
    if got is not None and got.requests is requests:
        return got
    return keep(_BATCHES, id(requests), Batch(requests), POLICIES_MAX)


def request_key(request: Request) -> Hashable:
    """Every field of the request, by value (context values are strings or tuples of them)."""
    return (
        request.principal,
        request.action,
        request.resource,
        request.future_action,
        tuple(request.context.items()),
    )


def forget() -> None:
    """Drop every memo (tests compare remembered answers with fresh ones)."""
    _COMPILED.clear()
    _SEEN.clear()
    _POLICIES.clear()
    _INTERNED.clear()
    _VIEWS.clear()
    _BATCHES.clear()


class ByIdentity(Generic[T, V]):
    """`make(obj)`, remembered by the object's identity: for what is made from immutable objects
    that many keys share (the compiler makes equal statements once). The entry holds the
    object, so its id is not reused while cached; bounded (cleared when full)."""

    def __init__(self, make: Callable[[T], V], size: int = 1 << 13) -> None:
        self._make = make
        self._size = size
        self._made: dict[int, tuple[T, V]] = {}

    def __call__(self, obj: T) -> V:
        got = self._made.get(id(obj))
        if got is not None and got[0] is obj:
            return got[1]
        return keep(self._made, id(obj), (obj, self._make(obj)), self._size)[1]
