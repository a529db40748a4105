"""The pieces every premise gate is built from: witness constants read strictly, range rules stated
as the paper prints them, and the game-level premises shared by several claims.

A gate (``premises(game, witness) -> Premises``, one per claim, declared with the claim) decides
every hypothesis of the statement — the game's class, the assumptions, and each witness constant
against its rule. Two kinds of failure differ:

* a witness field of the wrong *type* (a string, a boolean, null, a non-finite number) is malformed
  input: :func:`number` raises :class:`mpgverify.errors.FormatError` (``replay`` exits 2);
* a well-formed value outside the statement (λ < 0, a step above its bound) is "premises not met":
  the rule helpers return the reason (``replay`` exits 0 and prints it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from mpgverify.errors import FormatError
from mpgverify.game import MarkovGame
from mpgverify.memo import per_game
from mpgverify.solvers.batched import prime_game_constants
from mpgverify.solvers.game_constants import assumption_2_1
from mpgverify.solvers.potential_space import agent_term_basis
from mpgverify.verify.claims import Premises, premise_checked
from randomgames.perturb import is_action_independent

__all__ = [
    "assumption_2_1_reason",
    "at_least",
    "combine",
    "decide",
    "integer",
    "mpg_reason",
    "number",
    "positive",
    "primed_gate",
    "section_3_reason",
    "unit_potential_reason",
    "within",
]

_MISSING = object()


def number(witness: dict[str, Any], key: str, *, default: Any = _MISSING) -> float:
    """``witness[key]`` as a float: a finite JSON number (not a boolean, not a string). Raises
    :class:`FormatError` naming ``witness.<key>`` otherwise (missing without a default included)."""
    if key not in witness:
        if default is _MISSING:
            raise FormatError(f"witness.{key}", "is required but missing")
        return float(default)
    x = witness[key]
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise FormatError(f"witness.{key}", f"must be a number, got {type(x).__name__} {x!r}"[:160])
    try:
        value = float(x)
    except OverflowError:
        raise FormatError(f"witness.{key}", "must be a finite number (this integer overflows float64)") from None
    if not math.isfinite(value):
        raise FormatError(f"witness.{key}", f"must be a finite number, got {value!r}")
    if abs(value) > MAX_MAGNITUDE:
        raise FormatError(
            f"witness.{key}", f"must be at most {MAX_MAGNITUDE:g} in magnitude (the bounds it enters overflow float64)"
        )
    return value


#: the largest witness constant read: every bound the paper states stays finite in float64 below it
MAX_MAGNITUDE = 1e100


def integer(witness: dict[str, Any], key: str, *, default: Any = _MISSING, cap: int = 10**6) -> int:
    """``witness[key]`` as an int (a JSON integer, not a boolean), at most ``cap``; FormatError otherwise."""
    if key not in witness and default is not _MISSING:
        return int(default)
    x = witness.get(key)
    if isinstance(x, bool) or not isinstance(x, int):
        raise FormatError(f"witness.{key}", f"must be an integer, got {type(x).__name__} {x!r}"[:160])
    if abs(x) > cap:
        raise FormatError(f"witness.{key}", f"must be at most {cap} in magnitude")
    return x


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def positive(name: str, x: float) -> str | None:
    """The rule ``name > 0``: None when it holds, else the reason."""
    if x > 0:
        premise_checked(lambda: f"{name} = {_fmt(x)} > 0")
        return None
    return f"{name} = {_fmt(x)} violates {name} > 0"


def at_least(name: str, x: float, low: float, what: str = "") -> str | None:
    """The rule ``name ≥ low``."""
    if x >= low:
        premise_checked(lambda: f"{name} = {_fmt(x)} ≥ {what or _fmt(low)}")
        return None
    return f"{name} = {_fmt(x)} violates {name} ≥ {what or _fmt(low)}"


def within(
    name: str, x: float, low: float | None, high: float | None, *, low_open: bool = False, high_open: bool = False
) -> str | None:
    """The rule ``name ∈ (low | [low, high] | high)`` (open ends as given; None for an unbounded side)."""
    ok_low = low is None or (x > low if low_open else x >= low)
    ok_high = high is None or (x < high if high_open else x <= high)
    lo = "(−∞" if low is None else ("(" if low_open else "[") + _fmt(low)
    hi = "∞)" if high is None else _fmt(high) + (")" if high_open else "]")
    if ok_low and ok_high:
        premise_checked(lambda: f"{name} = {_fmt(x)} ∈ {lo}, {hi}")
        return None
    return f"{name} = {_fmt(x)} violates {name} ∈ {lo}, {hi}"


def combine(*steps: str | Callable[[], str | None] | None) -> str | None:
    """The first failing rule's reason, evaluating callables lazily in order (None: all hold)."""
    for step in steps:
        reason = step() if callable(step) else step
        if reason is not None:
            return reason
    return None


def unit_potential_reason(game: MarkovGame, why: str = "the proof assumes") -> str | None:
    """The premise ``φ(s, a) ∈ [0, 1]`` for every s, a (a potential stated): None when it holds."""
    if game.phi is None:
        return "the game states no potential φ"
    lo, hi = float(game.phi.min()), float(game.phi.max())
    if lo >= 0.0 and hi <= 1.0:
        premise_checked(lambda: f"potential in [0, 1] ({why.removeprefix('the ')}): φ ranges over [{lo:.4g}, {hi:.4g}]")
        return None
    return f"{why} a potential in [0, 1]; φ ranges over [{lo:.4g}, {hi:.4g}]"


#: the largest residual, relative to 1 + max |rⁱ − φ|, at which rⁱ − φ counts as an admissible agent term
MPG_TOL = 1e-9


def mpg_reason(game: MarkovGame) -> str | None:
    """The premise "an MPG with the stated potential φ" (Def 2.2): for every agent i, state s and
    product policies differing only in agent i, ``Vⁱ(π̄ⁱ,π⁻ⁱ)(s) − Vⁱ(π)(s) = Φ(π̄ⁱ,π⁻ⁱ)(s) − Φ(π)(s)``.

    Equivalently, each agent term ``uⁱ = rⁱ − φ`` has a value that agent i's policy cannot change,
    i.e. lies in the admissible space 𝒰ⁱ(P, γ) (:func:`mpgverify.solvers.potential_space.agent_term_bases`,
    a linear subspace): decided by the residual of uⁱ's projection onto its orthonormal basis,
    ``≤ MPG_TOL·(1 + max |uⁱ|)`` (a zero term lies in every subspace: its residual is 0 with no basis
    built, as for identical-interest games under any kernel). Under an action-independent kernel the space
    is the terms that do not depend on aⁱ, whatever P and γ, and the projection is the mean over aⁱ: no
    basis is built either. None when it holds."""
    if game.potential is None:
        return "the game states no potential φ (Def 2.2)"
    outside, worst = _agent_term_residual(game)
    if outside is not None:
        return (
            f"not an MPG with the stated potential (Def 2.2): agent {outside}'s term r^{outside} − φ is outside the "
            f"admissible terms by {worst:.3g}"
        )
    premise_checked(
        lambda: (
            f"an MPG with the stated potential φ (Def 2.2): every agent term rⁱ − φ lies in its admissible space "
            f"(largest residual {worst:.2g} ≤ {MPG_TOL:g}·(1 + max |rⁱ − φ|))"
        )
    )
    return None


@per_game()
def _agent_term_residual(game: MarkovGame) -> tuple[int | None, float]:
    """:func:`mpg_reason`'s test (a stated potential): (the first agent whose term lies outside its
    admissible space, its residual), or (None, the largest residual)."""
    assert game.potential is not None
    terms = game.rewards - game.potential  # [N, S, A¹..Aᴺ]
    worst = 0.0
    for i in range(game.n_agents):
        u = terms[i]
        if not bool(u.any()):
            continue  # a zero term lies in every subspace; its residual u − B Bᵀu is exactly 0 (no basis needed)
        if is_action_independent(game):  # kept per game: asked once
            # an action-independent kernel: 𝒰ⁱ is the terms that do not depend on aⁱ, for every P and γ (the
            # state's own weight D(s, s) ≥ 1 in its value forbids any other), and the orthogonal projection
            # onto them is the mean over aⁱ (tests/test_premise_definitions.py: the basis's residual)
            residual = float((u - u.mean(dim=1 + i, keepdim=True)).abs().max())
        else:
            B = agent_term_basis(game.transition, game.gamma, i)
            flat = u.reshape(-1)
            residual = float((flat - B @ (B.T @ flat)).abs().max())
        if residual > MPG_TOL * (1.0 + float(u.abs().max())):
            return i, residual
        worst = max(worst, residual)
    return None, worst


def assumption_2_1_reason(game: MarkovGame) -> str | None:
    """Assumption 2.1 (``d^π_μ(s) > 0`` for every π, s), decided exactly
    (:func:`mpgverify.solvers.game_constants.assumption_2_1`): None when it holds."""
    unvisited = assumption_2_1(game)
    if unvisited is None:
        premise_checked("Assumption 2.1: d^π_μ(s) > 0 for every policy π and state s (decided exactly)")
        return None
    return (
        f"Assumption 2.1 fails: state {unvisited.state} is never visited from μ under the deterministic product "
        f"policy actions[agent][state] = {unvisited.actions}"
    )


def decide(reasons: Iterable[str | Callable[[], str | None] | None], **facts: Any) -> Premises:
    """A gate's decision from its rules in order: the first failing one, else met with ``facts``."""
    reason = combine(*reasons)
    return Premises.fail(reason) if reason is not None else Premises.hold(**facts)


def section_3_reason(game: MarkovGame) -> str | None:
    """The standing hypotheses of Section 3 ("where Assumptions 2.1 and 2.3 hold"): an MPG with its stated
    potential (Def 2.2) and Assumption 2.1 (decided exactly); Assumption 2.3 holds for every finite game."""
    return mpg_reason(game) or assumption_2_1_reason(game)


def primed_gate(
    gate: Callable[..., Premises], *, mismatch: bool = False, potential: bool = False
) -> Callable[..., list[Premises]]:
    """``gate`` over a population (a claim's ``batch_premises``): the games' M (``mismatch``) and Φ's range
    (``potential``) solved stacked first (:func:`~mpgverify.solvers.batched.prime_game_constants`: the
    one-game answers, kept for the gate), then ``gate`` member by member — its decisions, reasons and
    recorded lines unchanged."""

    def batch_premises(games: list[MarkovGame], witnesses: list[dict[str, Any]], **options: Any) -> list[Premises]:
        prime_game_constants(games, mismatch=mismatch, potential=potential)
        return [gate(g, w, **options) for g, w in zip(games, witnesses, strict=True)]

    return batch_premises
