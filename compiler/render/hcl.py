"""A small HCL value writer: quoted strings that can never become expressions, and objects
laid out the way `terraform fmt` lays them out (so generated files pass `fmt -check`).

>>> print(hcl_string('a "b" ${c} %{d}\\n'))
"a \\"b\\" $${c} %%{d}\\n"
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

HclValue = str | int | bool | Sequence["HclValue"] | Mapping[str, "HclValue"] | None

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Strings `hcl_string` writes unchanged: no escape, no control character, no `$` or `%`.
_VERBATIM = re.compile(r'[^\\"\x00-\x1f\x7f-\x9f\u2028\u2029$%]*')


class Rendered(str):
    """A value `hcl_value` has already written at the depth it appears at (render/pieces.py):
    written as it is."""

    __slots__ = ()


def hcl_string(value: str) -> str:
    """A quoted HCL string literal whose value is exactly `value`.

    `${` and `%{` would start a template interpolation or directive, so they are doubled
    (`$${`, `%%{`), HCL's escapes for a literal `${` and `%{`.
    """
    if _VERBATIM.fullmatch(value):  # nothing to escape: the common case, without the loop
        return f'"{value}"'
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    text = "".join(out).replace("${", "$${").replace("%{", "%%{")
    return f'"{text}"'


def hcl_key(key: str) -> str:
    """Object keys are always quoted: a bare key could be read as a reference."""
    return hcl_string(key)


def hcl_value(value: HclValue, indent: int = 0) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value if isinstance(value, Rendered) else hcl_string(value)
    if isinstance(value, Mapping):
        return hcl_object(value, indent)
    items = list(value)
    if not items:
        return "[]"
    if all(not isinstance(i, Mapping) for i in items):
        return "[" + ", ".join(hcl_value(i, indent) for i in items) + "]"
    pad = "  " * (indent + 1)
    inner = ",\n".join(pad + hcl_value(i, indent + 1) for i in items)
    return "[\n" + inner + ",\n" + "  " * indent + "]"


def hcl_object(obj: Mapping[str, HclValue], indent: int = 0, quote_keys: bool = True) -> str:
    if not obj:
        return "{}"
    return "{\n" + attributes(obj, indent + 1, quote_keys) + "  " * indent + "}"


def attributes(obj: Mapping[str, HclValue], indent: int, quote_keys: bool = False) -> str:
    """`key = value` lines; like `terraform fmt`, align `=` within runs of one-line values.

    >>> print(attributes({"a": 1, "bbb": "x", "m": {"k": True}, "cc": []}, 0), end="")
    a   = 1
    bbb = "x"
    m = {
      "k" = true
    }
    cc = []
    """
    pad = "  " * indent
    names = {k: (hcl_key(k) if quote_keys else k) for k in obj}
    rendered = {k: hcl_value(v, indent) for k, v in obj.items()}
    lines: list[str] = []
    run: list[str] = []

    def flush() -> None:
        width = max((len(names[k]) for k in run), default=0)
        lines.extend(f"{pad}{names[k].ljust(width)} = {rendered[k]}" for k in run)
        run.clear()

    for k in obj:
        if "\n" in rendered[k]:  # a multi-line value ends the run and is not padded
            flush()
            lines.append(f"{pad}{names[k]} = {rendered[k]}")
        else:
            run.append(k)
    flush()
    return "\n".join(lines) + "\n"
