"""Exact evaluator cases transcribed from the AWS IAM and KMS documentation.

Each row names the page its rule comes from. Rows citing `DESIGN` pin a choice the AWS pages
leave open (documented in compiler/policy/evaluate.py and compiler/policy/condops.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from byok.policy.condops import AmbiguousPolicyError, UnsupportedPolicyError
from byok.policy.evaluate import Decision, Request, RequestFormatError, evaluate
from byok.policy.iam import Policy, PolicyFormatError

IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
OPS = IAM + "reference_policies_elements_condition_operators.html"
MULTI = IAM + "reference_policies_multi-value-conditions.html"
COND = IAM + "reference_policies_elements_condition.html"
EVAL = IAM + "reference_policies_evaluation-logic.html"
PRIN = IAM + "reference_policies_elements_principal.html"
NOTPRIN = IAM + "reference_policies_elements_notprincipal.html"
ACTION = IAM + "reference_policies_elements_action.html"
NOTACTION = IAM + "reference_policies_elements_notaction.html"
RESOURCE = IAM + "reference_policies_elements_resource.html"
NOTRES = IAM + "reference_policies_elements_notresource.html"
KMS = "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html"
KMSPOL = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html"
DESIGN = "docs/design.md#policy-semantics (project choice)"

ACCT = "111122223333"
ROLE = f"arn:aws:iam::{ACCT}:role/Admin"
OTHER = "arn:aws:iam::444455556666:role/Admin"
TRAIL = f"arn:aws:cloudtrail:us-east-1:{ACCT}:trail/main"


def allow_if(op: str, key: str, values: Any) -> list[dict[str, Any]]:
    """One Allow for everyone on kms:* with a single condition."""
    return [
        {
            "Sid": "A",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {op: {key: values}},
        }
    ]


def deny_if(op: str, key: str, values: Any) -> list[dict[str, Any]]:
    """Allow everything, then a Deny with a single condition."""
    return [
        {"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
        {
            "Sid": "D",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {op: {key: values}},
        },
    ]


def stmt(sid: str, effect: str = "Allow", **fields: Any) -> dict[str, Any]:
    out = {"Sid": sid, "Effect": effect, "Principal": "*", "Action": "kms:*", "Resource": "*"}
    out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def req(
    ctx: dict[str, Any] | None = None,
    principal: str = ROLE,
    action: str = "kms:Decrypt",
    resource: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"principal": principal, "action": action, "context": ctx or {}}
    if resource is not None:
        out["resource"] = resource
    return out


ALLOW, IMPLICIT, EXPLICIT = "allow", "implicit_deny", "explicit_deny"
DELEGATED = "delegated"  # allowed only if an IAM policy of the account also allows
ROOTDELEG = (
    "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
    "#key-policy-default-allow-root-enable-iam"
)
SESSION = PRIN + "#principal-role-session"
TAG = "aws:PrincipalTag/job-category"
FREE = "acme:teams"  # a key the catalog does not know: no documented cardinality, lists allowed
EC = "kms:EncryptionContext:Department"

# (id, source page, statements, request, expected reason)
CASES: list[tuple[str, str, Any, dict[str, Any], str]] = [
    # String family
    (
        "string-equals",
        OPS,
        allow_if("StringEquals", TAG, "iamuser-admin"),
        req({TAG: "iamuser-admin"}),
        ALLOW,
    ),
    (
        "string-equals-case-sensitive",
        OPS,
        allow_if("StringEquals", TAG, "iamuser-admin"),
        req({TAG: "IAMUser-Admin"}),
        IMPLICIT,
    ),
    (
        "string-equals-missing-key",
        OPS,
        allow_if("StringEquals", TAG, "iamuser-admin"),
        req(),
        IMPLICIT,
    ),
    ("string-not-equals-other", OPS, allow_if("StringNotEquals", TAG, "a"), req({TAG: "b"}), ALLOW),
    (
        "string-not-equals-same",
        OPS,
        allow_if("StringNotEquals", TAG, "a"),
        req({TAG: "a"}),
        IMPLICIT,
    ),
    ("string-not-equals-missing-true", OPS, allow_if("StringNotEquals", TAG, "a"), req(), ALLOW),
    (
        "string-ignorecase",
        OPS,
        allow_if("StringEqualsIgnoreCase", TAG, "Admin"),
        req({TAG: "aDMIN"}),
        ALLOW,
    ),
    (
        "string-ignorecase-differs",
        OPS,
        allow_if("StringEqualsIgnoreCase", TAG, "Admin"),
        req({TAG: "Admins"}),
        IMPLICIT,
    ),
    (
        "string-not-ignorecase",
        OPS,
        allow_if("StringNotEqualsIgnoreCase", TAG, "Admin"),
        req({TAG: "ADMIN"}),
        IMPLICIT,
    ),
    (
        "string-like-star",
        OPS,
        allow_if("StringLike", "aws:userid", "AIDA*"),
        req({"aws:userid": "AIDAEXAMPLE"}),
        ALLOW,
    ),
    (
        "string-like-star-empty",
        OPS,
        allow_if("StringLike", "aws:userid", "AIDA*"),
        req({"aws:userid": "AIDA"}),
        ALLOW,
    ),
    ("string-like-question", OPS, allow_if("StringLike", EC, "C?"), req({EC: "C1"}), ALLOW),
    (
        "string-like-question-one-char",
        OPS,
        allow_if("StringLike", EC, "C?"),
        req({EC: "C12"}),
        IMPLICIT,
    ),
    (
        "string-like-case-sensitive",
        OPS,
        allow_if("StringLike", EC, "c*"),
        req({EC: "C1"}),
        IMPLICIT,
    ),
    ("string-like-missing", OPS, allow_if("StringLike", EC, "*"), req(), IMPLICIT),
    ("string-not-like-match", OPS, allow_if("StringNotLike", EC, "C*"), req({EC: "C1"}), IMPLICIT),
    ("string-not-like-nomatch", OPS, allow_if("StringNotLike", EC, "C*"), req({EC: "D1"}), ALLOW),
    ("string-not-like-missing", OPS, allow_if("StringNotLike", EC, "C*"), req(), ALLOW),
    # Numeric family
    (
        "numeric-le-equal",
        OPS,
        allow_if("NumericLessThanEquals", "s3:max-keys", "10"),
        req({"s3:max-keys": "10"}),
        ALLOW,
    ),
    (
        "numeric-le-above",
        OPS,
        allow_if("NumericLessThanEquals", "s3:max-keys", "10"),
        req({"s3:max-keys": "11"}),
        IMPLICIT,
    ),
    (
        "numeric-equals-decimal",
        OPS,
        allow_if("NumericEquals", "n", "10"),
        req({"n": "10.0"}),
        ALLOW,
    ),
    ("numeric-lt", OPS, allow_if("NumericLessThan", "n", "10"), req({"n": "-3.5"}), ALLOW),
    (
        "numeric-gt-strict",
        OPS,
        allow_if("NumericGreaterThan", "n", "10"),
        req({"n": "10"}),
        IMPLICIT,
    ),
    ("numeric-ge", OPS, allow_if("NumericGreaterThanEquals", "n", "10"), req({"n": "10"}), ALLOW),
    (
        "numeric-not-a-number",
        OPS,
        allow_if("NumericGreaterThan", "n", "1"),
        req({"n": "abc"}),
        IMPLICIT,
    ),
    (
        "numeric-not-equals-same",
        OPS,
        allow_if("NumericNotEquals", "n", "7"),
        req({"n": "7"}),
        IMPLICIT,
    ),
    ("numeric-not-equals-missing", OPS, allow_if("NumericNotEquals", "n", "7"), req(), ALLOW),
    ("numeric-missing", OPS, allow_if("NumericLessThan", "n", "7"), req(), IMPLICIT),
    # Date family
    (
        "date-gt-iso",
        OPS,
        allow_if("DateGreaterThan", "aws:CurrentTime", "2020-04-01T00:00:00Z"),
        req({"aws:CurrentTime": "2020-06-30T00:00:00Z"}),
        ALLOW,
    ),
    (
        "date-lt-iso",
        OPS,
        allow_if("DateLessThan", "aws:CurrentTime", "2020-04-01T00:00:00Z"),
        req({"aws:CurrentTime": "2020-06-30T00:00:00Z"}),
        IMPLICIT,
    ),
    (
        "date-epoch-request",
        OPS,
        allow_if("DateLessThan", "aws:CurrentTime", "2020-04-01T00:00:00Z"),
        req({"aws:CurrentTime": "1577836800"}),
        ALLOW,
    ),
    (
        "date-equals-epoch-iso",
        OPS,
        allow_if("DateEquals", "aws:CurrentTime", "1577836800"),
        req({"aws:CurrentTime": "2020-01-01T00:00:00Z"}),
        ALLOW,
    ),
    (
        "date-le-boundary",
        OPS,
        allow_if("DateLessThanEquals", "d", "2020-01-01T00:00:00+01:00"),
        req({"d": "2019-12-31T23:00:00Z"}),
        ALLOW,
    ),
    (
        "date-ge-boundary",
        OPS,
        allow_if("DateGreaterThanEquals", "d", "2020-01-01"),
        req({"d": "2019-12-31T23:59:59Z"}),
        IMPLICIT,
    ),
    ("date-not-equals-missing", OPS, allow_if("DateNotEquals", "d", "2020-01-01"), req(), ALLOW),
    (
        "date-garbage",
        OPS,
        allow_if("DateGreaterThan", "d", "2020-01-01"),
        req({"d": "soon"}),
        IMPLICIT,
    ),
    # Bool and Binary
    (
        "bool-true",
        OPS,
        allow_if("Bool", "aws:SecureTransport", "true"),
        req({"aws:SecureTransport": "true"}),
        ALLOW,
    ),
    (
        "bool-false",
        OPS,
        allow_if("Bool", "aws:SecureTransport", "true"),
        req({"aws:SecureTransport": "false"}),
        IMPLICIT,
    ),
    (
        "bool-case-insensitive",
        OPS,
        allow_if("Bool", "aws:SecureTransport", True),
        req({"aws:SecureTransport": "TRUE"}),
        ALLOW,
    ),
    ("bool-missing", OPS, allow_if("Bool", "aws:MultiFactorAuthPresent", "true"), req(), IMPLICIT),
    (
        "bool-if-exists-missing",
        OPS,
        allow_if("BoolIfExists", "aws:MultiFactorAuthPresent", "true"),
        req(),
        ALLOW,
    ),
    (
        "binary-equals",
        OPS,
        allow_if("BinaryEquals", "key", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="),
        req({"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}),
        ALLOW,
    ),
    (
        "binary-differs",
        OPS,
        allow_if("BinaryEquals", "key", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="),
        req({"key": "QmluYXJ5"}),
        IMPLICIT,
    ),
    # IP family
    (
        "ip-in-cidr",
        OPS,
        allow_if("IpAddress", "aws:SourceIp", "203.0.113.0/24"),
        req({"aws:SourceIp": "203.0.113.5"}),
        ALLOW,
    ),
    (
        "ip-outside-cidr",
        OPS,
        allow_if("IpAddress", "aws:SourceIp", "203.0.113.0/24"),
        req({"aws:SourceIp": "198.51.100.1"}),
        IMPLICIT,
    ),
    (
        "ip-bare-address-is-32",
        OPS,
        allow_if("IpAddress", "aws:SourceIp", "203.0.113.7"),
        req({"aws:SourceIp": "203.0.113.8"}),
        IMPLICIT,
    ),
    (
        "ip-v6",
        OPS,
        allow_if("IpAddress", "aws:SourceIp", "2001:DB8:1234:5678::/64"),
        req({"aws:SourceIp": "2001:db8:1234:5678::1"}),
        ALLOW,
    ),
    (
        "not-ip-inside",
        OPS,
        allow_if("NotIpAddress", "aws:SourceIp", "203.0.113.0/24"),
        req({"aws:SourceIp": "203.0.113.5"}),
        IMPLICIT,
    ),
    (
        "not-ip-outside",
        OPS,
        allow_if("NotIpAddress", "aws:SourceIp", "203.0.113.0/24"),
        req({"aws:SourceIp": "192.0.2.1"}),
        ALLOW,
    ),
    (
        "not-ip-missing",
        OPS,
        allow_if("NotIpAddress", "aws:SourceIp", "203.0.113.0/24"),
        req(),
        ALLOW,
    ),
    ("ip-missing", OPS, allow_if("IpAddress", "aws:SourceIp", "0.0.0.0/0"), req(), IMPLICIT),
    # ARN family
    (
        "arn-like",
        OPS,
        allow_if("ArnLike", "aws:SourceArn", f"arn:aws:cloudtrail:*:{ACCT}:trail/*"),
        req({"aws:SourceArn": TRAIL}),
        ALLOW,
    ),
    (
        "arn-like-account",
        OPS,
        allow_if("ArnLike", "aws:SourceArn", "arn:aws:cloudtrail:*:1:trail/*"),
        req({"aws:SourceArn": TRAIL}),
        IMPLICIT,
    ),
    (
        "arn-equals",
        OPS,
        allow_if("ArnEquals", "aws:SourceArn", TRAIL),
        req({"aws:SourceArn": TRAIL}),
        ALLOW,
    ),
    (
        "arn-component-no-colon",
        OPS,
        allow_if("ArnLike", "aws:SourceArn", "arn:aws:iam::*:root"),
        req({"aws:SourceArn": "arn:aws:iam::1:2:root"}),
        IMPLICIT,
    ),
    (
        "arn-resource-part-colons",
        OPS,
        allow_if("ArnLike", "aws:SourceArn", "arn:aws:logs:*:*:*"),
        req({"aws:SourceArn": "arn:aws:logs:us-east-1:1:log-group:x:*"}),
        ALLOW,
    ),
    (
        "arn-not-like-match",
        OPS,
        allow_if("ArnNotLike", "aws:SourceArn", "arn:aws:*:*:*:*"),
        req({"aws:SourceArn": TRAIL}),
        IMPLICIT,
    ),
    ("arn-not-equals-missing", OPS, allow_if("ArnNotEquals", "aws:SourceArn", TRAIL), req(), ALLOW),
    (
        "arn-not-an-arn",
        OPS,
        allow_if("ArnLike", "aws:SourceArn", "arn:aws:*:*:*:*"),
        req({"aws:SourceArn": "not-an-arn"}),
        IMPLICIT,
    ),
    # IfExists
    (
        "if-exists-missing",
        OPS,
        allow_if("StringEqualsIfExists", "ec2:InstanceType", "t1.*"),
        req(),
        ALLOW,
    ),
    (
        "if-exists-present-mismatch",
        OPS,
        allow_if("StringEqualsIfExists", "ec2:InstanceType", "t2"),
        req({"ec2:InstanceType": "m5"}),
        IMPLICIT,
    ),
    (
        "if-exists-present-match",
        OPS,
        allow_if("StringLikeIfExists", "ec2:InstanceType", "t2.*"),
        req({"ec2:InstanceType": "t2.micro"}),
        ALLOW,
    ),
    (
        "negated-if-exists-deny-missing",
        OPS,
        deny_if("StringNotEqualsIfExists", EC, "Finance"),
        req(),
        EXPLICIT,
    ),
    ("numeric-if-exists-missing", OPS, allow_if("NumericLessThanIfExists", "n", "3"), req(), ALLOW),
    # Null
    ("null-true-missing", OPS, allow_if("Null", "aws:TokenIssueTime", "true"), req(), ALLOW),
    (
        "null-true-present",
        OPS,
        allow_if("Null", "aws:TokenIssueTime", "true"),
        req({"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}),
        IMPLICIT,
    ),
    (
        "null-false-present",
        OPS,
        allow_if("Null", "aws:TokenIssueTime", "false"),
        req({"aws:TokenIssueTime": "x"}),
        ALLOW,
    ),
    ("null-false-missing", OPS, allow_if("Null", "aws:TokenIssueTime", "false"), req(), IMPLICIT),
    ("null-deny-blocks-omitted-context", OPS, deny_if("Null", EC, "true"), req(), EXPLICIT),
    # Set prefixes
    (
        "for-all-subset",
        MULTI,
        allow_if("ForAllValues:StringEquals", "aws:TagKeys", ["environment", "cost-center"]),
        req({"aws:TagKeys": ["environment"]}),
        ALLOW,
    ),
    (
        "for-all-extra-value",
        MULTI,
        allow_if("ForAllValues:StringEquals", "aws:TagKeys", ["environment", "cost-center"]),
        req({"aws:TagKeys": ["environment", "other"]}),
        IMPLICIT,
    ),
    (
        "for-all-missing-true",
        MULTI,
        allow_if("ForAllValues:StringEquals", "aws:TagKeys", ["a"]),
        req(),
        ALLOW,
    ),
    (
        "for-all-empty-list-true",
        MULTI,
        allow_if("ForAllValues:StringEquals", "aws:TagKeys", ["a"]),
        req({"aws:TagKeys": []}),
        ALLOW,
    ),
    (
        "for-any-one-match",
        MULTI,
        allow_if("ForAnyValue:StringEquals", "aws:TagKeys", ["environment"]),
        req({"aws:TagKeys": ["environment", "other"]}),
        ALLOW,
    ),
    (
        "for-any-missing-false",
        MULTI,
        allow_if("ForAnyValue:StringEquals", "aws:TagKeys", ["a"]),
        req(),
        IMPLICIT,
    ),
    (
        "for-any-not-equals",
        MULTI,
        allow_if("ForAnyValue:StringNotEquals", "aws:TagKeys", ["a"]),
        req({"aws:TagKeys": ["a", "b"]}),
        ALLOW,
    ),
    (
        "for-any-not-equals-all-listed",
        MULTI,
        allow_if("ForAnyValue:StringNotEquals", "aws:TagKeys", ["a"]),
        req({"aws:TagKeys": ["a"]}),
        IMPLICIT,
    ),
    (
        "for-all-not-equals-none-listed",
        MULTI,
        allow_if("ForAllValues:StringNotEquals", "aws:TagKeys", ["a", "b"]),
        req({"aws:TagKeys": ["x", "y"]}),
        ALLOW,
    ),
    (
        "for-all-not-equals-one-listed",
        MULTI,
        allow_if("ForAllValues:StringNotEquals", "aws:TagKeys", ["a", "b"]),
        req({"aws:TagKeys": ["a", "x"]}),
        IMPLICIT,
    ),
    (
        "for-all-like",
        MULTI,
        allow_if("ForAllValues:StringLike", "aws:TagKeys", ["env*"]),
        req({"aws:TagKeys": ["env1", "env2"]}),
        ALLOW,
    ),
    (
        "kms-context-keys-any",
        KMS,
        allow_if("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ["Department"]),
        req({"kms:EncryptionContextKeys": ["Department", "Project"]}),
        ALLOW,
    ),
    (
        "kms-context-keys-any-no-context",
        KMS,
        allow_if("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ["Department"]),
        req(),
        IMPLICIT,
    ),
    (
        "kms-context-keys-all-no-context",
        KMS,
        allow_if("ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["Department"]),
        req(),
        ALLOW,
    ),
    (
        "plain-op-list-any-element",
        DESIGN,
        allow_if("StringEquals", FREE, "admin"),
        req({FREE: ["x", "admin"]}),
        ALLOW,
    ),
    (
        "plain-negated-list-no-element",
        DESIGN,
        allow_if("StringNotEquals", FREE, "admin"),
        req({FREE: ["x", "admin"]}),
        IMPLICIT,
    ),
    # Several values, keys and operators
    (
        "values-or",
        COND,
        allow_if("StringEquals", EC, ["Finance", "Legal"]),
        req({EC: "Legal"}),
        ALLOW,
    ),
    (
        "negated-values-none",
        COND,
        allow_if("StringNotEquals", EC, ["Finance", "Legal"]),
        req({EC: "Legal"}),
        IMPLICIT,
    ),
    (
        "negated-values-none-ok",
        COND,
        allow_if("StringNotEquals", EC, ["Finance", "Legal"]),
        req({EC: "HR"}),
        ALLOW,
    ),
    (
        "keys-and",
        COND,
        [stmt("A", Condition={"StringEquals": {EC: "Finance", TAG: "admin"}})],
        req({EC: "Finance", TAG: "user"}),
        IMPLICIT,
    ),
    (
        "keys-and-both",
        COND,
        [stmt("A", Condition={"StringEquals": {EC: "Finance", TAG: "admin"}})],
        req({EC: "Finance", TAG: "admin"}),
        ALLOW,
    ),
    (
        "operators-and",
        COND,
        [
            stmt(
                "A",
                Condition={
                    "StringEquals": {EC: "Finance"},
                    "Bool": {"aws:SecureTransport": "true"},
                },
            )
        ],
        req({EC: "Finance", "aws:SecureTransport": "false"}),
        IMPLICIT,
    ),
    (
        "key-name-case-insensitive",
        COND,
        allow_if("StringEquals", "aws:PrincipalTag/Dept", "x"),
        req({"AWS:principaltag/dept": "x"}),
        ALLOW,
    ),
    (
        "kms-ec-key-case-insensitive",
        KMS,
        deny_if("StringEquals", "kms:EncryptionContext:Dept", "x"),
        req({"KMS:ENCRYPTIONCONTEXT:DEPT": "x"}),
        EXPLICIT,
    ),
    (
        "kms-ec-value-case-sensitive",
        KMS,
        deny_if("StringEquals", "kms:EncryptionContext:Dept", "x"),
        req({"kms:EncryptionContext:Dept": "X"}),
        ALLOW,
    ),
    # Actions
    ("action-case-insensitive", ACTION, [stmt("A", Action="KMS:decrypt")], req(), ALLOW),
    (
        "action-star-suffix",
        ACTION,
        [stmt("A", Action="kms:GenerateDataKey*")],
        req(action="kms:GenerateDataKeyWithoutPlaintext"),
        ALLOW,
    ),
    (
        "action-question",
        ACTION,
        [stmt("A", Action="kms:?ncrypt")],
        req(action="kms:Encrypt"),
        ALLOW,
    ),
    ("action-mismatch", ACTION, [stmt("A", Action=["kms:Encrypt", "kms:Sign"])], req(), IMPLICIT),
    (
        "not-action-allow",
        NOTACTION,
        [stmt("A", Action=None, NotAction="kms:ScheduleKeyDeletion")],
        req(),
        ALLOW,
    ),
    (
        "not-action-excluded",
        NOTACTION,
        [stmt("A", Action=None, NotAction="kms:Schedule*")],
        req(action="kms:ScheduleKeyDeletion"),
        IMPLICIT,
    ),
    (
        "not-action-deny",
        NOTACTION,
        [stmt("A"), stmt("D", "Deny", Action=None, NotAction=["kms:Describe*"])],
        req(),
        EXPLICIT,
    ),
    (
        "not-action-deny-spares",
        NOTACTION,
        [stmt("A"), stmt("D", "Deny", Action=None, NotAction=["kms:Describe*"])],
        req(action="kms:DescribeKey"),
        ALLOW,
    ),
    # Resources
    ("resource-star-is-this-key", KMSPOL, [stmt("A")], req(), ALLOW),
    (
        "resource-star-any-arn",
        KMSPOL,
        [stmt("A")],
        req(resource=f"arn:aws:kms:us-east-1:{ACCT}:key/1234"),
        ALLOW,
    ),
    (
        "resource-arn-wildcard",
        RESOURCE,
        [stmt("A", Resource=f"arn:aws:kms:*:{ACCT}:key/*")],
        req(resource=f"arn:aws:kms:eu-west-1:{ACCT}:key/abcd"),
        ALLOW,
    ),
    (
        "resource-arn-other-account",
        RESOURCE,
        [stmt("A", Resource=f"arn:aws:kms:*:{ACCT}:key/*")],
        req(resource="arn:aws:kms:eu-west-1:444455556666:key/abcd"),
        IMPLICIT,
    ),
    (
        "resource-arn-without-request-resource",
        DESIGN,
        [stmt("A", Resource=f"arn:aws:kms:*:{ACCT}:key/*")],
        req(),
        IMPLICIT,
    ),
    (
        "not-resource",
        NOTRES,
        [stmt("A", Resource=None, NotResource="arn:aws:kms:*:*:key/other")],
        req(resource="arn:aws:kms:us-east-1:1:key/this"),
        ALLOW,
    ),
    (
        "not-resource-excluded",
        NOTRES,
        [stmt("A", Resource=None, NotResource="arn:aws:kms:*:*:key/other")],
        req(resource="arn:aws:kms:us-east-1:1:key/other"),
        IMPLICIT,
    ),
    (
        "not-resource-star-excludes-key",
        NOTRES,
        [stmt("A", Resource=None, NotResource="*")],
        req(),
        IMPLICIT,
    ),
    # Principals
    ("principal-account-id", ROOTDELEG, [stmt("A", Principal={"AWS": ACCT})], req(), DELEGATED),
    (
        "principal-root-arn-session",
        ROOTDELEG,
        [stmt("A", Principal={"AWS": f"arn:aws:iam::{ACCT}:root"})],
        req(principal=f"arn:aws:sts::{ACCT}:assumed-role/Admin/session"),
        DELEGATED,
    ),
    (
        "principal-root-user-itself",
        ROOTDELEG,
        [stmt("A", Principal={"AWS": f"arn:aws:iam::{ACCT}:root"})],
        req(principal=f"arn:aws:iam::{ACCT}:root"),
        ALLOW,
    ),
    (
        "principal-root-and-role-direct",
        ROOTDELEG,
        [stmt("A", Principal={"AWS": ACCT}), stmt("B", Principal={"AWS": ROLE})],
        req(),
        ALLOW,
    ),
    (
        "principal-role-session",
        SESSION,
        [stmt("A", Principal={"AWS": ROLE})],
        req(principal=f"arn:aws:sts::{ACCT}:assumed-role/Admin/alice"),
        ALLOW,
    ),
    (
        "principal-role-path-session",
        SESSION,
        [stmt("A", Principal={"AWS": f"arn:aws:iam::{ACCT}:role/team/Admin"})],
        req(principal=f"arn:aws:sts::{ACCT}:assumed-role/Admin/alice"),
        ALLOW,
    ),
    (
        "principal-role-session-other-role",
        SESSION,
        [stmt("A", Principal={"AWS": ROLE})],
        req(principal=f"arn:aws:sts::{ACCT}:assumed-role/Admin2/alice"),
        IMPLICIT,
    ),
    (
        "deny-role-denies-its-sessions",
        SESSION,
        [stmt("A"), stmt("D", "Deny", Principal={"AWS": ROLE})],
        req(principal=f"arn:aws:sts::{ACCT}:assumed-role/Admin/alice"),
        EXPLICIT,
    ),
    (
        "not-principal-role-spares-itself",
        NOTPRIN,
        [stmt("A"), stmt("D", "Deny", Principal=None, NotPrincipal={"AWS": [ROLE, ACCT]})],
        req(principal=ROLE),
        ALLOW,
    ),
    (
        "principal-root-other-account",
        PRIN,
        [stmt("A", Principal={"AWS": f"arn:aws:iam::{ACCT}:root"})],
        req(principal=OTHER),
        IMPLICIT,
    ),
    ("principal-exact-role", PRIN, [stmt("A", Principal={"AWS": [ROLE]})], req(), ALLOW),
    (
        "principal-other-role",
        PRIN,
        [stmt("A", Principal={"AWS": ROLE})],
        req(principal=f"arn:aws:iam::{ACCT}:role/Other"),
        IMPLICIT,
    ),
    (
        "principal-star-service",
        PRIN,
        [stmt("A", Principal="*")],
        req(principal="cloudtrail.amazonaws.com"),
        ALLOW,
    ),
    (
        "principal-aws-star-arn",
        PRIN,
        [stmt("A", Principal={"AWS": "*"})],
        req(principal=OTHER),
        ALLOW,
    ),
    (
        "principal-service",
        PRIN,
        [stmt("A", Principal={"Service": ["cloudtrail.amazonaws.com"]})],
        req(principal="cloudtrail.amazonaws.com"),
        ALLOW,
    ),
    (
        "principal-service-other",
        PRIN,
        [stmt("A", Principal={"Service": "cloudtrail.amazonaws.com"})],
        req(principal="logs.amazonaws.com"),
        IMPLICIT,
    ),
    (
        "not-principal-spares-listed-role",
        NOTPRIN,
        [
            stmt("A"),
            stmt(
                "D",
                "Deny",
                Principal=None,
                NotPrincipal={"AWS": [f"arn:aws:iam::{ACCT}:root", ROLE]},
            ),
        ],
        req(),
        ALLOW,
    ),
    (
        "not-principal-account-is-only-root",
        NOTPRIN,
        [stmt("A"), stmt("D", "Deny", Principal=None, NotPrincipal={"AWS": ACCT})],
        req(principal=f"arn:aws:iam::{ACCT}:role/Other"),
        EXPLICIT,
    ),
    (
        "not-principal-root-itself",
        NOTPRIN,
        [stmt("A"), stmt("D", "Deny", Principal=None, NotPrincipal={"AWS": ACCT})],
        req(principal=f"arn:aws:iam::{ACCT}:root"),
        ALLOW,
    ),
    # Evaluation logic
    (
        "explicit-deny-wins",
        EVAL,
        [stmt("A"), stmt("D", "Deny", Action="kms:Decrypt")],
        req(),
        EXPLICIT,
    ),
    ("no-statement-implicit", EVAL, [stmt("A", Action="kms:Encrypt")], req(), IMPLICIT),
    (
        "deny-condition-false-allows",
        EVAL,
        deny_if("StringEquals", EC, "Finance"),
        req({EC: "Legal"}),
        ALLOW,
    ),
    ("single-statement-object", EVAL, stmt("A"), req(), ALLOW),
    ("no-action-no-effect", KMSPOL, [stmt("A", Action=None)], req(), IMPLICIT),
]


@pytest.mark.parametrize(
    ("name", "source", "statements", "request_doc", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_case(
    name: str, source: str, statements: Any, request_doc: dict[str, Any], expected: str
) -> None:
    assert source.startswith(("https://docs.aws.amazon.com/", "docs/design.md"))
    policy = Policy.from_json({"Version": "2012-10-17", "Statement": statements})
    decision = evaluate(policy, Request.from_json(request_doc))
    assert decision.reason == expected, (name, source)
    named = {ALLOW: "allow", DELEGATED: "allow_if_iam"}
    assert decision.decision == named.get(expected, "deny")


def test_enough_cases_per_family() -> None:
    ops = {
        op
        for _, _, st, _, _ in CASES
        for s in (st if isinstance(st, list) else [st])
        for op in s.get("Condition", {})
    }
    bases = {op.split(":")[-1].removesuffix("IfExists") for op in ops}
    for family in ("String", "Numeric", "Date", "Bool", "Binary", "Ip", "Arn", "Null"):
        assert any(family in b for b in bases), family
    assert len(CASES) >= 60


def test_statements_named_in_order() -> None:
    policy = Policy.from_json(
        {
            "Statement": [
                stmt("One"),
                {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
                stmt("Two", "Deny", Action="kms:Sign"),
            ]
        }
    )
    assert evaluate(policy, Request.from_json(req())).to_json() == {
        "decision": "allow",
        "reason": "allow",
        "statements": ["One", "#1"],
    }
    assert evaluate(policy, Request.from_json(req(action="kms:Sign"))) == Decision(
        decision="deny", reason="explicit_deny", statements=("Two",)
    )


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"principal": ROLE},
        {"principal": 5, "action": "kms:Decrypt"},
        {"principal": ROLE, "action": ""},
        {"principal": ROLE, "action": "kms:Decrypt", "resource": 3},
        {"principal": ROLE, "action": "kms:Decrypt", "context": []},
        {"principal": ROLE, "action": "kms:Decrypt", "context": {"k": {"a": 1}}},
        {"principal": ROLE, "action": "kms:Decrypt", "context": {"k": "a", "K": "b"}},
        {"principal": ROLE, "action": "kms:Decrypt", "extra": 1},
    ],
)
def test_malformed_requests(doc: Any) -> None:
    with pytest.raises(RequestFormatError):
        Request.from_json(doc)


def test_request_round_trip() -> None:
    doc = {
        "principal": ROLE,
        "action": "kms:Decrypt",
        "resource": "arn:aws:kms:x",
        "context": {"a": "1", "b": ["2", "3"]},
    }
    r = Request.from_json(doc)
    assert r.context == {"a": "1", "b": ("2", "3")}
    assert r.to_json() == doc
    assert Request.from_json(
        {"principal": ROLE, "action": "a", "context": {"x": True}}
    ).context == {"x": "true"}


@pytest.mark.parametrize(
    ("op", "values", "error"),
    [
        ("StringEqualz", ["a"], PolicyFormatError),
        ("ForSomeValues:StringEquals", ["a"], PolicyFormatError),
        ("NullIfExists", ["true"], PolicyFormatError),
        ("Null", ["maybe"], PolicyFormatError),
        ("NumericEquals", ["ten"], PolicyFormatError),
        ("DateEquals", ["yesterday"], PolicyFormatError),
        ("IpAddress", ["10.0.0.0/33"], PolicyFormatError),
        ("StringLike", ["home/${aws:username}/*"], UnsupportedPolicyError),
        ("ForAnyValue:StringEqualsIfExists", ["a"], AmbiguousPolicyError),
        ("ForAllValues:StringLikeIfExists", ["a"], AmbiguousPolicyError),
    ],
)
def test_bad_conditions_raise(op: str, values: list[str], error: type[Exception]) -> None:
    policy = Policy.from_json({"Statement": allow_if(op, "k", values)})
    with pytest.raises(error):
        evaluate(policy, Request.from_json(req()))


def test_plain_operator_on_multi_valued_key_is_refused() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
    # documents only the set operators for multi-valued keys.
    policy = Policy.from_json({"Statement": allow_if("StringEquals", "aws:TagKeys", ["a"])})
    with pytest.raises(AmbiguousPolicyError) as err:
        evaluate(policy, Request.from_json(req({"aws:TagKeys": ["a", "b"]})))
    assert str(err.value) == (
        "`StringEquals` on multi-valued `aws:TagKeys`: AWS documents only `ForAnyValue:`/"
        "`ForAllValues:` for multi-valued keys, not how a plain operator reads a list"
    )


XACCT = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html"


@pytest.mark.parametrize(
    ("principal", "decision", "reason"),
    [
        # Named directly, own account: the key policy alone allows (ROOTDELEG).
        (ROLE, "allow", "allow"),
        (f"arn:aws:sts::{ACCT}:assumed-role/Admin/s", "allow", "allow"),
        # Only the account-root statement matches: an IAM policy must also allow (ROOTDELEG).
        (f"arn:aws:iam::{ACCT}:role/Other", "allow_if_iam", "delegated"),
        # Another account, named directly or not: its own IAM policy must also allow (XACCT).
        (OTHER, "allow_if_iam", "cross_account"),
        ("arn:aws:iam::444455556666:role/Vendor", "allow_if_iam", "cross_account"),
        ("arn:aws:iam::444455556666:role/Nobody", "deny", "implicit_deny"),
    ],
)
def test_three_valued_access_with_key_account(principal: str, decision: str, reason: str) -> None:
    policy = Policy.from_json(
        {
            "Statement": [
                stmt("Root", Principal={"AWS": f"arn:aws:iam::{ACCT}:root"}),
                stmt("Admin", Principal={"AWS": ROLE}),
                stmt(
                    "Other",
                    Principal={"AWS": OTHER},
                    Condition={"StringEquals": {"aws:PrincipalTag/x": "y"}},
                ),
                stmt("Vendor", Principal={"AWS": "arn:aws:iam::444455556666:role/Vendor"}),
            ]
        }
    )
    ctx = {"aws:PrincipalTag/x": "y"}
    got = evaluate(policy, Request.from_json(req(ctx, principal=principal)), ACCT)
    assert (got.decision, got.reason) == (decision, reason)
