"""`make bench` measures synthetic organizations (bench/synth.py); they must stay valid
inputs as the vendor files and the schema evolve, or the benchmark measures an error path
(a vendor parameter added for issue 17 once broke every benchmark cell)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bench.synth import make_project
from byok.pipeline import build_tree


def test_a_synthetic_organization_of_every_shipped_vendor_compiles(tmp_path: Path) -> None:
    make_project(tmp_path, keys=110, values=200)  # 11 apps of 10 environments
    result = build_tree(tmp_path, date(2026, 11, 23))
    assert len(result.compiled.keys) == 110
    vendors = {ck.key.vendor.name.split("-b")[0] for ck in result.compiled.keys}
    shipped = {p.stem for p in (Path(__file__).parent.parent / "vendors").glob("*.yaml")}
    assert vendors == shipped
    revoked = sum(len(r.values) for ck in result.compiled.keys for r in ck.key.revocations)
    assert revoked == 200
    assert [d for d in result.warnings if d.severity == "error"] == []
