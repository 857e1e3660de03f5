"""The HTML of `byok report`: one self-contained page (styles, script and Mermaid inlined; no
request leaves it at view time: its Content-Security-Policy allows no network source).

Readable at 1,000 keys: a search box filters the matrix rows and the key sections as you type
(by key, vendor, principal, action or condition), key sections are collapsed from 20 keys on,
and from 150 keys the diagram renders only when its section is opened.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from html import escape
from importlib.resources import files

from ..compile import CompiledKey
from .matrix import Entry, Row

COLLAPSE_FROM = 20  # keys: sections start closed
LAZY_DIAGRAM_FROM = 150  # keys: the diagram renders when opened
ASSETS = "assets"


@dataclass(frozen=True)
class KeyProofs:
    """One key's section: what was proved, and what that does not cover."""

    key: CompiledKey
    proved: tuple[str, ...]
    not_covered: tuple[str, ...]


@dataclass(frozen=True)
class DiffSection:
    """`byok report --base REF`: `byok diff`'s findings, and each changed key's policy before
    and after (None: the key is new, or gone)."""

    base: str
    text: str
    policies: tuple[tuple[str, str, str | None, str | None], ...]  # key, status, before, after


def _asset(name: str) -> str:
    return (files(__package__) / ASSETS / name).read_text("utf-8")


def _script_src(name: str) -> str:
    """A script asset as a `data:` URL: its bytes need no escaping for the HTML parser (an
    inline copy of Mermaid would hold `<!--` and `</`, which change how HTML reads a script)."""
    data = (files(__package__) / ASSETS / name).read_bytes()
    return "data:text/javascript;base64," + base64.b64encode(data).decode("ascii")


STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1400px;padding:0 16px;
color:#1b1b1b}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:4px 6px;
vertical-align:top;text-align:left}th{background:#f3f3f3;position:sticky;top:0}
code,pre{font:12px/1.4 ui-monospace,monospace}pre{background:#f7f7f7;padding:8px;overflow:auto}
.deny{color:#a00}.allow{color:#064}.cond{color:#555}.muted{color:#666}
#filter{font-size:15px;padding:6px;width:420px;position:sticky;top:0}
details.key{border:1px solid #ddd;margin:6px 0;padding:4px 8px}
.side{display:grid;grid-template-columns:1fr 1fr;gap:8px}.hidden{display:none}
.diagram svg{max-width:100%;height:auto}
"""

FILTER_JS = """
(function(){
  var box=document.getElementById('filter');
  function apply(){
    var q=box.value.trim().toLowerCase(), shown=0;
    document.querySelectorAll('[data-search]').forEach(function(el){
      var hit=!q||el.getAttribute('data-search').indexOf(q)>=0;
      el.classList.toggle('hidden',!hit); if(hit&&el.tagName==='TR')shown++;
    });
    document.getElementById('shown').textContent=shown;
  }
  box.addEventListener('input',apply); apply();
})();
"""

DIAGRAM_JS = """
(function(){
  var box=document.getElementById('diagram-box'), done=false;
  function draw(){
    if(done)return; done=true;
    mermaid.initialize({startOnLoad:false,securityLevel:'strict',maxTextSize:50000000,
                        maxEdges:1000000,flowchart:{useMaxWidth:true}});
    mermaid.run({querySelector:'.diagram pre.mermaid'}).then(function(){
      document.body.setAttribute('data-diagram','rendered');
    }).catch(function(e){
      document.body.setAttribute('data-diagram','failed');
      document.getElementById('diagram-error').textContent=
        'the diagram could not be drawn here ('+e+'); its Mermaid source is in ACCESS.md';
    });
  }
  if(box.open)draw(); else box.addEventListener('toggle',function(){if(box.open)draw();});
})();
"""


def _entry(e: Entry, kind: str) -> str:
    conds = "".join(f'<div class="cond">if {escape(c)}</div>' for c in e.conditions)
    sid = f'<span class="muted">({escape(e.sid)})</span>'
    return f'<div class="{kind}"><code>{escape(e.actions)}</code> {sid}{conds}</div>'


def _row(r: Row, vendor: str) -> str:
    allow = "".join(_entry(e, "allow") for e in r.allow) or '<span class="muted">-</span>'
    deny = "".join(_entry(e, "deny") for e in r.deny) or '<span class="muted">-</span>'
    text = " ".join(
        [r.key, vendor, r.principal]
        + [f"{e.sid} {e.actions} {' '.join(e.conditions)}" for e in r.allow + r.deny]
    ).lower()
    return (
        f'<tr data-key="{escape(r.key)}" data-principal="{escape(r.principal)}" '
        f'data-search="{escape(text)}"><td><code>{escape(r.key)}</code></td>'
        f"<td><code>{escape(r.principal)}</code></td><td>{allow}</td><td>{deny}</td></tr>"
    )


def matrix_html(rows: list[Row], vendors: dict[str, str]) -> str:
    body = "".join(_row(r, vendors.get(r.key, "")) for r in rows)
    return (
        f'<p><span id="shown">{len(rows)}</span> of {len(rows)} rows (one per key and '
        "principal) shown. Allowed and denied actions are the key policy's statements, with "
        "their conditions; a Deny wins over any Allow.</p>"
        '<table id="matrix"><thead><tr><th>key</th><th>principal</th><th>allowed</th>'
        f"<th>denied</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _key_section(p: KeyProofs, open_: bool) -> str:
    k = p.key.key
    proved = "".join(f"<li>{escape(line)}</li>" for line in p.proved)
    gaps = "".join(f"<li>{escape(line)}</li>" for line in p.not_covered)
    search = f"{k.name} {k.vendor.name} {k.vendor.display_name} {k.alias}".lower()
    return (
        f'<details class="key" data-key="{escape(k.name)}" data-search="{escape(search)}"'
        f"{' open' if open_ else ''}><summary><b>{escape(k.name)}</b>: "
        f"{escape(k.vendor.display_name)}, <code>{escape(k.alias)}</code>, account "
        f"{escape(k.org.account_id)}, {escape(k.org.region)}; key policy "
        f"{p.key.size} bytes</summary><p>Proved about this key policy:</p><ul>{proved}</ul>"
        f"<p>What these proofs do not cover:</p><ul>{gaps}</ul></details>"
    )


def keys_html(proofs: list[KeyProofs]) -> str:
    open_ = len(proofs) < COLLAPSE_FROM
    return "".join(_key_section(p, open_) for p in proofs)


def diagram_html(source: str, keys: int) -> str:
    """The Mermaid source of ACCESS.md (render/diagram.py), drawn by the inlined Mermaid."""
    body = source.strip().removeprefix("```mermaid").removesuffix("```").strip()
    open_ = " open" if keys < LAZY_DIAGRAM_FROM else ""
    return (
        f'<details id="diagram-box"{open_}><summary>Who uses which key, and what watches '
        f"them ({'drawn when opened' if not open_ else 'the diagram of ACCESS.md'})</summary>"
        f'<div class="diagram"><pre class="mermaid">{escape(body)}</pre></div>'
        '<p id="diagram-error" class="deny"></p></details>'
    )


def diff_html(d: DiffSection) -> str:
    parts = [
        f"<p>Against <code>{escape(d.base)}</code>, the findings of <code>byok diff</code>:</p>",
        f'<pre id="diff-text">{escape(d.text)}</pre>',
    ]
    for key, status, before, after in d.policies:
        parts.append(
            f'<h3 data-change="{escape(key)}">{escape(key)} ({escape(status)})</h3><div '
            f'class="side"><div><b>before</b><pre>{escape(before or "(no key)")}</pre></div>'
            f"<div><b>after</b><pre>{escape(after or '(no key)')}</pre></div></div>"
        )
    return "".join(parts)


def page(title: str, head: str, sections: list[tuple[str, str, str]]) -> str:
    """The whole document; `sections`: (id, heading, HTML). Mermaid is inlined once."""
    csp = (
        "default-src 'none'; script-src 'unsafe-inline' data:; style-src 'unsafe-inline'; "
        "img-src data:; font-src data:"
    )
    body = "".join(
        f'<section id="{sid}"><h2>{escape(h)}</h2>{html}</section>' for sid, h, html in sections
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        f'<meta name="viewport" content="width=device-width"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{head}"
        '<input id="filter" type="search" placeholder="filter: key, vendor, principal, action, '
        f'condition" aria-label="filter">{body}'
        f'<script src="{_script_src("mermaid.tiny.js")}"></script>'
        f"<script>{FILTER_JS}</script><script>{DIAGRAM_JS}</script>{_licences()}"
        "</body></html>\n"
    )


def _licences() -> str:
    """Mermaid's licence and notices travel with the copy of it the page holds."""
    texts = "".join(
        f"<pre>{escape(_asset(name))}</pre>"
        for name in ("mermaid-LICENSE", "mermaid-THIRD_PARTY_NOTICES")
    )
    return (
        '<section id="licences"><details><summary class="muted">This page includes Mermaid '
        f"(@mermaid-js/tiny 12.0.0), MIT licence</summary>{texts}</details></section>"
    )
