"""Issue 25: `byok eval` completes a request the way AWS does, and the comparer reads the same
request; where AWS's documentation leaves a reading open, the comparer never says `equivalent`.

AWS pages each test rests on:

- GLOBAL: the keys AWS sets on every signed request, `aws:PrincipalArn` (for a role session
  the role's ARN), `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:PrincipalIsAWSService`:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
- KMSKEYS: `kms:CallerAccount`, single-valued, "each API call can originate from only one AWS
  account": https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
- PRINCIPAL: `"*"` and `{"AWS": "*"}` both listed as "all principals", service principals a
  type of their own: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
- NOTPRINCIPAL: the example spares a role session by listing its session ARN beside the role:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
- SINGLE: single-valued keys carry one value:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from byok.policy.compare import compare
from byok.policy.evaluate import AmbiguousRequestError, Request, RequestFormatError, evaluate
from byok.policy.iam import Policy, PolicyFormatError
from tests.conftest import REPO, byok, copy_inputs
from tests.test_cli_semantics import run, write

ACCT = "111122223333"
BREAK_GLASS = f"arn:aws:iam::{ACCT}:role/BreakGlassKms"
ROOT = f"arn:aws:iam::{ACCT}:root"
SLACK_PROD = REPO / "generated" / "policies" / "slack-prod.json"


def pol(*statements: dict[str, Any]) -> Policy:
    return Policy.from_json({"Statement": list(statements)})


def stmt(effect: str = "Allow", principal: Any = "*", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect, "Action": "kms:*", "Resource": "*", **extra}
    if principal is not None:
        out["Principal"] = principal
    return out


# ------------------------------------------------------------- eval completes the request


@pytest.mark.parametrize(
    "who", [BREAK_GLASS, f"arn:aws:sts::{ACCT}:assumed-role/BreakGlassKms/oncall"]
)
def test_break_glass_disables_the_generated_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], who: str
) -> None:
    # GLOBAL: AWS sets aws:PrincipalArn on every request, the role's ARN for its sessions, so
    # the guard rail `ArnNotEquals aws:PrincipalArn <break-glass>` spares break-glass.
    r = write(tmp_path, "r.json", {"principal": who, "action": "kms:DisableKey"})
    assert run(["eval", str(SLACK_PROD), r, "--key-account", ACCT]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["decision"], out["reason"], out["statements"]) == ("allow", "allow", ["BreakGlass"])
    assert out["derived_context"]["aws:PrincipalArn"] == BREAK_GLASS


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (ROOT, (ROOT, ACCT, "Account", "false")),
        (
            f"arn:aws:iam::{ACCT}:user/ops/alice",
            (f"arn:aws:iam::{ACCT}:user/ops/alice", ACCT, "User", "false"),
        ),
        (
            f"arn:aws:iam::{ACCT}:role/team/Ops",
            (f"arn:aws:iam::{ACCT}:role/team/Ops", ACCT, "AssumedRole", "false"),
        ),
        (
            f"arn:aws:sts::{ACCT}:assumed-role/Ops/s1",
            (f"arn:aws:iam::{ACCT}:role/Ops", ACCT, "AssumedRole", "false"),
        ),
        (
            f"arn:aws:sts::{ACCT}:federated-user/bob",
            (f"arn:aws:sts::{ACCT}:federated-user/bob", ACCT, "FederatedUser", "false"),
        ),
    ],
)
def test_keys_aws_sets_from_each_principal(who: str, expected: tuple[str, ...]) -> None:
    # GLOBAL (each key's "Availability": every signed request) and KMSKEYS (kms:CallerAccount).
    arn, account, kind, service = expected
    keys = {
        "aws:PrincipalArn": arn,
        "aws:PrincipalAccount": account,
        "aws:PrincipalType": kind,
        "aws:PrincipalIsAWSService": service,
        "kms:CallerAccount": account,
    }
    for key, value in keys.items():
        allow = pol(stmt(Condition={"StringEquals": {key: value}}))
        assert evaluate(allow, Request(principal=who, action="kms:Decrypt")).decision == "allow", (
            key
        )
        other = pol(stmt(Condition={"StringEquals": {key: value + "x"}}))
        assert evaluate(other, Request(principal=who, action="kms:Decrypt")).decision == "deny", key


def test_a_service_principal_is_an_aws_service_and_nothing_else_is_derived() -> None:
    # GLOBAL: aws:PrincipalIsAWSService is true for a service principal; the page documents no
    # aws:PrincipalArn or account for one, so a request may give them (or not).
    allow = pol(stmt(Condition={"Bool": {"aws:PrincipalIsAWSService": "true"}}))
    svc = Request(principal="logs.amazonaws.com", action="kms:Decrypt")
    assert evaluate(allow, svc).decision == "allow"
    assert evaluate(allow, Request(principal=ROOT, action="kms:Decrypt")).decision == "deny"
    given = Request(
        principal="logs.amazonaws.com",
        action="kms:Decrypt",
        context={"kms:CallerAccount": "444455556666"},
    )
    assert given.context == {"kms:CallerAccount": "444455556666"}


@pytest.mark.parametrize(
    ("who", "key", "value", "message"),
    [
        (ROOT, "kms:CallerAccount", "444455556666", "AWS sets it to `111122223333`"),
        (ROOT, "aws:PrincipalType", "User", "AWS sets it to `Account`"),
        (
            f"arn:aws:sts::{ACCT}:assumed-role/Ops/s1",
            "aws:PrincipalArn",
            f"arn:aws:sts::{ACCT}:assumed-role/Ops/s1",
            f"AWS sets it to `arn:aws:iam::{ACCT}:role/Ops` (with the role's path, if it has one)",
        ),
        (
            f"arn:aws:sts::{ACCT}:assumed-role/Ops/s1",
            "AWS:principalarn",
            f"arn:aws:iam::{ACCT}:role/Ops2",
            "contradicts the principal",
        ),
        ("logs.amazonaws.com", "aws:PrincipalIsAWSService", "false", "AWS sets it to `true`"),
    ],
)
def test_a_value_that_contradicts_the_principal_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], who: str, key: str, value: str, message: str
) -> None:
    doc = {"principal": who, "action": "kms:Decrypt", "context": {key: value}}
    with pytest.raises(RequestFormatError, match="contradicts the principal") as err:
        Request.from_json(doc)
    assert message in str(err.value)
    r = write(tmp_path, "r.json", doc)
    assert run(["eval", str(SLACK_PROD), r]) == 1
    assert capsys.readouterr().err.startswith(f"byok: error: {r}: `{key}` = `{value}` contradicts")


def test_a_session_may_name_its_roles_path() -> None:
    # GLOBAL: aws:PrincipalArn of a session is the role's ARN, path included; the session ARN
    # does not show the path, so the request may give it, and the policy sees it.
    team = f"arn:aws:iam::{ACCT}:role/team/Ops"
    p = pol(stmt(Condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/team/*"}}))
    session = f"arn:aws:sts::{ACCT}:assumed-role/Ops/s1"
    with_path = Request(principal=session, action="kms:Decrypt", context={"aws:PrincipalArn": team})
    assert evaluate(p, with_path).decision == "allow"
    assert evaluate(p, Request(principal=session, action="kms:Decrypt")).decision == "deny"


@pytest.mark.parametrize("who", ["", "*", "arn:aws:iam::111122223333:group/Admins", "Bob"])
def test_a_request_comes_from_a_principal(who: str) -> None:
    with pytest.raises(RequestFormatError, match="is not a principal a request can come from"):
        Request.from_json({"principal": who, "action": "kms:Decrypt"})


def test_a_list_for_a_single_valued_key_is_refused() -> None:
    # SINGLE, KMSKEYS: kms:EncryptionContext:<key> and kms:CallerAccount are single-valued; the
    # comparer assumes one value, so eval must not accept a list.
    for key in ("kms:EncryptionContext:channel_id", "kms:ViaService"):
        doc = {"principal": ROOT, "action": "kms:Decrypt", "context": {key: ["a", "b"]}}
        with pytest.raises(RequestFormatError) as err:
            Request.from_json(doc)
        assert str(err.value) == f"context key `{key}` is single-valued: give one value, not a list"
    # a multi-valued key takes a list
    multi = {"principal": ROOT, "action": "kms:Decrypt", "context": {"aws:TagKeys": ["a", "b"]}}
    assert Request.from_json(multi).context == {"aws:TagKeys": ("a", "b")}


# ------------------------------------------------------------- non-ASCII condition key names

KELVIN = "kms:EncryptionContext:\u212aey"  # U+212A KELVIN SIGN lower-cases to ASCII `k`


def test_a_non_ascii_condition_key_in_a_policy_is_refused_where_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GLOBAL and the KMS keys page name only ASCII keys; IAM compares key names ignoring case,
    # so the Kelvin sign would make this key equal to `kms:EncryptionContext:key`.
    doc = {
        "Statement": [
            stmt(),
            stmt("Deny", Sid="Revoke", Condition={"StringEquals": {KELVIN: "C1"}}),
        ]
    }
    with pytest.raises(PolicyFormatError) as err:
        Policy.from_json(doc)
    assert str(err.value) == (
        f"statement 1 (`Revoke`), `StringEquals`: condition key `{KELVIN}` has the non-ASCII "
        "character U+212A at position 23: AWS condition key names are ASCII"
    )
    ascii_doc = {
        "Statement": [
            stmt(),
            stmt(
                "Deny",
                Sid="Revoke",
                Condition={"StringEquals": {"kms:EncryptionContext:key": "C1"}},
            ),
        ]
    }
    old, new = write(tmp_path, "old.json", ascii_doc), write(tmp_path, "new.json", doc)
    assert run(["compare", old, new]) == 1
    assert "U+212A" in capsys.readouterr().err
    with pytest.raises(RequestFormatError, match="U\\+212A at position 23"):
        Request.from_json({"principal": ROOT, "action": "kms:Decrypt", "context": {KELVIN: "C1"}})


# ------------------------------------------------------------- readings AWS leaves open

AWS_STAR = stmt(principal={"AWS": "*"})
DENY_LOGS = stmt("Deny", {"Service": "logs.amazonaws.com"})


@pytest.mark.parametrize(
    ("old", "new"), [((AWS_STAR, DENY_LOGS), (AWS_STAR,)), ((AWS_STAR,), (AWS_STAR, DENY_LOGS))]
)
def test_aws_star_and_a_service_principal_is_never_equivalent(
    old: tuple[dict[str, Any], ...], new: tuple[dict[str, Any], ...]
) -> None:
    # PRINCIPAL: `{"AWS": "*"}` is listed with `"*"` as all principals, but a service
    # principal is of the `Service` type: whether it is named is undocumented. The hold-out
    # reference reads NEW as wider; read the other way NEW is the same. Both directions:
    result = compare(pol(*old), pol(*new), ACCT)
    assert result.relation == "unknown"
    assert (
        result.reason is not None and '`{"AWS": "*"}` names AWS service principals' in result.reason
    )
    with pytest.raises(AmbiguousRequestError):
        evaluate(pol(AWS_STAR), Request(principal="logs.amazonaws.com", action="kms:Decrypt"))


R = f"arn:aws:iam::{ACCT}:role/R"
S1 = f"arn:aws:sts::{ACCT}:assumed-role/R/s1"


@pytest.mark.parametrize("swap", [False, True])
def test_not_principal_and_role_sessions_is_never_equivalent(swap: bool) -> None:
    # NOTPRINCIPAL: the example lists the session ARN beside the role ARN to spare the
    # session; read that way, adding the session to NotPrincipal spares it (NEW wider).
    old = pol(stmt(), stmt("Deny", None, NotPrincipal={"AWS": [R, ROOT]}))
    new = pol(stmt(), stmt("Deny", None, NotPrincipal={"AWS": [R, ROOT, S1]}))
    result = compare(*((new, old) if swap else (old, new)), ACCT)
    assert result.relation == "unknown"
    assert (
        result.reason is not None
        and "`NotPrincipal` also spares the role's sessions" in result.reason
    )
    with pytest.raises(AmbiguousRequestError):
        evaluate(old, Request(principal=S1, action="kms:Decrypt"), ACCT)
    # the role itself is spared whichever way, and so is the listed session
    assert evaluate(old, Request(principal=R, action="kms:Decrypt"), ACCT).decision == "allow"
    assert evaluate(new, Request(principal=S1, action="kms:Decrypt"), ACCT).decision == "allow"


def test_a_difference_outside_the_open_reading_is_still_decided() -> None:
    # The open reading concerns service principals only: a vendor revocation is still proved.
    base = [AWS_STAR, DENY_LOGS]
    vendor = "arn:aws:iam::444455556666:root"
    revoke = stmt(
        "Deny", {"AWS": vendor}, Condition={"StringEquals": {"kms:EncryptionContext:c": "C1"}}
    )
    result = compare(pol(*base), pol(*base, revoke), ACCT)
    assert result.relation == "narrower"
    assert result.lost_access is not None and result.lost_access.principal.startswith(
        "arn:aws:iam::444455556666:"
    )


# ------------------------------------------------------------- witnesses replay through eval


def test_a_wildcards_future_actions_are_a_witness_eval_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = {"Statement": [stmt(principal={"AWS": ROOT}, Action="kms:ReEncrypt*")]}
    new = {
        "Statement": [
            stmt(principal={"AWS": ROOT}, Action=["kms:ReEncryptFrom", "kms:ReEncryptTo"])
        ]
    }
    o, n = write(tmp_path, "old.json", old), write(tmp_path, "new.json", new)
    assert run(["compare", o, n]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["relation"] == "narrower"
    assert out["lost_access"] == {
        "principal": ROOT,
        "action": "kms:ReEncryptFuture",
        "context": {},
        "future_action": True,
    }
    assert (
        out["lost_access_action"]
        == "any future action matching `kms:ReEncrypt*` (e.g. `kms:ReEncryptFuture`)"
    )
    w = write(tmp_path, "w.json", out["lost_access"])
    assert run(["eval", o, w]) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "allow"
    assert run(["eval", n, w]) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "deny"


def test_a_future_action_must_be_one_aws_does_not_define() -> None:
    with pytest.raises(RequestFormatError, match="is a KMS action already"):
        Request.from_json({"principal": ROOT, "action": "kms:Decrypt", "future_action": True})
    with pytest.raises(RequestFormatError, match='set `"future_action": true`'):
        Request.from_json({"principal": ROOT, "action": "kms:ReEncryptFuture"})


def test_a_witness_never_pairs_a_principal_with_an_impossible_principal_arn() -> None:
    # The guard rail is lifted for everyone but a role with a path: the witness is a session
    # of that role whose aws:PrincipalArn carries the path (GLOBAL), and eval replays it.
    team = f"arn:aws:iam::{ACCT}:role/team/Ops"
    old = pol(stmt(principal={"AWS": ROOT}), stmt("Deny", {"AWS": "*"}, Action="kms:DisableKey"))
    new = pol(
        stmt(principal={"AWS": ROOT}),
        stmt(
            "Deny",
            {"AWS": "*"},
            Action="kms:DisableKey",
            Condition={"ArnNotLike": {"aws:PrincipalArn": team}},
        ),
        stmt(
            principal={"AWS": f"arn:aws:sts::{ACCT}:assumed-role/Ops/s1"}, Action="kms:DisableKey"
        ),
    )
    result = compare(old, new, ACCT)
    assert result.relation == "wider" and result.new_access is not None
    w = Request.from_json(result.new_access.to_json())
    assert evaluate(new, w, ACCT).rank > evaluate(old, w, ACCT).rank


def test_a_non_ascii_condition_key_in_org_yaml_is_a_located_error(tmp_path: Path) -> None:
    project = copy_inputs(tmp_path / "project")
    org = project / "org.yaml"
    text = org.read_text()
    ascii_key = "{operator: StringEquals, key: kms:CallerAccount, values: ['111122223333']}"
    assert ascii_key in text
    org.write_text(text.replace(ascii_key, ascii_key.replace("kms:CallerAccount", f'"{KELVIN}"')))
    before = {p: p.read_bytes() for p in (project / "generated").rglob("*") if p.is_file()}
    res = byok(project, "generate")
    assert res.returncode == 1
    line = next(i for i, t in enumerate(org.read_text().splitlines(), 1) if KELVIN in t)
    assert res.stderr.startswith(
        f"org.yaml:{line}:43: E204 invalid `apps[2].statements[0].conditions[0].key`: "
        "`kms:EncryptionContext:\\u212aey` is not a match of"
    )
    assert before == {p: p.read_bytes() for p in (project / "generated").rglob("*") if p.is_file()}
