"""Whom a `Principal`/`NotPrincipal` entry names, and whether it names them directly.

AWS distinguishes two ways a key policy can let a principal of the key's own account in
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
In `NotPrincipal` a role ARN excludes its sessions as well, and an account excludes only the
account principal itself (the NotPrincipal page asks for the account ARN alongside a role ARN;
this engine reads each entry on its own).

>>> p = principal_preds(Principals(aws=("arn:aws:iam::111122223333:role/ops/Admin",)), False)
>>> p.direct.matches("arn:aws:sts::111122223333:assumed-role/Admin/alice")
True
>>> p.direct.matches("arn:aws:sts::111122223333:assumed-role/ops/Admin/alice")
False
>>> r = principal_preds(Principals(aws=("111122223333",)), False)
>>> r.direct.matches("arn:aws:iam::111122223333:root"), r.delegated.matches(
...     "arn:aws:iam::111122223333:role/X")
(True, True)
>>> same_account("arn:aws:iam::444455556666:role/X", "111122223333"), same_account("x", "1")
(False, True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .iam import Principals
from .matching import ANY, CharSet, Glob, StrPred, literal, prefix, union

_ACCOUNT = re.compile(r"\d{12}", re.ASCII)
_ROOT = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):root", re.ASCII)
_ROLE = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[^*?]*/)?([^/*?]+)", re.ASCII)
_NOT_SLASH: CharSet = (True, frozenset("/"))
_PARTITION_TAIL: CharSet = (False, frozenset("abcdefghijklmnopqrstuvwxyz-"))
_DIGIT: CharSet = (False, frozenset("0123456789"))


@dataclass(frozen=True)
class PrincipalPreds:
    """Request principals an entry list names directly, and those it names only through an
    account (delegation). A principal in both is named directly."""

    direct: StrPred
    delegated: StrPred

    @property
    def any(self) -> StrPred:
        return union([self.direct, self.delegated])


def _session_glob(part: str, account: str, name: str) -> Glob:
    # One or more non-slash characters: a session name never contains `/`.
    head = literal(f"arn:{part}:sts::{account}:assumed-role/{name}/")
    return (*head, (False, _NOT_SLASH), (True, _NOT_SLASH))


def _entry(value: str, negated: bool) -> PrincipalPreds:
    if value == "*":
        return PrincipalPreds(StrPred(globs=(prefix("arn:"),)), StrPred())
    root = _ROOT.fullmatch(value)
    if root is not None or _ACCOUNT.fullmatch(value):
        part, account = (root.group(1), root.group(2)) if root else ("aws", value)
        own = StrPred(lits=frozenset({f"arn:{part}:iam::{account}:root"}))
        if negated:
            return PrincipalPreds(own, StrPred())
        members = tuple(prefix(f"arn:{part}:{svc}::{account}:") for svc in ("iam", "sts"))
        return PrincipalPreds(own, StrPred(globs=members))
    role = _ROLE.fullmatch(value)
    globs = (_session_glob(*role.groups()),) if role else ()
    return PrincipalPreds(StrPred(lits=frozenset({value}), globs=globs), StrPred())


@lru_cache(maxsize=1024)
def principal_preds(p: Principals, negated: bool) -> PrincipalPreds:
    """What `p` names (ignoring `star`, which callers test first); `negated` for NotPrincipal."""
    parts = [_entry(v, negated) for v in p.aws]
    others = StrPred(lits=frozenset(p.service + p.federated + p.canonical_user))
    return PrincipalPreds(
        union([x.direct for x in parts] + [others]), union([x.delegated for x in parts])
    )


def _account_glob(account: CharSet | str, svc: str) -> Glob:
    digits = (
        literal(account) if isinstance(account, str) else tuple((False, account) for _ in range(12))
    )
    return (
        *literal("arn:aws"),
        (True, _PARTITION_TAIL),
        *literal(f":{svc}::"),
        *digits,
        *literal(":"),
        (True, ANY),
    )


# Any IAM or STS principal ARN that carries an account id.
ACCOUNT_ARN = StrPred(globs=tuple(_account_glob(_DIGIT, svc) for svc in ("iam", "sts")))


@lru_cache(maxsize=64)
def account_pred(account: str) -> StrPred:
    """IAM and STS principal ARNs of `account`, in any partition."""
    return StrPred(globs=tuple(_account_glob(account, svc) for svc in ("iam", "sts")))


@lru_cache(maxsize=4096)
def same_account(who: str, key_account: str | None) -> bool:
    """Whether `who` counts as a principal of the key's account.

    `None` (key account not known) counts every principal as the key's own, so delegation is
    visible for every account: the strict reading for a review. A principal that is not an
    IAM/STS ARN with an account (a service, `"*"`) counts as the key's own too."""
    if key_account is None or not ACCOUNT_ARN.matches(who):
        return True
    return account_pred(key_account).matches(who)
