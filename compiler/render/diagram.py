"""The Mermaid diagram that opens ACCESS.md (GitHub and GitLab render it): who can do what with
each key, and what watches it.

- The keys of each Terraform root (account and Region) in one box: every key with its state
  (disabled, suspended, decrypt-only until a date, being replaced, replacing another), its
  revocations, its replica Regions and imported material.
- The organization's principals of that account, with one edge to the box (not one per key):
  the account root, through which IAM policies of the account get access (delegation), the
  key administrators (manage, no cryptographic use) and the break-glass role (all but grants
  not for AWS resources; the only one that may disable or schedule deletion), or a note that
  there is none.
- Each vendor's principals (and the organization's own principals of `party: customer`
  grants) with an edge per key, named by its grants; dashed when the key is disabled, or a
  suspension or the decrypt-only grace period denies them (all of it, or all but kms:Decrypt).
- The root's CloudTrail trail, the alarms on it and their topic.

Org edges go to the box and trail edges leave it, so the diagram grows by one node and its
vendor edges per key: readable at tens of keys. Deterministic: sorted, ids derived from names.
"""

from __future__ import annotations

import re

from ..compile import Compiled, CompiledKey
from ..model import Org


def _id(prefix: str, name: str) -> str:
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9]', '_', name)}"


def _label(text: str) -> str:
    """A quoted Mermaid label: quotes and angle brackets as entities, so text stays text."""
    for ch, ent in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(ch, ent)
    return f'"{text}"'


def _lines(parts: list[str]) -> str:
    """A label of several lines: the line breaks are ours, each line's text escaped."""
    return '"' + "<br/>".join(_label(p)[1:-1] for p in parts) + '"'


def _state(ck: CompiledKey) -> tuple[list[str], str]:
    """The label lines that say what state the key is in, and its class."""
    k = ck.key
    parts: list[str] = []
    cls = ""
    if not k.enabled and k.key_state is not None:  # org.yaml key_states (README, "Incidents")
        parts.append(f"DISABLED ({k.key_state.ticket})")
        cls = ":::suspended"
    if k.suspension is not None:
        parts.append(f"SUSPENDED ({k.suspension.ticket})")
        cls = ":::suspended"
    if k.replaced_by is not None and k.retiring is not None:
        until = k.retiring.decrypt_only_until
        if until is not None:
            parts.append(f"DECRYPT-ONLY until {until.isoformat()}")
            cls = cls or ":::decryptonly"
        parts.append(f"replaced by {k.replaced_by} ({k.retiring.ticket})")
    if k.replaces is not None:
        parts.append(f"replaces {k.replaces}")
    for r in k.revocations:
        tickets = ", ".join(sorted({e.ticket for e in r.entries}))
        parts.append(f"{len(r.values)} {r.scope.name} value(s) revoked ({tickets})")
        cls = cls or ":::revoked"
    return parts, cls


def _key_node(ck: CompiledKey) -> str:
    k = ck.key
    parts, cls = _state(ck)
    if k.options.replica_regions:
        parts.append(f"replicas: {', '.join(k.options.replica_regions)}")
    if k.options.imported_key_material:
        parts.append("imported key material")
    return f"    {_id('k', k.name)}[{_lines([k.name, *parts])}]{cls}"


def _name(arn: str) -> str:
    """`role/KmsKeyAdministrators` of an IAM ARN: the account is the box's."""
    return arn.split(":", 5)[5] if arn.count(":") >= 5 else arn


def _org_lines(org: Org, box: str) -> list[str]:
    """The account's own principals and their one edge each to the box of its keys."""
    tag = f"{org.account_id}_{org.region}"
    admins = ", ".join(_name(a) for a in org.key_administrators)
    lines = [
        f"  {_id('root', tag)}[{_label(f'account {org.account_id}: IAM policies')}]",
        f"  {_id('root', tag)} -.->|{_label('IAM delegation: what IAM policies allow')}| {box}",
        f"  {_id('admins', tag)}[{_label(f'key administrators: {admins}')}]",
        f"  {_id('admins', tag)} -->|{_label('manage, no cryptographic use')}| {box}",
    ]
    if org.break_glass:
        bg = f"break-glass: {_name(org.break_glass)}"
        what = (
            "all but grants not for AWS resources and replicas outside the declared Regions; "
            "the only one that disables, deletes, imports material or moves the primary Region"
        )
        lines += [
            f"  {_id('bg', tag)}[{_label(bg)}]",
            f"  {_id('bg', tag)} ==>|{_label(what)}| {box}",
        ]
    return lines


def _edges(ck: CompiledKey, party: str) -> dict[str, list[str]]:
    """Principal ARN -> the names of the grants of `party` that name it on this key."""
    out: dict[str, list[str]] = {}
    for (name, _, _), who in zip(ck.key.grants, ck.key.grant_who, strict=True):
        if who.party == party:
            for arn in who.aws:
                out.setdefault(arn, []).append(name)
    return out


def _vendor_edge(ck: CompiledKey, party: str, grants: str) -> tuple[str, str]:
    """(arrow, label) of a principal's edge to the key: dashed when denied. A suspension denies
    the vendor's principals and the organization's own ones the vendor uses (`party: customer`,
    compile/guards.py `suspended_principals`); decrypt-only denies the vendor's alone."""
    k = ck.key
    if not k.enabled:  # KMS refuses cryptographic use of a disabled key to every principal
        return "-.->", f"disabled: {grants}"
    if k.suspension is not None:
        return "-.->", f"suspended: {grants}"
    if party == "vendor" and k.decrypt_only:
        return "-.->", f"decrypt only: {grants}"
    return "-->", grants


def _party_lines(vendor: str, keys: list[CompiledKey], party: str) -> list[str]:
    """One subgraph of the vendor's principals (or of the organization's own principals that a
    `party: customer` grant names, which the vendor uses: a suspension denies those too), with
    an edge per key."""
    edges = {ck.key.name: _edges(ck, party) for ck in keys}
    principals = sorted({p for e in edges.values() for p in e})
    if not principals:
        return []
    display = keys[0].key.vendor.display_name
    title = display if party == "vendor" else f"your principals for {display}"
    tag = ("p_" if party == "vendor" else "c_") + vendor
    lines = [f"  subgraph {_id('v' if party == 'vendor' else 'cv', vendor)}[{_label(title)}]"]
    lines += [f"    {_id(tag, str(i))}[{_label(p)}]" for i, p in enumerate(principals)]
    lines.append("  end")
    for ck in keys:
        for p, names in sorted(edges[ck.key.name].items()):
            arrow, edge = _vendor_edge(ck, party, ", ".join(names))
            src = _id(tag, str(principals.index(p)))
            lines.append(f"  {src} {arrow}|{_label(edge)}| {_id('k', ck.key.name)}")
    return lines


def _box(org: Org, keys: list[CompiledKey]) -> list[str]:
    """The keys of one Terraform root, its own principals, and what watches it."""
    tag = f"{org.account_id}_{org.region}"
    box = _id("keys", tag)
    title = f"keys in account {org.account_id}, {org.region}"
    if not org.break_glass:
        title += " (no break-glass: nobody may disable or delete)"
    lines = [f"  subgraph {box}[{_label(title)}]", *(_key_node(ck) for ck in keys), "  end"]
    lines += _org_lines(org, box)
    trail, alarms, topic = _id("trail", tag), _id("alarms", tag), _id("topic", tag)
    emails = len(org.alarms.addresses)
    trail_label = (
        f"existing trail {org.trail.existing.arn.rsplit('/', 1)[-1]} "
        "(byok audit checks its selectors)"
        if org.trail.existing
        else "CloudTrail trail (every KMS API call)"
    )
    topic_label = (
        f"existing SNS topic {org.alarms.topic_arn.rsplit(':', 1)[-1]}: {emails} email(s) added"
        if org.alarms.topic_arn
        else f"SNS topic: {emails} email(s)"
    )
    return [
        *lines,
        # KMS API calls are management events, which the trail records in full (no exclusions):
        # https://docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html
        f"  {trail}[{_label(trail_label)}]",
        f"  {alarms}[{_label('CloudWatch alarms (modules/key-alarms)')}]",
        f"  {topic}[{_label(topic_label)}]",
        f"  {box} -.->|logged| {trail}",
        f"  {trail} --> {alarms}",
        f"  {alarms} --> {topic}",
    ]


def render_diagram(compiled: Compiled) -> str:
    keys = sorted(compiled.keys, key=lambda c: c.key.name)
    lines = ["```mermaid", "flowchart LR"]
    roots: dict[tuple[str, str], list[CompiledKey]] = {}
    for ck in keys:
        roots.setdefault((ck.key.org.account_id, ck.key.org.region), []).append(ck)
    for place in sorted(roots):
        lines += _box(roots[place][0].key.org, roots[place])
    by_vendor: dict[str, list[CompiledKey]] = {}
    for ck in keys:
        by_vendor.setdefault(ck.key.vendor.name, []).append(ck)
    for vendor in sorted(by_vendor):
        for party in ("vendor", "customer"):
            lines += _party_lines(vendor, by_vendor[vendor], party)
    lines += [
        "  classDef suspended fill:#fdd,stroke:#c00",
        "  classDef decryptonly fill:#eef,stroke:#44a",
        "  classDef revoked fill:#ffe8cc,stroke:#c60",
        "```",
    ]
    return "\n".join(lines) + "\n"
