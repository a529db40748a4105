"""Def 4.4's premise — the witness policy ε-ratio-Nash — and Theorem 4.5's gate, for one game or for
same-shape games at once (issue 24: the best responses of a stack in one policy iteration).

Def 4.4 (p. 6), under two readings: *as written* ``max_π'ⁱ Vⁱ(π'ⁱ, π⁻ⁱ)(μ) ≤ (1−ε) Vⁱ_π(μ)`` for every
agent i; *as used* by the proof of Theorem 4.5 ``Vⁱ_π(μ) ≥ (1−ε) max_π'ⁱ Vⁱ(π'ⁱ, π⁻ⁱ)(μ)``. Best
responses come from policy iteration (:func:`mpgverify.solvers.nash.nash_gap`), a slack of 1e-12
relative to the values absorbs round-off. Theorem 4.5 adds (α, β)-smoothness (decided exactly,
:mod:`properties.smoothness`), 1 + (1−ε)β ≠ 0 and a defined POA (Def 4.1: the optimal social value
``max_π̄ Σ_i Vⁱ_π̄(μ) ≠ 0``); its corrected statement also α > 0 and that value > 0.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import torch

from mpgverify.algorithms.br_dynamics import is_ratio_nash
from mpgverify.game import MarkovGame
from mpgverify.policy import check_policy
from mpgverify.solvers.batched import GameBatch, stack_members
from mpgverify.solvers.evaluation import at_mu, state_values
from mpgverify.solvers.nash import nash_gap
from mpgverify.solvers.welfare import social_optimum
from mpgverify.verify.claims import Premises
from properties.premises import number, positive, within
from properties.smoothness import smoothness_constants

__all__ = [
    "batch_premises_def_4_4",
    "batch_premises_thm_4_5",
    "premises_def_4_4",
    "premises_thm_4_5",
    "probs_of",
    "ratio_eps_reason",
]


def ratio_eps_reason(eps: float) -> str | None:
    """Def 4.4's ε: a ratio 1 − ε of values, ε ∈ [0, 1)."""
    return within("ε", eps, 0.0, 1.0, high_open=True)


def probs_of(game: MarkovGame, witness: dict[str, Any]) -> tuple[torch.Tensor, ...]:
    """The witness's product policy ``probs``, validated against the game."""
    return check_policy(game, witness["probs"], "witness.probs")


def _ratio_values(games: list[MarkovGame], probs: list[tuple[torch.Tensor, ...]]) -> tuple[torch.Tensor, torch.Tensor]:
    """The members' own values ``Vⁱ_π(μ)`` and best-response values ``max_π'ⁱ Vⁱ(π'ⁱ, π⁻ⁱ)(μ)``, each
    ``[B, N]``: one game alone, or the stack's values and best responses at once."""
    if len(games) == 1:
        V = at_mu(games[0], state_values(games[0], probs[0]))
        return V[None], nash_gap(games[0], probs[0], V_mu=V).best_values[None]
    batch = GameBatch.stack(games)
    stacked = stack_members(probs)
    V = batch.at_mu(state_values(batch, stacked))  # type: ignore[arg-type]  # [B, N]
    return V, nash_gap(batch, stacked, V_mu=V).best_values  # type: ignore[arg-type]


def _ratio_nash(V: torch.Tensor, best: torch.Tensor, eps: list[float], reading: str) -> list[bool]:
    """Each member ε-ratio-Nash under ``reading`` (``V``, ``best`` ``[B, N]``, one ε each), with a round-off
    slack of 1e-12 relative to its values ``1e-12·(1 + maxᵢ |bestⁱ|)``: elementwise, the float operations
    of one member alone."""
    e = torch.tensor(eps, dtype=V.dtype)[:, None]
    return is_ratio_nash(V, best, e, reading, tol=1e-12 * (1 + best.abs().amax(-1, keepdim=True))).tolist()


def premises_def_4_4(game: MarkovGame, witness: dict[str, Any], *, reading: str = "as-used") -> Premises:
    """Def 4.4 under ``reading``: ε ∈ [0, 1) and the witness policy ε-ratio-Nash — as written
    ``max_π'ⁱ Vⁱ(π'ⁱ, π⁻ⁱ)(μ) ≤ (1−ε) Vⁱ_π(μ)`` for every i, as used ``Vⁱ_π(μ) ≥ (1−ε) max_π'ⁱ Vⁱ(π'ⁱ,
    π⁻ⁱ)(μ)`` (best responses by policy iteration; a slack of 1e-12 relative to the values). Facts:
    ``V``, ``best``."""
    return batch_premises_def_4_4([game], [witness], reading=reading)[0]


def batch_premises_def_4_4(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], *, reading: str = "as-used"
) -> list[Premises]:
    """:func:`premises_def_4_4` member by member, the values and best responses of every member whose ε
    is valid in one stacked solve."""
    out: list[Premises | None] = []
    live: list[int] = []
    probs = [probs_of(g, w) for g, w in zip(games, witnesses, strict=True)]
    epsilons = [number(w, "eps") for w in witnesses]
    for k, eps in enumerate(epsilons):
        reason = ratio_eps_reason(eps)
        out.append(None if reason is None else Premises.fail(reason))
        if reason is None:
            live.append(k)
    if live:
        V, best = _ratio_values([games[k] for k in live], [probs[k] for k in live])
        oks = _ratio_nash(V, best, [epsilons[k] for k in live], reading)
        for j, (k, ok) in enumerate(zip(live, oks, strict=True)):
            out[k] = (
                Premises.hold(V=V[j], best=best[j])
                if ok
                else Premises.fail(f"the policy is not {epsilons[k]:.3g}-ratio-Nash ({reading})")
            )
    return out  # type: ignore[return-value]


def premises_thm_4_5(
    game: MarkovGame, witness: dict[str, Any], *, reading: str = "as-written", positive_alpha: bool = False
) -> Premises:
    """Theorem 4.5: the game (α, β)-smooth (exact), ε ∈ [0, 1), 1 + (1−ε)β ≠ 0 (the bound defined), the
    policy ε-ratio-Nash under ``reading``, and the POA defined (Def 4.1: ``max_π̄ Σ_i Vⁱ_π̄(μ) ≠ 0``).
    ``positive_alpha`` (the corrected statement): also α > 0 and ``V_π*(μ) = max_π̄ Σ_i Vⁱ_π̄(μ) > 0``.
    Facts: ``eps``, ``alpha``, ``beta``, ``probs``, ``optimum``."""
    return batch_premises_thm_4_5([game], [witness], reading=reading, positive_alpha=positive_alpha)[0]


def _thm_4_5_rules(
    game: MarkovGame, witness: dict[str, Any], positive_alpha: bool
) -> Premises | tuple[tuple[torch.Tensor, ...], float, Fraction, Fraction]:
    """The rules of :func:`premises_thm_4_5` before any solve: a failed one, or (π, ε, α, β)."""
    probs = probs_of(game, witness)
    eps = number(witness, "eps")
    constants = smoothness_constants(game, witness)
    if isinstance(constants, Premises):
        return constants
    alpha, beta = constants
    rule = ratio_eps_reason(eps)
    if rule is None and positive_alpha:
        rule = positive("α", float(alpha))
    if rule is None and 1 + (1 - Fraction(eps)) * beta == 0:
        rule = "1 + (1−ε)β = 0: the bound is undefined"
    return Premises.fail(rule) if rule is not None else (probs, eps, alpha, beta)


def batch_premises_thm_4_5(
    games: list[MarkovGame],
    witnesses: list[dict[str, Any]],
    *,
    reading: str = "as-written",
    positive_alpha: bool = False,
) -> list[Premises]:
    """:func:`premises_thm_4_5` member by member (the exact smoothness test is per game), the values,
    best responses and social optima of the members whose rules hold in stacked solves."""
    rules = [_thm_4_5_rules(g, w, positive_alpha) for g, w in zip(games, witnesses, strict=True)]
    out: list[Premises | None] = [r if isinstance(r, Premises) else None for r in rules]
    live = [k for k, r in enumerate(rules) if not isinstance(r, Premises)]
    if not live:
        return out  # type: ignore[return-value]
    members = [games[k] for k in live]
    probs = [rules[k][0] for k in live]  # type: ignore[index]
    V, best = _ratio_values(members, probs)
    oks = _ratio_nash(V, best, [rules[k][1] for k in live], reading)  # type: ignore[index]
    optima = (
        [float(social_optimum(members[0]).value)]
        if len(live) == 1
        else social_optimum(GameBatch.stack(members)).value.tolist()  # type: ignore[arg-type]
    )
    for k, p, ok, optimum in zip(live, probs, oks, optima, strict=True):
        _, eps, alpha, beta = rules[k]  # type: ignore[misc]
        if not ok:
            out[k] = Premises.fail(f"not ε-ratio-Nash ({reading})")
        elif abs(optimum) <= 1e-12:
            out[k] = Premises.fail("the optimal social value is 0: the POA (Def 4.1) is undefined")
        elif positive_alpha and not optimum > 0:
            out[k] = Premises.fail(f"V_π*(μ) = {optimum:.4g} ≤ 0 (the corrected statement needs V_π*(μ) > 0)")
        else:
            out[k] = Premises.hold(eps=eps, alpha=alpha, beta=beta, probs=p, optimum=optimum)
    return out  # type: ignore[return-value]
