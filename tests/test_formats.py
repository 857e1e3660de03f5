"""`byok generate --format json|sarif`: every diagnostic of the run on stdout, located on the
YAML line, and nothing written.

SARIF 2.1.0: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html; the subset GitHub
code scanning reads: https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
`SARIF_SHAPE` encodes the properties of the OASIS schema (sarif-schema-2.1.0.json) that
those pages make required for an upload, with the same names, types and enumerations.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from byok.cli import main as cli
from byok.write import read_tree

_LOCATION = {
    "type": "object",
    "required": ["physicalLocation"],
    "properties": {
        "physicalLocation": {
            "type": "object",
            "required": ["artifactLocation", "region"],
            "properties": {
                "artifactLocation": {
                    "type": "object",
                    "required": ["uri"],
                    "properties": {"uri": {"type": "string"}, "uriBaseId": {"type": "string"}},
                },
                "region": {
                    "type": "object",
                    "required": ["startLine"],
                    "properties": {
                        "startLine": {"type": "integer", "minimum": 1},
                        "startColumn": {"type": "integer", "minimum": 1},
                    },
                },
            },
        }
    },
}
SARIF_SHAPE = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {"type": "object", "required": ["id"]},
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message", "ruleId"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {
                                    "type": "object",
                                    "required": ["text"],
                                    "properties": {"text": {"type": "string"}},
                                },
                                "locations": {"type": "array", "items": _LOCATION},
                            },
                        },
                    },
                },
            },
        },
    },
}


def _run(project: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    before = read_tree(project / "generated")
    code = cli.main(["-C", str(project), "generate", "--format", fmt])
    assert read_tree(project / "generated") == before  # nothing written
    return code, json.loads(capsys.readouterr().out)


def test_sarif_warnings_on_the_yaml_lines(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = _run(project, "sarif", capsys)
    assert code == 0
    jsonschema.validate(doc, SARIF_SHAPE)
    results = doc["runs"][0]["results"]
    slack = [r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]
             ["uri"] == "vendors/slack.yaml"]  # fmt: skip
    assert slack[0] == {
        "level": "warning",
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "vendors/slack.yaml", "uriBaseId": "%SRCROOT%"},
                    "region": {"startColumn": 5, "startLine": 30},
                }
            }
        ],
        "message": {
            "text": "unverified vendor fact reaches generated output: principal "
            "`arn:aws:iam::152659312504:root` (help: confirm it "
            "(https://github.com/fwdcloudsec/known_aws_accounts), then set `verified: true`)"
        },
        "ruleId": "W101",
        # org.yaml accepts this warning: code scanning shows it as suppressed, with the reason
        "suppressions": [
            {
                "justification": "listed as Slack EKM in fwdcloudsec/known_aws_accounts; "
                "confirming the account with Slack (ticket SEC-150)",
                "kind": "external",
            }
        ],
    }
    assert [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]] == sorted(
        {r["ruleId"] for r in results}
    )


def test_json_errors_exit_1_with_locations(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = project / "org.yaml"
    org.write_text(org.read_text().replace('account_id: "111122223333"', "account_id: 42"))
    code, doc = _run(project, "json", capsys)
    assert code == 1
    assert doc == {
        "diagnostics": [
            {
                "code": "E203",
                "col": 13,
                "file": "org.yaml",
                "help": 'quote the value, e.g. "42"',
                "line": 4,
                "message": "`account_id` must be a string, not int",
                "severity": "error",
                "target": "org: account_id must be a string, not int",
            }
        ],
        "accepted": [],
        "errors": 1,
        "warnings": 0,
    }


def test_sarif_errors_are_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    org = project / "org.yaml"
    org.write_text(org.read_text().replace("region: us-east-1", "region: mars-1"))
    code, doc = _run(project, "sarif", capsys)
    assert code == 1
    jsonschema.validate(doc, SARIF_SHAPE)
    levels = {r["level"] for r in doc["runs"][0]["results"]}
    assert levels == {"error"}
