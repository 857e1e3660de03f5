"""Which outcome combinations of string predicates some string realizes, each with a witness.

The comparer reasons about one string-valued part of a request at a time (the principal, the
resource, one value of a condition key). Every predicate on it is a `StrPred`, so the string
matters only through its *signature*: the tuple of predicate outcomes. `realize` returns every
signature some string has, with such a string, exactly and over all Unicode strings:

- each literal named by a predicate is tested directly (so a 2,000-value `StringEquals` costs
  2,000 set look-ups, not 2,000 solver terms);
- for every other string only the pattern parts (globs, case-folded values) can hold, so a
  product automaton over those parts is explored; a signature counts when more strings reach
  it than there are literals with that pattern signature, i.e. when a non-literal string has it.

This replaces SMT string theory, which costs tens of milliseconds per query, with a small
finite domain the solver sees as an integer per string.

>>> from compiler.policy.matching import StrPred, glob
>>> r = realize((StrPred(lits=frozenset({"a", "b"})), StrPred(globs=(glob("a*"),))), ("zz",))
>>> sorted(zip(r.sigs, r.strings))
[((False, False), 'zz'), ((False, True), 'aa'), ((True, False), 'b'), ((True, True), 'a')]
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from functools import lru_cache

from .condops import UnsupportedPolicyError
from .matching import MAX_CHAR, CharSet, Glob, StrPred

Sig = tuple[bool, ...]
NfaSet = frozenset[tuple[int, int]]  # (glob index, position) per predicate
State = tuple[NfaSet, ...]
MAX_STATES = 5000
MAX_SEARCH = 100_000
_REST_CHOICES = "xyzqjkvw0123456789_-."


class TooComplexError(UnsupportedPolicyError):
    """The string patterns of one request part are too many or too intricate to enumerate."""


@dataclass(frozen=True)
class Realized:
    sigs: tuple[Sig, ...]
    strings: tuple[str, ...]


def _accepts(cs: CharSet, sym: str | None) -> bool:
    neg, chars = cs
    return neg if sym is None else (sym in chars) != neg  # None stands for "any other char"


def _close(globs: tuple[Glob, ...], positions: set[tuple[int, int]]) -> frozenset[tuple[int, int]]:
    for g, pos in list(positions):
        while pos < len(globs[g]) and globs[g][pos][0]:  # a starred token may match nothing
            pos += 1
            positions.add((g, pos))
    return frozenset(positions)


class _Dfa:
    """The reachable part of the product of every predicate's pattern automaton."""

    def __init__(self, globs: tuple[tuple[Glob, ...], ...]) -> None:
        self.globs = globs
        chars = {c for gs in globs for g in gs for _, (_, cs) in g for c in cs}
        self.symbols: tuple[str | None, ...] = (*sorted(chars), None)
        self.rest_size = MAX_CHAR + 1 - len(chars)
        self.states: list[State] = []
        self.edges: list[list[tuple[str | None, int]]] = []
        self._explore()

    def _start(self) -> State:
        return tuple(_close(gs, {(g, 0) for g in range(len(gs))}) for gs in self.globs)

    def _step(self, state: State, sym: str | None) -> State:
        out = []
        for gs, cur in zip(self.globs, state, strict=True):
            nxt: set[tuple[int, int]] = set()
            for g, pos in cur:
                if pos < len(gs[g]) and _accepts(gs[g][pos][1], sym):
                    nxt.add((g, pos if gs[g][pos][0] else pos + 1))
            out.append(_close(gs, nxt))
        return tuple(out)

    def _explore(self) -> None:
        index: dict[State, int] = {}
        queue = deque([self._start()])
        index[queue[0]] = 0
        self.states.append(queue[0])
        while queue:
            state = queue.popleft()
            edges = []
            for sym in self.symbols:
                nxt = self._step(state, sym)
                if nxt not in index:
                    if len(self.states) >= MAX_STATES:
                        raise TooComplexError("string patterns too intricate to compare exactly")
                    index[nxt] = len(self.states)
                    self.states.append(nxt)
                    queue.append(nxt)
                edges.append((sym, index[nxt]))
            self.edges.append(edges)

    def sig(self, i: int) -> Sig:
        return tuple(
            any(pos == len(gs[g]) for g, pos in cur)
            for gs, cur in zip(self.globs, self.states[i], strict=True)
        )


def _count(dfa: _Dfa, targets: set[int], cap: int) -> int:
    """Strings reaching `targets`, capped at `cap` (a cycle on the way means infinitely many)."""
    back: dict[int, set[int]] = {}
    for u, edges in enumerate(dfa.edges):
        for _, v in edges:
            back.setdefault(v, set()).add(u)
    alive, todo = set(targets), list(targets)
    while todo:
        for u in back.get(todo.pop(), ()):
            if u not in alive:
                alive.add(u)
                todo.append(u)
    indeg = Counter(v for u in alive for _, v in dfa.edges[u] if v in alive)
    order, ready = [], [u for u in alive if indeg[u] == 0]
    while ready:
        u = ready.pop()
        order.append(u)
        for _, v in dfa.edges[u]:
            if v in alive:
                indeg[v] -= 1
                if indeg[v] == 0:
                    ready.append(v)
    if len(order) < len(alive):
        return cap
    paths = Counter({0: 1})
    for u in order:
        for sym, v in dfa.edges[u]:
            if v in alive:
                step = paths[u] * (1 if sym is not None else dfa.rest_size)
                paths[v] = min(cap, paths[v] + step)
    return min(cap, sum(paths[t] for t in targets))


def _search(dfa: _Dfa, targets: set[int], avoid: frozenset[str], rest: str) -> str:
    """A shortest string ending in `targets` that is not in `avoid` (breadth-first)."""
    queue: deque[tuple[int, str]] = deque([(0, "")])
    seen: set[int] = set()
    dedupe = True  # first pass: one path per state; then every path, if that found only literals
    for _ in range(MAX_SEARCH):
        if not queue:
            if not dedupe:
                break
            queue, seen, dedupe = deque([(0, "")]), set(), False
            continue
        u, s = queue.popleft()
        if u in targets and s not in avoid:
            return s
        for sym, v in dfa.edges[u]:
            if not dedupe or v not in seen:
                seen.add(v)
                queue.append((v, s + (rest if sym is None else sym)))
    raise TooComplexError("could not construct a witness string")


def _others(
    preds: tuple[StrPred, ...], lits: frozenset[str], hints: tuple[str, ...]
) -> dict[Sig, str]:
    globs = tuple(p.automaton_globs() for p in preds)
    if not any(globs):
        return {tuple(False for _ in preds): _fresh(hints[0], lits)}
    dfa = _Dfa(globs)
    lit_sigs = Counter(tuple(p.pattern_matches(s) for p in preds) for s in lits)
    used = {c for s in lits for c in s} | {c for c in dfa.symbols if c is not None}
    rest = next((c for c in _REST_CHOICES if c not in used), None) or next(
        chr(i) for i in range(0x100, MAX_CHAR) if chr(i) not in used
    )
    by_sig: dict[Sig, set[int]] = {}
    for i in range(len(dfa.states)):
        by_sig.setdefault(dfa.sig(i), set()).add(i)
    hinted = {
        tuple(p.pattern_matches(h) for p in preds): h for h in reversed(hints) if h not in lits
    }
    out: dict[Sig, str] = {}
    for sig, targets in by_sig.items():
        known = lit_sigs[sig]
        if known and _count(dfa, targets, known + 1) <= known:
            continue  # every string with this signature is one of the literals
        out[sig] = hinted[sig] if sig in hinted else _search(dfa, targets, lits, rest)
    return out


def _fresh(base: str, avoid: frozenset[str]) -> str:
    n = 0
    candidate = base
    while candidate in avoid:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


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
