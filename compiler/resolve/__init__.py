"""Stage 3, resolve: `Org` x vendors -> one checked `ResolvedKey` per key."""

from .keys import Resolved, ResolvedKey, resolve

__all__ = ["Resolved", "ResolvedKey", "resolve"]
