"""Stage 2, model: what the inputs say beyond the key policies. In a vendor file: the data the
vendor keeps under its own keys (`not_covered`) and how a revocation behaves on its side
(`revocation.takes_effect`, `data_key_caching`, `restore`); no proof covers them, so they are
shown with their sources. In org.yaml: the optional AWS features around the keys."""

from __future__ import annotations

from .base import Fact
from .types import Text


class Behaviour(Fact):
    """What the vendor documents about one aspect of revocation and recovery, in words
    (`description`); `verified: false` when the source does not state it outright. Shown in
    ACCESS.md, the handoff sheet and `generate`'s "not proved" lines: no proof covers it."""

    description: Text


class NotCovered(Fact):
    """Data the vendor keeps under its own keys, not the customer's key: revoking or deleting
    the key does not make it unreadable to the vendor."""

    data: Text
