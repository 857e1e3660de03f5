"""The fast YAML loader's gate (`load/fast._libyaml_only`) declines exactly the texts that the
one regular expression it replaced matches: the gate searches each part only when the
characters it needs occur (issue 29), which must never let through a text the reference loader
has to read (a tab, a block-scalar header running into a comment, a tag, a directive)."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from byok.load import fast as load_fast
from tests.conftest import REPO

_REFERENCE = re.compile(r"\t|[|>][-+0-9]*#|(?:^|[\s\[\]{},:-])[!%]", re.MULTILINE)


@given(st.text(alphabet="ab \n\t\r#|>-+09!%[]{},:'\"") | st.text())
@example("key: |2-#comment\n")
@example("a: !!str x\n")
@example("%YAML 1.1\n---\na: 1\n")
@example("a: [!x]\n")
@example("a: 'it!'\n# c\nb: >\n")
def test_the_gate_declines_what_the_single_expression_matches(text: str) -> None:
    assert load_fast._libyaml_only(text) == (_REFERENCE.search(text) is not None)


def test_the_gate_on_the_shipped_yaml() -> None:
    paths = [REPO / "org.yaml", *sorted((REPO / "vendors").glob("*.yaml"))]
    paths += sorted((REPO / "tests" / "errors").glob("*.yaml"))
    for path in paths:
        text = path.read_text("utf-8", errors="replace")
        assert load_fast._libyaml_only(text) == (_REFERENCE.search(text) is not None), path
