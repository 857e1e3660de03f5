"""The bad-input corpus: every case under `tests/errors/` (format: `tests/errors/README.md`) and
every byte-level case in `BYTE_CASES` must make `byok generate` exit 1 with exactly the expected
stderr (one `file:line:col: CODE message` per problem, sorted, capped), no traceback, and leave
`generated/` byte-identical.

Most cases run in-process through `byok.cli.main.main` (the same code path as the command line);
`SUBPROCESS` names the ones that also run as a real `python -m byok` process.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tracemalloc
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from byok.cli import main as cli
from byok.cli.common import EXIT_INPUT
from byok.codes import CATALOGUE
from byok.diagnostics import CompileError
from byok.load.reader import MAX_BYTES, load_bytes
from byok.pipeline import build_tree
from byok.write import read_tree, write_tree
from tests.conftest import REPO, copy_inputs

CASES_DIR = Path(__file__).resolve().parent / "errors"
TODAY = "2026-01-01"
DIRECTIVES = ("target", "base", "replace", "copy", "delete", "expect")
_DIRECTIVE = re.compile(r"^# (" + "|".join(DIRECTIVES) + r"):(?: (.*))?$")
# `file:line:col: CODE message`, `  help: ...`, or the cap line.
_LINE = re.compile(
    r"^(\S+:\d+:\d+: [EW]\d{3} .+|[EW]\d{3} .+|  help: .+|\.\.\. and \d+ more problems)$"
)


# --------------------------------------------------------------------------- the case format


@dataclass
class Case:
    """Edits to a copy of the shipped project and the exact stderr they must produce."""

    name: str
    edits: list[tuple[str, str, str | bytes | None]] = field(default_factory=list)
    expect: list[str] = field(default_factory=list)

    @property
    def category(self) -> str:
        return self.name.split("-", 1)[0]


def unescape(text: str) -> str:
    r"""`replace:` text: `\n` is a line break, `\t` a tab, `\\` one backslash; any other
    backslash is literal."""
    return re.sub(r"\\([nt\\])", lambda m: {"n": "\n", "t": "\t", "\\": "\\"}[m.group(1)], text)


def parse_case(path: Path) -> Case:
    data = path.read_bytes()
    case = Case(name=path.stem)
    lines = data.split(b"\n")
    body_at = 0
    target: str | None = None
    base: str | None = None
    for i, raw in enumerate(lines):
        m = _DIRECTIVE.match(raw.decode("utf-8")) if raw.startswith(b"# ") else None
        if m is None:
            body_at = i
            break
        key, value = m.group(1), m.group(2) or ""
        body_at = i + 1
        if key == "expect":
            case.expect.append(value)
        elif key == "target":
            target = value
        elif key == "base":
            base = value
        elif key == "replace":
            assert base is not None, f"{path.name}: `replace:` needs a `base:` first"
            old, sep, new = value.partition(" => ")
            assert sep, f"{path.name}: `replace: OLD => NEW`"
            case.edits.append(("replace", base, f"{unescape(old)}\0{unescape(new)}"))
        elif key == "copy":
            src, sep, dest = value.partition(" => ")
            assert sep, f"{path.name}: `copy: SRC => DEST`"
            case.edits.append(("copy", src, dest))
        elif key == "delete":
            case.edits.append(("delete", value, None))
    else:
        body_at = len(lines)
    if target is not None:
        case.edits.append(("write", target, b"\n".join(lines[body_at:])))
    else:
        rest = b"\n".join(lines[body_at:]).strip()
        assert not rest, f"{path.name}: content after the header needs a `target:`"
    return case


def apply_case(case: Case, root: Path) -> None:
    for op, path, arg in case.edits:
        dest = root / path
        if op == "write":
            assert isinstance(arg, bytes)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(arg)
        elif op == "replace":
            assert isinstance(arg, str)
            old, new = arg.split("\0")
            text = dest.read_text("utf-8")
            assert text.count(old) == 1, f"{case.name}: `{old}` occurs {text.count(old)}x in {path}"
            dest.write_bytes(text.replace(old, new).encode("utf-8"))
        elif op == "copy":
            assert isinstance(arg, str)
            shutil.copy2(dest, root / arg)
        elif op == "delete":
            if dest.is_dir():
                shutil.rmtree(dest)
            else:
                dest.unlink()


def load_cases() -> list[Case]:
    return [parse_case(p) for p in sorted(CASES_DIR.glob("*.yaml"))]


# --------------------------------------------------------------------------- byte-level cases


def _bomb(levels: int = 9) -> bytes:
    """The classic "billion laughs": 9 levels of 9 aliases each (9**9 lols if expanded)."""
    out = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*lol{i - 1}"] * 9)
        out.append(f"lol{i}: &lol{i} [{refs}]")
    return ("\n".join(out) + "\n").encode()


def _quadratic_bomb() -> bytes:
    """One ~500 KB anchor referenced thousands of times (quadratic blow-up)."""
    big = "x" * 500_000
    refs = ", ".join(["*a"] * 20_000)
    return f'a: &a "{big}"\nb: [{refs}]\n'.encode()


def _org_with(old: str, new: str) -> bytes:
    text = (REPO / "org.yaml").read_text("utf-8")
    assert text.count(old) == 1
    return text.replace(old, new).encode("utf-8")


def _many_values(n: int, bad: bool) -> bytes:
    """The shipped org with `n` extra channel values (each a valid or an invalid channel id)."""
    values = "".join(f"\n          - {'c' if bad else 'C'}{i:010d}" for i in range(n))
    return _org_with("values: [C0123ABCD, C07QX4M2PLR]", "values:" + values)


def _many_errors_expect(n: int) -> list[str]:
    lines: list[str] = []
    for i in range(min(n, 50)):
        lines += [
            f"org.yaml:{40 + i}:13: E303 `c{i:010d}` is not a valid `channel` value",
            "  help: expected a match of `^[CGD][A-Z0-9]{8,12}$`",
        ]
    if n > 50:
        lines.append(f"... and {n - 50} more problems")
    return lines


@dataclass(frozen=True)
class ByteCase:
    name: str
    target: str
    data: bytes
    expect: tuple[str, ...]


BYTE_CASES = (
    ByteCase(
        "encoding-latin1-byte",
        "org.yaml",
        _org_with("Owner: secops", "Owner: secops").replace(b"Owner: secops", b"Owner: s\xe9cops"),
        ("org.yaml:30:11: E104 file is not valid UTF-8",),
    ),
    ByteCase(
        "encoding-utf16-bom",
        "org.yaml",
        "organization: acme\n".encode("utf-16"),
        ("org.yaml:1:1: E104 file is not valid UTF-8",),
    ),
    ByteCase(
        "encoding-overlong-slash",
        "vendors/zoom.yaml",
        b"name: zoom\xc0\xaf\n",
        ("vendors/zoom.yaml:1:11: E104 file is not valid UTF-8",),
    ),
    ByteCase(
        "encoding-encoded-surrogate",
        "org.yaml",
        b"organization: acme\nregion: \xed\xa0\x80\n",
        ("org.yaml:2:9: E104 file is not valid UTF-8",),
    ),
    ByteCase(
        "encoding-truncated-sequence",
        "org.yaml",
        b"organization: acme\xe2\x82",
        ("org.yaml:1:19: E104 file is not valid UTF-8",),
    ),
    ByteCase(
        "encoding-nul-in-value",
        "org.yaml",
        _org_with("ticket: SEC-123", "ticket: SEC\x00123"),
        ("org.yaml:41:20: E104 control character U+0000",),
    ),
    ByteCase(
        "encoding-nul-only",
        "vendors/zoom.yaml",
        b"\x00",
        ("vendors/zoom.yaml:1:1: E104 control character U+0000",),
    ),
    ByteCase(
        "encoding-escape-sequence",
        "org.yaml",
        _org_with("Owner: secops", "Owner: \x1b[2Jsecops"),
        ("org.yaml:30:10: E104 control character U+001B",),
    ),
    ByteCase(
        "encoding-c1-control",
        "org.yaml",
        _org_with("region: us-east-1", "region: us-east-1\x85"),
        ("org.yaml:5:18: E104 control character U+0085",),
    ),
    ByteCase(
        "encoding-bom-mid-file",
        "org.yaml",
        _org_with("region: us-east-1", "region: \ufeffus-east-1"),
        ("org.yaml:5:9: E104 control character U+FEFF",),
    ),
    ByteCase(
        "encoding-bidi-override-in-comment",
        "org.yaml",
        _org_with("# Used only in an incident;", "# Used only \u202ein an incident;"),
        ("org.yaml:12:13: E104 control character U+202E",),
    ),
    ByteCase(
        "encoding-line-separator",
        "org.yaml",
        _org_with("    - secops@acme.example", "    - secops@acme.example\u2028"),
        ("org.yaml:17:26: E104 control character U+2028",),
    ),
    ByteCase(
        "encoding-bom-then-error",
        "org.yaml",
        b"\xef\xbb\xbf" + _org_with("region: us-east-1", "region: us-east-x"),
        (
            "org.yaml:5:9: E204 invalid `region`: `us-east-x` is not an AWS region such as "
            "`us-east-1`",
        ),
    ),
    ByteCase(
        "encoding-crlf-then-error",
        "org.yaml",
        _org_with("region: us-east-1", "region: us-east-x").replace(b"\n", b"\r\n"),
        (
            "org.yaml:5:9: E204 invalid `region`: `us-east-x` is not an AWS region such as "
            "`us-east-1`",
        ),
    ),
    ByteCase("document-zero-bytes", "org.yaml", b"", ("org.yaml:1:1: E107 file is empty",)),
    ByteCase(
        "alias-billion-laughs",
        "org.yaml",
        _bomb(),
        ("org.yaml:1:7: E103 anchors and aliases are not allowed",),
    ),
    ByteCase(
        "alias-quadratic-blowup",
        "vendors/zoom.yaml",
        _quadratic_bomb(),
        ("vendors/zoom.yaml:1:4: E103 anchors and aliases are not allowed",),
    ),
    ByteCase(
        "size-over-limit",
        "org.yaml",
        b"# " + b"x" * MAX_BYTES + b"\n",
        (f"org.yaml:1:1: E105 file is {MAX_BYTES + 3} bytes, over {MAX_BYTES}",),
    ),
    ByteCase(
        "size-just-under-limit-with-error",
        "org.yaml",
        _org_with("region: us-east-1", "region: us-east-x")
        + b"# "
        + b"y" * (MAX_BYTES - 8000)
        + b"\n",
        (
            "org.yaml:5:9: E204 invalid `region`: `us-east-x` is not an AWS region such as "
            "`us-east-1`",
        ),
    ),
    ByteCase(
        "nesting-half-a-million-brackets",
        "org.yaml",
        b"a: " + b"[" * 500_000 + b"]" * 500_000,
        ("org.yaml:1:35: E106 nesting deeper than 32 levels",),
    ),
    ByteCase(
        "revocation-sixty-bad-values-capped",
        "org.yaml",
        _many_values(60, bad=True),
        tuple(_many_errors_expect(60)),
    ),
    ByteCase(
        "policy-thousands-of-values",
        "org.yaml",
        _many_values(2500, bad=False),
        (
            "org.yaml:40:11: E402 key `slack-prod` policy is 37381 bytes, 4613 over the "
            "32768-byte limit",
            "  help: split the key, revoke a coarser scope (`channel` holds 2500 values), "
            "or remove revocations that are no longer needed",
        ),
    ),
)

# Run as a real process as well (startup, stderr encoding, exit code, no traceback).
SUBPROCESS = {
    "encoding-latin1-byte",
    "encoding-nul-in-value",
    "encoding-escape-sequence",
    "alias-billion-laughs",
    "size-over-limit",
    "nesting-half-a-million-brackets",
    "revocation-sixty-bad-values-capped",
    "policy-thousands-of-values",
    "syntax-tab-indentation",
    "document-two-documents",
    "duplicate-top-level-key",
    "reference-unknown-vendor-typo",
    "multi-errors-in-org-and-vendor",
    "injection-newline-in-reason",
    "lookalike-cyrillic-organization",
    "file-org-missing",
    "tag-python-object",
}


# --------------------------------------------------------------------------- running


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped inputs plus the generated/ they compile to (so there is something to keep)."""
    root = copy_inputs(tmp_path_factory.mktemp("template") / "project", with_generated=False)
    write_tree(root / "generated", build_tree(root, date.fromisoformat(TODAY)).files)
    return root


def _project(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest)
    return dest


def run_inprocess(root: Path) -> tuple[int, str, str]:
    err, out = io.StringIO(), io.StringIO()
    old = os.environ.get("BYOK_TODAY")
    os.environ["BYOK_TODAY"] = TODAY
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = cli.main(["-C", str(root), "generate"])
    finally:
        if old is None:
            os.environ.pop("BYOK_TODAY", None)
        else:
            os.environ["BYOK_TODAY"] = old
    return code, out.getvalue(), err.getvalue()


def run_subprocess(root: Path) -> tuple[int, str, str]:
    # ASCII stdio: every diagnostic escapes what is not printable ASCII, whatever the input.
    env = {**os.environ, "BYOK_TODAY": TODAY, "PYTHONIOENCODING": "ascii:strict"}
    proc = subprocess.run(
        [sys.executable, "-m", "byok", "-C", str(root), "generate"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    return proc.returncode, proc.stdout, proc.stderr


def check(root: Path, expect: list[str] | tuple[str, ...], subprocess_too: bool) -> None:
    before = read_tree(root / "generated")
    assert before, "the template project has a generated/ tree"
    runners = [run_inprocess, run_subprocess] if subprocess_too else [run_inprocess]
    for runner in runners:
        code, out, err = runner(root)
        assert "Traceback" not in err + out
        assert err.splitlines() == list(expect), f"{runner.__name__}:\n{err}"
        assert code == EXIT_INPUT
        assert read_tree(root / "generated") == before
        assert not out
    for line in expect:
        assert _LINE.match(line), f"not a diagnostic line: {line!r}"
        assert line.isascii() and line.isprintable(), f"not printable ASCII: {line!r}"
        located = re.match(r"^\S+:\d+:\d+: ([EW]\d{3}) ", line)
        assert located is None or located.group(1) in CATALOGUE


CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_case(case: Case, template: Path, tmp_path: Path) -> None:
    assert case.expect, f"{case.name}: no `expect:` lines"
    root = _project(template, tmp_path / "p")
    apply_case(case, root)
    check(root, case.expect, case.name in SUBPROCESS)


@pytest.mark.parametrize("case", BYTE_CASES, ids=[c.name for c in BYTE_CASES])
def test_byte_case(case: ByteCase, template: Path, tmp_path: Path) -> None:
    root = _project(template, tmp_path / "p")
    (root / case.target).write_bytes(case.data)
    check(root, case.expect, case.name in SUBPROCESS)


def test_corpus_size_and_coverage() -> None:
    """>= 100 cases, and every code input can trigger appears in some expectation."""
    names = [c.name for c in CASES] + [c.name for c in BYTE_CASES]
    assert len(names) >= 100
    assert len(set(names)) == len(names)
    seen = {
        m.group(1)
        for c in CASES
        for line in c.expect
        for m in [re.match(r"^\S+:\d+:\d+: ([EW]\d{3}) ", line)]
        if m
    }
    seen |= {
        m.group(1)
        for c in BYTE_CASES
        for line in c.expect
        for m in [re.match(r"^\S+:\d+:\d+: ([EW]\d{3}) ", line)]
        if m
    }
    # E323 (stale generated/) and E110 (a symbolic link) are printed by `byok diff` only:
    # tests/test_review.py and tests/test_gate_deployment.py cover them.
    wanted = {c for c in CATALOGUE if c.startswith(("E1", "E2", "E3", "E4"))} - {"E323", "E110"}
    assert not wanted - seen, sorted(wanted - seen)
    assert set(names) >= SUBPROCESS


def test_every_case_file_parses() -> None:
    for path in sorted(CASES_DIR.glob("*")):
        assert path.suffix == ".yaml" or path.name == "README.md", path.name


# --------------------------------------------------------------------------- alias bombs


@pytest.mark.parametrize(
    "data",
    [_bomb(), _bomb(30), _quadratic_bomb()],
    ids=["billion-laughs", "deeper-laughs", "quadratic"],
)
def test_alias_bomb_is_rejected_fast_with_bounded_memory(data: bytes) -> None:
    """Refused at the first anchor, before anything is expanded: memory stays within a few
    copies of the input (no wall-clock assertion: timings flake on a busy machine; the bench
    and the memory bound are the evidence that nothing is expanded)."""
    with pytest.raises(CompileError) as err:
        load_bytes(data, "org.yaml")
    assert [d.code for d in err.value.diagnostics] == ["E103"]
    tracemalloc.start()
    try:
        with pytest.raises(CompileError):
            load_bytes(data, "org.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A few copies of the input at most (it is decoded once); expansion would need gigabytes.
    assert peak < 4 * len(data) + (1 << 20), f"peak {peak} bytes for {len(data)} bytes of input"


def test_billion_laughs_process_stays_small(tmp_path: Path) -> None:
    """The whole CLI run on the bomb: rejected, and the process grows no bigger than one that
    only imports the compiler (no expansion). Measured against that baseline in the same
    environment, so a cold bytecode cache or a busy machine cannot make it flaky; no timing."""
    root = copy_inputs(tmp_path / "p", with_generated=False)
    (root / "org.yaml").write_bytes(_bomb(12))
    script = (
        "import resource, sys\n"
        "from byok import pipeline\nfrom byok.cli import main as cli\n"
        "code = cli.main(['-C', sys.argv[1], 'generate']) if sys.argv[2] == 'run' else 0\n"
        "print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )

    def child(mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script, str(root), mode],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            env={**os.environ, "BYOK_TODAY": TODAY},
        )

    child("import")  # warm the bytecode caches
    baseline_kib = int(child("import").stdout.split()[1])
    proc = child("run")
    code, maxrss_kib = proc.stdout.split()
    assert proc.stderr == "org.yaml:1:7: E103 anchors and aliases are not allowed\n"
    assert int(code) == EXIT_INPUT
    assert int(maxrss_kib) < baseline_kib + 20 * 1024  # 2**36 "lol"s expanded would be GBs
