"""Which outcome combinations of string predicates some string realizes, each with a witness.

The comparer reasons about one string-valued part of a request at a time (the principal, the
resource, one value of a condition key). Every predicate on it is a `StrPred`, so the string
matters only through its *signature*: the tuple of predicate outcomes. `realize` returns every
signature some string has, with such a string, exactly and over all Unicode strings:

- each literal named by a predicate is tested directly (so a 2,000-value `StringEquals` costs
  2,000 set look-ups, not 2,000 solver terms);
- for every other string only the pattern parts (globs, case-folded values) can hold: one
  breadth-first search over the glob automata, the trie of literals (to skip them) and the
  trie of case-folded values finds every signature of a non-literal string, with a shortest
  such string (so `StringEquals C0123ABCD` against `StringLike C0123ABCD*` yields
  `C0123ABCDx`, and against `StringEqualsIgnoreCase` `c0123abcd`).

This replaces SMT string theory, which costs tens of milliseconds per query, with a small
finite domain the solver sees as an integer per string.

>>> from byok.policy.matching import StrPred, glob
>>> r = realize((StrPred(lits=frozenset({"a", "b"})), StrPred(globs=(glob("a*"),))), ("zz",))
>>> sorted(zip(r.sigs, r.strings))
[((False, False), 'zz'), ((False, True), 'ax'), ((True, False), 'b'), ((True, True), 'a')]
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

from .condops import UnsupportedPolicyError
from .matching import MAX_CHAR, CharSet, Glob, StrPred, fold_char, fold_class

Sig = tuple[bool, ...]
NfaSet = frozenset[tuple[int, int]]  # (glob index, position) per predicate
State = tuple[NfaSet, ...]
MAX_STATES = 200_000
_REST_CHOICES = "xyzqjkvw0123456789_-."


class TooComplexError(UnsupportedPolicyError):
    """The string patterns of one request part are too many or too intricate to enumerate."""


@dataclass(frozen=True)
class Realized:
    sigs: tuple[Sig, ...]
    strings: tuple[str, ...]


def _accepts(cs: CharSet, sym: str) -> bool:
    neg, chars = cs
    return (sym in chars) != neg


def _close(globs: tuple[Glob, ...], positions: set[tuple[int, int]]) -> frozenset[tuple[int, int]]:
    for g, pos in list(positions):
        while pos < len(globs[g]) and globs[g][pos][0]:  # a starred token may match nothing
            pos += 1
            positions.add((g, pos))
    return frozenset(positions)


class _Dfa:
    """The product of every predicate's glob automaton, built lazily. From each state only the
    characters some token there names can behave differently; every other one acts alike."""

    def __init__(self, globs: tuple[tuple[Glob, ...], ...]) -> None:
        self.globs = globs
        self.chars = {c for gs in globs for g in gs for _, (_, cs) in g for c in cs}
        self.states: list[State] = []
        self.index: dict[State, int] = {}
        self.relevant: list[frozenset[str]] = []
        self.edges: dict[tuple[int, str | None], int] = {}
        self._add(tuple(_close(gs, {(g, 0) for g in range(len(gs))}) for gs in globs))

    def _add(self, state: State) -> int:
        found = self.index.get(state)
        if found is not None:
            return found
        if len(self.states) >= MAX_STATES:
            raise TooComplexError("string patterns too intricate to compare exactly")
        self.index[state] = len(self.states)
        self.states.append(state)
        self.relevant.append(
            frozenset(
                c
                for gs, cur in zip(self.globs, state, strict=True)
                for g, pos in cur
                if pos < len(gs[g])
                for c in gs[g][pos][1][1]
            )
        )
        return len(self.states) - 1

    def step(self, u: int, char: str) -> int:
        sym = char if char in self.relevant[u] else None
        key = (u, sym)
        if key not in self.edges:
            out = []
            for gs, cur in zip(self.globs, self.states[u], strict=True):
                nxt: set[tuple[int, int]] = set()
                for g, pos in cur:
                    if pos < len(gs[g]) and _accepts(gs[g][pos][1], char):
                        nxt.add((g, pos if gs[g][pos][0] else pos + 1))
                out.append(_close(gs, nxt))
            self.edges[key] = self._add(tuple(out))
        return self.edges[key]

    def accepted(self, u: int) -> Sig:
        return tuple(
            any(pos == len(gs[g]) for g, pos in cur)
            for gs, cur in zip(self.globs, self.states[u], strict=True)
        )


class _Trie:
    """The literal strings (or case-folded words) as a trie of nested dicts; `end` marks one."""

    END = "\x00end"

    def __init__(self, words: frozenset[str]) -> None:
        self.root: dict[str, object] = {}
        for w in words:
            node = self.root
            for c in w:
                node = node.setdefault(c, {})  # type: ignore[assignment]
            node[self.END] = w


def _rest_char(used: set[str]) -> str:
    """A character no pattern, literal or folded word mentions, whose case-fold is itself."""
    for c in itertools.chain(_REST_CHOICES, map(chr, range(0x100, MAX_CHAR))):
        if c not in used and fold_char(c) == c:
            return c
    raise TooComplexError("no spare character")  # pragma: no cover - needs a million patterns


_Node = tuple[int, object, object]  # (dfa state, literal-trie node, folded-trie node)


def _others(
    preds: tuple[StrPred, ...], lits: frozenset[str], hints: tuple[str, ...]
) -> dict[Sig, str]:
    """A shortest string for every signature some string outside `lits` has.

    Breadth-first search over (glob automaton state, position in the literal trie, position
    in the trie of case-folded words). Leaving a trie is final, so the space is finite and the
    search is complete; a string still on the literal trie at a word's end is that literal and
    does not count. From each node only characters that some glob, folded word or nothing
    distinguishes are tried (`rest` stands for "anything else")."""
    search = _Search(preds, lits)
    hinted = {_sig_of(preds, h): h for h in reversed(hints) if h not in lits}
    out: dict[Sig, str] = {}
    start: _Node = (0, search.lit_trie.root, search.fold_trie.root)
    queue: deque[tuple[_Node, str]] = deque([(start, "")])
    seen = {(0, id(start[1]), id(start[2]))}
    while queue:
        node, s = queue.popleft()
        sig = search.sig(node)
        if sig is not None:
            out.setdefault(sig, hinted.get(sig, s))
        for c, nxt in search.successors(node):
            key = (nxt[0], id(nxt[1]), id(nxt[2]))
            if key not in seen:
                if len(seen) >= MAX_STATES:
                    raise TooComplexError("string patterns too intricate to compare exactly")
                seen.add(key)
                queue.append((nxt, s + c))
    return out


class _Search:
    """The product the search in `_others` walks, and the signature at each of its nodes."""

    def __init__(self, preds: tuple[StrPred, ...], lits: frozenset[str]) -> None:
        self.preds = preds
        self.dfa = _Dfa(tuple(p.globs for p in preds))
        words = frozenset().union(*(p.folded for p in preds))
        self.classes = {c: fold_class(c) for w in words for c in w}
        used = self.dfa.chars | {c for s in lits for c in s}
        self.rest = _rest_char(used | {x for cs in self.classes.values() for x in cs})
        self.lit_trie, self.fold_trie = _Trie(lits), _Trie(words)

    def sig(self, node: _Node) -> Sig | None:
        """The signature of the strings ending at `node`, None if that string is a literal."""
        u, ln, fn = node
        if isinstance(ln, dict) and _Trie.END in ln:
            return None
        word = fn.get(_Trie.END) if isinstance(fn, dict) else None
        return tuple(
            acc or (word is not None and word in p.folded)
            for acc, p in zip(self.dfa.accepted(u), self.preds, strict=True)
        )

    def successors(self, node: _Node) -> list[tuple[str, _Node]]:
        u, ln, fn = node
        chars = set(self.dfa.relevant[u]) | {self.rest}
        if isinstance(fn, dict):
            chars |= {x for c in fn if c != _Trie.END for x in self.classes[c]}
        out = []
        for c in sorted(chars):
            ln2 = ln.get(c) if isinstance(ln, dict) else None
            fn2 = fn.get(fold_char(c)) if isinstance(fn, dict) else None
            out.append((c, (self.dfa.step(u, c), ln2, fn2)))
        return out


def _sig_of(preds: tuple[StrPred, ...], s: str) -> Sig:
    return tuple(p.pattern_matches(s) for p in preds)


@lru_cache(maxsize=512)
def realize(preds: tuple[StrPred, ...], hints: tuple[str, ...]) -> Realized:
    """Every signature of `preds` some string has, with a string for each; literals and then
    `hints` (earlier first; at least one) are preferred over generated strings."""
    lits = frozenset().union(*(p.lits for p in preds))
    found: dict[Sig, str] = {}
    for s in sorted(lits):
        found.setdefault(tuple(p.matches(s) for p in preds), s)
    for sig, s in _others(preds, lits, hints).items():
        found.setdefault(sig, s)
    return Realized(tuple(found), tuple(found.values()))
