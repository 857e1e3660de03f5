"""`json.dumps(doc, indent=2, ensure_ascii=False)`, the same text made faster for the JSON the
policies are: objects, arrays and strings.

With `indent`, the standard library encodes in pure Python, item by item (CPython 3.11 has no
C encoder for it): at 10,000 keys that was 1.2 s of rendering their policies (issue 29). This
builds the same text with joins, and strings escaped by the standard library's own escaper
(`json.encoder.encode_basestring`, what `ensure_ascii=False` uses), so only the layout is
written here: `[` or `{`, each item on its own line indented two more spaces, items separated
by `,`, `": "` after a key, the closing bracket on its own line at the outer indent, and `[]`
or `{}` for an empty one. Any other value (a number, `true`, `null`) is left to `json.dumps`.
`tests/test_jsontext.py` compares it with `json.dumps` on arbitrary JSON documents.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any


def dumps_indent2(doc: Any, level: int = 0) -> str:
    """The text, as it appears nested `level` deep (its inner lines indented so)."""
    return _value(doc, "\n" + "  " * level)


def _value(v: Any, newline: str) -> str:
    """`v` as it appears after a line break followed by `newline`'s indent."""
    if isinstance(v, str):
        return encode_basestring(v)
    inner = newline + "  "
    if isinstance(v, list):
        if not v:
            return "[]"
        return "[" + inner + ("," + inner).join(_value(x, inner) for x in v) + newline + "]"
    if isinstance(v, dict) and all(isinstance(k, str) for k in v):
        if not v:
            return "{}"
        items = (encode_basestring(k) + ": " + _value(x, inner) for k, x in v.items())
        return "{" + inner + ("," + inner).join(items) + newline + "}"
    return json.dumps(v, indent=2, ensure_ascii=False).replace("\n", newline)
