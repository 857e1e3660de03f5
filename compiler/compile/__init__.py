"""Stage 4, compile: `Resolved` -> each key's policy as typed IR (`Compiled`)."""

from .keys import Compiled, CompiledKey, compile_all, compile_key

__all__ = ["Compiled", "CompiledKey", "compile_all", "compile_key"]
