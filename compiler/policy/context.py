"""The request-context keys AWS sets from the principal on every request (`derived`).

AWS puts these in the request context of a request whatever the caller sends; the global
condition keys page (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html,
also in awsdocs/iam-user-guide `doc_source/reference_policies_condition-keys.md`) says of each
"Availability – This key is always included in the request context" (today's wording: "for
all signed requests"):

- `aws:PrincipalArn` (#condition-keys-principalarn): "the ARN of the principal that made the
  request ... For IAM roles, the request context returns the ARN of the role, not the ARN of
  the user that assumed the role" (the role's ARN includes its path);
- `aws:PrincipalAccount` (#condition-keys-principalaccount): "the account to which the
  requesting principal belongs";
- `aws:PrincipalType` (#condition-keys-principaltype): `Account` (root user), `User`,
  `FederatedUser` or `AssumedRole` (role sessions);
- `aws:PrincipalIsAWSService` (#condition-keys-principalisawsservice): `true` when "the call is
  being made directly by an AWS service principal", `false` for every other signed request;
- `kms:CallerAccount`, for every KMS key resource operation: "because each API call can
  originate from only one AWS account, kms:CallerAccount is a single valued condition key"
  (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account).

For an AWS service principal AWS documents only `aws:PrincipalIsAWSService`; the other four are
left to the request (the comparer lets them take any value or none). A session ARN does not
show its role's path, so `derived` assumes none; a request may give the role's ARN with its
path as `aws:PrincipalArn` (`contradiction` accepts any path).

>>> dict(derived("arn:aws:sts::111122223333:assumed-role/BreakGlassKms/alice"))["aws:PrincipalArn"]
'arn:aws:iam::111122223333:role/BreakGlassKms'
>>> derived("logs.amazonaws.com")
(('aws:PrincipalIsAWSService', 'true'),)
>>> contradiction("arn:aws:iam::111122223333:root", "kms:CallerAccount", "444455556666")[-29:]
'AWS sets it to `111122223333`'
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from .principals import role_arn_fits, role_of_session, shape

PRINCIPAL_ARN = "aws:PrincipalArn"
PRINCIPAL_ACCOUNT = "aws:PrincipalAccount"
PRINCIPAL_TYPE = "aws:PrincipalType"
IS_SERVICE = "aws:PrincipalIsAWSService"
CALLER_ACCOUNT = "kms:CallerAccount"
DERIVED_KEYS = (PRINCIPAL_ARN, PRINCIPAL_ACCOUNT, PRINCIPAL_TYPE, IS_SERVICE, CALLER_ACCOUNT)
"""The keys AWS sets from the principal, in AWS's spelling."""
DERIVED_LOWER = frozenset(k.lower() for k in DERIVED_KEYS)

# aws:PrincipalType by principal shape (`principals.SHAPES`); a role ARN stands for a session.
PRINCIPAL_TYPES = {
    "root": "Account",
    "user": "User",
    "role": "AssumedRole",
    "federated-user": "FederatedUser",
    "assumed-role": "AssumedRole",
}


@lru_cache(maxsize=4096)
def derived(who: str) -> tuple[tuple[str, str], ...]:
    """(key, value) of every key AWS sets for principal `who` (none for an unknown shape)."""
    kind = shape(who)
    if kind == "service":
        return ((IS_SERVICE, "true"),)
    if kind is None:
        return ()
    account = who.split(":")[4]
    arn = who
    session = role_of_session(who)
    if session is not None:
        part, _, name = session
        arn = f"arn:{part}:iam::{account}:role/{name}"
    return (
        (PRINCIPAL_ARN, arn),
        (PRINCIPAL_ACCOUNT, account),
        (PRINCIPAL_TYPE, PRINCIPAL_TYPES[kind]),
        (IS_SERVICE, "false"),
        (CALLER_ACCOUNT, account),
    )


@lru_cache(maxsize=4096)
def derived_lower(who: str) -> dict[str, tuple[str, ...]]:
    """`derived` as a context with lower-case keys (the evaluator's form); do not mutate."""
    return {k.lower(): (v,) for k, v in derived(who)}


def contradiction(who: str, key: str, value: str) -> str | None:
    """Why a request by `who` cannot carry `key` = `value`, or None if AWS could set it so."""
    want = {k.lower(): v for k, v in derived(who)}.get(key.lower())
    if want is None or value == want:
        return None
    sets = f"`{want}`"
    if key.lower() == PRINCIPAL_ARN.lower() and shape(who) == "assumed-role":
        if role_arn_fits(value, who):
            return None  # the role's ARN with its path, which the session ARN does not show
        sets += " (with the role's path, if it has one)"
    return f"`{key}` = `{value}` contradicts the principal `{who}`: AWS sets it to {sets}"


def complete(who: str, ctx: Mapping[str, tuple[str, ...]]) -> Mapping[str, tuple[str, ...]]:
    """The context AWS evaluates: the keys it derives from `who`, then the request's own (lower
    case keys; a request's value for a derived key was checked by `contradiction`)."""
    got = derived_lower(who)
    if not got:
        return ctx
    if not ctx:
        return got
    return {**got, **ctx}
