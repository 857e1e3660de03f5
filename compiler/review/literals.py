"""What the deployment inventory takes the hand-written modules to set, checked in the working
tree's module text when a module file changes.

The inventory (render/inventory.py) states the monitoring and protection settings the modules
hard-code: the trail logs, validates its log files, covers every Region and global events with
one event selector of every management event; every key is protected by `prevent_destroy`; the
alarms notify the alarm topic. tests/e2e/test_inventory.py proves those values against a real
plan of the shipped modules. A pull request that edits a module is `unproved` (exit 3) anyway;
when the edit also takes one of these literals away, the review names the weakening (exit 6):
each rule requires the exact line inside the named block, so any other text there is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .findings import Finding


@dataclass(frozen=True)
class Literal:
    file: str
    block: str  # the block's opening line, e.g. `resource "aws_cloudtrail" "this" {`
    line: str  # a regular expression one line of the block must match (whole line)
    sentence: str  # what is weakened when it does not
    absent: bool = False  # True: no line of the block may match


_TRAIL = ("modules/cloudtrail/main.tf", 'resource "aws_cloudtrail" "this" {')
MODULE_LITERALS = (
    Literal(*_TRAIL, r"\s*enable_logging\s*=\s*true", "the trail may stop logging"),
    Literal(*_TRAIL, r"\s*enable_log_file_validation\s*=\s*true", "log file validation off"),
    Literal(*_TRAIL, r"\s*is_multi_region_trail\s*=\s*true", "the trail may record one Region"),
    Literal(
        *_TRAIL,
        r"\s*include_global_service_events\s*=\s*true",
        "the trail may stop recording global service events",
    ),
    # The one event selector the module writes: every management event, read and write, from
    # every source (modules/cloudtrail/main.tf); anything that narrows it is reported
    Literal(*_TRAIL, r"\s*event_selector\s*\{", "the trail's event selector is removed"),
    Literal(
        *_TRAIL,
        r'\s*read_write_type\s*=\s*"All"',
        "the trail may record only read or only write events",
    ),
    Literal(
        *_TRAIL,
        r"\s*include_management_events\s*=\s*true",
        "the trail may stop recording management events",
    ),
    Literal(
        *_TRAIL,
        r'\s*read_write_type\s*=\s*(?!\s|"All"$).*',
        "the trail may record only read or only write events",
        absent=True,
    ),
    Literal(
        *_TRAIL,
        r"\s*include_management_events\s*=\s*(?!\s|true$).*",
        "the trail may stop recording management events",
        absent=True,
    ),
    Literal(
        *_TRAIL,
        r".*\bexclude_management_event_sources\b.*",
        "event sources are excluded from what the trail records",
        absent=True,
    ),
    Literal(
        *_TRAIL,
        r"\s*(dynamic\s+\"?)?advanced_event_selector\b.*",
        "advanced event selectors narrow what the trail records",
        absent=True,
    ),
    Literal(
        *_TRAIL,
        r"\s*dynamic\s+\"?event_selector\b.*",
        "event selectors narrow what the trail records",
        absent=True,
    ),
    Literal(
        "modules/kms-key/main.tf",
        'resource "aws_kms_key" "this" {',
        r"\s*prevent_destroy\s*=\s*true",
        "Terraform may delete the vendor keys (prevent_destroy off)",
    ),
    Literal(
        "modules/kms-key/main.tf",
        'resource "aws_kms_external_key" "this" {',
        r"\s*prevent_destroy\s*=\s*true",
        "Terraform may delete the keys with imported material (prevent_destroy off)",
    ),
    Literal(
        "modules/key-alarms/main.tf",
        'resource "aws_cloudwatch_metric_alarm" "this" {',
        r"\s*alarm_actions\s*=\s*\[local\.topic_arn\]",
        "the key alarms may stop notifying the alarm topic",
    ),
    Literal(
        "modules/key-alarms/main.tf",
        "locals {",
        r"\s*topic_arn\s*=\s*var\.sns_topic_arn\s*!=\s*null\s*\?\s*var\.sns_topic_arn\s*:"
        r"\s*try\(aws_sns_topic\.this\[0\]\.arn,\s*null\)",
        "the key alarms may stop notifying the alarm topic",
    ),
    Literal(
        "modules/cloudtrail/bucket.tf",
        'resource "aws_s3_bucket" "this" {',
        r"\s*prevent_destroy\s*=\s*true",
        "Terraform may delete the trail bucket and its log files (prevent_destroy off)",
    ),
    Literal(
        "modules/cloudtrail/logs.tf",
        'resource "aws_cloudwatch_log_group" "this" {',
        r"\s*skip_destroy\s*=\s*true",
        "Terraform may delete the trail's log group and its events (skip_destroy off)",
    ),
    Literal(
        "modules/vendor-log-role/main.tf",
        'resource "aws_cloudwatch_log_group" "this" {',
        r"\s*skip_destroy\s*=\s*true",
        "Terraform may delete the vendors' log groups and their events (skip_destroy off)",
    ),
    Literal(
        "modules/cloudtrail/bucket.tf",
        'resource "aws_s3_bucket_versioning" "this" {',
        r'\s*status\s*=\s*"Enabled"',
        "the trail bucket may stop versioning its log files",
    ),
)


def block_lines(text: str, opening: str) -> list[str] | None:
    """The lines of the top-level block that opens with `opening` (up to its closing `}` in the
    first column), or None when the file has no such block."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.rstrip() == opening:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == "}"), None)
            return lines[i + 1 : end] if end is not None else None
    return None


def _holds(rule: Literal, body: list[str] | None) -> bool:
    if body is None:
        return False
    hit = any(re.fullmatch(rule.line, line.split(" #", 1)[0].rstrip()) for line in body)
    return not hit if rule.absent else hit


def weakened(
    root: Path, changed: Iterable[str], read: Callable[[Path], str] | None = None
) -> list[Finding]:
    """A `weakening` finding per rule whose module file changed and no longer holds it."""
    reader = read or (lambda p: p.read_text("utf-8"))
    changed = set(changed)
    out = []
    for rule in MODULE_LITERALS:
        if rule.file not in changed:
            continue
        try:
            text = reader(root / rule.file)
        except (OSError, UnicodeDecodeError):
            text = ""
        if not _holds(rule, block_lines(text, rule.block)):
            line = f"{rule.file}: {rule.sentence} (`{rule.block.rstrip(' {')}` changed)"
            out.append(Finding("weakening", line, (rule.file,), rule.file))
    return out
