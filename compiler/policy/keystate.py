"""What a KMS key's state does to requests, whatever its key policy allows.

AWS KMS Developer Guide, "Key states of AWS KMS keys", the key state table
(https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html; the table as published
in awsdocs/aws-kms-developer-guide doc_source/key-state.md): in the `Disabled` state every
cryptographic operation, `CreateGrant` and `GetPublicKey` fail ("DisabledException: <key ARN> is
disabled", footnote [1]), while `DescribeKey`, `GetKeyPolicy`, `ListGrants`, `EnableKey`,
`PutKeyPolicy` and the other management operations succeed.

>>> sorted(refused_when_disabled(["kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"]))
['kms:CreateGrant', 'kms:Decrypt']
"""

from __future__ import annotations

from collections.abc import Iterable

from .catalog import CRYPTOGRAPHIC_ACTIONS

# Cryptographic operations (catalog.CRYPTOGRAPHIC_ACTIONS, which the table lists as failing in
# `Disabled` one by one), CreateGrant and GetPublicKey (footnote [1] in the `Disabled` column).
FAILS_WHEN_DISABLED: frozenset[str] = CRYPTOGRAPHIC_ACTIONS | {
    "kms:CreateGrant",
    "kms:GetPublicKey",
}


def refused_when_disabled(actions: Iterable[str]) -> frozenset[str]:
    """The actions (catalog names) KMS refuses on a disabled key, whoever calls."""
    return frozenset(a for a in actions if a in FAILS_WHEN_DISABLED)
