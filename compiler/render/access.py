"""Reviewer-facing Markdown: `ACCESS.md` (who can do what with each key) and the vendor handoff.

Written for a security reviewer, not a parser; deterministic (no dates but the inputs' own).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..compile.capacity import capacity
from ..compile.guards import LIFECYCLE_ACTIONS
from ..compile.keys import POLICY_LIMIT, Compiled, CompiledKey, decrypt_only_denied, pascal
from ..model import Org
from ..policy import iam
from ..resolve.grants import key_usage
from ..resolve.keys import KeyOptionsResolved, ResolvedKey
from . import cost
from .diagram import render_diagram
from .features import around_section
from .markdown import code, code_list, md, md_spans
from .vendors import access_section


def _rotation(o: KeyOptionsResolved) -> str:
    if o.automatic_rotation:
        return f"automatic rotation every {o.rotation_period_days} days"
    why = "imported key material" if o.imported_key_material else "the vendor does not support it"
    return f"no automatic rotation ({why})"


# modules/key-alarms `material_expiry_warning_days` (the generated module keeps its default)
MATERIAL_ALARM_DAYS = 30


def _placement(k: ResolvedKey) -> str:
    """Where the key lives: account, Region, and the Regions of its replicas (each a key of
    its own with the same policy, generated/replicas.tf)."""
    out = f"account `{k.org.account_id}`, Region `{k.org.region}`"
    if k.options.replica_regions:
        regions = code_list(list(k.options.replica_regions))
        return f"{out}; multi-Region, replicas in {regions} (the same key policy)"
    return out + ("; multi-Region, no replicas" if k.options.multi_region else "; single-Region")


def _material(k: ResolvedKey) -> str:
    """When imported key material expires (org.yaml `imported_material_valid_days`)."""
    if not k.options.imported_key_material:
        return ""
    days = k.org.defaults.imported_material_valid_days
    if days is None:
        return (
            f"; imported key material (`byok import-material {k.name}`) that never expires "
            "(no `imported_material_valid_days`)"
        )
    return (
        f"; imported key material: each import (`byok import-material {k.name}`) expires "
        f"{days} days later, alarmed {MATERIAL_ALARM_DAYS} days before; then the key is "
        "unusable until the same material is imported again"
    )


def _spec(ck: CompiledKey) -> str:
    spec = ck.key.vendor.key.spec
    return "" if spec == "SYMMETRIC_DEFAULT" else f"; `{spec}` key for `{key_usage(ck.key.vendor)}`"


def _vendor_section(ck: CompiledKey) -> list[str]:
    k = ck.key
    now = ""
    if k.suspension is not None:
        now = " (suspended: see below)"
    elif k.decrypt_only and k.retiring is not None and k.retiring.decrypt_only_until:
        now = f" (decrypt-only until {k.retiring.decrypt_only_until.isoformat()}: see below)"
    lines = [
        f"- **{md(k.vendor.display_name)}** ({md(k.vendor.product)}), as "
        f"{code_list(k.principals)}{now}:"
    ]
    for i, (name, actions, conds) in enumerate(k.grants):
        who = k.grant_who[i] if k.grant_who else None
        as_ = ""
        if who is not None and (who.aws, who.service) != (k.principals, ()):
            party = (
                "the organization's own principals, which the vendor uses: a suspension "
                "denies them too, a revocation does not"
                if who.party == "customer"
                else "the vendor's"
            )
            as_ = f" (as {code_list(list(who.aws + who.service))}: {party})"
        lines.append(f"  - `{name}`{as_}: {code_list(sorted(actions))}{_when(conds)}")
    for key in k.required_context_keys:
        lines.append(
            f"  - every encryption-context request must carry `kms:EncryptionContext:{key}` "
            "(the vendor documents it on every request): a request without it is denied"
        )
    return lines


def _when(conds: tuple[iam.Condition, ...] | list[iam.Condition]) -> str:
    if not conds:
        return ""
    return " when " + " and ".join(
        f"`{c.key}` {c.operator} {code_list(list(c.values))}" for c in conds
    )


def _extra_lines(ck: CompiledKey) -> list[str]:
    """The organization's own statements (`apps[].statements`), each with its review."""
    lines = []
    for x in ck.key.extras:
        sid = f"Org{pascal(x.name)}"
        st = next(s for s in ck.policy.statements if s.sid == sid)
        exp = (
            f"; expires {x.expires.isoformat()}: AWS honours it only until then "
            "(`aws:CurrentTime`), and the next `byok generate` drops it"
            if x.expires
            else ""
        )
        who = code_list(list(st.principal.aws if st.principal else ()))
        lines.append(
            f"- `{x.name}` ({x.effect}): {who}"
            f": {code_list(list(st.action or ()))}{_when(st.conditions)} "
            f"({md(x.ticket)}: {md(x.reason)}{exp})"
        )
    if any(x.effect == "Allow" for x in ck.key.extras):
        lines.append(
            "- an Allow here never re-opens a revocation or suspension of the vendor, or a "
            "guard rail: those are Denies, and Deny wins (proved for every revoked value)"
        )
    return lines


def _granted(ck: CompiledKey) -> str:
    own = sorted({a for w in ck.key.grant_who if w.party == "customer" for a in w.aws + w.service})
    if own:
        return (
            "data action the vendor file grants, to the vendor's principals and to the "
            f"organization's own principals the vendor uses ({code_list(own)})"
        )
    return "granted data action"


def _revocation_lines(ck: CompiledKey) -> list[str]:
    k = ck.key
    denied = code_list(sorted(k.vendor.revocation.actions))
    lines: list[str] = []
    if k.suspension is not None:
        s = k.suspension
        lines.append(
            f"- **SUSPENDED**: {k.vendor.display_name} is denied {denied} on this key, which "
            f"covers every {_granted(ck)} ({md(s.ticket)}: {md(s.reason)})"
        )
        lines.append(
            "  - grants created before the suspension (an AWS service's, such as EBS volumes') "
            "keep working until retired or revoked (`aws kms list-grants`)"
        )
    for rev in k.revocations:
        lines.append(
            f"- scope `{rev.scope.name}` (`kms:EncryptionContext:{rev.scope.context_key}`),"
            f" {len(rev.values)} value(s): denies {denied} when the context is one of them"
        )
        if rev.unconfirmed:
            lines.append(
                "  - **unconfirmed: may deny nothing**: the vendor has not confirmed it sends "
                f"`{rev.scope.context_key}`; if it does not, this revocation denies nothing"
            )
        for e in rev.entries:
            exp = f", expires {e.expires.isoformat()}" if e.expires else ""
            lines.append(
                f"  - {md(e.ticket)}: {code_list(sorted(set(e.values)))}: {md(e.reason)}{exp}"
            )
            ack = e.unconfirmed_context_key
            if ack is not None:
                lines.append(
                    f"    - unconfirmed context key accepted ({md(ack.ticket)}): {md(ack.reason)}"
                )
    if lines or k.decrypt_only:
        return lines
    return ["- none: the vendor has its full minimum access"]


def _state_lines(ck: CompiledKey) -> list[str]:
    """A key replacement in progress (README, "Replacing a key"): what it leaves the vendor."""
    k = ck.key
    out = []
    if k.replaced_by is not None and k.retiring is not None:
        r = k.retiring
        if r.decrypt_only_until is not None:
            denied = code_list(decrypt_only_denied(k.vendor.revocation.actions))
            out.append(
                f"- **DECRYPT-ONLY until {r.decrypt_only_until.isoformat()}**: replaced by "
                f"`{k.replaced_by}` ({md(r.ticket)}: {md(r.reason)}); "
                f"{md(k.vendor.display_name)} keeps only `kms:Decrypt` here, to re-encrypt "
                f"under the new key, and is denied {denied}; after that date `generate` warns "
                '(W110) until org.yaml decommissions it (README, "Replacing a key")'
            )
        else:
            out.append(
                f"- being replaced by `{k.replaced_by}` ({md(r.ticket)}): full access until "
                "the grace period is declared (`decrypt_only_until`)"
            )
    return out


def _org_lines(org: Org) -> list[str]:
    """The organization's own principals, with what the key policy alone grants them and what
    an IAM policy of the account can add through the account-root statement."""
    lines = [
        f"- the organization's account `{org.account_id}` (root): everything but the guard rails "
        "below, delegated to IAM: "
        "any principal of the account whose IAM policies allow it (keeps the key manageable; "
        "proofs below are relative to IAM policies)",
        f"- key administrators {code_list(list(org.key_administrators))} (and their role "
        "sessions): manage, by this policy alone; no cryptographic use from this policy, but "
        "as principals of the account an IAM policy can grant them use through the "
        "account statement above, and `kms:PutKeyPolicy` lets them rewrite this policy",
    ]
    if org.break_glass:
        lines.append(
            f"- break-glass `{org.break_glass}` (and its role sessions): everything but grants "
            "that are not for AWS resources and replicas outside the declared Regions, by this "
            "policy alone (no IAM policy needed); the "
            "only principal that may disable, schedule deletion of, import or delete material of, "
            "or move the primary Region of the key"
        )
    return lines


def key_section(ck: CompiledKey) -> str:
    k = ck.key
    org = k.org
    pct = 100 * ck.size / POLICY_LIMIT
    fits = ", ".join(f"`{s}` ~{n}" for s, n in capacity(ck).items()) or "no scopes"
    unverified = [f.what for f in k.facts if not f.verified]
    lines = [
        f"## `{k.name}` — {md(k.vendor.display_name)}, {k.environment}",
        "",
        f"Alias `{k.alias}` in {_placement(k)}; {_rotation(k.options)}"
        f"; deletion window {k.options.deletion_window_days} days" + _material(k) + _spec(ck) + ".",
        "",
        "**Who can use or manage the key**",
        "",
        *_org_lines(org),
    ]
    lines += _vendor_section(ck) + _guard_lines(ck)
    if k.extras:
        lines += ["", "**Organization statements** (reviewed in org.yaml)", "", *_extra_lines(ck)]
    lines += ["", "**Revocations in force**", "", *_state_lines(ck), *_revocation_lines(ck), ""]
    lines += _key_state_lines(ck)
    lines.append(
        f"**Policy size**: {ck.size} of {POLICY_LIMIT} bytes ({pct:.1f}%); further values "
        f"that fit: {fits}."
    )
    lines.append("")
    if unverified:
        lines.append(
            "**Unverified vendor facts in use** (confirm with the vendor): "
            + "; ".join(md_spans(u) for u in unverified)
            + "."
        )
        lines.append("")
    return "\n".join(lines)


def _key_state_lines(ck: CompiledKey) -> list[str]:
    """org.yaml `key_states` (README, "Incidents")."""
    s = ck.key.key_state
    if s is None:
        return []
    if s.enabled:
        return [f"**Key state**: enabled again ({md(s.ticket)}: {md(s.reason)}).", ""]
    return [
        f"**Key state: DISABLED** ({md(s.ticket)}: {md(s.reason)}). Nobody can use the key: "
        "AWS KMS refuses every cryptographic operation, `kms:CreateGrant` and "
        "`kms:GetPublicKey` on a disabled key whatever this policy allows "
        "([key states](https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html)); "
        "metadata reads and management (`kms:DescribeKey`, `kms:GetKeyPolicy`, `kms:EnableKey`, "
        "`kms:PutKeyPolicy`) still follow the policy above. Its replicas, if any, are disabled "
        "too.",
        "",
    ]


def _guard_lines(ck: CompiledKey) -> list[str]:
    """The guard-rail Denies (compile/guards.py), as verify proves them (E507, E520-E523)."""
    org, vendor = ck.key.org, ck.key.vendor
    who = (
        f"every principal but break-glass `{org.break_glass}`"
        if org.break_glass
        else (
            "every principal (no break-glass role: decommissioning first needs a reviewed change "
            "that adds one)"
        )
    )
    grants = "denied unless the grant is for an AWS resource (`kms:GrantIsForAWSResource`)"
    if vendor.create_grant is not None:
        grants += f"; {md(vendor.display_name)}'s principals are exempt (`create_grant`)"
    regions = ck.key.options.replica_regions
    replicate = (
        f"denied to every principal into any Region but {code_list(list(regions))} "
        "(`kms:ReplicaRegion`)"
        if regions
        else "denied to every principal (no `replica_regions`)"
    )
    return [
        "",
        "**Guard rails** (explicit Denies: no IAM policy or grant overrides them)",
        "",
        f"- {code_list(list(LIFECYCLE_ACTIONS))}: denied to {who}",
        f"- `kms:CreateGrant`: {grants}",
        f"- `kms:ReplicateKey`: {replicate}",
    ]


def render_access(
    compiled: Compiled,
    roots: Sequence[Compiled],
    section: Callable[[CompiledKey], str] = key_section,
) -> str:
    """ACCESS.md; `roots`: the Terraform roots `compiled` is divided into (`stacks.roots`);
    `section`: `key_section`, or what an earlier build rendered of it (render/pieces.py)."""
    org = compiled.resolved.org
    keys = sorted(compiled.keys, key=lambda c: c.key.name)
    head = [
        "# Key access",
        "",
        render_diagram(compiled),
        "Generated by byok-compiler from `org.yaml` and `vendors/*.yaml`; do not edit. "
        "`byok generate` proves against each compiled key policy: revocations and suspensions "
        "only narrow access, each revoked value is denied for every granted data action when "
        "the request carries it, a suspension denies every granted data action, and the "
        "account root and administrators keep `kms:PutKeyPolicy`. Not proved: IAM policies "
        "and SCPs, grants created before a revocation, data keys the vendor already caches, "
        "and whether the vendor sends a context key marked unconfirmed below.",
        "",
        f"Organization `{org.organization}`, account `{org.account_id}`, region `{org.region}`; "
        f"{len(keys)} key(s).",
        "",
    ]
    body = "\n".join(section(ck) for ck in keys)
    body += "\n" + access_section(ck.key.vendor for ck in keys) + _cost_section(compiled, roots)
    return "\n".join(head) + "\n" + body + _decommissioned(org)


def _cost_section(compiled: Compiled, roots: Sequence[Compiled]) -> str:
    """The monthly cost estimate (`cost.py`) under its default assumptions."""
    org = compiled.resolved.org
    assume = cost.Assumptions()
    lines = cost.estimate(
        cost.resources(roots),
        retention_days=org.trail.log_retention_days,
        emails=len(org.alarms.addresses),
        a=assume,
    )
    # Before the decommissioned keys: that section closes the file (tests/test_review.py).
    return (
        around_section(org, roots)
        + "\n## Estimated monthly cost\n\n"
        + cost.markdown(lines, assume)
    )


def _decommissioned(org: Org) -> str:
    """The record of keys taken out of service (they are no longer in `generated/`)."""
    if not org.decommissions:
        return ""
    lines = [
        "",
        "## Decommissioned keys",
        "",
        "No longer managed here: each left through a reviewed decommission and is deleted by the "
        'break-glass step of the README ("Decommissioning a key"); once deleted, what the '
        "vendor encrypted under it is unreadable.",
        "",
    ]
    for d in sorted(org.decommissions, key=lambda d: d.key):
        place = (("account", d.account_id), ("Region", d.region))
        left = ", ".join(f"{what} {v}" for what, v in place if v)
        where = f" (left behind in {left} when it moved)" if left else ""
        lines.append(
            f"- {code(d.key)}{where}: {md(d.ticket)}: {md(d.reason)}; the vendor confirmed "
            f"re-encryption or deletion on {d.vendor_confirmed.isoformat()}"
        )
    return "\n".join(lines) + "\n"
