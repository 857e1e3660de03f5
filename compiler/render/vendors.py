"""What no proof covers about each vendor, in Markdown: the data it keeps under its own keys
(`not_covered`) and how a revocation behaves on its side (`revocation.takes_effect`,
`data_key_caching`, `restore`), each with its source and verified flag as the vendor file
states it. A section of ACCESS.md, and a block of each handoff sheet."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Vendor
from ..model.base import Fact

# (field of `revocation`, label): the order ACCESS.md and the handoff sheet show them in.
BEHAVIOURS = (
    ("takes_effect", "How soon a revocation bites"),
    ("data_key_caching", "Data keys the vendor caches"),
    ("restore", "Restoring access"),
)


def _esc(text: str) -> str:
    """Neutralise Markdown/HTML in vendor-file text so it renders as written."""
    for ch in "\\`*_[]<>|#":
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", " ")


def _cite(fact: Fact) -> str:
    mark = "" if fact.verified else "; **unverified**"
    return f"([source](<{fact.source}>){mark})"


def not_covered_lines(vendor: Vendor) -> list[str]:
    who = _esc(vendor.display_name)
    if not vendor.not_covered:
        return [
            f"- not documented publicly (`vendors/{vendor.name}.yaml` lists nothing): do not "
            f"assume everything {who} stores is under this key; ask {who}"
        ]
    return [f"- {_esc(n.data)} {_cite(n)}" for n in vendor.not_covered]


def behaviour_lines(vendor: Vendor) -> list[str]:
    out = []
    for field, label in BEHAVIOURS:
        fact = getattr(vendor.revocation, field)
        if fact is None:
            out.append(
                f"- {label}: not stated in `vendors/{vendor.name}.yaml`; assume a delay and "
                "ask the vendor"
            )
        else:
            out.append(f"- {label}: {_esc(fact.description)} {_cite(fact)}")
    return out


def access_section(vendors: Iterable[Vendor]) -> str:
    """ACCESS.md's section on every vendor with a key, by name."""
    by_name = {v.name: v for v in vendors}
    lines = [
        "## What stays with the vendor",
        "",
        "No proof covers these: they are what each vendor file states, with its source. A "
        "revocation or suspension denies new KMS requests; what the vendor has already "
        "decrypted, caches or keeps under its own keys is up to the vendor.",
        "",
    ]
    for name in sorted(by_name):
        v = by_name[name]
        who = _esc(v.display_name)
        lines += [f"### {who}", "", "Not under your key (kept under the vendor's own keys):", ""]
        lines += not_covered_lines(v)
        lines += ["", "After a revocation or suspension:", ""]
        lines += [*behaviour_lines(v), ""]
    return "\n".join(lines)


def handoff_lines(vendor: Vendor) -> list[str]:
    """The handoff sheet's reminder of what the key does not protect and how revocation
    behaves, so whoever talks to the vendor can confirm it."""
    who = _esc(vendor.display_name)
    return [
        "",
        f"Not under this key (kept under the vendor's own keys; confirm with {who}):",
        "",
        *not_covered_lines(vendor),
        "",
        f"Revocation on the vendor's side (confirm with {who}):",
        "",
        *behaviour_lines(vendor),
    ]
