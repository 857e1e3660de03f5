"""Report: compiled keys, their proofs and optionally a review -> one self-contained HTML page.

`byok report` writes it for reviewers who would rather look than read: the access matrix
(principals x keys x actions, with conditions), the Mermaid diagram of ACCESS.md drawn by an
inlined copy of Mermaid, each key's proofs and what they do not cover, and with `--base` the
findings of `byok diff` with each changed policy before and after.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from ..compile import Compiled
from ..render.diagram import render_diagram
from ..verify import Proof
from ..verify.claims import NOT_PROVED, proof_lines
from .matrix import matrix
from .page import DiffSection, KeyProofs, diagram_html, diff_html, keys_html, matrix_html, page

__all__ = ["DiffSection", "render_report"]


def _proofs(compiled: Compiled, proofs: Mapping[str, Proof]) -> list[KeyProofs]:
    out = []
    for ck in sorted(compiled.keys, key=lambda c: c.key.name):
        lines = proof_lines(ck, proofs[ck.key.name])
        proved = tuple(line for line in lines if line.startswith("proved:"))
        gaps = tuple(line for line in lines if not line.startswith("proved:"))
        out.append(KeyProofs(ck, proved, gaps + NOT_PROVED))
    return out


def render_report(
    compiled: Compiled, proofs: Mapping[str, Proof], version: str, diff: DiffSection | None
) -> str:
    """The page; `proofs` by key name (each key's verification, as `byok generate` ran it)."""
    org = compiled.resolved.org
    keys = list(compiled.keys)
    vendors = {ck.key.name: f"{ck.key.vendor.name} {ck.key.vendor.display_name}" for ck in keys}
    rows = matrix(keys)
    head = (
        f"<p>Organization <code>{escape(org.organization)}</code>, account "
        f"{escape(org.account_id)}, {escape(org.region)}: {len(keys)} key(s), compiled and "
        f"proved by byok {escape(version)} from org.yaml and vendors/. The policies shown are "
        "the files of generated/policies/, what Terraform applies.</p>"
    )
    sections = []
    if diff is not None:
        sections.append(("diff", "Changes under review (byok diff)", diff_html(diff)))
    sections += [
        ("access", "Access matrix", matrix_html(rows, vendors)),
        ("diagram", "Diagram", diagram_html(render_diagram(compiled), len(keys))),
        ("keys", "Keys: what is proved, and what is not", keys_html(_proofs(compiled, proofs))),
    ]
    return page(f"byok access report: {org.organization}", head, sections)
