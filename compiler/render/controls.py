"""The alarm controls of `modules/key-alarms`, computed from the file the module reads
(`controls.json`: the CIS v3.0.0 patterns verbatim and the key-event template), the same way
as its `locals`: nothing is restated here. The deployment inventory (inventory_alarms.py), the
cost estimate and `byok audit` (live/alarms.py) all read it through this module.

For a root: `CIS-<id>-<name>` for each CIS control of its set (org.yaml `alarms.cis`), and each
key event once per chunk of `chunk` keys (sorted by name, as `chunklist(sort(keys(var.key_ids)))`
sorts them), the first chunk's filter named `<prefix>-<event>`, the next `<prefix>-<event>-2`,
every chunk's filter publishing the event's one metric.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..shipped import modules_dir

CONTROLS = Path("modules") / "key-alarms" / "controls.json"
NAMESPACE = "CISBenchmark"  # modules/key-alarms var.namespace (default)


@dataclass(frozen=True)
class Filter:
    name: str
    metric: str
    pattern: str


@dataclass(frozen=True)
class Controls:
    cis: tuple[dict[str, Any], ...]
    events: tuple[tuple[str, str], ...]  # (control name, KMS event)
    template: dict[str, Any]

    def cis_filters(self, prefix: str, chosen: str) -> list[Filter]:
        """The CIS controls of set `chosen` (`default` or `all`), as the module names them."""
        out = []
        for c in self.cis:
            if chosen == "all" or c["set"] == "default":
                control = f"CIS-{c['id']}-{c['name']}"
                out.append(Filter(f"{prefix}-{control}", control, str(c["pattern"])))
        return out

    def key_filters(self, prefix: str, key_ids: dict[str, str]) -> list[Filter]:
        """The key-event filters for `key_ids` (map key, as in var.key_ids -> key id)."""
        t = self.template
        names = sorted(key_ids)
        chunks = [names[i : i + int(t["chunk"])] for i in range(0, len(names), int(t["chunk"]))]
        out = []
        for control, event in self.events:
            for i, chunk in enumerate(chunks):
                terms = str(t["join"]).join(str(t["term"]) % key_ids[k] for k in chunk)
                pattern = str(t["prefix"]) % event + terms + str(t["suffix"])
                name = f"{prefix}-{control}" if i == 0 else f"{prefix}-{control}-{i + 1}"
                out.append(Filter(name, control, pattern))
        return out

    def alarm_names(self, prefix: str, chosen: str, with_keys: bool) -> list[str]:
        names = [f.name for f in self.cis_filters(prefix, chosen)]
        if with_keys:
            names += [f"{prefix}-{control}" for control, _ in self.events]
        return sorted(names)


def controls_from(text: str) -> Controls:
    """`Controls` of the text of a controls.json (ValueError, KeyError: not one)."""
    doc = json.loads(text)
    events = doc["key_events"]
    return Controls(
        cis=tuple(doc["cis"]),
        events=tuple((str(e["name"]), str(e["event"])) for e in events["events"]),
        template={k: events[k] for k in ("prefix", "term", "join", "suffix", "chunk")},
    )


def shipped_controls() -> Controls:
    """The controls of the shipped modules (the ones `generated/` calls)."""
    return controls_from((modules_dir() / "key-alarms" / "controls.json").read_text("utf-8"))
