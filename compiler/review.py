"""`byok diff`: what the current inputs change, per key, against the policies committed at a
git ref — in plain language, with every widening proved by a concrete request.

The base side is read with `git show REF:generated/policies/<key>.json` (no checkout). A new
key, a removed revocation value and a lifted suspension are widenings; so is any comparison the
comparer cannot decide (`unknown`): the review fails closed.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compile import CompiledKey
from .policy import iam
from .policy.compare import compare
from .policy.evaluate import Request

POLICY_DIR = "generated/policies"


class GitError(RuntimeError):
    """The base ref or its policies cannot be read."""


@dataclass(frozen=True)
class KeyChange:
    key: str
    status: str  # added | removed | changed | unchanged
    relation: str  # equivalent | narrower | wider | incomparable | unknown
    lines: tuple[str, ...]
    new_access: Request | None = None
    lost_access: Request | None = None
    reason: str | None = None

    @property
    def widens(self) -> bool:
        return self.relation in ("wider", "incomparable", "unknown")

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "status": self.status,
            "relation": self.relation,
            "widens": self.widens,
            "changes": list(self.lines),
            "reason": self.reason,
            "new_access": _req(self.new_access),
            "lost_access": _req(self.lost_access),
        }


def _req(r: Request | None) -> dict[str, Any] | None:
    return None if r is None else r.to_json()


def _git(root: Path, *args: str) -> str:
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"cannot run git: {exc}") from exc
    if proc.returncode != 0:
        raise GitError(proc.stderr.strip() or f"git {' '.join(args)} failed")
    return proc.stdout


def committed_policies(root: Path, ref: str) -> dict[str, iam.Policy]:
    """Key name -> policy as committed at `ref` (empty when generated/ did not exist yet)."""
    _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    listing = (
        _git(root, "ls-tree", "--name-only", f"{ref}:{POLICY_DIR}") if _has_dir(root, ref) else ""
    )
    names = [name for name in listing.split() if name.endswith(".json")]
    texts = _blobs(root, [f"{ref}:{POLICY_DIR}/{name}" for name in names])
    return {
        name.removesuffix(".json"): iam.Policy.from_json(json.loads(text))
        for name, text in zip(names, texts, strict=True)
    }


def _blobs(root: Path, specs: list[str]) -> list[str]:
    """The text of each `REF:PATH` blob, read by one `git cat-file --batch` (not one `git show`
    per key: a thousand keys would be a thousand processes)."""
    if not specs:
        return []
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "cat-file", "--batch"],
            capture_output=True,
            input="".join(f"{s}\n" for s in specs).encode("utf-8"),
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"cannot run git: {exc}") from exc
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip() or "git cat-file failed")
    out: list[str] = []
    data, at = proc.stdout, 0
    for spec in specs:
        end = data.find(b"\n", at)
        header = data[at:end].decode("utf-8", "replace").split()
        if end < 0 or len(header) != 3 or header[1] != "blob":
            raise GitError(f"cannot read `{spec}`: {' '.join(header[1:]) or 'no answer'}")
        size = int(header[2])
        out.append(data[end + 1 : end + 1 + size].decode("utf-8"))
        at = end + 1 + size + 1
    return out


def _has_dir(root: Path, ref: str) -> bool:
    try:
        _git(root, "cat-file", "-e", f"{ref}:{POLICY_DIR}")
    except GitError:
        return False
    return True


def _vendor_label(ck: CompiledKey) -> str:
    accounts = sorted({p.split(":")[4] for p in ck.key.principals})
    return f"{ck.key.vendor.display_name} ({', '.join(accounts)})"


def _by_sid(policy: iam.Policy | None) -> dict[str, iam.Statement]:
    return {s.sid or f"#{i}": s for i, s in enumerate(policy.statements)} if policy else {}


def _cond_values(s: iam.Statement) -> tuple[str, set[str]]:
    for c in s.conditions:
        return c.key, set(c.values)
    return "", set()


def _tickets(ck: CompiledKey, values: set[str]) -> str:
    tickets = sorted(
        {e.ticket for r in ck.key.revocations for e in r.entries if values & set(e.values)}
    )
    return f" (revocation {', '.join(tickets)})" if tickets else ""


def _deny_lines(ck: CompiledKey, old: iam.Statement | None, new: iam.Statement | None) -> list[str]:
    who = _vendor_label(ck)
    stmt = new or old
    assert stmt is not None
    actions = ", ".join(stmt.action or ())
    key, new_vals = _cond_values(new) if new else ("", set())
    okey, old_vals = _cond_values(old) if old else ("", set())
    key = key or okey
    if not key:  # a suspension
        if new and not old:
            return [f"{ck.key.name}: {who} loses {actions} entirely (suspended)"]
        return [f"{ck.key.name}: NEW ACCESS: {who} regains {actions} (suspension lifted)"]
    out = []
    added, removed = sorted(new_vals - old_vals), sorted(old_vals - new_vals)
    if added:
        out.append(
            f"{ck.key.name}: {who} loses {actions} when {key} = {', '.join(added)}"
            f"{_tickets(ck, set(added))}"
        )
    if removed:
        out.append(
            f"{ck.key.name}: NEW ACCESS: {who} regains {actions} when {key} = "
            f"{', '.join(removed)} (revocation lifted)"
        )
    return out


def _allow_lines(
    name: str, sid: str, old: iam.Statement | None, new: iam.Statement | None
) -> list[str]:
    if old is None:
        return [f"{name}: NEW ACCESS: statement `{sid}` added"]
    if new is None:
        return [f"{name}: statement `{sid}` removed"]
    return [f"{name}: statement `{sid}` changed"]


def describe(ck: CompiledKey, old: iam.Policy | None) -> list[str]:
    """Plain-language lines for the statement-level changes of one key."""
    before, after = _by_sid(old), _by_sid(ck.policy)
    lines: list[str] = []
    for sid in sorted(set(before) | set(after)):
        o, n = before.get(sid), after.get(sid)
        if o == n:
            continue
        if (n or o) is not None and (n or o).effect == "Deny":  # type: ignore[union-attr]
            lines += _deny_lines(ck, o, n)
        else:
            lines += _allow_lines(ck.key.name, sid, o, n)
    return lines


def key_change(ck: CompiledKey, old: iam.Policy | None) -> KeyChange:
    name = ck.key.name
    if old is None:
        line = f"{name}: NEW ACCESS: new key for {_vendor_label(ck)}, {ck.key.environment}"
        empty = iam.Policy(statements=())
        result = compare(empty, ck.policy, ck.key.org.account_id)
        return KeyChange(name, "added", "wider", (line,), result.new_access, None, None)
    if old == ck.policy:
        return KeyChange(name, "unchanged", "equivalent", ())
    result = compare(old, ck.policy, ck.key.org.account_id)
    return KeyChange(
        name,
        "changed",
        result.relation,
        tuple(describe(ck, old)),
        result.new_access,
        result.lost_access,
        result.reason,
    )


def review(keys: tuple[CompiledKey, ...], base: dict[str, iam.Policy]) -> list[KeyChange]:
    current = {ck.key.name: ck for ck in keys}
    changes = [key_change(current[n], base.get(n)) for n in sorted(current)]
    for name in sorted(set(base) - set(current)):
        changes.append(
            KeyChange(
                name,
                "removed",
                "narrower",
                (
                    f"{name}: key removed from the configuration (Terraform will "
                    "schedule its deletion)",
                ),
            )
        )
    return changes


@dataclass
class Report:
    changes: list[KeyChange] = field(default_factory=list)

    @property
    def widens(self) -> bool:
        return any(c.widens for c in self.changes)

    def text(self) -> str:
        changed = [c for c in self.changes if c.status != "unchanged"]
        if not changed:
            return "no access changes\n"
        out: list[str] = []
        for c in changed:
            out += list(c.lines) or [f"{c.key}: policy changed ({c.relation})"]
        for c in (c for c in changed if c.widens):
            out += [
                "",
                f"NEW ACCESS in {c.key} ({c.relation}"
                + (f": {c.reason}" if c.reason else "")
                + ")",
            ]
            if c.new_access is not None:
                out.append(
                    "  witness request (allowed now; denied before, or allowed only if IAM "
                    "also allowed): " + json.dumps(c.new_access.to_json(), sort_keys=True)
                )
        return "\n".join(out) + "\n"
