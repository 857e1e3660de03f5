"""The shipped CI example (`examples/github-actions-review.yml`) gates (issues 11 and 21).

Its jobs run as GitHub runs them for a pull request, in order of `needs` (a job's `if:` sees the
`needs` context; a job with an `environment` waits for a reviewer: approved, rejected, or
never decided), and their `run:` steps run as GitHub executes them, in a scratch workspace:
`pr/`, a git repository whose pull request branch carries a widening, harmless, weakening,
destructive, hand-edited or sabotaging change, and `judge/`, the base commit beside it. Each
script is written to a file and run by the shell GitHub uses for the step
(https://docs.github.com/en/actions/using-workflows/workflow-syntax-for-github-actions#jobsjob_idstepsshell:
unspecified -> `bash -e {0}`, `bash` -> `bash --noprofile --norc -eo pipefail {0}`), with
`GITHUB_OUTPUT` read back after each step, `if:` conditions and `${{ }}` expressions evaluated
(an implicit `success()` unless the condition calls a status function,
https://docs.github.com/en/actions/learn-github-actions/expressions#status-check-functions), and
a job failing when any step that ran failed. `uses:` steps are the runner's set-up (the two
checkouts, Python) and are replaced by the scratch workspace and the project's `.venv` as the
judge's; `gh` is a stub. The required check is the `gate` job's result.

The evaluator knows only what the workflow needs and raises on anything else, so a workflow that
uses more of GitHub's expression language fails this test until the evaluator learns it.
`actionlint` is not installable here (its PyPI wrapper downloads the binary at build time), so
`test_workflow_lint` checks the rules that matter for this file instead: every step runs under
`bash` with pipefail, no `${{ }}` inside a script (untrusted values go through `env:`), every
`steps.<id>` reference names an earlier step, and `bash -n` accepts every script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, copy_inputs

WORKFLOW = REPO / "examples" / "github-actions-review.yml"
SHELLS = {
    None: ["bash", "-e"],
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"],
    "sh": ["sh", "-e"],
}
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}
TODAY = "2026-11-23"

# --------------------------------------------------------------------------- expressions

_TOKEN = re.compile(
    r"\s*(?:(?P<op>\|\||&&|==|!=|!|\(|\)|,)|'(?P<str>(?:[^']|'')*)'"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.(?:\*|[A-Za-z_][A-Za-z0-9_-]*))*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, at = [], 0
    while at < len(text.rstrip()):
        m = _TOKEN.match(text, at)
        if m is None or m.end() == at:
            raise ValueError(f"cannot parse expression at {text[at:]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind) if kind != "str" else m.group("str").replace("''", "'")
        out.append((kind, value))
        at = m.end()
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _truthy(value: Any) -> bool:
    return value not in (None, False, "", 0)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()  # GitHub compares strings ignoring case
    return bool(a == b)


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, list):
        return any(_equal(item, needle) for item in haystack)
    return _text(needle).casefold() in _text(haystack).casefold()


@dataclass
class Expr:
    """A recursive-descent evaluator for the subset of GitHub expressions the workflow uses."""

    contexts: Mapping[str, Any]
    status: Mapping[str, Callable[[], bool]]
    toks: list[tuple[str, str]] = field(default_factory=list)

    def eval(self, text: str) -> Any:
        self.toks = _tokens(text)
        value = self._or()
        if self.toks:
            raise ValueError(f"trailing tokens in {text!r}: {self.toks}")
        return value

    def _take(self, value: str | None = None) -> tuple[str, str]:
        if not self.toks or (value is not None and self.toks[0][1] != value):
            raise ValueError(f"expected {value!r}, got {self.toks[:1]}")
        return self.toks.pop(0)

    def _peek(self, value: str) -> bool:
        return bool(self.toks) and self.toks[0] == ("op", value)

    def _or(self) -> Any:
        value = self._and()
        while self._peek("||"):
            self._take()
            right = self._and()
            value = value if _truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._eq()
        while self._peek("&&"):
            self._take()
            right = self._eq()
            value = right if _truthy(value) else value
        return value

    def _eq(self) -> Any:
        value = self._unary()
        if self._peek("==") or self._peek("!="):
            op = self._take()[1]
            right = self._unary()
            return _equal(value, right) == (op == "==")
        return value

    def _unary(self) -> Any:
        if self._peek("!"):
            self._take()
            return not _truthy(self._unary())
        return self._primary()

    def _primary(self) -> Any:
        kind, value = self._take()
        if kind == "op" and value == "(":
            inner = self._or()
            self._take(")")
            return inner
        if kind == "str":
            return value
        if kind == "name" and self._peek("("):
            return self._call(value)
        if kind == "name":
            return self._path(value)
        raise ValueError(f"unexpected token {value!r}")

    def _call(self, name: str) -> Any:
        self._take("(")
        args = []
        while not self._peek(")"):
            args.append(self._or())
            if self._peek(","):
                self._take()
        self._take(")")
        if name in self.status and not args:
            return self.status[name]()
        if name == "contains" and len(args) == 2:
            return _contains(args[0], args[1])
        raise ValueError(f"function {name}() is not modelled by this test")

    def _path(self, dotted: str) -> Any:
        head, *rest = dotted.split(".")
        if head not in self.contexts:
            raise ValueError(f"context `{head}` is not modelled by this test")
        value: Any = self.contexts[head]
        for part in rest:
            if part == "*":
                value = list(value)
            elif isinstance(value, list):
                value = [item.get(part) for item in value if isinstance(item, dict)]
            elif isinstance(value, dict):
                value = value.get(part)
            else:
                value = None
        return value


def interpolate(text: str, expr: Expr) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: _text(expr.eval(m.group(1))), text)


# --------------------------------------------------------------------------- the runner


@dataclass
class Job:
    failed: bool
    log: list[str]
    outcomes: dict[str, str]
    result: str = "success"  # success | failure | skipped | pending (awaiting a reviewer)
    outputs: dict[str, str] = field(default_factory=dict)


def _workflow() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return doc


def _default_shell(doc: dict[str, Any], job: dict[str, Any]) -> str | None:
    shell: str | None = (
        (job.get("defaults") or doc.get("defaults") or {}).get("run", {}).get("shell")
    )
    return shell


def _steps_and_default_shell(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """Every step of every job, in order (the lint), and the workflow's default shell."""
    steps = [s for job in doc["jobs"].values() for s in job["steps"]]
    return steps, _default_shell(doc, {})


def _condition(step: dict[str, Any]) -> str:
    cond = str(step.get("if", "")).strip()
    cond = cond.removeprefix("${{").removesuffix("}}").strip()
    if not cond:
        return "success()"
    if re.search(r"\b(always|success|failure|cancelled)\(", cond):
        return cond
    return f"success() && ({cond})"


PR_EVENT = {"number": 7, "head": {"sha": "pr-head-sha"}, "base": {"sha": "base-sha"}}


def _github() -> dict[str, Any]:
    return {
        "base_ref": "main",
        "token": "gh-test-token",
        "repository": "acme/keys",
        "event": {"pull_request": PR_EVENT},
    }


def run_workflow(workspace: Path, env: Mapping[str, str], approve: bool | None) -> dict[str, Job]:
    """Run every job in order of `needs`, as GitHub does for a pull request. A job with an
    `environment` waits for its reviewers: `approve` True runs it, False is a rejection (the
    job fails), None nobody decided (the job, and what needs it, never completes)."""
    doc = _workflow()
    jobs: dict[str, Job] = {}
    for name, job in doc["jobs"].items():
        needs = job.get("needs") or []
        needs = [needs] if isinstance(needs, str) else needs
        assert all(n in jobs for n in needs), f"job {name} needs a later job"
        if any(jobs[n].result == "pending" for n in needs):
            jobs[name] = Job(failed=False, log=[], outcomes={}, result="pending")
            continue
        needs_ctx = {n: {"result": jobs[n].result, "outputs": jobs[n].outputs} for n in needs}
        status = {
            "always": lambda: True,
            "success": lambda: all(jobs[n].result == "success" for n in needs),  # noqa: B023
            "failure": lambda: any(jobs[n].result == "failure" for n in needs),  # noqa: B023
            "cancelled": lambda: False,
        }
        expr = Expr({"github": _github(), "needs": needs_ctx}, status)
        if not _truthy(expr.eval(_condition(job))):
            jobs[name] = Job(failed=False, log=[], outcomes={}, result="skipped")
            continue
        if "environment" in job and not approve:
            result = "pending" if approve is None else "failure"
            jobs[name] = Job(failed=result == "failure", log=[], outcomes={}, result=result)
            continue
        jobs[name] = run_job(workspace, doc, job, env, needs_ctx)
    return jobs


def run_job(
    workspace: Path,
    doc: dict[str, Any],
    job: dict[str, Any],
    env: Mapping[str, str],
    needs: Mapping[str, Any],
) -> Job:
    """Run one job's steps in `workspace` (which stands in for the runner's set-up)."""
    default_shell = _default_shell(doc, job)
    state = {"failed": False}
    step_ctx: dict[str, dict[str, Any]] = {}
    contexts = {"github": _github(), "steps": step_ctx, "needs": needs}
    status = {
        "always": lambda: True,
        "success": lambda: not state["failed"],
        "failure": lambda: state["failed"],
        "cancelled": lambda: False,
    }
    expr = Expr(contexts, status)
    log: list[str] = []
    outcomes: dict[str, str] = {}
    for index, step in enumerate(job["steps"]):
        name = str(step.get("name") or step.get("uses") or index)
        if "uses" in step:  # the runner's set-up: the scratch workspace stands in for it
            continue
        if not _truthy(expr.eval(_condition(step))):
            outcomes[name] = "skipped"
            continue
        outcome, outputs, text = _run_step(workspace, step, default_shell, expr, env)
        log.append(f"--- {name}: {outcome}\n{text}")
        outcomes[name] = outcome
        if "id" in step:
            step_ctx[step["id"]] = {"outputs": outputs, "outcome": outcome, "conclusion": outcome}
        state["failed"] = state["failed"] or outcome == "failure"
    outputs = {k: interpolate(str(v), expr) for k, v in (job.get("outputs") or {}).items()}
    result = "failure" if state["failed"] else "success"
    return Job(state["failed"], log, outcomes, result, outputs)


def _run_step(
    workspace: Path,
    step: dict[str, Any],
    default_shell: str | None,
    expr: Expr,
    env: Mapping[str, str],
) -> tuple[str, dict[str, str], str]:
    shell = step.get("shell", default_shell)
    script = workspace.parent / "step.sh"
    script.write_text(interpolate(step["run"], expr))
    output_file = workspace.parent / "github_output"
    output_file.write_text("")
    step_env = {k: interpolate(str(v), expr) for k, v in (step.get("env") or {}).items()}
    proc = subprocess.run(
        [*SHELLS[shell], str(script)],
        cwd=workspace,
        env={**env, **step_env, "GITHUB_OUTPUT": str(output_file)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    outputs = {}
    for line in output_file.read_text().splitlines():
        key, sep, value = line.partition("=")
        assert sep and "<<" not in key, f"GITHUB_OUTPUT line not modelled: {line!r}"
        outputs[key] = value
    outcome = "success" if proc.returncode == 0 else "failure"
    return outcome, outputs, proc.stdout + proc.stderr


# --------------------------------------------------------------------------- the scratch repo


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, env={**os.environ, **GIT_ENV})


def _byok(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "byok"), "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "BYOK_TODAY": TODAY},
        timeout=300,
        check=False,
    )


def _tools(bin_dir: Path) -> None:
    """`gh` records the comment instead of posting it; `make` is the real make, told that the
    venv stamp is current (on GitHub the first `make` builds `.venv`; here it is linked in)."""
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text('#!/bin/sh\necho "gh $*" >> "$GH_LOG"\n')
    make = bin_dir / "make"
    real_make = shutil.which("make")
    assert real_make is not None, "make is required"
    make.write_text(f'#!/bin/sh\nexec {real_make} -o .venv/.installed "$@"\n')
    for tool in (gh, make):
        tool.chmod(0o755)


@pytest.fixture
def pr(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The runner's workspace: `pr/`, a repository whose `main` (and `origin/main`) is the
    shipped project, checked out on a pull request branch; `judge/`, the base commit checked
    out beside it (its `.venv` stands in for `make -C judge venv`); and the job's environment."""
    if not (REPO / ".venv" / "bin" / "byok").exists():
        pytest.skip("needs the project's .venv (make venv)")
    workspace = tmp_path / "work"
    repo = copy_inputs(workspace / "pr")
    shutil.copy2(REPO / "Makefile", repo / "Makefile")
    (repo / ".gitignore").write_text(".venv\naccess-diff.txt\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    _git(repo, "checkout", "-qb", "pr")
    _git(repo, "worktree", "add", "-q", "--detach", str(workspace / "judge"), "main")
    (workspace / "judge" / ".venv").symlink_to(REPO / ".venv")
    _tools(tmp_path / "bin")
    env = {
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "BYOK_TODAY": TODAY,
        "GH_LOG": str(tmp_path / "gh.log"),
        "LANG": "C.UTF-8",
    }
    return repo, env


def _commit(repo: Path, edit: Callable[[Path], None], regenerate: bool = True) -> None:
    edit(repo)
    if regenerate:
        res = _byok(repo, "generate")
        assert res.returncode == 0, res.stdout + res.stderr
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "change")


def _replace(old: str, new: str) -> Callable[[Path], None]:
    def edit(repo: Path) -> None:
        org = repo / "org.yaml"
        text = org.read_text()
        assert text.count(old) == 1
        org.write_text(text.replace(old, new))

    return edit


WIDENING = _replace("values: [C0123ABCD, C07QX4M2PLR]", "values: [C0123ABCD]")
HARMLESS = _replace(
    "values: [C0123ABCD, C07QX4M2PLR]", "values: [C0123ABCD, C07QX4M2PLR, C0999ZZZZ]"
)
WEAKENING = _replace("log_retention_days: 365", "log_retention_days: 1")


def _run(repo: Path, env: dict[str, str], approve: bool | None = None) -> dict[str, Job]:
    return run_workflow(repo.parent, env, approve)


def _gate(jobs: dict[str, Job]) -> str:
    """The required check's state: what decides whether the pull request can merge."""
    logs = "\n".join(line for job in jobs.values() for line in job.log)
    assert jobs["gate"].result in ("success", "failure", "pending"), logs
    return jobs["gate"].result


def _report(repo: Path) -> str:
    return (repo.parent / "access-diff.txt").read_text()


def test_widening_waits_for_approval(pr: tuple[Path, dict[str, str]]) -> None:
    repo, env = pr
    _commit(repo, WIDENING)
    jobs = _run(repo, env)
    assert jobs["review"].outputs == {"exit": "3"}
    assert _gate(jobs) == "pending"  # held until a reviewer of byok-approval decides
    assert "NEW ACCESS in slack-prod (wider)" in _report(repo)
    assert "gh pr comment 7 --body-file access-diff.txt" in Path(env["GH_LOG"]).read_text()
    assert _gate(_run(repo, env, approve=False)) == "failure"


def test_approved_widening_passes(pr: tuple[Path, dict[str, str]]) -> None:
    repo, env = pr
    _commit(repo, WIDENING)
    assert _gate(_run(repo, env, approve=True)) == "success"


def test_weakening_waits_for_approval(pr: tuple[Path, dict[str, str]]) -> None:
    repo, env = pr
    _commit(repo, WEAKENING)
    jobs = _run(repo, env)
    assert jobs["review"].outputs == {"exit": "6"}
    assert _gate(jobs) == "pending"
    assert "WEAKENED: log group `/aws/cloudtrail/acme-byok`" in _report(repo)
    assert _gate(_run(repo, env, approve=True)) == "success"


def test_harmless_change_passes(pr: tuple[Path, dict[str, str]]) -> None:
    repo, env = pr
    _commit(repo, HARMLESS)
    jobs = _run(repo, env)
    assert jobs["approval"].result == "skipped"
    assert _gate(jobs) == "success"


def _drop_zoom(repo: Path) -> None:
    org = repo / "org.yaml"
    text = org.read_text()
    start, end = text.index("  - vendor: zoom"), text.index("  - vendor: databricks")
    org.write_text(text[:start] + text[end:])
    (repo / "generated" / "policies" / "zoom-prod.json").unlink()  # so that generate runs


def test_key_deletion_fails_even_when_approved(pr: tuple[Path, dict[str, str]]) -> None:
    repo, env = pr
    _commit(repo, _drop_zoom)
    jobs = _run(repo, env, approve=True)
    assert _gate(jobs) == "failure"
    assert jobs["approval"].result == "skipped"
    assert "zoom-prod: KEY DELETION" in _report(repo)


def test_hand_edited_policy_fails_even_when_approved(pr: tuple[Path, dict[str, str]]) -> None:
    repo, env = pr

    def drop_revocation(repo: Path) -> None:
        path = repo / "generated" / "policies" / "slack-prod.json"
        doc = json.loads(path.read_text())
        doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "RevokeSlackChannel"]
        path.write_text(json.dumps(doc, indent=2) + "\n")

    _commit(repo, drop_revocation, regenerate=False)
    assert _gate(_run(repo, env, approve=True)) == "failure"


def test_the_pull_request_cannot_replace_the_judge(pr: tuple[Path, dict[str, str]]) -> None:
    """A pull request that ships its own `byok`, turns the Makefile's checks into no-ops and
    edits the workflow: none of it runs (the judge is the base's), and the workflow edit is
    itself reported (exit 3)."""
    repo, env = pr

    def sabotage(repo: Path) -> None:
        WIDENING(repo)
        fake = repo / ".venv-pr" / "bin" / "byok"
        fake.parent.mkdir(parents=True)
        fake.write_text("#!/bin/sh\nexit 0\n")
        fake.chmod(0o755)
        (repo / "Makefile").write_text("venv check-generated:\n\t@true\n")
        workflow = repo / ".github" / "workflows" / "byok-review.yml"
        workflow.parent.mkdir(parents=True)
        workflow.write_text("name: byok review\non: push\njobs: {}\n")

    _commit(repo, sabotage)
    jobs = _run(repo, env)
    assert _gate(jobs) == "pending"
    report = _report(repo)
    assert "NEW ACCESS in slack-prod (wider)" in report
    assert "NOT PROVED: .github/workflows/byok-review.yml changed: a CI workflow" in report


def test_a_tag_named_like_the_base_branch_is_ignored(pr: tuple[Path, dict[str, str]]) -> None:
    """`git tag origin/main <PR head>`: the workflow names the remote-tracking branch in full."""
    repo, env = pr
    _commit(repo, WIDENING)
    _git(repo, "tag", "origin/main", "HEAD")
    jobs = _run(repo, env)
    assert jobs["review"].outputs == {"exit": "3"}
    assert _gate(jobs) == "pending"


# --------------------------------------------------------------------------- lint


def _references(text: str) -> list[str]:
    return re.findall(r"steps\.([A-Za-z_][A-Za-z0-9_-]*)\.", text)


def _scaffolded() -> dict[str, Any]:
    from byok.cli.init import workflow_text

    doc: dict[str, Any] = yaml.safe_load(workflow_text(WORKFLOW.read_text()))
    return doc


@pytest.mark.parametrize("which", ["example", "byok init"])
def test_workflow_lint(tmp_path: Path, which: str) -> None:
    doc = _workflow() if which == "example" else _scaffolded()
    assert set(doc) == {"name", True, "permissions", "defaults", "jobs"}  # `on:` is YAML 1.1 True
    # the base branch's workflow on every pull request: no `paths:` filter, no label trigger
    assert doc[True] == {"pull_request_target": {"types": ["opened", "synchronize", "reopened"]}}
    assert doc["jobs"]["approval"]["environment"] == "byok-approval"
    assert doc["jobs"]["gate"]["if"] == "always()"
    assert doc["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps, default_shell = _steps_and_default_shell(doc)
    assert default_shell == "bash"
    seen: set[str] = set()
    for step in steps:
        assert set(step) <= {"name", "id", "if", "env", "run", "uses", "with", "shell"}, step
        text = json.dumps(step)
        assert set(_references(text)) <= seen, f"{step.get('name')}: refers to a later step"
        if "id" in step:
            seen.add(step["id"])
        if "run" not in step:
            continue
        assert step.get("shell", default_shell) == "bash", step["name"]
        assert "${{" not in step["run"], f"{step['name']}: pass values through env:, not ${{{{ }}}}"
        for value in [step.get("if", ""), *(step.get("env") or {}).values()]:
            for inner in re.findall(r"\$\{\{(.*?)\}\}", str(value)) or [_condition(step)]:
                _tokens(inner)  # parses
        # nothing of the pull request's checkout runs: byok and make come from the judge
        assert re.findall(r"\bmake\b(?! -C judge venv)", step["run"]) == [], step["name"]
        for call in re.finditer(r"(\S*)bin/(byok|pip)\b", step["run"]):
            assert call.group(1) in ("judge/.venv/", "../judge/.venv/"), step["run"]
        script = tmp_path / "s.sh"
        script.write_text(step["run"])
        proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{step['name']}: {proc.stderr}"
    checkouts = [s["with"] for s in steps if s.get("uses", "").startswith("actions/checkout")]
    assert [c.get("path") for c in checkouts] == ["judge", "pr"]
    assert all(c.get("persist-credentials") is False for c in checkouts)
    assert "ref" not in checkouts[0]  # pull_request_target: the base commit


def test_the_runner_uses_githubs_default_shell_without_pipefail(tmp_path: Path) -> None:
    """The simulation itself: under GitHub's default `bash -e`, a failing command piped into
    `tee` does not fail the step (the bug of the old example); under `shell: bash` it does."""
    script = tmp_path / "s.sh"
    script.write_text("false | tee /dev/null\n")
    default = subprocess.run([*SHELLS[None], str(script)], check=False)
    explicit = subprocess.run([*SHELLS["bash"], str(script)], check=False)
    assert (default.returncode, explicit.returncode) == (0, 1)
