"""`byok check-plan`'s report: one line per finding (text), `--format json`, `--format sarif`.

A passing text report never contains the word "fail": Atlantis decides a custom policy check
by searching its output for that substring (https://www.runatlantis.io/docs/custom-policy-checks),
so only a refused plan's last line says it fails.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..deployment import Root
from ..review.findings import CLASSES, Finding
from ..review.plancheck import Located
from ..review.planfile import Plan
from .common import EXIT_CODES, EXIT_OK

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_RULES = {
    "destruction": "a data-bearing resource destroyed, replaced or forgotten without a declaration",
    "access": "new access: a policy wider than deployed, a key enabled again, drift undone",
    "unproved": "a change byok cannot prove: not what generated/ declares",
    "weakening": "weakened monitoring or evidence",
    "change": "a change with no access, data or monitoring at stake",
}


def _header(plan: Plan, root: Root) -> str:
    return (
        f"plan: {plan.file} (Terraform {plan.terraform_version}, plan format "
        f"{plan.format_version}); root `{root.dir}` (account {root.account}, {root.region}); "
        f"{sum(1 for c in plan.changes if not c.quiet)} resource change(s)"
    )


def _text(plan: Plan, root: Root, found: Sequence[Located], code: int) -> str:
    out = [_header(plan, root)]
    for x in found:
        f = x.finding
        where = plan.where(x.path) if x.path else plan.file
        if f.cls == "change":
            out.append(f"  {f.line}")
            continue
        out.append(f"{f.line} [{where}]")
        if f.fix and f.blocks:
            out.append(f"  help: {f.fix}")
    if code == EXIT_OK:
        n = sum(1 for x in found if not x.finding.blocks)
        out.append(f"check-plan: passed: nothing blocking ({n} reported)")
    else:
        out.append(
            f"check-plan: refused (exit {code}): the plan fails the check: {EXIT_CODES[code]}"
        )
    return "\n".join(out) + "\n"


def _json(plan: Plan, root: Root, found: Sequence[Located], code: int) -> str:
    doc = {
        "plan": plan.file,
        "terraform_version": plan.terraform_version,
        "format_version": plan.format_version,
        "root": root.dir,
        "account": root.account,
        "region": root.region,
        "exit_code": code,
        "passed": code == EXIT_OK,
        "findings": [
            {**x.finding.to_json(), "where": plan.where(x.path) if x.path else plan.file}
            for x in found
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _location(plan: Plan, x: Located, project: Path) -> dict[str, Any]:
    where = plan.where(x.path) if x.path else f"{plan.file}:1:1"
    file, line, col = where.rsplit(":", 2)
    path = Path(file)
    try:
        uri = {
            "uri": path.resolve().relative_to(project.resolve()).as_posix(),
            "uriBaseId": "%SRCROOT%",
        }
    except ValueError:
        uri = {"uri": path.resolve().as_uri()}
    region = {"startLine": int(line), "startColumn": int(col)}
    return {"physicalLocation": {"artifactLocation": uri, "region": region}}


def _level(f: Finding) -> str:
    return "error" if f.blocks else "note"


def _sarif(plan: Plan, found: Sequence[Located], project: Path) -> str:
    from .main import _version

    rules = [{"id": f"byok/{c}", "shortDescription": {"text": _RULES[c]}} for c in CLASSES]
    results = [
        {
            "ruleId": f"byok/{x.finding.cls}",
            "level": _level(x.finding),
            "message": {
                "text": x.finding.line + (f" (help: {x.finding.fix})" if x.finding.fix else "")
            },
            "locations": [_location(plan, x, project)],
        }
        for x in found
    ]
    run = {
        "tool": {"driver": {"name": "byok check-plan", "version": _version(), "rules": rules}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": project.resolve().as_uri() + "/"}},
        "results": results,
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def emit(
    plan: Plan, root: Root, found: Sequence[Located], code: int, fmt: str, project: Path
) -> None:
    if fmt == "json":
        sys.stdout.write(_json(plan, root, found, code))
    elif fmt == "sarif":
        sys.stdout.write(_sarif(plan, found, project))
    else:
        sys.stdout.write(_text(plan, root, found, code))
