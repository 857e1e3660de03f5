"""Stage 1, load: YAML bytes -> located nodes (`LMap`); bad YAML is a located error."""

from .nodes import LMap, LNode, LScalar, LSeq, show
from .reader import load_bytes, load_file, locate

__all__ = ["LMap", "LNode", "LScalar", "LSeq", "load_bytes", "load_file", "locate", "show"]
