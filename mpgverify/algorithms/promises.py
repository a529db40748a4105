"""What the paper promises each built-in dynamics on a given game, as :class:`Declarations`.

The paper's guarantees hold at game-dependent constants, so a promise is a function of the game
(``Algorithm.promises``). Each reads its formula from :mod:`mpgverify.bounds`; where the paper
promises nothing checkable, the declaration is empty and its ``source`` says why.

* PG (3), λ = 0: Lemma C.3 — with ``η ≤ (1−γ)/(N max(5, √N)(Φ_max − Φ_min))`` one step raises
  ``V_φ(s)`` at every s, so ``Φ_θ(μ)`` never decreases.
* NPG-BR (5)–(6) with η = 1, λ = 0, φ ∈ [0, 1]: Theorem 3.8 — K inner steps meet
  ``K ≥ 4/((1−γ)²ε)`` for ``ε_K = 4/((1−γ)²K)``, so an ε_K-Nash policy is reached within
  ``⌊2(Φ_max − Φ_min)/ε_K⌋ + 1`` outer steps (Appendix E.2).
* Best-response dynamics (Section 4.3): by Def 2.2 a unilateral switch to a best response raises
  Φ by the mover's gain ≥ 0, so ``Φ_π(μ)`` never decreases.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from mpgverify import bounds
from mpgverify.algorithms.api import Declarations
from mpgverify.game import Game
from mpgverify.solvers.game_constants import potential_range

__all__ = ["br_dynamics_promises", "nothing_promised", "npg_br_promises", "pg_promises"]

Promises = Callable[[Game], Declarations]


def nothing_promised(why: str) -> Promises:
    """An empty declaration on every game, with the reason."""
    empty = Declarations(source=why)
    return lambda game: empty


def _phi_range(game: Game) -> float | None:
    if game.potential is None:
        return None
    low, high = potential_range(game)
    return high - low


def pg_promises(lr: float, lam: float) -> Promises:
    """Lemma C.3's monotone potential when ``lr`` is at most this game's step (λ = 0 only)."""
    if lam > 0:
        return nothing_promised(
            "Theorem 3.6 bounds min_{t<T} Nash-gap only after T ≥ 328NM²|S|²max|A|²(Φ_max−Φ_min)/((1−γ)³ε²) "
            "iterations at λ = ε/(2M), θ₀ = 0: too long to check; Φ itself is not promised monotone"
        )

    def promise(game: Game) -> Declarations:
        spread = _phi_range(game)
        if spread is None:
            return Declarations(source="the game states no potential φ: Lemma C.3 cannot be applied")
        step = math.inf if spread <= 0 else bounds.lemma_c3_step(game.n_agents, game.gamma, spread)
        if lr <= step:
            return Declarations(monotone_potential=True, source=f"Lemma C.3: η = {lr:g} ≤ {step:.4g}")
        return Declarations(source=f"η = {lr:g} exceeds this game's Lemma C.3 step {step:.4g}")

    return promise


def npg_br_promises(lr: float, K: int, lam: float) -> Promises:
    """Theorem 3.8 at ``ε_K = 4/((1−γ)²K)`` (η = 1 and λ = 0, as printed; φ in [0, 1])."""
    if lr != 1.0 or lam != 0.0:
        return nothing_promised(f"Theorem 3.8 is stated for η = 1 and no barrier (here η = {lr:g}, λ = {lam:g})")

    def promise(game: Game) -> Declarations:
        spread = _phi_range(game)
        if spread is None or game.potential is None:
            return Declarations(source="the game states no potential φ: Theorem 3.8 cannot be applied")
        if float(game.potential.min()) < 0 or float(game.potential.max()) > 1:
            return Declarations(source="Theorem 3.8's inner-loop bound assumes φ in [0, 1]")
        eps = bounds.thm_3_8_epsilon(game.gamma, K)
        T = math.floor(bounds.thm_3_8_outer_steps(spread, eps)) + 1
        return Declarations(nash_reached=(eps, T), source=f"Theorem 3.8: ε_K = {eps:.4g} within {T} outer steps")

    return promise


def br_dynamics_promises() -> Promises:
    """Def 2.2: every best-response switch raises Φ by the mover's gain."""
    mono = Declarations(monotone_potential=True, source="Def 2.2: a best-response switch raises Φ by its gain ≥ 0")
    return lambda game: mono if game.potential is not None else Declarations(source="the game states no potential φ")
