"""`byok eval POLICY REQUEST` and `byok compare OLD NEW [--fail-on-wider]`.

Both take `--key-account ID`, the account that owns the key: a principal of it named directly
in the key policy is allowed by the key policy alone (`allow`); one matched only by an
account statement, or one of another account, needs an IAM policy too (`allow_if_iam`).
Without it every principal is judged as one of the key's account, the strict reading for a
review (a principal of another account named directly then shows as `allow`).

`eval` completes the request as AWS does: the keys AWS sets from the principal on every
request (`aws:PrincipalArn`, the role's ARN for a session; `aws:PrincipalAccount`,
`aws:PrincipalType`, `aws:PrincipalIsAWSService`, `kms:CallerAccount`) are derived and printed
as `derived_context`; a request may give them, but not a value AWS would not set. A `compare`
witness is such a request: it replays through `eval` with the decisions compare states.

Both print JSON on stdout and exit 0. Unreadable files, bad JSON, malformed policies or
requests, constructs the evaluator refuses and requests whose decision rests on a reading AWS
does not document print `byok: error: ...` on stderr and exit 1.
`compare --fail-on-wider` exits 3 when NEW allows a request OLD denies, and also when the
comparison is `unknown`: a check that cannot rule out new access fails closed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from ..policy import iam
from ..policy.compare import compare
from ..policy.context import PRINCIPAL_ARN, derived
from ..policy.evaluate import Decision, Request, evaluate
from ..policy.principals import shape
from .common import EXIT_INPUT, EXIT_OK, EXIT_WIDER

_ACCOUNT = re.compile(r"\d{12}", re.ASCII)


class _InputError(Exception):
    pass


def add_parsers(subparsers: Any) -> None:
    """Register `eval` and `compare` on an argparse subparsers object."""
    ev = subparsers.add_parser("eval", help="decide one request against one key policy")
    ev.add_argument("policy", help="key policy JSON file (- for stdin)")
    ev.add_argument(
        "request",
        help='request JSON file: {"principal", "action", "resource"?, "context"?} (- for stdin)',
    )
    _key_account(ev)
    ev.set_defaults(func=cmd_eval)
    cmp = subparsers.add_parser("compare", help="how a NEW key policy's access relates to OLD's")
    cmp.add_argument("old", help="the reviewed key policy JSON file")
    cmp.add_argument("new", help="the proposed key policy JSON file")
    cmp.add_argument(
        "--fail-on-wider",
        action="store_true",
        help="exit 3 if NEW allows a request OLD denies (or if that is undecided)",
    )
    _key_account(cmp)
    cmp.set_defaults(func=cmd_compare)


def _account_id(text: str) -> str:
    if not _ACCOUNT.fullmatch(text):
        raise argparse.ArgumentTypeError(f"`{text}` is not a 12-digit AWS account id")
    return text


def _key_account(parser: Any) -> None:
    parser.add_argument(
        "--key-account",
        type=_account_id,
        default=None,
        metavar="ID",
        help="the 12-digit account that owns the key (default: treat every principal as "
        "one of the key's account)",
    )


def _load(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _InputError(f"cannot read `{path}`: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _InputError(f"{path}: invalid JSON: {exc}") from None
    except RecursionError:  # json.loads recurses per level: a document nested ~1,000 deep
        raise _InputError(f"{path}: invalid JSON: nested too deeply") from None


def _policy(path: str) -> iam.Policy:
    try:
        return iam.Policy.from_json(_load(path))
    except ValueError as exc:
        raise _InputError(f"{path}: {exc}") from None


def _request(path: str) -> Request:
    try:
        return Request.from_json(_load(path))
    except ValueError as exc:
        raise _InputError(f"{path}: {exc}") from None


def _fail(message: str) -> int:
    print(f"byok: error: {message}", file=sys.stderr)
    return EXIT_INPUT


def _emit(doc: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")


def _eval_json(decision: Decision, request: Request) -> dict[str, Any]:
    """The decision, and the context keys AWS set that the request did not give."""
    given = {k.lower() for k in request.context}
    out = decision.to_json()
    out["derived_context"] = {k: v for k, v in derived(request.principal) if k.lower() not in given}
    if shape(request.principal) == "assumed-role" and PRINCIPAL_ARN.lower() not in given:
        out["derived_note"] = (
            f"`{PRINCIPAL_ARN}` is the session's role ARN without a path (a session ARN does "
            "not show it): give the role's ARN in the request's context if it has a path"
        )
    return out


def cmd_eval(args: argparse.Namespace) -> int:
    try:
        policy, request = _policy(args.policy), _request(args.request)
        decision = evaluate(policy, request, args.key_account)
    except _InputError as exc:
        return _fail(str(exc))
    except ValueError as exc:  # a policy the evaluator refuses (bad operator, variables...)
        return _fail(f"{args.policy}: {exc}")
    _emit(_eval_json(decision, request))
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    try:
        old, new = _policy(args.old), _policy(args.new)
        result = compare(old, new, args.key_account)
    except _InputError as exc:
        return _fail(str(exc))
    except ValueError as exc:  # a malformed condition in either policy
        return _fail(str(exc))
    _emit(result.to_json())
    if args.fail_on_wider and (result.new_access is not None or result.relation == "unknown"):
        why = "grants new access" if result.new_access is not None else "may grant new access"
        print(f"byok: {args.new} {why} compared with {args.old}", file=sys.stderr)
        return EXIT_WIDER
    return EXIT_OK
