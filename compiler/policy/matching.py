"""String matching shared by the evaluator and the comparer: globs, ARN patterns, case folding.

A `StrPred` is a union of exact literals, case-folded literals and token patterns (globs). The
evaluator calls `StrPred.matches`; the comparer reads the same structure to build automata
(`byok.policy.strsolve`), so the two agree on every string by construction.

A pattern is a tuple of tokens `(repeats, charset)`; a charset is `(negated, chars)`, so
`(False, {"a"})` is the letter `a` and `(True, {":"})` is any character but a colon.

>>> StrPred(globs=(glob("arn:aws:iam::*:root"),)).matches("arn:aws:iam::111122223333:root")
True
>>> StrPred(globs=(arn_glob("arn:aws:*:*:*:trail/*"),)).matches("arn:aws:cloudtrail:a:b:c:trail/x")
False
>>> StrPred(folded=frozenset({fold("TRUE")})).matches("True")
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

CharSet = tuple[bool, frozenset[str]]
Token = tuple[bool, CharSet]
Glob = tuple[Token, ...]

ANY: CharSet = (True, frozenset())
NOT_COLON: CharSet = (True, frozenset(":"))
MAX_CHAR = 0x10FFFF


def fold_char(c: str) -> str:
    """One character, case-folded; characters whose lower case is longer stay as they are.

    Folding per character (not `str.lower` on the whole string) keeps "equal ignoring case" a
    per-position relation, which is what the comparer's automata can express exactly.
    """
    low = c.lower()
    return low if len(low) == 1 else c


def fold(s: str) -> str:
    return "".join(fold_char(c) for c in s)


def has_wildcard(s: str) -> bool:
    return "*" in s or "?" in s


def literal(s: str) -> Glob:
    return tuple((False, (False, frozenset(c))) for c in s)


def prefix(s: str) -> Glob:
    """Every string starting with `s`."""
    return (*literal(s), (True, ANY))


def glob(pattern: str, wild: CharSet = ANY) -> Glob:
    """IAM wildcards: `*` is any run of characters from `wild`, `?` exactly one."""
    out: list[Token] = []
    for c in pattern:
        if c == "*":
            out.append((True, wild))
        elif c == "?":
            out.append((False, wild))
        else:
            out.append((False, (False, frozenset(c))))
    return tuple(out)


def arn_glob(pattern: str) -> Glob:
    """ArnLike: six colon-separated components matched separately, so a wildcard in the first
    five cannot swallow a colon; the resource part (the sixth) may contain colons. A value with
    fewer than six components is matched as a plain glob over the whole string."""
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        return glob(pattern)
    colon: Glob = literal(":")
    out: Glob = ()
    for part in parts[:5]:
        out += glob(part, NOT_COLON) + colon
    return out + glob(parts[5])


@lru_cache(maxsize=1)
def _preimages() -> dict[str, frozenset[str]]:
    """Every character that folds to another one, by its folded form (computed once, ~0.2 s)."""
    table: dict[str, set[str]] = {}
    for i in range(MAX_CHAR + 1):
        c = chr(i)
        f = fold_char(c)
        if f != c:
            table.setdefault(f, set()).add(c)
    return {k: frozenset(v) for k, v in table.items()}


def fold_class(folded: str) -> frozenset[str]:
    """All characters `x` with `fold_char(x) == folded`."""
    own = {folded} if fold_char(folded) == folded else set()
    return _preimages().get(folded, frozenset()) | own


def folded_glob(folded: str) -> Glob:
    return tuple((False, (False, fold_class(c))) for c in folded)


def _charset_re(cs: CharSet) -> str:
    neg, chars = cs
    if neg and not chars:
        return "."
    if not neg and len(chars) == 1:
        return re.escape(next(iter(chars)))
    body = "".join(re.escape(c) for c in sorted(chars))
    return f"[{'^' if neg else ''}{body}]"


def glob_regex(g: Glob) -> str:
    return "".join(_charset_re(cs) + ("*" if rep else "") for rep, cs in g)


@lru_cache(maxsize=4096)
def _union(globs: tuple[Glob, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{glob_regex(g)})" for g in globs), re.DOTALL)


@lru_cache(maxsize=4096)
def glob_matches(pattern: str, s: str, fold_case: bool = False) -> bool:
    """A single `*`/`?` glob against a string (actions fold case, resources do not)."""
    if fold_case:
        pattern, s = fold(pattern), fold(s)
    return _union((glob(pattern),)).fullmatch(s) is not None


@dataclass(frozen=True)
class StrPred:
    """A string predicate: equal to a literal, equal ignoring case, or matching a glob."""

    lits: frozenset[str] = frozenset()
    folded: frozenset[str] = frozenset()
    globs: tuple[Glob, ...] = ()

    def matches(self, s: str) -> bool:
        return s in self.lits or self.pattern_matches(s)

    def pattern_matches(self, s: str) -> bool:
        """The non-literal part only: what a string outside every literal set can satisfy."""
        if self.folded and fold(s) in self.folded:
            return True
        return self._regex is not None and self._regex.fullmatch(s) is not None

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        # Compiled once per predicate: hashing the glob tuple for `_union`'s cache on every
        # match cost more than the match itself (issue 16). Not a field: equality ignores it.
        return _union(self.globs) if self.globs else None

    def automaton_globs(self) -> tuple[Glob, ...]:
        """The non-literal part as token patterns (folded literals become character classes)."""
        return self.globs + tuple(folded_glob(w) for w in sorted(self.folded))

    @property
    def empty(self) -> bool:
        return not (self.lits or self.folded or self.globs)


NOTHING = StrPred()


def union(preds: list[StrPred]) -> StrPred:
    return StrPred(
        lits=frozenset().union(*(p.lits for p in preds)),
        folded=frozenset().union(*(p.folded for p in preds)),
        globs=tuple(dict.fromkeys(g for p in preds for g in p.globs)),
    )


def patterns(values: tuple[str, ...], arn: bool = False) -> StrPred:
    """Values with wildcards become globs, the rest literals (so big literal sets stay sets)."""
    make = arn_glob if arn else glob
    lits = frozenset(v for v in values if not has_wildcard(v))
    globs = tuple(dict.fromkeys(make(v) for v in values if has_wildcard(v)))
    return StrPred(lits=lits, globs=globs)
