"""Who makes a request (`shape`), and whom a `Principal`/`NotPrincipal` entry names.

Request principals. A request comes from an account root user, an IAM user, an assumed-role
session, a federated-user session or an AWS service principal; the engine also accepts a role
ARN, standing for an unnamed session of that role. `shape` tells which (None for anything else:
no request carries it). Each shape is a glob, so the evaluator (`StrPred.matches`) and the
comparer (automata over the same globs) agree on every string.
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)

Direct and delegated. AWS distinguishes two ways a key policy can let a principal of the key's
own account in
(https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam):

- *directly*: the statement names the principal (its role or user ARN, a session of its role,
  `"*"`, or the account root user itself). The key policy alone then allows the request.
- *by delegation*: the statement names the account (`arn:aws:iam::<account>:root` or the bare
  id). That "enables IAM policies": a principal of the account is allowed only if an IAM
  policy of the account also allows it, which a key policy cannot show.

A principal of another account always needs its own account's IAM policy too, however it is
named (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).

Role sessions: a role ARN names the role's assumed-role sessions,
`arn:aws:sts::<account>:assumed-role/<role name>/<session>`; the session ARN carries no role
path (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-role-session).
A session's `aws:PrincipalArn` is its role's ARN, path included, which the session ARN does not
show; so the comparer reasons about a session through its *session form*
`<role ARN>/<session name>` (`Dual.s`), which carries both.

Readings AWS leaves open (`READINGS`): whether `{"AWS": "*"}` names AWS service principals,
and whether a role ARN in `NotPrincipal` also spares the role's sessions. An entry list keeps
what it names under either reading apart (`PrincipalPreds.maybe`); the evaluator refuses a
request whose decision depends on it and the comparer answers `unknown`.

>>> p = principal_preds(Principals(aws=("arn:aws:iam::111122223333:role/ops/Admin",)), False)
>>> p.direct.p.matches("arn:aws:sts::111122223333:assumed-role/Admin/alice")
True
>>> p.direct.p.matches("arn:aws:sts::111122223333:assumed-role/ops/Admin/alice")
False
>>> p.direct.s.matches("arn:aws:iam::111122223333:role/ops/Admin/alice")
True
>>> r = principal_preds(Principals(aws=("111122223333",)), False)
>>> r.direct.p.matches("arn:aws:iam::111122223333:root"), r.delegated.p.matches(
...     "arn:aws:iam::111122223333:role/X")
(True, True)
>>> same_account("arn:aws:iam::444455556666:role/X", "111122223333"), same_account("x", "1")
(False, True)
>>> shape("arn:aws:sts::111122223333:assumed-role/Admin/alice"), shape("logs.amazonaws.com")
('assumed-role', 'service')
>>> shape("arn:aws:iam::111122223333:group/G") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .iam import Principals
from .matching import ANY, NOT_COLON, CharSet, Glob, StrPred, folded_glob, literal, prefix, union

_ACCOUNT = re.compile(r"\d{12}", re.ASCII)
_ROOT = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):root", re.ASCII)
_ROLE = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[^*?]*/)?([^/*?]+)", re.ASCII)
_SESSION = re.compile(r"arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/([^/]+)", re.A | re.S)
_ROLE_ARN = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):role/(?:.*/)?([^/]+)", re.A | re.S)
_FORM = re.compile(r"(arn:aws[a-z-]*:iam::\d{12}:role/(?:.*/)?([^/]+))/([^/]+)", re.A | re.S)
NOT_SLASH: CharSet = (True, frozenset("/"))
_PARTITION_TAIL: CharSet = (False, frozenset("abcdefghijklmnopqrstuvwxyz-"))
_DIGIT: CharSet = (False, frozenset("0123456789"))
_SEGMENT: Glob = ((False, NOT_SLASH), (True, NOT_SLASH))  # one or more non-slash characters
NOTHING = StrPred()
ALL = StrPred(globs=(((True, ANY),),))

AWS_STAR_SERVICES = "aws-star-names-services"
NOT_PRINCIPAL_ROLE_SESSIONS = "not-principal-role-names-sessions"
READINGS = {
    AWS_STAR_SERVICES: 'whether `{"AWS": "*"}` names AWS service principals (the Principal '
    'page lists it beside `"*"` as "all principals", but service principals are not of the '
    "`AWS` type; https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_elements_principal.html#principal-anonymous)",
    NOT_PRINCIPAL_ROLE_SESSIONS: "whether a role ARN in `NotPrincipal` also spares the role's "
    "sessions (the NotPrincipal page's example lists the session ARN beside the role ARN; "
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html)",
}


@dataclass(frozen=True)
class Dual:
    """One set of request principals, as a predicate on the principal string (`p`, every
    shape: what the evaluator tests) and on the session form `<role ARN>/<session>` of an
    assumed-role session (`s`: what the comparer tests for sessions)."""

    p: StrPred
    s: StrPred


NONE = Dual(NOTHING, NOTHING)


def dual_union(parts: list[Dual]) -> Dual:
    return Dual(union([d.p for d in parts]), union([d.s for d in parts]))


def _arn_head(svc: str, account: Glob) -> Glob:
    return (
        *literal("arn:aws"),
        (True, _PARTITION_TAIL),
        *literal(f":{svc}::"),
        *account,
        *literal(":"),
    )


def _head(svc: str, account: CharSet | str = _DIGIT) -> Glob:
    """`arn:<partition>:<svc>::<account>:` with any partition `aws[a-z-]*`."""
    digits = (
        literal(account) if isinstance(account, str) else tuple((False, account) for _ in range(12))
    )
    return _arn_head(svc, digits)


def _sessions_of(head: Glob, tail: Glob) -> tuple[Glob, Glob]:
    """Session forms `<head><path><tail>`: no path, or a path ending in `/`."""
    return (*head, *tail), (*head, (True, ANY), *literal("/"), *tail)


SHAPES: dict[str, StrPred] = {
    "root": StrPred(globs=((*_head("iam"), *literal("root")),)),
    "user": StrPred(globs=((*_head("iam"), *literal("user/"), (False, ANY), (True, ANY)),)),
    "role": StrPred(globs=((*_head("iam"), *literal("role/"), (False, ANY), (True, ANY)),)),
    "federated-user": StrPred(globs=((*_head("sts"), *literal("federated-user/"), *_SEGMENT),)),
    "assumed-role": StrPred(
        globs=((*_head("sts"), *literal("assumed-role/"), *_SEGMENT, *literal("/"), *_SEGMENT),)
    ),
    # An AWS service principal is a DNS name (`logs.amazonaws.com`): no colon, a dot.
    "service": StrPred(globs=(((True, NOT_COLON), *literal("."), (True, NOT_COLON)),)),
}
"""Every principal a request can carry, by kind; pairwise disjoint."""
PLAIN = StrPred(globs=tuple(g for k, p in SHAPES.items() if k != "assumed-role" for g in p.globs))
"""Every request principal but an assumed-role session (one predicate: the comparer tells the
kinds apart only where a policy asks)."""
SESSION_FORM = StrPred(
    globs=_sessions_of((*_head("iam"), *literal("role/")), (*_SEGMENT, *literal("/"), *_SEGMENT))
)
"""The session forms of every assumed-role session."""


@lru_cache(maxsize=4096)
def shape(who: str) -> str | None:
    """The kind of request principal `who` is (a key of `SHAPES`), or None."""
    return next((name for name, pred in SHAPES.items() if pred.matches(who)), None)


def session_form(session: str, role_arn: str | None = None) -> str:
    """`<role ARN>/<session>` of a session ARN; the role ARN defaults to the one without a path.

    >>> session_form("arn:aws:sts::111122223333:assumed-role/Ops/s1")
    'arn:aws:iam::111122223333:role/Ops/s1'
    """
    m = _SESSION.fullmatch(session)
    assert m is not None, session
    part, account, name, sess = m.groups()
    return f"{role_arn or f'arn:{part}:iam::{account}:role/{name}'}/{sess}"


def from_session_form(form: str) -> tuple[str, str]:
    """(the session ARN, its role's ARN) of a session form.

    >>> from_session_form("arn:aws:iam::111122223333:role/team/Ops/s1")
    ('arn:aws:sts::111122223333:assumed-role/Ops/s1', 'arn:aws:iam::111122223333:role/team/Ops')
    """
    m = _FORM.fullmatch(form)
    assert m is not None, form
    role, name, sess = m.groups()
    part, account = role.split(":")[1], role.split(":")[4]
    return f"arn:{part}:sts::{account}:assumed-role/{name}/{sess}", role


def role_of_session(session: str) -> tuple[str, str, str] | None:
    """(partition, account, role name) of a session ARN, else None."""
    m = _SESSION.fullmatch(session)
    return None if m is None else (m.group(1), m.group(2), m.group(3))


def role_arn_fits(role_arn: str, session: str) -> bool:
    """Whether `role_arn` can be the ARN of the role `session` belongs to (any path).

    >>> s = "arn:aws:sts::111122223333:assumed-role/Ops/s1"
    >>> role_arn_fits("arn:aws:iam::111122223333:role/team/Ops", s), role_arn_fits(
    ...     "arn:aws:iam::111122223333:role/Ops2", s)
    (True, False)
    """
    m = _ROLE_ARN.fullmatch(role_arn)
    return m is not None and m.groups() == role_of_session(session)


@dataclass(frozen=True)
class PrincipalPreds:
    """Request principals an entry list names directly, those it names only through an
    account (delegation; a principal in both is named directly), and those it names only
    under one reading of `READINGS` (`maybe`: named directly in `Principal`, spared in
    `NotPrincipal`)."""

    direct: Dual
    delegated: Dual
    maybe: tuple[tuple[str, Dual], ...] = ()

    @property
    def any(self) -> Dual:
        return dual_union([self.direct, self.delegated])

    def open_readings(self, who: str) -> frozenset[str]:
        """The readings under which this entry list names `who` and otherwise does not."""
        return frozenset(flag for flag, d in self.maybe if d.p.matches(who))


def _role_sessions(part: str, account: str, name: str) -> Dual:
    """Every session of role `name` (the session ARN carries no role path)."""
    p = (*literal(f"arn:{part}:sts::{account}:assumed-role/{name}/"), *_SEGMENT)
    head = literal(f"arn:{part}:iam::{account}:role/")
    return Dual(
        StrPred(globs=(p,)), StrPred(globs=_sessions_of(head, (*literal(f"{name}/"), *_SEGMENT)))
    )


def _literal(value: str) -> Dual:
    """Exactly `value`; a session ARN also as its session forms (any role path)."""
    m = _SESSION.fullmatch(value)
    if m is None:
        return Dual(StrPred(lits=frozenset({value})), NOTHING)
    part, account, name, sess = m.groups()
    head = literal(f"arn:{part}:iam::{account}:role/")
    s = StrPred(globs=_sessions_of(head, literal(f"{name}/{sess}")))
    return Dual(StrPred(lits=frozenset({value})), s)


def _entry(value: str, negated: bool) -> PrincipalPreds:
    if value == "*":
        services = ((AWS_STAR_SERVICES, Dual(SHAPES["service"], NOTHING)),)
        return PrincipalPreds(Dual(StrPred(globs=(prefix("arn:"),)), ALL), NONE, services)
    root = _ROOT.fullmatch(value)
    if root is not None or _ACCOUNT.fullmatch(value):
        part, account = (root.group(1), root.group(2)) if root else ("aws", value)
        own = Dual(StrPred(lits=frozenset({f"arn:{part}:iam::{account}:root"})), NOTHING)
        if negated:
            return PrincipalPreds(own, NONE)
        members = tuple(prefix(f"arn:{part}:{svc}::{account}:") for svc in ("iam", "sts"))
        forms = StrPred(globs=(prefix(f"arn:{part}:iam::{account}:"),))
        return PrincipalPreds(own, Dual(StrPred(globs=members), forms))
    role = _ROLE.fullmatch(value)
    if role is None:
        return PrincipalPreds(_literal(value), NONE)
    sessions = _role_sessions(*role.groups())
    if negated:
        return PrincipalPreds(_literal(value), NONE, ((NOT_PRINCIPAL_ROLE_SESSIONS, sessions),))
    return PrincipalPreds(dual_union([_literal(value), sessions]), NONE)


@lru_cache(maxsize=1024)
def principal_preds(p: Principals, negated: bool) -> PrincipalPreds:
    """What `p` names (ignoring `star`, which callers test first); `negated` for NotPrincipal."""
    parts = [_entry(v, negated) for v in p.aws]
    others = Dual(StrPred(lits=frozenset(p.service + p.federated + p.canonical_user)), NOTHING)
    maybe: dict[str, list[Dual]] = {}
    for x in parts:
        for flag, d in x.maybe:
            maybe.setdefault(flag, []).append(d)
    return PrincipalPreds(
        dual_union([x.direct for x in parts] + [others]),
        dual_union([x.delegated for x in parts]),
        tuple((flag, dual_union(ds)) for flag, ds in sorted(maybe.items())),
    )


def _account_dual(account: CharSet | str) -> Dual:
    p = StrPred(globs=tuple((*_head(svc, account), (True, ANY)) for svc in ("iam", "sts")))
    return Dual(p, StrPred(globs=((*_head("iam", account), (True, ANY)),)))


# Any IAM or STS principal ARN that carries an account id.
ACCOUNT_ARN = _account_dual(_DIGIT)


@lru_cache(maxsize=64)
def account_pred(account: str) -> Dual:
    """IAM and STS principal ARNs of `account`, in any partition."""
    return _account_dual(account)


@lru_cache(maxsize=4096)
def same_account(who: str, key_account: str | None) -> bool:
    """Whether `who` counts as a principal of the key's account.

    `None` (key account not known) counts every principal as the key's own, so delegation is
    visible for every account: the strict reading for a review. A principal that is not an
    IAM/STS ARN with an account (a service, `"*"`) counts as the key's own too."""
    if key_account is None or not ACCOUNT_ARN.p.matches(who):
        return True
    return account_pred(key_account).p.matches(who)


def _digits_only(g: Glob) -> Glob | None:
    """`g` restricted to strings of ASCII digits (an account id), None if it matches none."""
    out: list[tuple[bool, CharSet]] = []
    for rep, (neg, chars) in g:
        allowed = frozenset(_DIGIT[1] - chars if neg else _DIGIT[1] & chars)
        if not allowed and not rep:
            return None
        if allowed:
            out.append((rep, (False, allowed)))
    return tuple(out)


def account_view(q: StrPred) -> Dual:
    """The principals whose account (`aws:PrincipalAccount`, `kms:CallerAccount`) `q` matches.
    An account id is 12 ASCII digits, which case folding leaves alone.

    >>> v = account_view(StrPred(lits=frozenset({"111122223333"})))
    >>> v.p.matches("arn:aws:sts::111122223333:assumed-role/R/s"), v.s.matches(
    ...     "arn:aws:iam::111122223333:role/R/s")
    (True, True)
    """
    accounts: list[Glob] = [literal(w) for w in q.lits | q.folded if _ACCOUNT.fullmatch(w)]
    accounts += [d for g in q.globs if (d := _digits_only(g)) is not None]
    p = tuple((*_arn_head(svc, a), (True, ANY)) for a in accounts for svc in ("iam", "sts"))
    s = tuple((*_arn_head("iam", a), (True, ANY)) for a in accounts)
    return Dual(StrPred(globs=p), StrPred(globs=s))


def arn_view(q: StrPred) -> Dual:
    """The principals whose `aws:PrincipalArn` `q` matches: a session's is its role's ARN, its
    session form without the last `/<session>`; every other principal's is its own ARN.

    >>> v = arn_view(StrPred(lits=frozenset({"arn:aws:iam::111122223333:role/team/Ops"})))
    >>> v.s.matches("arn:aws:iam::111122223333:role/team/Ops/s1"), v.s.matches(
    ...     "arn:aws:iam::111122223333:role/Ops/s1")
    (True, False)
    """
    tail = (*literal("/"), *_SEGMENT)
    words = [literal(w) for w in sorted(q.lits)] + [folded_glob(w) for w in sorted(q.folded)]
    return Dual(q, StrPred(globs=tuple((*g, *tail) for g in (*words, *q.globs))))
