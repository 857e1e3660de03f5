"""What `byok generate` and ACCESS.md may claim about a verified key: each line states exactly
what verification proved about the compiled key policy, and `NOT_PROVED` what it does not cover.

A line appears only for a check that ran and passed (the pipeline stops on any verify error).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..compile.guards import LIFECYCLE_ACTIONS, suspended_principals
from ..compile.keys import CONTEXT_PREFIX, CompiledKey
from ..model import Vendor
from ..policy import catalog
from ..policy.keystate import refused_when_disabled
from ..resolve.keys import ScopeRevocation
from .checks import Proof, granted_data_actions, vendor_grants
from .replacements import decrypt_only_actions


def unconfirmed_line(ck: CompiledKey) -> str | None:
    revs = [r for r in ck.key.revocations if r.unconfirmed]
    if not revs:
        return None

    def tickets(rev: ScopeRevocation) -> str:
        acks = (e.unconfirmed_context_key for e in rev.entries)
        return ", ".join(sorted({a.ticket for a in acks if a is not None}))

    keys = ", ".join(f"{CONTEXT_PREFIX}{r.scope.context_key} ({tickets(r)})" for r in revs)
    values = sum(len(r.values) for r in revs)
    return (
        f"unconfirmed: may deny nothing: {values} revoked value(s) on {keys}; "
        f"{ck.key.vendor.name} has not confirmed it sends these keys"
    )


def suspension_line(ck: CompiledKey) -> str | None:
    if ck.key.suspension is None:
        return None
    granted = catalog.expand_all(a for _, acts, _ in ck.key.grants for a in acts)
    reads = sorted(granted & catalog.METADATA_READ_ACTIONS)
    still = f"; metadata reads not denied: {', '.join(reads)}" if reads else ""
    aws, services = suspended_principals(ck.key)
    own = sorted(set(aws + services) - set(ck.key.principals))
    also = (
        f"; also denied to the organization's own principals its `party: customer` grants "
        f"name, which the vendor uses ({', '.join(own)})"
        if own
        else ""
    )
    return (
        f"proved: suspended: every data action granted in the vendor file denied "
        f"({len(granted_data_actions(ck))} action(s){still}{also}); grants created before the "
        "suspension keep working until revoked (aws kms list-grants)"
    )


def disabled_line(ck: CompiledKey) -> str | None:
    """A key org.yaml disables (`key_states`): what KMS refuses whatever the policy allows."""
    state = ck.key.key_state
    if state is None or state.enabled:
        return None
    granted = catalog.expand_all(a for _, acts in vendor_grants(ck) for a in acts)
    refused = refused_when_disabled(granted)
    reads = sorted((granted - refused) & catalog.METADATA_READ_ACTIONS)
    other = sorted(granted - refused - catalog.METADATA_READ_ACTIONS)
    rest = f"; not refused: metadata reads {', '.join(reads)}" if reads else ""
    rest += f"; NOT refused: {', '.join(other)} (not a cryptographic operation)" if other else ""
    return (
        f"proved: disabled ({state.ticket}): every data action granted to the vendor is refused "
        f"whatever the policy allows ({len(refused)} action(s): key state Disabled fails "
        f"cryptographic operations, kms:CreateGrant and kms:GetPublicKey for every principal{rest})"
    )


def extra_lines(ck: CompiledKey) -> list[str]:
    """The organization's own statements: an Allow among them cannot re-open a revocation or
    suspension (the revocation proofs above ran on the policy that contains it)."""
    allows = [x.name for x in ck.key.extras if x.effect == "Allow"]
    if not allows or not (ck.key.revocations or ck.key.suspension):
        return []
    return [
        "proved: the organization's Allow statements ("
        + ", ".join(allows)
        + ") re-open no revoked value and no suspension: Deny wins"
    ]


def guard_lines(ck: CompiledKey) -> list[str]:
    """The guard-rail proofs (verify E507, E520, E521, E523), in the key policy only."""
    k = ck.key
    who = "only break-glass may" if k.org.break_glass else "nobody may (no break_glass role)"
    grants = "proved: kms:CreateGrant denied unless the grant is for an AWS resource"
    if k.vendor.create_grant is not None:
        grants += f" (vendor `{k.vendor.name}` exempt: declares create_grant)"
    regions = k.options.replica_regions
    replicate = (
        f"proved: kms:ReplicateKey denied into every Region but {', '.join(regions)}"
        if regions
        else "proved: kms:ReplicateKey denied (no replica_regions)"
    )
    return [f"proved: {who} call {', '.join(LIFECYCLE_ACTIONS)}", grants, replicate]


def proof_lines(ck: CompiledKey, proof: Proof) -> list[str]:
    """The claims for one key, in a fixed order."""
    k = ck.key
    lines = [
        f"proved: revocations and suspension only narrow access against the same policy "
        f"without them ({proof.relation})",
        "proved: the account root and the key administrators keep kms:PutKeyPolicy",
    ]
    if proof.revocations_checked:
        lines.append(
            f"proved: {proof.revocations_checked} revoked value(s) denied for every granted data "
            "action when the request carries the value under its context key"
        )
    lines += [line for line in (unconfirmed_line(ck), suspension_line(ck)) if line]
    lines += [line for line in (disabled_line(ck),) if line]
    lines += extra_lines(ck)
    lines += [
        f"proved: vendor requests without {CONTEXT_PREFIX}{key} denied for every granted "
        "encryption-context action"
        for key in k.required_context_keys
    ]
    return lines + guard_lines(ck) + replica_lines(ck) + replacement_lines(ck)


def replacement_lines(ck: CompiledKey) -> list[str]:
    """The E531 check (replacements.py) for a replaced key in its grace period."""
    k = ck.key
    if not k.decrypt_only or k.retiring is None or k.retiring.decrypt_only_until is None:
        return []
    until = k.retiring.decrypt_only_until.isoformat()
    denied = len(decrypt_only_actions(ck))
    return [
        f"proved: decrypt-only (replaced by {k.replaced_by}, grace period until {until}): "
        f"every granted data action but kms:Decrypt denied ({denied} action(s))"
    ]


def replica_lines(ck: CompiledKey) -> list[str]:
    """The E530 check (replicas.py), which ran on the rendered files before any claim."""
    regions = ck.key.options.replica_regions
    if not regions:
        return []
    return [
        f"proved: replicas in {', '.join(regions)} get this policy file, the primary's "
        "(one apply sets every Region's policy; checked in generated/replicas.tf)"
    ]


NOT_PROVED: tuple[str, ...] = (
    "not proved: IAM policies and SCPs (the AccountRoot statement delegates each key to IAM "
    "in your account); the proofs cover the key policies in generated/policies only",
    "not proved: grants; a grant created before a revocation or suspension may keep allowing "
    "the vendor until it is retired or revoked",
    "not proved: data keys the vendor already decrypted and caches; a Deny stops only new KMS "
    "requests",
    "not proved: that a vendor sends an unconfirmed context key; a revocation denies only "
    "requests that carry the revoked value under that key",
)


# The vendor-side behaviour each vendor file states (`revocation.takes_effect`, ...), in the order
# `not_proved` prints it: what no key-policy proof can say about a revocation.
BEHAVIOURS = (
    ("takes_effect", "a revocation takes effect"),
    ("data_key_caching", "data-key caching"),
    ("restore", "restoring access"),
)


def behaviour_lines(vendor: Vendor) -> list[str]:
    """One line per behaviour of `vendor`: its description and source, marked unverified where
    the vendor file says so, or that the file does not state it."""
    out = []
    for field, label in BEHAVIOURS:
        fact = getattr(vendor.revocation, field)
        if fact is None:
            out.append(f"{vendor.name}: {label}: not stated in the vendor file (assume a delay)")
            continue
        mark = "" if fact.verified else " (unverified)"
        out.append(f"{vendor.name}: {label}: {fact.description}{mark} [{fact.source}]")
    return out


def not_proved(vendors: Iterable[Vendor]) -> list[str]:
    """What the summary prints once after the keys: `NOT_PROVED`, then the vendor-side
    revocation behaviour of each vendor with a key, as its vendor file states it."""
    lines = list(NOT_PROVED)
    by_name = {v.name: v for v in vendors}
    if by_name:
        lines.append("not proved: how each vendor behaves after a revocation (its vendor file):")
        for name in sorted(by_name):
            lines += [f"  {line}" for line in behaviour_lines(by_name[name])]
    return lines
