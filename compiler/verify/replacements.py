"""Verify check of a replaced key in its grace period (E531): through the evaluator, the vendor's
principals are explicitly denied every data action their grants give but kms:Decrypt, and
kms:Decrypt keeps exactly the decision the key had without the DecryptOnly statement (the old
key still decrypts what the vendor encrypted under it until it is decommissioned).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..compile import CompiledKey
from ..diagnostics import Diagnostic
from ..policy import catalog
from ..policy.evaluate import Request, evaluate


def decrypt_only_actions(ck: CompiledKey) -> list[str]:
    """The granted data actions a decrypt-only key denies (all but kms:Decrypt)."""
    granted = catalog.data_actions(a for _, actions, _ in ck.key.grants for a in actions)
    return sorted(granted - {"kms:Decrypt"})


def decrypt_only(ck: CompiledKey) -> Iterator[Diagnostic]:
    k = ck.key
    if not k.decrypt_only or k.retiring is None:
        return
    loc = k.retiring.where.at("decrypt_only_until")
    account = k.org.account_id
    for principal in k.principals:
        for action in decrypt_only_actions(ck):
            d = evaluate(ck.policy, Request(principal=principal, action=action), account)
            if d.reason != "explicit_deny":
                yield Diagnostic.make(
                    "E531",
                    f"key `{k.name}` is decrypt-only but `{principal}` may call `{action}` "
                    f"({d.reason})",
                    loc,
                )
        request = Request(principal=principal, action="kms:Decrypt")
        before = evaluate(ck.base_policy, request, account)
        after = evaluate(ck.policy, request, account)
        if k.suspension is None and before.decision != after.decision:
            yield Diagnostic.make(
                "E531",
                f"key `{k.name}` is decrypt-only but kms:Decrypt for `{principal}` changed "
                f"({before.reason} -> {after.reason})",
                loc,
            )
