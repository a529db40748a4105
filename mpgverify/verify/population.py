"""A population of examples through one claim: each member's premise gate, then the claim's batched
check over the members of one shape whose premises were established (issue 24).

``evaluate_population(claim, examples)`` returns what ``claim.check`` returns member by member —
the not-met outcome where the gate refuses, None where the example is malformed for the claim (the
gate or the check raised a library error) — but runs the established members of one shape (the same
agents' action counts and states) as one call of :attr:`~mpgverify.verify.claims.Claim.batch`, a
check over stacked games. Without a batched check, or when the batched call raises, the members go
through ``claim.check`` one at a time. The hunter's offspring, its shrinking candidates and the
runner's blocks of draws go through here.

``build_population(construction, seeds)`` builds the witnesses of a claim whose strategy runs dynamics
(:class:`~mpgverify.verify.construction.Construction`) over the seeds of one shape at once, and
``draw_examples`` draws a claim's seeds and builds them so.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings

from mpgverify.errors import MpgverifyError
from mpgverify.policy import witnesses_parsed_once
from mpgverify.verify.claims import Claim, Example, Outcome, Premises, not_met_outcome
from mpgverify.verify.construction import Construction
from mpgverify.verify.determinism import independent_of_local_constants

__all__ = [
    "BLOCK",
    "MALFORMED",
    "build_population",
    "draw_examples",
    "draw_seeds",
    "evaluate_population",
    "fresh_draw",
    "shape_of",
]

#: the errors that mark an example malformed for a claim (the hunter skips it, as one at a time)
MALFORMED = (MpgverifyError, ValueError, RuntimeError, IndexError)


def shape_of(example: Example) -> tuple[Any, ...]:
    """The key members must share to be stacked: the game's type, action counts and states."""
    game = example.game
    return type(game), tuple(game.n_actions), game.n_states


def _one(claim: Claim, example: Example, mutation: dict[str, Any]) -> Outcome | None:
    try:
        return claim.check(example.game, example.witness, **mutation)
    except MALFORMED:
        return None


def _after_gate(claim: Claim, example: Example, gate: Premises, mutation: dict[str, Any]) -> Outcome | None:
    if claim.after_gate is None:
        return _one(claim, example, mutation)
    try:
        return claim.after_gate(example.game, example.witness, gate=gate, **mutation)
    except MALFORMED:
        return None


#: at most this many members per batched call (a stack's cost is its slowest member's, times its size)
BLOCK = 64


def _gate(claim: Claim, example: Example) -> Premises | None:
    assert claim.premises is not None
    try:
        return claim.premises(example.game, example.witness)
    except MALFORMED:
        return None


def _gates(claim: Claim, examples: Sequence[Example], block: int) -> list[Premises | None]:
    """Every member's premise decision (None: malformed): the claim's batched gate over the members of
    one shape where it has one (a stack that raises is decided member by member), else one by one."""
    if claim.batch_premises is None:
        return [_gate(claim, ex) for ex in examples]
    out: list[Premises | None] = [None] * len(examples)
    for idx in _groups(examples, block):
        if len(idx) == 1:  # a stack of one is the gate itself, with the stacking's overhead
            out[idx[0]] = _gate(claim, examples[idx[0]])
            continue
        try:
            got: list[Premises | None] = list(
                claim.batch_premises([examples[k].game for k in idx], [examples[k].witness for k in idx])
            )
        except MALFORMED:
            got = [_gate(claim, examples[k]) for k in idx]
        for k, gate in zip(idx, got, strict=True):
            out[k] = gate
    return out


def evaluate_population(
    claim: Claim, examples: Sequence[Example], mutation: dict[str, Any] | None = None, *, block: int = BLOCK
) -> list[Outcome | None]:
    """The outcome of ``claim`` on every member of ``examples``, in order (see the module docstring);
    the established members of one shape go ``block`` at a time, in order."""
    with witnesses_parsed_once():  # the gates and the batched checks read the same witness lists
        return _evaluate(claim, examples, dict(mutation or {}), block)


def _evaluate(claim: Claim, examples: Sequence[Example], mutation: dict[str, Any], block: int) -> list[Outcome | None]:
    if claim.batch is None or claim.premises is None or len(examples) < 2:
        return [_one(claim, ex, mutation) for ex in examples]
    out: list[Outcome | None] = [None] * len(examples)
    groups: dict[tuple[Any, ...], list[tuple[int, Premises]]] = {}
    for k, gate in enumerate(_gates(claim, examples, block)):
        if gate is None:
            continue
        if gate.met is not True:
            out[k] = not_met_outcome(gate)
        else:
            groups.setdefault(shape_of(examples[k]), []).append((k, gate))
    chunks = [group[j : j + block] for group in groups.values() for j in range(0, len(group), block)]
    for members in chunks:
        idx = [k for k, _ in members]
        if len(idx) == 1:  # a stack of one: the check itself, behind the gate already established
            out[idx[0]] = _after_gate(claim, examples[idx[0]], members[0][1], mutation)
            continue
        got: list[Outcome | None]
        try:
            got = claim.batch(  # type: ignore[assignment]
                [examples[k].game for k in idx],
                [examples[k].witness for k in idx],
                gates=[g for _, g in members],
                **mutation,
            )
        except MALFORMED:  # one malformed member spoils the stack: each alone, as the check would
            got = [_one(claim, examples[k], mutation) for k in idx]
        for k, o in zip(idx, got, strict=True):
            out[k] = o
    return out


def _groups(examples: Sequence[Example], block: int) -> list[list[int]]:
    """The members' indices by shape, in order, ``block`` at a time."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for k, ex in enumerate(examples):
        groups.setdefault(shape_of(ex), []).append(k)
    return [group[j : j + block] for group in groups.values() for j in range(0, len(group), block)]


def build_population(construction: Construction, seeds: Sequence[Example], *, block: int = BLOCK) -> list[Example]:
    """``construction.build`` over the seeds of one shape, ``block`` at a time: the built examples, in
    the seeds' order (each equal to ``construction.one(seed)``)."""
    out: list[Example | None] = [None] * len(seeds)
    for idx in _groups(seeds, block):
        for k, ex in zip(idx, construction.build([seeds[k] for k in idx]), strict=True):
            out[k] = ex
    return out  # type: ignore[return-value]


def _collect(strategy: Any, n: int, seed_value: int) -> list[Any]:
    """What ``strategy`` draws under ``seed_value`` in Hypothesis's explicit and generate phases (up to
    ``n``), nothing evaluated, local constants held out (:mod:`mpgverify.verify.determinism`)."""
    drawn: list[Any] = []

    @seed(seed_value)
    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        print_blob=False,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.differing_executors],
    )
    @given(value=strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    with independent_of_local_constants():
        collect()
    return drawn


def draw_seeds(construction: Construction, n: int, seed_value: int) -> list[Example]:
    """A construction's seeds as Hypothesis draws them (:meth:`Construction.seeds`), not built."""
    return _collect(construction.seeds(), n, seed_value)


#: draws kept per (draw source, n, seed, block), newest last (:func:`draw_examples`)
_DRAWN: OrderedDict[tuple[Any, int, int, int], list[Example]] = OrderedDict()
_DRAWN_KEEP = 4


def draw_examples(claim: Claim, n: int, seed_value: int, *, block: int = BLOCK) -> list[Example]:
    """The examples Hypothesis draws for ``claim`` under ``seed_value`` in its explicit and generate
    phases (up to ``n``), without evaluating them. A claim with a :attr:`~Claim.construction` has its
    seeds drawn (:meth:`~mpgverify.verify.construction.Construction.unbuilt`: the choices of its examples)
    and built in blocks of one shape.

    Claims declared with one draw source (the same ``examples`` factory, or the same construction: a
    family's readings, such as ``lemma-3.5`` and ``@d1``, or the five of Def 4.4 and Thm 4.5) draw the
    same examples under one seed and budget, so the last few draws are kept per source and a repeat
    is served from them (each witness dict copied): the ledger runs a family one claim after another.
    ``tests/test_population.py`` holds a served draw equal to a fresh one."""
    source: Any = claim.examples if claim.construction is None else claim.construction
    key = (source, n, seed_value, block)
    drawn = _DRAWN.get(key)
    if drawn is None:
        drawn = _DRAWN[key] = fresh_draw(claim, n, seed_value, block=block)
        while len(_DRAWN) > _DRAWN_KEEP:
            _DRAWN.popitem(last=False)
    else:
        _DRAWN.move_to_end(key)
    return [Example(ex.game, dict(ex.witness)) for ex in drawn]


def fresh_draw(claim: Claim, n: int, seed_value: int, *, block: int = BLOCK) -> list[Example]:
    """:func:`draw_examples` without its memory: Hypothesis draws (and a construction builds) anew."""
    if claim.construction is None:
        return _collect(claim.examples(), n, seed_value)
    drawn = _collect(claim.construction.unbuilt(), n, seed_value)
    return build_population(claim.construction, drawn, block=block)
