"""Markdown for the generated documents (ACCESS.md, the handoff sheets): user text neutralised,
values in code spans that hold them exactly."""

from __future__ import annotations


def md(text: str) -> str:
    """Neutralise Markdown/HTML in user text (reasons, tickets) so it renders as written."""
    for ch in "\\`*_[]<>|#":
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", " ")


def md_spans(text: str) -> str:
    """Compiler wording with `code spans` around values (`Fact.what`): the spans stay code
    spans, the words around them are neutralised like user text.

    >>> md_spans("scope `channel_id` of *x*")
    'scope `channel_id` of \\\\*x\\\\*'
    """
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no spans to keep
        return md(text)
    return "".join(md(p) if i % 2 == 0 else code(p) for i, p in enumerate(parts))


def code(text: str) -> str:
    """A Markdown code span that holds `text` exactly, backticks included.

    >>> code("C01"), code("a`b")
    ('`C01`', '`` a`b ``')
    """
    if "`" not in text:
        return f"`{text}`"
    return f"`` {text} ``"


def code_list(items: tuple[str, ...] | list[str]) -> str:
    return ", ".join(code(i) for i in items)
