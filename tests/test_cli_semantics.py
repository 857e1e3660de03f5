"""`byok eval` and `byok compare` handlers, driven through a parser built with `add_parsers`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from byok.cli import semantics as semantics_cli

VENDOR = "arn:aws:iam::152659312504:root"
EC = "kms:EncryptionContext:channel_id"


def policy(*revoked: str) -> dict[str, Any]:
    sts: list[dict[str, Any]] = [
        {
            "Sid": "Root",
            "Effect": "Allow",
            "Principal": {"AWS": "111122223333"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "Vendor",
            "Effect": "Allow",
            "Principal": {"AWS": VENDOR},
            "Action": ["kms:Decrypt"],
            "Resource": "*",
        },
    ]
    if revoked:
        sts.append(
            {
                "Sid": "Revoke",
                "Effect": "Deny",
                "Principal": {"AWS": VENDOR},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {EC: list(revoked)}},
            }
        )
    return {"Version": "2012-10-17", "Statement": sts}


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="byok")
    semantics_cli.add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def write(tmp: Path, name: str, doc: Any) -> str:
    path = tmp / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return str(path)


def test_eval_deny(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(tmp_path, "p.json", policy("C1"))
    r = write(
        tmp_path, "r.json", {"principal": VENDOR, "action": "kms:Decrypt", "context": {EC: "C1"}}
    )
    assert run(["eval", p, r]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "decision": "deny",
        "reason": "explicit_deny",
        "statements": ["Revoke"],
        # what AWS sets on every request
        # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
        "derived_context": {
            "aws:PrincipalArn": VENDOR,
            "aws:PrincipalAccount": "152659312504",
            "aws:PrincipalType": "Account",
            "aws:PrincipalIsAWSService": "false",
            "kms:CallerAccount": "152659312504",
        },
    }


def test_eval_allow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(tmp_path, "p.json", policy("C1"))
    r = write(tmp_path, "r.json", {"principal": VENDOR, "action": "kms:Decrypt"})
    assert run(["eval", p, r]) == 0
    assert json.loads(capsys.readouterr().out)["statements"] == ["Vendor"]


@pytest.mark.parametrize(
    ("policy_doc", "request_doc", "message"),
    [
        ("{", {"principal": VENDOR, "action": "kms:Decrypt"}, "invalid JSON"),
        ("[" * 100_000 + "]" * 100_000, {"action": "a"}, "invalid JSON: nested too deeply"),
        ({"Statement": [{"Effect": "Maybe"}]}, {"principal": VENDOR, "action": "a"}, "Effect"),
        (policy(), {"action": "kms:Decrypt"}, "`principal` must be a string"),
        (
            {
                "Statement": {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"StringEqualz": {"k": "v"}},
                }
            },
            {"principal": VENDOR, "action": "a"},
            "unknown condition operator",
        ),
    ],
)
def test_eval_malformed(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    policy_doc: Any,
    request_doc: Any,
    message: str,
) -> None:
    p, r = write(tmp_path, "p.json", policy_doc), write(tmp_path, "r.json", request_doc)
    assert run(["eval", p, r]) == 1
    err = capsys.readouterr().err
    assert err.startswith("byok: error: ") and message in err


def test_eval_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["eval", str(tmp_path / "nope.json"), str(tmp_path / "r.json")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_compare_wider_fails_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = (
        write(tmp_path, "old.json", policy("C1", "C2")),
        write(tmp_path, "new.json", policy("C1")),
    )
    assert run(["compare", old, new]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["relation"] == "wider" and out["lost_access"] is None
    assert out["new_access"]["context"] == {EC: "C2"}
    assert run(["compare", old, new, "--fail-on-wider"]) == 3
    assert "grants new access" in capsys.readouterr().err


def test_compare_narrower_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = (
        write(tmp_path, "old.json", policy("C1")),
        write(tmp_path, "new.json", policy("C1", "C2")),
    )
    assert run(["compare", old, new, "--fail-on-wider"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"relation": "narrower", "new_access": None, "lost_access": out["lost_access"]}
    assert out["lost_access"]["context"] == {EC: "C2"}


def test_compare_unknown_fails_closed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = policy()
    odd["Statement"][1]["Condition"] = {"StringLike": {"k": "${aws:username}"}}
    old, new = write(tmp_path, "old.json", policy()), write(tmp_path, "new.json", odd)
    assert run(["compare", old, new]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["relation"] == "unknown" and "policy variables" in out["reason"]
    assert run(["compare", old, new, "--fail-on-wider"]) == 3


def test_compare_malformed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = write(tmp_path, "old.json", policy())
    bad = write(tmp_path, "bad.json", {"Statement": [{"Effect": "Allow", "Action": 3}]})
    assert run(["compare", old, bad]) == 1
    assert capsys.readouterr().err.startswith("byok: error: ")


ACCT = "111122223333"


def aws_sets(arn: str, account: str, kind: str) -> dict[str, str]:
    """The keys AWS sets from a principal of `account`: reference_policies_condition-keys.html
    (aws:Principal*) and conditions-kms.html#conditions-kms-caller-account."""
    return {
        "aws:PrincipalArn": arn,
        "aws:PrincipalAccount": account,
        "aws:PrincipalType": kind,
        "aws:PrincipalIsAWSService": "false",
        "kms:CallerAccount": account,
    }


ROOTDELEG = (
    "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
    "#key-policy-default-allow-root-enable-iam"
)


@pytest.mark.parametrize(
    ("principal", "account", "expected"),
    [
        # Only the account statement names it: IAM must also allow (ROOTDELEG).
        (
            f"arn:aws:sts::{ACCT}:assumed-role/Ops/s",
            [],
            {
                "decision": "allow_if_iam",
                "reason": "delegated",
                "statements": ["Root"],
                "note": "only an account statement names this principal: allowed if an IAM "
                "policy of the key's account also allows it (the key policy delegates to IAM)",
                # a session's aws:PrincipalArn is its role's ARN
                "derived_context": aws_sets(f"arn:aws:iam::{ACCT}:role/Ops", ACCT, "AssumedRole"),
                "derived_note": "`aws:PrincipalArn` is the session's role ARN without a path (a "
                "session ARN does not show it): give the role's ARN in the request's context if "
                "it has a path",
            },
        ),
        # The vendor is another account once the key's account is known
        # (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
        (
            "arn:aws:iam::152659312504:role/SlackKms",
            ["--key-account", ACCT],
            {
                "decision": "allow_if_iam",
                "reason": "cross_account",
                "statements": ["Vendor"],
                "note": "a principal of another account: allowed if an IAM policy of its own "
                "account also allows it",
                "derived_context": aws_sets(
                    "arn:aws:iam::152659312504:role/SlackKms", "152659312504", "AssumedRole"
                ),
            },
        ),
        # The account root user itself is named directly (ROOTDELEG).
        (
            f"arn:aws:iam::{ACCT}:root",
            ["--key-account", ACCT],
            {
                "decision": "allow",
                "reason": "allow",
                "statements": ["Root"],
                "derived_context": aws_sets(f"arn:aws:iam::{ACCT}:root", ACCT, "Account"),
            },
        ),
    ],
)
def test_eval_shows_three_valued_access(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    principal: str,
    account: list[str],
    expected: dict[str, Any],
) -> None:
    p = write(tmp_path, "p.json", policy())
    r = write(tmp_path, "r.json", {"principal": principal, "action": "kms:Decrypt"})
    assert run(["eval", p, r, *account]) == 0
    assert json.loads(capsys.readouterr().out) == expected


def test_bad_key_account_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = write(tmp_path, "p.json", policy())
    with pytest.raises(SystemExit) as exit_:
        run(["compare", p, p, "--key-account", "12345"])
    assert exit_.value.code == 2
    assert "`12345` is not a 12-digit AWS account id" in capsys.readouterr().err


def test_compare_decides_actions_outside_the_catalog(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The evaluator allows kms:SynchronizeMultiRegionKey on NEW and denies it on OLD, so the
    # comparer must not say "equivalent" (issue 11, item 5).
    root = policy()["Statement"][0]
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "kms:SynchronizeMultiRegionKey",
        "Resource": "*",
    }
    old = write(tmp_path, "old.json", {"Statement": [root, deny]})
    new = write(tmp_path, "new.json", {"Statement": [root]})
    assert run(["compare", old, new, "--fail-on-wider", "--key-account", ACCT]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["relation"] == "wider"
    witness = out["new_access"]
    assert (witness["action"], witness["context"]) == ("kms:SynchronizeMultiRegionKey", {})
    assert witness["principal"].startswith(f"arn:aws:iam::{ACCT}:")


def test_compare_refuses_undocumented_constructs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = policy()
    odd["Statement"][1]["Condition"] = {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "a*"}}
    old, new = write(tmp_path, "old.json", policy()), write(tmp_path, "new.json", odd)
    assert run(["compare", old, new, "--fail-on-wider"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "relation": "unknown",
        "new_access": None,
        "lost_access": None,
        "reason": "`ForAnyValue:StringLikeIfExists` on `aws:TagKeys`: AWS documents "
        "`ForAnyValue:` and `...IfExists` each on its own, not what they mean together "
        "(for a missing key in particular)",
    }
