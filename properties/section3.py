"""Section 3 (with Appendices B–E): gradients, smoothness, and the convergence of PG, log-barrier PG,
NPG and NPG-BR under tabular softmax. Every quantity is exact (linear algebra + autograd); the
paper's constants come from :mod:`mpgverify.bounds`."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import sympy
import torch
from hypothesis import strategies as st

import randomgames.strategies as rgs
from mpgverify import bounds
from mpgverify.algorithms.gradients import (
    log_barrier,
    log_barrier_gradients,
    natural_directions,
    policy_gradients,
)
from mpgverify.algorithms.npg_br import inner_loops, npg_br
from mpgverify.arrays import DTYPE
from mpgverify.evaluation import at_mu, evaluate, potential_values, state_values
from mpgverify.exact import exact_evaluate, rationalize_game, rationalize_policy
from mpgverify.game import MarkovGame
from mpgverify.game_constants import mismatch_coefficient, potential_range
from mpgverify.hessian import hessian_spectral_norm
from mpgverify.nash import best_response, nash_gap
from mpgverify.policy import joint_policy, softmax_policy
from mpgverify.verify.claims import Claim, ExactMargin, Example, Outcome, Relaxation
from properties.common import (
    flat_theta,
    hessian,
    identity_outcome,
    not_met,
    spectral_norm,
    theta_json,
    theta_of,
    unflat_theta,
    upper_bound_outcome,
    with_theta,
)
from properties.coverage import (
    ACTIONS,
    AGENT_TERMS,
    AGENTS,
    AGENTS_FROM_2,
    AGENTS_UPTO_2,
    KERNEL,
    MPG_COVERAGE,
    MPG_SPACE,
    POTENTIAL_SIGN,
    STATES,
    UNIT_POTENTIAL_COVERAGE,
    coverage,
)
from properties.moves import Moves
from properties.relaxations import PotentialSmoothness, StageSmoothness

__all__ = ["CLAIMS"]


def _games(
    *,
    reward_range: tuple[float, float] = (0.0, 1.0),
    max_agents: int = 3,
    max_states: int = 3,
    max_actions: int = 3,
    max_gamma: float = 0.99,
    min_agents: int = 1,
) -> st.SearchStrategy[MarkovGame]:
    return rgs.mpgs(
        min_agents=min_agents,
        max_agents=max_agents,
        max_states=max_states,
        max_actions=max_actions,
        max_gamma=max_gamma,
        reward_range=reward_range,
        mus=("uniform", "random"),
    )


def _unflat(game: MarkovGame, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    return unflat_theta([(game.n_states, n) for n in game.n_actions], x)


def _phi_in_unit_interval(game: MarkovGame) -> bool:
    return game.phi is not None and float(game.phi.min()) >= 0.0 and float(game.phi.max()) <= 1.0


# -- Lemma 3.1 / Lemma C.2: the gradient form --------------------------------------------------------
def check_gradient_form(game: MarkovGame, witness: dict[str, Any], *, factor: float = 1.0) -> Outcome:
    """``∂Φ_θ(μ)/∂θⁱ_{s,a} = ∂Vⁱ_θ(μ)/∂θⁱ_{s,a} = factor · d(s) πⁱ(a|s) Aⁱ(s, a)`` against autograd."""
    theta = tuple(t.clone().requires_grad_(True) for t in theta_of(game, witness))
    probs = softmax_policy(theta)
    ev = evaluate(game, probs)
    assert ev.Phi_mu is not None
    gPhi = torch.autograd.grad(ev.Phi_mu, theta, retain_graph=True)
    formula = policy_gradients(
        tuple(p.detach() for p in probs),
        ev._replace(d=ev.d.detach(), advantages=tuple(a.detach() for a in ev.advantages)),
    )
    residual, scale = 0.0, 0.0
    for i in range(game.n_agents):
        gV = torch.autograd.grad(ev.V_mu[i], theta[i], retain_graph=True)[0]
        f = factor * formula[i]
        residual = max(residual, float((gPhi[i] - f).abs().max()), float((gV - f).abs().max()))
        scale = max(scale, float(gV.abs().max()), float(f.abs().max()))
    return identity_outcome(residual, scale=scale)


def _check_lemma_c2(game: MarkovGame, witness: dict[str, Any], *, factor: float = 1.0) -> Outcome:
    return check_gradient_form(game, witness, factor=factor / (1.0 - game.gamma))


# -- Lemma 3.2: smoothness of Φ_θ(s) -----------------------------------------------------------------
#: Above this many parameters the full-Hessian norm of lemma-3.2 comes from Lanczos, not a dense Hessian.
DENSE_HESSIAN_LIMIT = 128


def check_smoothness(
    game: MarkovGame, witness: dict[str, Any], *, part: str = "full", bound_scale: float = 1.0
) -> Outcome:
    """Spectral norm of ``∇²_θ Φ_θ(s)`` (or of its own / cross agent blocks), worst state, vs the bound."""
    if not _phi_in_unit_interval(game):
        return not_met("the proof assumes a potential in [0, 1]")
    if part == "cross" and game.n_agents < 2:
        return not_met("cross blocks need two agents")
    x0 = flat_theta(theta_of(game, witness))
    sizes = [game.n_states * n for n in game.n_actions]
    starts = [sum(sizes[:i]) for i in range(game.n_agents)]
    worst, scale = 0.0, 0.0
    for s in range(game.n_states):
        f = lambda x, s=s: potential_values(game, softmax_policy(_unflat(game, x)))[s]
        if part == "full" and x0.numel() > DENSE_HESSIAN_LIMIT:
            # large θ: Lanczos on Hessian-vector products (a lower bound of the norm: never a false refutation)
            norm = hessian_spectral_norm(f, x0, steps=min(x0.numel(), 100))
            worst, scale = max(worst, norm), max(scale, norm)
            continue
        H = hessian(f, x0)
        scale = max(scale, float(H.abs().max()))
        if part == "full":
            worst = max(worst, spectral_norm(H))
            continue
        for i in range(game.n_agents):
            for j in range(game.n_agents):
                if (part == "own") != (i == j):
                    continue
                block = H[starts[i] : starts[i] + sizes[i], starts[j] : starts[j] + sizes[j]]
                worst = max(worst, spectral_norm(block))
    bound = bound_scale * {
        "full": bounds.lemma_3_2_smoothness,
        "own": bounds.lemma_3_2_own_block,
        "cross": bounds.lemma_3_2_cross_block,
    }[part](game.n_agents, game.gamma)
    return upper_bound_outcome(worst, bound, scale=scale)


# -- Lemma C.1: smoothness of F_s(θ_s) = π_θs · c ------------------------------------------------------
def check_lemma_c1(
    game: MarkovGame, witness: dict[str, Any], *, part: str = "full", bound_scale: float = 1.0
) -> Outcome:
    """One state, c = the (shared) reward vector over joint actions; Hessian of ``Σ_a π(a|s) c_a``."""
    if part == "cross" and game.n_agents < 2:
        return not_met("cross blocks need two agents")
    c = game.R[0, 0]
    x0 = flat_theta(theta_of(game, witness))
    H = hessian(lambda x: (torch.einsum("sa,a->s", _joint(game, x), c)).sum(), x0)
    sizes = list(game.n_actions)
    starts = [sum(sizes[:i]) for i in range(game.n_agents)]
    if part == "full":
        worst = spectral_norm(H)
    else:
        worst = max(
            (
                spectral_norm(H[starts[i] : starts[i] + sizes[i], starts[j] : starts[j] + sizes[j]])
                for i in range(game.n_agents)
                for j in range(game.n_agents)
                if (part == "own") == (i == j)
            ),
            default=0.0,
        )
    cinf = float(c.abs().max())
    bound = bound_scale * {
        "full": bounds.lemma_c1_smoothness,
        "own": bounds.lemma_c1_own_block,
        "cross": bounds.lemma_c1_cross_block,
    }[part](game.n_agents, cinf)
    return upper_bound_outcome(worst, bound, scale=float(H.abs().max()))


def _joint(game: MarkovGame, x: torch.Tensor) -> torch.Tensor:
    return joint_policy(softmax_policy(_unflat(game, x)))


# -- Lemma C.3: one PG step with the small step size improves V_φ and Q_φ everywhere --------------------
def _eta_fraction(draw: Any, game: MarkovGame) -> dict[str, Any]:
    return {"eta_fraction": draw(st.floats(0.01, 1.0))}


def check_lemma_c3(game: MarkovGame, witness: dict[str, Any], *, sign: float = 1.0) -> Outcome:
    low, high = potential_range(game)
    if high - low <= 0:
        return not_met("Φ_max = Φ_min: the step-size bound is infinite")
    eta = float(witness["eta_fraction"]) * bounds.lemma_c3_step(game.n_agents, game.gamma, high - low)
    theta = theta_of(game, witness)
    probs = softmax_policy(theta)
    grads = policy_gradients(probs, evaluate(game, probs))
    new = softmax_policy(tuple(t + sign * eta * g for t, g in zip(theta, grads, strict=True)))
    assert game.phi is not None
    V0, V1 = potential_values(game, probs), potential_values(game, new)
    Q0 = game.phi + game.gamma * game.P @ V0
    Q1 = game.phi + game.gamma * game.P @ V1
    worst = min(float((V1 - V0).min()), float((Q1 - Q0).min()))
    tol = 1e-12 * (1.0 + float(V0.abs().max()))
    return Outcome(True, worst, tol, -worst, 0.0, None, f"eta = {eta:.3g}")


# -- Theorem 3.4: PG limits are Nash ----------------------------------------------------------------------
def check_thm_3_4(game: MarkovGame, witness: dict[str, Any], *, gap_bound: float = 0.0) -> Outcome:
    low, high = potential_range(game)
    eta = bounds.thm_3_4_step(game.n_agents, game.gamma, high - low)
    theta = theta_of(game, witness)
    steps = int(witness["steps"])
    last = math.inf
    for _ in range(steps):
        probs = softmax_policy(theta)
        grads = policy_gradients(probs, evaluate(game, probs))
        last = max(float(g.abs().max()) * eta for g in grads)
        theta = tuple(t + eta * g for t, g in zip(theta, grads, strict=True))
        if last < 1e-13:
            break
    if not last < 1e-13:
        return not_met(f"θ_t did not converge numerically in {steps} steps (Assumption 3.3 not established)")
    gap = float(nash_gap(game, softmax_policy(theta)).gap)
    scale = 1.0 + float(state_values(game, softmax_policy(theta)).abs().max())
    return Outcome(True, gap_bound - gap, 1e-7 * scale, gap, gap_bound, None, "limit reached")


# -- Lemma 3.5: approximate stationary points of L_λ are 2λM-Nash -------------------------------------------
def _grad_L(game: MarkovGame, theta: tuple[torch.Tensor, ...], lam: float) -> tuple[torch.Tensor, ...]:
    probs = softmax_policy(theta)
    ev = evaluate(game, probs)
    return tuple(g + b for g, b in zip(policy_gradients(probs, ev), log_barrier_gradients(probs, lam), strict=True))


@st.composite
def _stationary_examples(draw: Any) -> Example:
    """A game, λ, and θ found by ascent on L_λ from a drawn θ₀ until ‖∇L_λ‖₂ meets Lemma 3.5's premise
    (or the step budget runs out; the premise is re-checked on the stored θ either way)."""
    game = draw(_games(max_agents=2, max_states=2, max_actions=2, max_gamma=0.9, reward_range=(-1.0, 1.0)))
    lam = draw(st.floats(0.05, 1.0))
    theta = draw(rgs.logits(game))
    beta = bounds.thm_3_6_beta(game.n_agents, game.gamma, game.n_states, lam)
    need = bounds.lemma_3_5_gradient_threshold(lam, game.n_states, max(game.n_actions))
    for _ in range(4000):
        g = _grad_L(game, theta, lam)
        if float(torch.sqrt(sum((x * x).sum() for x in g))) <= 0.5 * need:
            break
        theta = tuple(t + x / beta * 50 for t, x in zip(theta, g, strict=True))
    return Example(game, {"theta": theta_json(theta), "lam": lam})


def check_lemma_3_5(
    game: MarkovGame, witness: dict[str, Any], *, part: str = "nash", bound_scale: float = 1.0
) -> Outcome:
    theta, lam = theta_of(game, witness), float(witness["lam"])
    g = _grad_L(game, theta, lam)
    norm = float(torch.sqrt(sum((x * x).sum() for x in g)))
    need = bounds.lemma_3_5_gradient_threshold(lam, game.n_states, max(game.n_actions))
    if norm > need:
        return not_met(f"‖∇L_λ‖₂ = {norm:.3g} > {need:.3g}")
    probs = softmax_policy(theta)
    if part == "nash":
        M = mismatch_coefficient(game).M
        gap = float(nash_gap(game, probs).gap)
        return upper_bound_outcome(gap, bound_scale * 2 * lam * M, scale=1.0)
    ev = evaluate(game, probs)
    worst = min(float((bound_scale * 2 * lam / (ev.d[:, None] * game.n_states) - a).min()) for a in ev.advantages)
    return Outcome(True, worst, 1e-9, worst, 0.0, None, "min over i, s, a of 2λ/(d(s)|S|) − A^i(s, a)")


# -- Theorem 3.6: log-barrier PG reaches ε-Nash within T -------------------------------------------------
@st.composite
def _thm_3_6_examples(draw: Any) -> Example:
    game = draw(_games(max_agents=2, max_states=2, max_actions=2, max_gamma=0.3))
    eps = draw(st.floats(0.5, 3.0))
    return Example(game, {"eps": eps})


def check_thm_3_6(
    game: MarkovGame,
    witness: dict[str, Any],
    *,
    eps_scale: float = 1.0,
    iterations_scale: float = 1.0,
    cap: int = 30000,
) -> Outcome:
    eps = float(witness["eps"])
    M = mismatch_coefficient(game).M
    low, high = potential_range(game)
    T = iterations_scale * bounds.thm_3_6_iterations(
        game.n_agents, M, game.n_states, max(game.n_actions), high - low, game.gamma, eps
    )
    if T > cap:
        return not_met(f"T = {T:.3g} iterations exceeds the cap {cap}")
    lam = eps / (2 * M)
    eta = 1.0 / bounds.thm_3_6_beta(game.n_agents, game.gamma, game.n_states, lam)
    theta = tuple(torch.zeros(game.n_states, n, dtype=DTYPE) for n in game.n_actions)
    target = eps_scale * eps
    steps = max(1, math.ceil(T))  # the smallest integer T meeting the bound (t = 0 at least)
    needed, best = steps + 1, math.inf  # steps + 1: not reached within T
    for t in range(steps):
        best = min(best, float(nash_gap(game, softmax_policy(theta)).gap))
        if best <= target:
            needed = t + 1  # min over t < needed of the Nash-gap is ≤ ε
            break
        theta = tuple(t_ + eta * g for t_, g in zip(theta, _grad_L(game, theta, lam), strict=True))
    # honest tightness: iterations actually needed ÷ the smallest T the theorem allows (an integer ≥ 1,
    # since min_{t<T} needs T ≥ 1) — not the gap, which the stopping rule puts at ε by construction
    out = upper_bound_outcome(needed, steps, note=f"T = {T:.4g}, min gap {best:.3g} vs eps {target:.3g}")
    return out if T >= 1 else dataclasses.replace(out, tightness=None)  # T < 1: nothing to be tight against


def check_thm_3_6_smoothness(game: MarkovGame, witness: dict[str, Any], *, bound_scale: float = 1.0) -> Outcome:
    if not _phi_in_unit_interval(game):
        return not_met("β_λ builds on Lemma 3.2, which assumes a potential in [0, 1]")
    lam = float(witness["lam"])
    x0 = flat_theta(theta_of(game, witness))

    def L(x: torch.Tensor) -> torch.Tensor:
        probs = softmax_policy(_unflat(game, x))
        return at_mu(game, potential_values(game, probs)) + lam * log_barrier(probs)

    H = hessian(L, x0)
    beta = bound_scale * bounds.thm_3_6_beta(game.n_agents, game.gamma, game.n_states, lam)
    return upper_bound_outcome(spectral_norm(H), beta, scale=float(H.abs().max()))


# -- Lemma 3.7: NPG is soft policy iteration -----------------------------------------------------------------
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


# -- Theorem 3.8: NPG-BR ---------------------------------------------------------------------------------
def _k(gamma: float, eps: float) -> int:
    return math.ceil(bounds.thm_3_8_inner_steps(gamma, eps))


def check_thm_3_8_inner(
    game: MarkovGame, witness: dict[str, Any], *, eps_scale: float = 1.0, corrected: bool = False
) -> Outcome:
    """Each inner loop (5) with K ≥ 4/((1−γ)²ε) steps (η = 1, as printed) reaches an ε/2-best response;
    ``corrected``: with K from :func:`mpgverify.bounds.thm_3_8_inner_steps_from` (the start's KL)."""
    if not _phi_in_unit_interval(game):
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


def check_thm_3_8(game: MarkovGame, witness: dict[str, Any], *, eps_scale: float = 1.0) -> Outcome:
    """thm-3.8: the first ε-Nash policy comes within ``2(Φ_max − Φ_min)/ε + 1`` outer steps. Observed:
    the outer steps actually taken to reach it (the bound + 1 when never reached), so the tightness
    is steps needed ÷ steps allowed."""
    if not _phi_in_unit_interval(game):
        return not_met("the inner-loop bound assumes rewards in [0, 1]")
    gaps, _, eps, allowed = _npg_br_run(game, witness)
    target = eps_scale * eps
    needed = next((t for t, g in enumerate(gaps) if g <= target), len(gaps))
    return upper_bound_outcome(needed, allowed, note=f"min gap {min(gaps):.3g} vs eps {target:.3g}")


def check_thm_3_8_e2(game: MarkovGame, witness: dict[str, Any], *, increase_scale: float = 1.0) -> Outcome:
    if not _phi_in_unit_interval(game):
        return not_met("the inner-loop bound assumes rewards in [0, 1]")
    gaps, phis, eps, _ = _npg_br_run(game, witness)
    rises = [phis[t + 1] - phis[t] for t in range(len(gaps) - 1) if gaps[t] > eps]
    if not rises:
        return not_met("every iterate was already ε-Nash")
    worst = min(rises) - increase_scale * eps / 2
    return Outcome(True, worst, 1e-9 * (1 + abs(phis[0])), min(rises), eps / 2, None, "")


def _eps(lo: float, hi: float) -> Any:
    return lambda draw, game: {"eps": draw(st.floats(lo, hi))}


def _claims() -> list[Claim]:
    full = _games(reward_range=(-1.0, 1.0))
    small = _games(max_agents=3, max_states=2, max_actions=3, max_gamma=0.9)
    one_state = rgs.identical_interest_games(max_agents=3, max_states=1, max_actions=3, reward_range=(-1.0, 1.0))
    lam = lambda draw, game: {"lam": draw(st.floats(0.01, 2.0))}
    eta = lambda draw, game: {"eta": draw(st.floats(0.01, 2.0))}
    pg_run = lambda draw, game: {"steps": 1000}
    tiny = _games(max_agents=3, max_states=2, max_actions=3, max_gamma=0.5)
    return [
        Claim(
            "lemma-3.1",
            "Lemma 3.1, eq. (2)",
            "dPhi_theta(mu)/dtheta^i_{s,a} = dV^i_theta(mu)/dtheta^i_{s,a} = d_mu(s) pi^i(a|s) A^i_theta(s,a), "
            "d unnormalized",
            "3",
            lambda: with_theta(full),
            check_gradient_form,
            mutants={"factor 2": {"factor": 2.0}},
            moves=Moves(),
        ),
        Claim(
            "lemma-c.2",
            "Lemma C.2 (Appendix C)",
            "the gradient of Lemma 3.1 with an extra factor 1/(1-gamma)",
            "3",
            lambda: with_theta(full),
            _check_lemma_c2,
            mutants={"factor 2": {"factor": 2.0}},
            moves=Moves(),
        ),
        Claim(
            "lemma-3.2",
            "Lemma 3.2 (Appendix B)",
            "Phi_theta(s) is 41N/(4(1-gamma)^3)-smooth in theta for every s (potential in [0,1])",
            "3",
            lambda: with_theta(small),
            check_smoothness,
            mutants={"bound / 1000": {"bound_scale": 1e-3}},
            moves=Moves(),
        ),
        Claim(
            "lemma-3.2@own-block",
            "Appendix B, first bound",
            "||grad^2_{theta^i theta^i} Phi_theta(s)||_2 <= (6+2gamma)/(1-gamma)^3",
            "3",
            lambda: with_theta(small),
            lambda g, w, **k: check_smoothness(g, w, part="own", **k),
            mutants={"bound / 1000": {"bound_scale": 1e-3}},
            moves=Moves(),
        ),
        Claim(
            "lemma-3.2@cross-block",
            "Appendix B, second bound",
            "||grad^2_{theta^i theta^j} Phi_theta(s)||_2 <= (-4gamma^2+2gamma+10)/(1-gamma)^3 for i != j",
            "3",
            lambda: with_theta(_games(min_agents=2, max_agents=3, max_states=2, max_actions=3)),
            lambda g, w, **k: check_smoothness(g, w, part="cross", **k),
            mutants={"bound / 1000": {"bound_scale": 1e-3}},
            moves=Moves(),
        ),
        Claim(
            "lemma-c.1",
            "Lemma C.1 (Appendix C.2)",
            "F_s(theta_s) = sum_a pi_theta_s(a|s) c_{s,a} is N max(5, sqrt N) ||c||_inf-smooth",
            "3",
            lambda: with_theta(one_state),
            check_lemma_c1,
            mutants={"bound / 1000": {"bound_scale": 1e-3}},
            moves=Moves(),
        ),
        Claim(
            "lemma-c.1@own-block",
            "Lemma C.1, own blocks",
            "own blocks <= 5 ||c||_inf",
            "3",
            lambda: with_theta(one_state),
            lambda g, w, **k: check_lemma_c1(g, w, part="own", **k),
            mutants={"bound / 1000": {"bound_scale": 1e-3}},
            moves=Moves(),
        ),
        Claim(
            "lemma-c.1@cross-block",
            "Lemma C.1, cross blocks",
            "cross blocks <= sqrt(N) ||c||_inf",
            "3",
            lambda: with_theta(
                rgs.identical_interest_games(
                    min_agents=2, max_agents=3, max_states=1, max_actions=3, reward_range=(-1.0, 1.0)
                )
            ),
            lambda g, w, **k: check_lemma_c1(g, w, part="cross", **k),
            mutants={"bound / 1000": {"bound_scale": 1e-3}},
            moves=Moves(),
        ),
        Claim(
            "lemma-c.3",
            "Lemma C.3",
            "with eta <= (1-gamma)/(N max(5,sqrt N)(Phi_max-Phi_min)), one PG step (3) gives V_phi^{t+1}(s) >= "
            "V_phi^t(s) and Q_phi^{t+1}(s,a) >= Q_phi^t(s,a) for all s, a",
            "3",
            lambda: with_theta(full, extra=_eta_fraction),
            check_lemma_c3,
            mutants={"descent": {"sign": -1.0}},
            moves=Moves(ranges={"eta_fraction": (0.01, 1.0)}),
        ),
        Claim(
            "thm-3.4",
            "Theorem 3.4 (Appendix C)",
            "PG (3) with eta <= min((1-gamma)/(N max(5,sqrt N)(Phi_max-Phi_min)), 4(1-gamma)^3/(41N)): if theta_t "
            "converges (Assumption 3.3), the limit is a Nash policy",
            "3",
            lambda: with_theta(tiny, extra=pg_run),
            check_thm_3_4,
            mutants={"gap <= -1": {"gap_bound": -1.0}},
            moves=Moves(gamma_cap=None),
        ),
        Claim(
            "lemma-3.5",
            "Lemma 3.5 (Appendix D.1)",
            "if ||grad L_lambda(theta)||_2 <= lambda/(2|S| max_i |A^i|) then pi_theta is 2 lambda M-Nash",
            "3",
            _stationary_examples,
            check_lemma_3_5,
            mutants={"bound / 10^4": {"bound_scale": 1e-4}},
            moves=Moves(ranges={"lam": (0.05, 1.0)}),
        ),
        Claim(
            "lemma-3.5@d1",
            "Appendix D.1, step",
            "under the same premise, A^i_theta(s,a) <= 2 lambda/(d(s)|S|)",
            "3",
            _stationary_examples,
            lambda g, w, **k: check_lemma_3_5(g, w, part="d1", **k),
            mutants={"bound / 10^4": {"bound_scale": 1e-4}},
            moves=Moves(ranges={"lam": (0.05, 1.0)}),
        ),
        Claim(
            "thm-3.6",
            "Theorem 3.6 (Appendix D.2)",
            "log-barrier PG with lambda = eps/(2M), eta = 1/beta_lambda, theta_0 = 0: min_{t<T} Nash-gap_t <= eps "
            "whenever T >= 328NM^2|S|^2 max|A|^2 (Phi_max-Phi_min)/((1-gamma)^3 eps^2) "
            "+ 32NM|S| max|A|^2 (Phi_max-Phi_min)/eps (tightness: iterations needed / T)",
            "3",
            _thm_3_6_examples,
            check_thm_3_6,
            mutants={"eps / 1000": {"eps_scale": 1e-3}},
            moves=Moves(ranges={"eps": (0.5, 3.0)}, gamma_cap=None),
        ),
        Claim(
            "thm-3.6@smoothness",
            "Theorem 3.6, beta_lambda",
            "beta_lambda = 41N/(4(1-gamma)^3) + 2 lambda N/|S| bounds the smoothness of L_lambda",
            "3",
            lambda: with_theta(small, extra=lam),
            check_thm_3_6_smoothness,
            mutants={"bound / 1000": {"bound_scale": 1e-3}},
            moves=Moves(ranges={"lam": (0.01, 2.0)}),
        ),
        Claim(
            "lemma-3.7@unnormalized-d",
            "Lemma 3.7 (Appendix E.1), d as defined",
            "NPG (4) with the Fisher matrix weighted by the unnormalized d is theta^i <- theta^i + eta A^i "
            "(pi^i_{t+1} proportional to pi^i_t exp(eta A^i))",
            "3",
            lambda: with_theta(full, extra=eta),
            check_lemma_3_7,
            exact=exact_lemma_3_7,
            mutants={"step 2 eta": {"factor": 2.0}},
            moves=Moves(ranges={"eta": (0.01, 2.0)}),
        ),
        Claim(
            "lemma-3.7@normalized-d",
            "Lemma 3.7 (Appendix E.1), d normalized",
            "the same with the Fisher matrix weighted by the normalized visitation distribution (1-gamma) d",
            "3",
            lambda: with_theta(full, extra=eta),
            lambda g, w, **k: check_lemma_3_7(g, w, fisher_d="normalized", **k),
            exact=lambda g, w, **k: exact_lemma_3_7(g, w, fisher_d="normalized", **k),
            mutants={"step 2 eta": {"factor": 2.0}},
            moves=Moves(ranges={"eta": (0.01, 2.0)}),
        ),
        Claim(
            "thm-3.8@inner-br",
            "Theorem 3.8 / Section 3.3",
            "with K >= 4/((1-gamma)^2 eps) inner NPG steps (5) (eta = 1 as printed), every agent's inner loop "
            "reaches an eps/2-best response to the others' fixed policies",
            "3",
            lambda: with_theta(tiny, extra=_eps(0.2, 1.0)),
            check_thm_3_8_inner,
            mutants={"eps / 1000": {"eps_scale": 1e-3}},
            moves=Moves(ranges={"eps": (0.2, 1.0)}, gamma_cap=None),
        ),
        Claim(
            "thm-3.8@inner-br-corrected",
            "Theorem 3.8 / Section 3.3, corrected",
            "with K >= 2(L(1-gamma) + 1)/((1-gamma)^2 eps), L = max_{s,a} log(1/pi_0^i(a|s)) for the inner loop's "
            "start (eta = 1), every agent's inner loop reaches an eps/2-best response. Derivation: the NPG bound "
            "the paper cites (Agarwal et al.) is KL(pi*||pi_0)/(eta' K) + 1/((1-gamma)^2 K) with eta' = 1 - gamma "
            "for the update theta <- theta + A; KL(pi*||pi_0) <= L, and L = log|A^i| only from the uniform start",
            "3",
            lambda: with_theta(tiny, extra=_eps(0.2, 1.0)),
            lambda g, w, **k: check_thm_3_8_inner(g, w, corrected=True, **k),
            mutants={"eps / 1000": {"eps_scale": 1e-3}},
            moves=Moves(ranges={"eps": (0.2, 1.0)}, gamma_cap=None),
        ),
        Claim(
            "thm-3.8",
            "Theorem 3.8 (Appendix E.2)",
            "NPG-BR (5,6) with K >= 4/((1-gamma)^2 eps) reaches an eps-Nash policy within 2(Phi_max-Phi_min)/eps + 1 "
            "outer steps (tightness: outer steps needed / allowed)",
            "3",
            lambda: with_theta(tiny, extra=_eps(0.3, 1.0)),
            check_thm_3_8,
            mutants={"eps / 1000": {"eps_scale": 1e-3}},
            moves=Moves(ranges={"eps": (0.3, 1.0)}, gamma_cap=None),
        ),
        Claim(
            "thm-3.8@step-e2",
            "Appendix E.2, step",
            "every outer step taken from a policy that is not eps-Nash raises Phi(mu) by at least eps/2",
            "3",
            lambda: with_theta(tiny, extra=_eps(0.3, 1.0)),
            check_thm_3_8_e2,
            mutants={"rise x 100": {"increase_scale": 100.0}},
            moves=Moves(ranges={"eps": (0.3, 1.0)}, gamma_cap=None),
        ),
    ]


def _space(size: str, phi: str = "[0, 1]", extra: str = "") -> str:
    return MPG_SPACE.format(size=size, phi=phi) + extra


_FULL = "≤ 3 agents × 3 actions, ≤ 3 states, γ ≤ 0.99"
_SMALL = "≤ 3 agents × 3 actions, ≤ 2 states, γ ≤ 0.9 (Hessians by autograd)"
_TINY = "≤ 3 agents × 3 actions, ≤ 2 states, γ ≤ 0.5 (iteration counts grow like (1−γ)⁻³)"
_STATIONARY = "≤ 2 agents × 2 actions, ≤ 2 states, γ ≤ 0.9 (4000 ascent steps per example)"
_THETA = "; θ with logits in [−3, 3]"
#: claims whose strategies stop at 2 agents × 2 actions: the axes within those limits
_SMALL_MPG = coverage(AGENTS_UPTO_2, STATES, KERNEL, AGENT_TERMS, POTENTIAL_SIGN)
#: per claim: (coverage, premise space). Where a lemma assumes φ ∈ [0, 1], the potential's sign is fixed.
_COVERAGE: dict[str, tuple[Any, str]] = {
    "lemma-3.1": (MPG_COVERAGE, _space(_FULL, "[−1, 1]", _THETA)),
    "lemma-c.2": (MPG_COVERAGE, _space(_FULL, "[−1, 1]", _THETA)),
    "lemma-3.2": (UNIT_POTENTIAL_COVERAGE, _space(_SMALL, extra=_THETA)),
    "lemma-3.2@own-block": (UNIT_POTENTIAL_COVERAGE, _space(_SMALL, extra=_THETA)),
    "lemma-3.2@cross-block": (
        coverage(STATES, KERNEL, ACTIONS, AGENT_TERMS),
        _space("2–3 agents × ≤ 3 actions, ≤ 2 states", extra=_THETA),
    ),
    "lemma-c.1": (coverage(AGENTS, ACTIONS), "any c ∈ [−1, 1]^|A| (either sign), ≤ 3 agents × 3 actions" + _THETA),
    "lemma-c.1@own-block": (coverage(AGENTS, ACTIONS), "as lemma-c.1"),
    "lemma-c.1@cross-block": (coverage(AGENTS_FROM_2, ACTIONS), "as lemma-c.1, 2–3 agents"),
    "lemma-c.3": (MPG_COVERAGE, _space(_FULL, "[−1, 1]", _THETA + "; η a fraction in [0.01, 1] of the bound")),
    "thm-3.4": (UNIT_POTENTIAL_COVERAGE, _space(_TINY, extra=_THETA + "; 1000 PG steps (Assumption 3.3 tested)")),
    "lemma-3.5": (_SMALL_MPG, _space(_STATIONARY, "[−1, 1]", "; λ ∈ [0.05, 1]; θ near a stationary point of L_λ")),
    "lemma-3.5@d1": (_SMALL_MPG, _space(_STATIONARY, "[−1, 1]", "; as lemma-3.5")),
    "thm-3.6": (
        coverage(AGENTS_UPTO_2, STATES, KERNEL, AGENT_TERMS),
        _space("≤ 2 agents × 2 actions, ≤ 2 states, γ ≤ 0.3", extra="; ε ∈ [0.5, 3]; θ₀ = 0"),
    ),
    "thm-3.6@smoothness": (UNIT_POTENTIAL_COVERAGE, _space(_SMALL, extra=_THETA + "; λ ∈ [0.01, 2]")),
    "lemma-3.7@unnormalized-d": (MPG_COVERAGE, _space(_FULL, "[−1, 1]", _THETA + "; η ∈ [0.01, 2]")),
    "lemma-3.7@normalized-d": (MPG_COVERAGE, _space(_FULL, "[−1, 1]", _THETA + "; η ∈ [0.01, 2]")),
    "thm-3.8@inner-br": (UNIT_POTENTIAL_COVERAGE, _space(_TINY, extra=_THETA + "; ε ∈ [0.2, 1]")),
    "thm-3.8@inner-br-corrected": (UNIT_POTENTIAL_COVERAGE, _space(_TINY, extra=_THETA + "; ε ∈ [0.2, 1]")),
    "thm-3.8": (UNIT_POTENTIAL_COVERAGE, _space(_TINY, extra=_THETA + "; ε ∈ [0.3, 1]")),
    "thm-3.8@step-e2": (UNIT_POTENTIAL_COVERAGE, _space(_TINY, extra=_THETA + "; ε ∈ [0.3, 1]")),
}

#: the claims whose score the hunter can climb by gradient (:mod:`properties.relaxations`)
_RELAXATIONS: dict[str, Relaxation] = {
    "lemma-3.2": PotentialSmoothness("full"),
    "lemma-3.2@own-block": PotentialSmoothness("own"),
    "lemma-3.2@cross-block": PotentialSmoothness("cross"),
    "lemma-c.1": StageSmoothness("full"),
    "lemma-c.1@own-block": StageSmoothness("own"),
    "lemma-c.1@cross-block": StageSmoothness("cross"),
    "thm-3.6@smoothness": PotentialSmoothness("full", barrier=True),
}

CLAIMS = [
    dataclasses.replace(
        c, coverage=_COVERAGE[c.id][0], premise_space=_COVERAGE[c.id][1], relaxation=_RELAXATIONS.get(c.id)
    )
    for c in _claims()
]
