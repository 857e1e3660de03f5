"""The Mermaid diagram that opens ACCESS.md (GitHub and GitLab render it): each vendor's
principals and the keys they use (with the grants named on the edge), revocations and
suspensions marked on the keys, and what watches every key: the CloudTrail trail that records
its API calls, the CloudWatch alarms on that trail (modules/key-alarms) and their SNS topic.

Deterministic: keys, vendors and principals in sorted order, node ids derived from names.
"""

from __future__ import annotations

import re

from ..compile import Compiled, CompiledKey


def _id(prefix: str, name: str) -> str:
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9]', '_', name)}"


def _label(text: str) -> str:
    """A quoted Mermaid label: quotes and angle brackets as entities, so text stays text."""
    for ch, ent in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(ch, ent)
    return f'"{text}"'


def _key_node(ck: CompiledKey) -> str:
    k = ck.key
    parts = [k.name]
    if k.suspension is not None:
        parts.append(f"SUSPENDED ({k.suspension.ticket})")
    for r in k.revocations:
        tickets = ", ".join(sorted({e.ticket for e in r.entries}))
        parts.append(f"{len(r.values)} {r.scope.name} value(s) revoked ({tickets})")
    cls = ":::suspended" if k.suspension is not None else (":::revoked" if k.revocations else "")
    label = "<br/>".join(_label(p)[1:-1] for p in parts)  # line breaks are ours, text escaped
    return f'  {_id("k", k.name)}["{label}"]{cls}'


def _edges(ck: CompiledKey, party: str) -> dict[str, list[str]]:
    """Principal ARN -> the names of the grants of `party` that name it on this key."""
    out: dict[str, list[str]] = {}
    for (name, _, _), who in zip(ck.key.grants, ck.key.grant_who, strict=True):
        if who.party == party:
            for arn in who.aws:
                out.setdefault(arn, []).append(name)
    return out


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
        denied = ck.key.suspension is not None
        for p, names in sorted(edges[ck.key.name].items()):
            grants = ", ".join(names)
            edge = f"suspended: {grants}" if denied else grants
            arrow = "-.->" if denied else "-->"
            src = _id(tag, str(principals.index(p)))
            lines.append(f"  {src} {arrow}|{_label(edge)}| {_id('k', ck.key.name)}")
    return lines


def _vendor_lines(vendor: str, keys: list[CompiledKey]) -> list[str]:
    return _party_lines(vendor, keys, "vendor") + _party_lines(vendor, keys, "customer")


def render_diagram(compiled: Compiled) -> str:
    keys = sorted(compiled.keys, key=lambda c: c.key.name)
    org = compiled.resolved.org
    lines = ["```mermaid", "flowchart LR"]
    lines += [_key_node(ck) for ck in keys]
    by_vendor: dict[str, list[CompiledKey]] = {}
    for ck in keys:
        by_vendor.setdefault(ck.key.vendor.name, []).append(ck)
    for vendor in sorted(by_vendor):
        lines += _vendor_lines(vendor, by_vendor[vendor])
    emails = len(org.alarms.addresses)
    lines += [
        # KMS API calls are management events, which the trail records in full (no exclusions):
        # https://docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html
        f"  trail[{_label('CloudTrail trail (every KMS API call)')}]",
        f"  alarms[{_label('CloudWatch alarms (modules/key-alarms)')}]",
        f"  topic[{_label(f'SNS topic: {emails} email(s)')}]",
    ]
    lines += [f"  {_id('k', ck.key.name)} -.->|logged| trail" for ck in keys]
    lines += ["  trail --> alarms", "  alarms --> topic"]
    lines += [
        "  classDef suspended fill:#fdd,stroke:#c00",
        "  classDef revoked fill:#ffe8cc,stroke:#c60",
        "```",
    ]
    return "\n".join(lines) + "\n"
