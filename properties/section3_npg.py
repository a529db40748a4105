"""Section 3.3 with Appendix E: natural policy gradient is soft policy iteration (Lemma 3.7), and
the approximate best-response NPG dynamics (5, 6) reach an ε-Nash policy within 2(Φ_max − Φ_min)/ε + 1
outer steps (Theorem 3.8). Exact evaluation; the printed reading and the corrected ones side by side."""

from __future__ import annotations

import math
from typing import Any

import sympy
import torch
from hypothesis import strategies as st

from mpgverify import bounds
from mpgverify.algorithms.gradients import natural_directions, policy_gradients
from mpgverify.algorithms.npg_br import inner_loops, npg_br
from mpgverify.evaluation import at_mu, evaluate, state_values
from mpgverify.exact import exact_evaluate, rationalize_game, rationalize_policy
from mpgverify.game import MarkovGame
from mpgverify.game_constants import potential_range
from mpgverify.nash import best_response, nash_gap
from mpgverify.policy import softmax_policy
from mpgverify.verify.claims import ClaimBook, ExactMargin, Outcome
from properties.common import (
    identity_outcome,
    mpg_games,
    not_met,
    phi_in_unit_interval,
    theta_of,
    upper_bound_outcome,
    with_theta,
)
from properties.coverage import MPG_COVERAGE, THETA_RANGE, UNIT_POTENTIAL_COVERAGE, mpg_space
from properties.moves import Moves

__all__ = ["BOOK", "CLAIMS"]

BOOK = ClaimBook(section="3")

_FULL = "≤ 3 agents × 3 actions, ≤ 3 states, γ ≤ 0.99"
_TINY = "≤ 3 agents × 3 actions, ≤ 2 states, γ ≤ 0.5 (iteration counts grow like (1−γ)⁻³)"


def _with_eta() -> Any:
    return with_theta(mpg_games(reward_range=(-1.0, 1.0)), extra=lambda draw, game: {"eta": draw(st.floats(0.01, 2.0))})


def _with_eps(lo: float, hi: float) -> Any:
    """Tiny games (γ ≤ 0.5), θ and ε ∈ [lo, hi]."""
    return lambda: with_theta(
        mpg_games(max_agents=3, max_states=2, max_actions=3, max_gamma=0.5),
        extra=lambda draw, game: {"eps": draw(st.floats(lo, hi))},
    )


# -- Lemma 3.7: NPG is soft policy iteration -----------------------------------------------------------------
def exact_lemma_3_7(
    game: MarkovGame, witness: dict[str, Any], *, fisher_d: str = "unnormalized", factor: float = 1.0
) -> ExactMargin:
    """Rational re-check at the rational policy π = softmax(θ) (as computed in floats): per agent
    and state, ``x = F_s† g_s`` (sympy pseudo-inverse) against ``factor·Aⁱ(s, ·)``; the lemma holds
    iff their difference is constant over actions. Margin: −(largest spread of the difference)."""
    eg = rationalize_game(game)
    p = rationalize_policy(softmax_policy(theta_of(game, witness)))
    ev = exact_evaluate(eg, p)
    k = sympy.Rational(*float(factor).as_integer_ratio())
    weight = 1 if fisher_d == "unnormalized" else 1 - eg.gamma
    worst = sympy.Rational(0)
    for i in range(game.n_agents):
        for s in range(game.n_states):
            pi = sympy.Matrix(p[i][s])
            w = weight * ev.d[s]
            F = w * (sympy.diag(*p[i][s]) - pi * pi.T)
            g = sympy.Matrix([ev.d[s] * p[i][s][a] * ev.advantages[i][s][a] for a in range(game.n_actions[i])])
            x = F.pinv() * g
            diff = [x[a] - k * ev.advantages[i][s][a] for a in range(game.n_actions[i])]
            worst = max(worst, max(diff) - min(diff))
    return ExactMargin(str(-worst), float(-worst))


@BOOK.claim(
    "lemma-3.7@unnormalized-d",
    ref="Lemma 3.7 (Appendix E.1), d as defined",
    statement="NPG (4) with the Fisher matrix weighted by the unnormalized d is theta^i <- theta^i + eta A^i "
    "(pi^i_{t+1} proportional to pi^i_t exp(eta A^i))",
    examples=_with_eta,
    exact=exact_lemma_3_7,
    mutants={"step 2 eta": {"factor": 2.0}},
    moves=Moves(ranges={"eta": (0.01, 2.0)}),
    coverage=MPG_COVERAGE,
    premise_space=mpg_space(_FULL, "[−1, 1]", THETA_RANGE + "; η ∈ [0.01, 2]"),
)
@BOOK.claim(
    "lemma-3.7@normalized-d",
    ref="Lemma 3.7 (Appendix E.1), d normalized",
    statement="the same with the Fisher matrix weighted by the normalized visitation distribution (1-gamma) d",
    examples=_with_eta,
    options={"fisher_d": "normalized"},
    exact=exact_lemma_3_7,
    mutants={"step 2 eta": {"factor": 2.0}},
    moves=Moves(ranges={"eta": (0.01, 2.0)}),
    coverage=MPG_COVERAGE,
    premise_space=mpg_space(_FULL, "[−1, 1]", THETA_RANGE + "; η ∈ [0.01, 2]"),
)
def check_lemma_3_7(
    game: MarkovGame, witness: dict[str, Any], *, fisher_d: str = "unnormalized", factor: float = 1.0
) -> Outcome:
    theta, eta = theta_of(game, witness), float(witness["eta"])
    probs = softmax_policy(theta)
    ev = evaluate(game, probs)
    nat = natural_directions(probs, policy_gradients(probs, ev), ev.d, game.gamma, fisher_d)  # type: ignore[arg-type]
    by_fisher = softmax_policy(tuple(t + eta * n for t, n in zip(theta, nat, strict=True)))
    by_soft_pi = softmax_policy(tuple(t + factor * eta * a for t, a in zip(theta, ev.advantages, strict=True)))
    residual = max(float((p - q).abs().max()) for p, q in zip(by_fisher, by_soft_pi, strict=True))
    return identity_outcome(residual, scale=1.0)


# -- Theorem 3.8: NPG-BR ---------------------------------------------------------------------------------
def _k(gamma: float, eps: float) -> int:
    return math.ceil(bounds.thm_3_8_inner_steps(gamma, eps))


@BOOK.claim(
    "thm-3.8@inner-br",
    ref="Theorem 3.8 / Section 3.3",
    statement="with K >= 4/((1-gamma)^2 eps) inner NPG steps (5) (eta = 1 as printed), every agent's inner loop "
    "reaches an eps/2-best response to the others' fixed policies",
    examples=_with_eps(0.2, 1.0),
    mutants={"eps / 1000": {"eps_scale": 1e-3}},
    moves=Moves(ranges={"eps": (0.2, 1.0)}, gamma_cap=None),
    coverage=UNIT_POTENTIAL_COVERAGE,
    premise_space=mpg_space(_TINY, extra=THETA_RANGE + "; ε ∈ [0.2, 1]"),
)
@BOOK.claim(
    "thm-3.8@inner-br-corrected",
    ref="Theorem 3.8 / Section 3.3, corrected",
    statement="with K >= 2(L(1-gamma) + 1)/((1-gamma)^2 eps), L = max_{s,a} log(1/pi_0^i(a|s)) for the inner "
    "loop's start (eta = 1), every agent's inner loop reaches an eps/2-best response. Derivation: the NPG bound "
    "the paper cites (Agarwal et al.) is KL(pi*||pi_0)/(eta' K) + 1/((1-gamma)^2 K) with eta' = 1 - gamma "
    "for the update theta <- theta + A; KL(pi*||pi_0) <= L, and L = log|A^i| only from the uniform start",
    examples=_with_eps(0.2, 1.0),
    options={"corrected": True},
    mutants={"eps / 1000": {"eps_scale": 1e-3}},
    moves=Moves(ranges={"eps": (0.2, 1.0)}, gamma_cap=None),
    coverage=UNIT_POTENTIAL_COVERAGE,
    premise_space=mpg_space(_TINY, extra=THETA_RANGE + "; ε ∈ [0.2, 1]"),
)
def check_thm_3_8_inner(
    game: MarkovGame, witness: dict[str, Any], *, eps_scale: float = 1.0, corrected: bool = False
) -> Outcome:
    """Each inner loop (5) with K ≥ 4/((1−γ)²ε) steps (η = 1, as printed) reaches an ε/2-best response;
    ``corrected``: with K from :func:`mpgverify.bounds.thm_3_8_inner_steps_from` (the start's KL)."""
    if not phi_in_unit_interval(game):
        return not_met("the inner-loop bound (Agarwal et al.) assumes rewards in [0, 1]")
    eps = float(witness["eps"])
    start = theta_of(game, witness)
    theta = tuple(t[None] for t in start)
    K = _k(game.gamma, eps)
    if corrected:
        surprise = max(float(-torch.log_softmax(t, dim=-1).min()) for t in start)
        K = math.ceil(bounds.thm_3_8_inner_steps_from(game.gamma, eps, surprise))
        if K > 20000:
            return not_met(f"K = {K} inner steps exceeds the cap 20000")
    cand = inner_loops(game, theta, K, 1.0)
    worst = math.inf
    for i in range(game.n_agents):
        after = softmax_policy(tuple(c[i] for c in cand))
        got = float(at_mu(game, state_values(game, after))[0, i])
        best = float(best_response(game, after, i).V_mu[0])
        worst = min(worst, eps_scale * eps / 2 - (best - got))
    return Outcome(True, worst, 1e-9 * (1 + 1 / (1 - game.gamma)), eps / 2 - worst, eps / 2, None, f"K = {K}")


def _npg_br_run(game: MarkovGame, witness: dict[str, Any]) -> tuple[list[float], list[float], float, float]:
    """(Nash-gaps, Φ(μ) values, ε, the outer-step bound) along NPG-BR with K ≥ 4/((1−γ)²ε), η = 1,
    run for the bound's ⌊2(Φ_max − Φ_min)/ε⌋ + 1 outer steps."""
    eps = float(witness["eps"])
    low, high = potential_range(game)
    bound = bounds.thm_3_8_outer_steps(high - low, eps)
    steps = math.floor(bound) + 1
    alg = npg_br(lr=1.0, K=_k(game.gamma, eps))
    state = alg.init(game, seed=0, batch=1)._replace(theta=tuple(t[None] for t in theta_of(game, witness)))
    gaps, phis = [], []
    for t in range(steps + 1):
        probs = alg.policy(state)
        gaps.append(float(nash_gap(game, probs).gap))
        phis.append(float(evaluate(game, probs).Phi_mu[0]))  # type: ignore[index]
        if t < steps:
            state = alg.step(game, state)
    return gaps, phis, eps, bound + 1


@BOOK.claim(
    "thm-3.8",
    ref="Theorem 3.8 (Appendix E.2)",
    statement="NPG-BR (5,6) with K >= 4/((1-gamma)^2 eps) reaches an eps-Nash policy within 2(Phi_max-Phi_min)/eps "
    "+ 1 outer steps (tightness: outer steps needed / allowed)",
    examples=_with_eps(0.3, 1.0),
    mutants={"eps / 1000": {"eps_scale": 1e-3}},
    moves=Moves(ranges={"eps": (0.3, 1.0)}, gamma_cap=None),
    coverage=UNIT_POTENTIAL_COVERAGE,
    premise_space=mpg_space(_TINY, extra=THETA_RANGE + "; ε ∈ [0.3, 1]"),
)
def check_thm_3_8(game: MarkovGame, witness: dict[str, Any], *, eps_scale: float = 1.0) -> Outcome:
    """thm-3.8: the first ε-Nash policy comes within ``2(Φ_max − Φ_min)/ε + 1`` outer steps. Observed:
    the outer steps actually taken to reach it (the bound + 1 when never reached), so the tightness
    is steps needed ÷ steps allowed."""
    if not phi_in_unit_interval(game):
        return not_met("the inner-loop bound assumes rewards in [0, 1]")
    gaps, _, eps, allowed = _npg_br_run(game, witness)
    target = eps_scale * eps
    needed = next((t for t, g in enumerate(gaps) if g <= target), len(gaps))
    return upper_bound_outcome(needed, allowed, note=f"min gap {min(gaps):.3g} vs eps {target:.3g}")


@BOOK.claim(
    "thm-3.8@step-e2",
    ref="Appendix E.2, step",
    statement="every outer step taken from a policy that is not eps-Nash raises Phi(mu) by at least eps/2",
    examples=_with_eps(0.3, 1.0),
    mutants={"rise x 100": {"increase_scale": 100.0}},
    moves=Moves(ranges={"eps": (0.3, 1.0)}, gamma_cap=None),
    coverage=UNIT_POTENTIAL_COVERAGE,
    premise_space=mpg_space(_TINY, extra=THETA_RANGE + "; ε ∈ [0.3, 1]"),
)
def check_thm_3_8_step_e2(game: MarkovGame, witness: dict[str, Any], *, increase_scale: float = 1.0) -> Outcome:
    if not phi_in_unit_interval(game):
        return not_met("the inner-loop bound assumes rewards in [0, 1]")
    gaps, phis, eps, _ = _npg_br_run(game, witness)
    rises = [phis[t + 1] - phis[t] for t in range(len(gaps) - 1) if gaps[t] > eps]
    if not rises:
        return not_met("every iterate was already ε-Nash")
    worst = min(rises) - increase_scale * eps / 2
    return Outcome(True, worst, 1e-9 * (1 + abs(phis[0])), min(rises), eps / 2, None, "")


CLAIMS = BOOK.claims
