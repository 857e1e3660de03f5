"""`byok audit` output: text for people, JSON and Markdown for tickets."""

from __future__ import annotations

import json
from itertools import groupby

from .findings import Finding

MARK = {"ok": "ok", "finding": "FINDING", "wider": "WIDER"}


def _summary(findings: list[Finding]) -> str:
    wider = sum(f.severity == "wider" for f in findings)
    other = sum(f.severity == "finding" for f in findings)
    if not wider and not other:
        return "audit clean: the deployment matches generated/"
    return f"audit: {wider} wider than reviewed, {other} other finding(s)"


def text(findings: list[Finding], *, verbose: bool = True) -> str:
    lines: list[str] = []
    for subject, group in groupby(findings, key=lambda f: f.subject):
        items = [f for f in group if verbose or f.severity != "ok"]
        if not items:
            continue
        lines.append(f"{subject}:")
        for f in items:
            lines.append(f"  {MARK[f.severity]:7} {f.check}: {f.message}")
            for name in ("new_access", "lost_access"):
                if f.detail.get(name):
                    lines.append(f"          {name}: {json.dumps(f.detail[name], sort_keys=True)}")
            if f.detail.get("adopt"):
                lines += [
                    "          adopt it:",
                    *("            " + ln for ln in f.detail["adopt"].splitlines()),
                ]
            for name in ("aws", "byok"):
                if name in f.detail:
                    lines.append(f"          {name}: {f.detail[name]}")
    lines.append(_summary(findings))
    return "\n".join(lines) + "\n"


def to_json(findings: list[Finding], exit_code: int) -> str:
    doc = {
        "exit_code": exit_code,
        "summary": _summary(findings),
        "findings": [f.to_json() for f in findings],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(findings: list[Finding]) -> str:
    lines = [
        "## byok audit",
        "",
        f"**{_summary(findings)}**",
        "",
        "| subject | check | result | detail |",
        "| --- | --- | --- | --- |",
    ]
    for f in findings:
        extra = "; ".join(
            f"{k}: `{json.dumps(f.detail[k], sort_keys=True)}`"
            for k in ("new_access", "lost_access")
            if f.detail.get(k)
        )
        row = [
            f.subject,
            f.check,
            MARK[f.severity],
            _cell(f.message + (f"; {extra}" if extra else "")),
        ]
        lines.append("| " + " | ".join(row) + " |")
    for f in findings:
        if f.detail.get("adopt"):
            lines += [
                "",
                f"To adopt the revocation on `{f.subject}`:",
                "",
                "```yaml",
                f.detail["adopt"],
                "```",
            ]
    return "\n".join(lines) + "\n"
