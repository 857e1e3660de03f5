"""`byok report` in a real headless Chromium (issue 27, item 8): the page opens offline, logs no
console error, draws the diagram, has one matrix row per key and principal of the compiled
policies, shows a diff's findings, and stays usable at 1,000 keys. Each test saves a
screenshot (its path is printed; under pytest's tmp dir and .build/report-screenshots/).

Chromium and chromedriver come from Debian's packages through scripts/install-chromium.sh, which
`make test` runs first; without them these tests fail rather than skip."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from bench.synth import make_project
from byok.pipeline import build_tree
from byok.report.matrix import matrix
from tests.browser import CHROMEDRIVER, CHROMIUM, Browser
from tests.conftest import REPO, byok, committed_repo, copy_inputs, edit

MERMAID_SHA256 = "9f2807e402479d2864bfd9a95052076fc69d0ff45a0b25148b84b70fc33425b9"
SHOTS = REPO / ".build" / "report-screenshots"
ROWS = "return Array.from(document.querySelectorAll('#matrix tbody tr'))" + (
    ".filter(r => !r.classList.contains('hidden')).map(r => [r.dataset.key, r.dataset.principal])"
)


@pytest.fixture
def browser(tmp_path: Path) -> Browser:
    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), (
        "Chromium is not installed: run scripts/install-chromium.sh (make test does)"
    )
    b = Browser(tmp_path / "profile")  # a new, empty profile
    yield b  # type: ignore[misc]
    b.close()


def _shot(b: Browser, tmp_path: Path, name: str) -> None:
    path = b.screenshot(tmp_path / f"{name}.png")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, SHOTS / path.name)
    print(f"screenshot: {path} (copy: {SHOTS / path.name})")


def _expected_rows(project: Path) -> list[list[str]]:
    result = build_tree(project, guard=False)
    return [[r.key, r.principal] for r in matrix(list(result.compiled.keys))]


def _load(b: Browser, page: Path) -> None:
    b.open(page.as_uri())
    b.wait_for("return document.readyState === 'complete'")


def test_vendored_mermaid_is_the_published_file() -> None:
    data = (REPO / "compiler" / "report" / "assets" / "mermaid.tiny.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == MERMAID_SHA256


def test_report_opens_offline_with_the_matrix_and_the_diagram(
    browser: Browser, tmp_path: Path
) -> None:
    project = copy_inputs(tmp_path / "project")
    res = byok(project, "report", "-o", str(tmp_path / "report.html"))
    assert res.returncode == 0, res.stderr
    assert res.stdout == (
        f"byok: wrote {tmp_path / 'report.html'} (5 key(s)); open it in a browser "
        "(it needs no network)\n"
    )
    _load(browser, tmp_path / "report.html")
    assert browser.wait_for("return document.body.getAttribute('data-diagram')") == "rendered"
    assert browser.console() == []  # no error, no warning, nothing logged at all
    # nothing was fetched: no resource but the page itself
    assert browser.js("return performance.getEntriesByType('resource').length") == 0
    rows = browser.js(ROWS)
    assert rows == _expected_rows(project)
    assert {k for k, _ in rows} == {p.stem for p in (project / "generated" / "policies").iterdir()}
    # the diagram is drawn: an SVG with a node per key
    labels = browser.js("return document.querySelector('.diagram svg').textContent")
    for key in ("slack-prod", "zoom-prod", "databricks-prod"):
        assert key in labels
    proofs = browser.js(
        "return document.querySelector('details.key[data-key=\"slack-prod\"]').innerText"
    )
    assert "proved: the account root and the key administrators keep kms:PutKeyPolicy" in proofs
    assert "not proved: grants;" in proofs and "unconfirmed: may deny nothing" in proofs
    _shot(browser, tmp_path, "report")
    browser.js("document.getElementById('diagram').scrollIntoView()")
    _shot(browser, tmp_path, "report-diagram")


def test_report_of_a_diff_shows_byok_diffs_findings_before_and_after(
    browser: Browser, tmp_path: Path
) -> None:
    repo = committed_repo(copy_inputs(tmp_path / "repo"))
    edit(repo / "org.yaml", "values: [T0456EFGH]", "values: [T0456EFGH, T0999ZZZZ]")
    assert byok(repo, "generate").returncode == 0
    diff = byok(repo, "diff", "--base", "HEAD")
    res = byok(repo, "report", "--base", "HEAD", "-o", str(tmp_path / "r.html"))
    assert res.returncode == 0, res.stderr
    _load(browser, tmp_path / "r.html")
    assert browser.js("return document.getElementById('diff-text').textContent") == diff.stdout
    changed = browser.js(
        "return [...document.querySelectorAll('[data-change]')].map(e => e.dataset.change)"
    )
    assert changed == ["slack-prod", "slack-sandbox"]
    side = browser.js("return document.querySelector('.side').innerText")
    assert side.count("T0456EFGH") == 2 and side.count("T0999ZZZZ") == 1
    assert browser.console() == []
    _shot(browser, tmp_path, "report-diff")


def test_report_stays_usable_at_1000_keys(browser: Browser, tmp_path: Path) -> None:
    project = tmp_path / "big"
    make_project(project, keys=1000, values=2000)
    assert byok(project, "generate", "--quiet").returncode == 0
    assert byok(project, "report", "-o", str(tmp_path / "big.html")).returncode == 0
    _load(browser, tmp_path / "big.html")
    rows = browser.js(ROWS)
    assert len({k for k, _ in rows}) == 1000 and rows == _expected_rows(project)
    # key sections start collapsed, the diagram is drawn only on demand
    assert browser.js("return document.querySelectorAll('details.key[open]').length") == 0
    assert browser.js("return document.body.getAttribute('data-diagram')") is None
    key = rows[500][0]
    browser.js(
        "var f = document.getElementById('filter'); f.value = arguments[0];"
        "f.dispatchEvent(new Event('input'));",
        key,
    )
    shown = browser.js(ROWS)
    assert shown and {k for k, _ in shown} == {key}
    assert browser.js("return document.getElementById('shown').textContent") == str(len(shown))
    assert browser.console() == []
    _shot(browser, tmp_path, "report-1000-keys-filtered")
