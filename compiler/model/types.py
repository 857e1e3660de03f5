"""Constrained string types shared by the model: each says what it accepts and why.

>>> from pydantic import TypeAdapter
>>> TypeAdapter(AccountId).validate_python("111122223333")
'111122223333'
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

# Key-policy documents accept printable ASCII and Latin-1 only (KMS "Key policy format"), so
# values that reach a policy are limited to that; look-alike letters from other scripts are
# refused here rather than by PutKeyPolicy at apply time.
_POLICY_CHARS = re.compile(r"^[\x20-\x7e\xa0-\xff]+$")
_TEXT_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _policy_value(value: str) -> str:
    if not _POLICY_CHARS.match(value):
        bad = next(c for c in value if not _POLICY_CHARS.match(c))
        raise ValueError(f"character U+{ord(bad):04X} cannot appear in a KMS key policy")
    if "${" in value:
        # IAM reads `${...}` in condition values as a policy variable (`${aws:username}`).
        raise ValueError("`${` would be read as an IAM policy variable (`${aws:username}`)")
    return value


def _text(value: str) -> str:
    hit = _TEXT_BAD.search(value)
    if hit:
        raise ValueError(f"control or bidirectional character U+{ord(hit.group()):04X}")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
    return value


# ASCII classes only: pydantic's regex engine reads `\d` as any Unicode digit ("١" or "１").
ACCOUNT_ID_PATTERN = r"^[0-9]{12}$"
REGION_PATTERN = r"^(us|eu|ap|sa|ca|me|af|il|mx)-(gov-)?[a-z]+-[0-9]$"
AccountId = Annotated[str, Field(pattern=ACCOUNT_ID_PATTERN)]
Region = Annotated[str, Field(pattern=REGION_PATTERN)]
IAM_ARN_PATTERN = (
    r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:(root|(role|user)/[A-Za-z0-9+=,.@_/-]{1,512})$"
)
IamArn = Annotated[str, Field(pattern=IAM_ARN_PATTERN)]


def is_iam_arn(value: str) -> bool:
    """Whether `value` is a principal ARN a key policy can name.

    >>> is_iam_arn("arn:aws:iam::111122223333:root"), is_iam_arn("111122223333")
    (True, False)
    """
    return re.match(IAM_ARN_PATTERN, value) is not None


# STS AssumeRole ExternalId: 2-1224 characters of `[\w+=,.@:/-]` (ASCII `\w`: letters, digits, `_`).
# https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html#API_AssumeRole_RequestParameters
EXTERNAL_ID_CHARS = "A-Za-z0-9_+=,.@:/-"
EXTERNAL_ID_LENGTH = (2, 1224)
EXTERNAL_ID_PATTERN = rf"^[{EXTERNAL_ID_CHARS}]{{{EXTERNAL_ID_LENGTH[0]},{EXTERNAL_ID_LENGTH[1]}}}$"
# CloudWatch Logs actions a vendor's log role may hold: named actions only, no wildcards.
LOGS_ACTION_PATTERN = r"^logs:[A-Za-z]+$"


def terraform_validations() -> dict[tuple[str, str], str]:
    """The `validation` condition of each module variable the compiler fills, rendered from the
    patterns above: the single source of these rules. tests/test_terraform_modules.py checks the
    modules carry exactly these conditions. Terraform's RE2 refuses repeat counts over 1000, so
    the ExternalId length is checked with `length()`, not inside the regex.

    >>> terraform_validations()[("vendor-log-role", "external_id")][:34]
    'length(var.external_id) >= 2 && le'
    """
    lo, hi = EXTERNAL_ID_LENGTH
    ext = "var.external_id"
    return {
        ("vendor-log-role", "external_id"): (
            f"length({ext}) >= {lo} && length({ext}) <= {hi} && "
            f'can(regex("^[{EXTERNAL_ID_CHARS}]+$", {ext}))'
        ),
        ("vendor-log-role", "actions"): (
            "length(var.actions) > 0 && alltrue([for a in var.actions : "
            f'can(regex("{LOGS_ACTION_PATTERN}", a))])'
        ),
        ("vendor-log-role", "trusted_principal_arns"): (
            f'alltrue([for a in var.trusted_principal_arns : can(regex("{IAM_ARN_PATTERN}", a))])'
        ),
        ("cloudtrail", "break_glass_role_arn"): (
            "var.break_glass_role_arn == null || "
            f'can(regex("{IAM_ARN_PATTERN}", var.break_glass_role_arn))'
        ),
    }


EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,185}\.[A-Za-z]{2,}$"
# Printable ASCII but space, quotes, `<`, `>` and backtick (no look-alike or invisible characters).
URL_PATTERN = r"^https://[!#-&(-;=?-_a-~]{3,500}$"
SLUG_PATTERN = r"^[a-z][a-z0-9-]{1,30}$"
NAME_PATTERN = r"^[a-z][a-z0-9-]{0,30}$"
SCOPE_PATTERN = r"^[a-z][a-z0-9_]{0,30}$"
PARAM_PATTERN = r"^[a-z][a-z0-9_]{0,40}$"
Email = Annotated[str, Field(pattern=EMAIL_PATTERN)]
HttpsUrl = Annotated[str, Field(pattern=URL_PATTERN)]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
ScopeName = Annotated[str, Field(pattern=SCOPE_PATTERN)]
ParamName = Annotated[str, Field(pattern=PARAM_PATTERN)]

# What each pattern means, for diagnostics a person can act on.
PATTERN_NAMES = {
    ACCOUNT_ID_PATTERN: "a 12-digit AWS account id",
    REGION_PATTERN: "an AWS region such as `us-east-1`",
    IAM_ARN_PATTERN: "an IAM role, user or account-root ARN in the `aws` partitions",
    EMAIL_PATTERN: "an e-mail address",
    URL_PATTERN: "an https:// URL",
    SLUG_PATTERN: "a lowercase name (`a-z`, `0-9`, `-`; 2-31 characters)",
    NAME_PATTERN: "a lowercase name (`a-z`, `0-9`, `-`; up to 31 characters)",
    SCOPE_PATTERN: "a lowercase name (`a-z`, `0-9`, `_`)",
    PARAM_PATTERN: "a lowercase name (`a-z`, `0-9`, `_`)",
}
Regex = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_regex)]
Text = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_text)]
ValueStr = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(_policy_value)]


def _not_bool(value: object) -> object:
    """YAML `true` is not the number 1: a `Literal` of numbers compares by equality and
    `True == 1` in Python, where JSON Schema's `enum` tells them apart (tests/test_schema.py)."""
    if isinstance(value, bool):
        raise ValueError("a number is required, not true or false")
    return value


# On a `Literal` of numbers (strict mode already refuses a boolean for an `int`).
NOT_BOOL = BeforeValidator(_not_bool)
