"""Diagnostics for machines: `byok generate --format json` and `--format sarif`.

SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html) is what GitHub
code scanning uploads (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):
one rule per catalogue code, one result per diagnostic located on the YAML line and column it
names, with paths relative to the project directory (`%SRCROOT%`), so the annotations land on
the lines of org.yaml and vendors/*.yaml in the pull request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..codes import CATALOGUE
from ..diagnostics import Diagnostic
from ..resolve.accept import ORG_ENTRY, Accepted, target

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS = "docs/diagnostics.md"


def _one(d: Diagnostic) -> dict[str, Any]:
    loc = d.loc
    return {
        "code": d.code,
        "severity": d.severity,
        "message": d.message,
        "help": d.help,
        "file": loc.file if loc else None,
        "line": loc.line if loc else None,
        "col": loc.col if loc else None,
        "target": target(d),
    }


def _accepted(a: Accepted) -> dict[str, Any]:
    return {**_one(a.warning), "accepted": a.why()}


def diagnostics_json(
    diags: Sequence[Diagnostic], root: Path, accepted: Sequence[Accepted] = ()
) -> str:
    errors = sum(1 for d in diags if d.severity == "error")
    doc = {
        "errors": errors,
        "warnings": len(diags) - errors,
        "diagnostics": [_one(d) for d in diags],
        "accepted": [_accepted(a) for a in accepted],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _uri(file: str, root: Path) -> dict[str, str]:
    """A path under the project is relative to %SRCROOT%; a shipped vendor file is absolute."""
    path = Path(file)
    if not path.is_absolute():
        return {"uri": path.as_posix(), "uriBaseId": "%SRCROOT%"}
    try:
        return {"uri": path.relative_to(root.resolve()).as_posix(), "uriBaseId": "%SRCROOT%"}
    except ValueError:
        return {"uri": path.as_uri()}


def _result(d: Diagnostic, root: Path) -> dict[str, Any]:
    text = d.message + (f" (help: {d.help})" if d.help else "")
    out: dict[str, Any] = {
        "ruleId": d.code,
        "level": "error" if d.severity == "error" else "warning",
        "message": {"text": text},
    }
    if d.loc is not None:
        out["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": _uri(d.loc.file, root),
                    "region": {"startLine": d.loc.line, "startColumn": d.loc.col},
                }
            }
        ]
    return out


def _rule(code: str) -> dict[str, Any]:
    c = CATALOGUE[code]
    return {
        "id": code,
        "name": c.title.title().replace(" ", "").replace("-", ""),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": c.description},
        "defaultConfiguration": {"level": "error" if c.severity == "error" else "warning"},
    }


def _suppressed(a: Accepted, root: Path) -> dict[str, Any]:
    why = a.why()
    ticket = f" (ticket {why['ticket']})" if why["ticket"] else ""
    # SARIF 2.1.0 suppression `kind`: `inSource` for one written in the analysed file,
    # `external` for one kept elsewhere (org.yaml `accepted_warnings`)
    kind = "external" if why["by"] == ORG_ENTRY else "inSource"
    return {
        **_result(a.warning, root),
        "suppressions": [{"kind": kind, "justification": f"{why['reason']}{ticket}"}],
    }


def diagnostics_sarif(
    diags: Sequence[Diagnostic], root: Path, accepted: Sequence[Accepted] = ()
) -> str:
    from .main import _version

    codes = sorted({d.code for d in [*diags, *(a.warning for a in accepted)]})
    run = {
        "tool": {
            "driver": {
                "name": "byok",
                "version": _version(),
                "informationUri": "https://github.com/byok-compiler/byok-compiler",
                "rules": [_rule(c) for c in codes],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
        "results": [_result(d, root) for d in diags] + [_suppressed(a, root) for a in accepted],
    }
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
