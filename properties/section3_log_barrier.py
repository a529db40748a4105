"""Section 3.2 with Appendix D: PG on the log-barrier regularized potential L_λ — approximate
stationary points are approximately Nash (Lemma 3.5), and log-barrier PG reaches an ε-Nash policy
within T iterations (Theorem 3.6), with the smoothness β_λ it steps by. Exact evaluation throughout."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch
from hypothesis import strategies as st

from mpgverify import bounds
from mpgverify.algorithms.gradients import (
    log_barrier,
    log_barrier_gradients,
    marginal_policy_gradients,
    member_log_barriers,
)
from mpgverify.algorithms.pg import pg
from mpgverify.game import MarkovGame
from mpgverify.policy import softmax_policy, uniform_policy
from mpgverify.solvers.batched import GameBatch, prime_game_constants, stack_members
from mpgverify.solvers.evaluation import at_mu, evaluate, potential_values
from mpgverify.solvers.game_constants import mismatch_coefficient, potential_range
from mpgverify.solvers.hessian import batched_hessians
from mpgverify.solvers.nash import nash_gap
from mpgverify.verify.claims import ClaimBook, Example, Outcome, Premises
from properties.common import (
    flat_theta,
    hessian,
    mpg_games,
    spectral_norm,
    stacked_flat_theta,
    stacked_theta,
    theta_from_flat,
    theta_of,
    unflat_theta,
    upper_bound_outcome,
    with_theta,
)
from properties.coverage import (
    AGENT_TERMS,
    AGENTS_UPTO_2,
    KERNEL,
    POTENTIAL_SIGN,
    STATES,
    THETA_TAILS,
    UNIT_POTENTIAL_TAILS,
    coverage,
    mpg_space,
)
from properties.moves import Moves
from properties.premises import decide, number, positive, primed_gate, section_3_reason, unit_potential_reason
from properties.relaxations import PotentialSmoothness
from properties.stationary import ASCENT_EVALUATIONS, STATIONARY

__all__ = ["BOOK", "CLAIMS", "premises_lemma_3_5", "premises_thm_3_6", "premises_thm_3_6_smoothness"]

BOOK = ClaimBook(section="3")

_STATIONARY = f"≤ 2 agents × 2 actions, ≤ 2 states, γ ≤ 0.9 (≤ {ASCENT_EVALUATIONS} ascent evaluations per example)"
#: claims whose strategies stop at 2 agents × 2 actions: the axes within those limits
_SMALL_MPG = coverage(AGENTS_UPTO_2, STATES, KERNEL, AGENT_TERMS, POTENTIAL_SIGN)


# -- Lemma 3.5: approximate stationary points of L_λ are 2λM-Nash -------------------------------------------
def _grad_L(
    game: MarkovGame | GameBatch, theta: tuple[torch.Tensor, ...], lam: float | torch.Tensor
) -> tuple[torch.Tensor, ...]:
    """``∇_θⁱ L_λ(θ) = ∇_θⁱ Φ_θ(μ) + λ ∇_θⁱ (log barrier)`` per agent: ``∇_θⁱ Φ = ∇_θⁱ Vⁱ`` (an MPG, Def 2.2)
    ``= d(s) πⁱ(a|s) Aⁱ(s, a)`` (Lemma 3.1), computed as the marginal ``d(s) Σ_{a⁻ⁱ} π(a|s)(Qⁱ(s, a) − Vⁱ(s))``
    (:func:`~mpgverify.algorithms.gradients.marginal_policy_gradients`, the PG iteration's path: one LU
    for every agent's values and d, about a third of a full evaluation's cost). A
    :class:`~mpgverify.solvers.batched.GameBatch` takes one θ per game and λ ``[B, 1, 1]``."""
    probs = softmax_policy(theta)
    return tuple(
        g + b for g, b in zip(marginal_policy_gradients(game, probs), log_barrier_gradients(probs, lam), strict=True)
    )


def _stationarity_norms(
    games: list[MarkovGame], thetas: list[tuple[torch.Tensor, ...]], lams: list[float]
) -> list[float]:
    """``‖∇L_λ(θ)‖₂`` of every member (same-shape games, each with its θ and λ), from one stacked
    :func:`_grad_L`. Each member's norm is the same number, bit for bit, whatever the stack it is in
    (one game is a stack of one): the gate decides a member alone and in a population alike."""
    lam = torch.tensor(lams, dtype=torch.float64).reshape(-1, 1, 1)
    g = _grad_L(GameBatch.stack(games), stack_members(thetas), lam)
    # per member: ‖∇L_λ(θ)‖₂ = √(Σ_agents Σ_s,a x²)
    return torch.sqrt(sum((x * x).sum(dim=(1, 2)) for x in g)).tolist()  # type: ignore[arg-type]


#: an example of Lemma 3.5 is informative when π_θ is not already (exactly) Nash
GAP_FLOOR = 1e-9


def premises_lemma_3_5(game: MarkovGame, witness: dict[str, Any]) -> Premises:
    """Lemma 3.5: Section 3's hypotheses (Assumption 2.1 makes M finite), λ > 0, and θ with
    ``‖∇L_λ(θ)‖₂ ≤ λ/(2|S| max_i |Aⁱ|)``, ``L_λ(θ) = Φ_θ(μ) + λ Σ_i (Σ_{s,a} log πⁱ(a|s)/(|S||Aⁱ|) +
    log|Aⁱ|)`` (gradient in closed form, tested against autograd). Facts: ``norm``, ``M``."""
    return batch_premises_lemma_3_5([game], [witness])[0]


def batch_premises_lemma_3_5(games: list[MarkovGame], witnesses: list[dict[str, Any]]) -> list[Premises]:
    """:func:`premises_lemma_3_5` over same-shape games: the rules member by member, then one stacked
    gradient for the members they admit (:func:`_stationarity_norms`), M solved stacked."""
    if len(games) > 1:
        prime_game_constants(games, mismatch=True)
    out: list[Premises] = []
    admitted: list[tuple[int, tuple[torch.Tensor, ...], float]] = []
    for k, (game, witness) in enumerate(zip(games, witnesses, strict=True)):
        theta, lam = theta_of(game, witness), number(witness, "lam")
        rule = section_3_reason(game) or positive("λ", lam)
        out.append(Premises.fail(rule) if rule is not None else Premises.undecided(""))
        if rule is None:
            admitted.append((k, theta, lam))
    if admitted:
        norms = _stationarity_norms(
            [games[k] for k, _, _ in admitted], [t for _, t, _ in admitted], [lam for *_, lam in admitted]
        )
        for (k, _, lam), norm in zip(admitted, norms, strict=True):
            game = games[k]
            need = bounds.lemma_3_5_gradient_threshold(lam, game.n_states, max(game.n_actions))
            if not norm <= need:
                out[k] = Premises.fail(f"‖∇L_λ‖₂ = {norm:.3g} > λ/(2|S| max|Aⁱ|) = {need:.3g}")
            else:
                out[k] = Premises.hold(norm=norm, M=mismatch_coefficient(game).M)
    return out


def _lemma_3_5_outcome(
    gap: float, lam: float, M: float, part: str, bound_scale: float, d: torch.Tensor, advantages: Any
) -> Outcome:
    """Lemma 3.5's outcome for one example from its Nash-gap (``part="nash"``) or from d ``[S]`` and
    the advantages ``Aⁱ [S, Aⁱ]`` (``part="d1"``)."""
    informative = gap > GAP_FLOOR
    if part == "nash":
        out = upper_bound_outcome(gap, bound_scale * 2 * lam * M, scale=1.0)
        return dataclasses.replace(out, informative=informative)
    S = d.shape[-1]
    worst = min(float((bound_scale * 2 * lam / (d[:, None] * S) - a).min()) for a in advantages)
    note = "min over i, s, a of 2λ/(d(s)|S|) − A^i(s, a)"
    return Outcome(True, worst, 1e-9, worst, 0.0, None, note, informative=informative)


def batch_lemma_3_5(
    games: list[MarkovGame],
    witnesses: list[dict[str, Any]],
    *,
    gates: list[Premises],
    part: str = "nash",
    bound_scale: float = 1.0,
) -> list[Outcome]:
    """:func:`check_lemma_3_5` over same-shape games at once: one stacked Nash-gap (and evaluation)."""
    batch = GameBatch.stack(games)
    probs = softmax_policy(stacked_theta(games, witnesses))
    gaps = nash_gap(batch, probs).gap.tolist()  # type: ignore[arg-type]
    ev = evaluate(batch, probs) if part == "d1" else None  # type: ignore[arg-type]
    return [
        _lemma_3_5_outcome(
            gap,
            float(w["lam"]),
            gate.facts["M"],
            part,
            bound_scale,
            ev.d[b] if ev is not None else torch.zeros(0),
            [a[b] for a in ev.advantages] if ev is not None else [],
        )
        for b, (gap, w, gate) in enumerate(zip(gaps, witnesses, gates, strict=True))
    ]


@BOOK.claim(
    "lemma-3.5",
    ref="Lemma 3.5 (Appendix D.1)",
    statement="if ||grad L_lambda(theta)||_2 <= lambda/(2|S| max_i |A^i|) then pi_theta is 2 lambda M-Nash",
    examples=STATIONARY,
    premises=premises_lemma_3_5,
    batch_premises=batch_premises_lemma_3_5,
    mutants={"bound / 10^4": {"bound_scale": 1e-4}},
    moves=Moves(ranges={"lam": (0.05, 1.0)}),
    coverage=_SMALL_MPG,
    premise_space=mpg_space(_STATIONARY, "[−1, 1]", "; λ ∈ [0.05, 1]; θ near a stationary point of L_λ"),
    informative=f"π_θ is not already Nash (Nash-gap > {GAP_FLOOR:g})",
    batch=batch_lemma_3_5,
)
@BOOK.claim(
    "lemma-3.5@d1",
    ref="Appendix D.1, step",
    statement="under the same premise, A^i_theta(s,a) <= 2 lambda/(d(s)|S|)",
    examples=STATIONARY,
    premises=premises_lemma_3_5,
    batch_premises=batch_premises_lemma_3_5,
    options={"part": "d1"},
    mutants={"bound / 10^4": {"bound_scale": 1e-4}},
    moves=Moves(ranges={"lam": (0.05, 1.0)}),
    coverage=_SMALL_MPG,
    premise_space=mpg_space(_STATIONARY, "[−1, 1]", "; as lemma-3.5"),
    informative=f"π_θ is not already Nash (Nash-gap > {GAP_FLOOR:g})",
    batch=batch_lemma_3_5,
)
def check_lemma_3_5(
    game: MarkovGame, witness: dict[str, Any], *, gate: Premises, part: str = "nash", bound_scale: float = 1.0
) -> Outcome:
    theta, lam = theta_of(game, witness), float(witness["lam"])
    probs = softmax_policy(theta)
    gap = float(nash_gap(game, probs).gap)
    if part == "nash":
        return _lemma_3_5_outcome(gap, lam, gate.facts["M"], part, bound_scale, torch.zeros(0), [])
    ev = evaluate(game, probs)
    return _lemma_3_5_outcome(gap, lam, gate.facts["M"], part, bound_scale, ev.d, ev.advantages)


# -- Theorem 3.6: log-barrier PG reaches ε-Nash within T -------------------------------------------------
#: Theorem 3.6's games: some agent has two actions
_THM_3_6_GAMES = mpg_games(max_agents=2, max_states=2, max_actions=2, max_gamma=0.3).filter(
    lambda g: max(g.n_actions) > 1
)


@st.composite
def _thm_3_6_examples(draw: Any) -> Example:
    """A game where some agent has two actions, and ε: in three draws of four a fraction in [0.5, 0.95] of
    the Nash-gap of θ₀ = 0 (the uniform policy, when positive), so that the start is not already ε-Nash
    and the run has something to do; else any ε in [0.5, 3]."""
    game = draw(_THM_3_6_GAMES)
    gap = float(nash_gap(game, uniform_policy(game)).gap)
    if gap > 0 and draw(st.integers(0, 3)) > 0:
        eps = max(draw(st.floats(0.5, 0.95)) * gap, 1e-3)
    else:
        eps = draw(st.floats(0.5, 3.0))
    return Example(game, {"eps": eps})


#: the largest T (iterations) a thm-3.6 example may ask for: beyond it the example is undecided (not run)
T_CAP = 200_000  # the run stops at the first ε-Nash iterate, so its cost is the iterations needed, not T


def premises_thm_3_6(game: MarkovGame, witness: dict[str, Any]) -> Premises:
    """Theorem 3.6: Section 3's hypotheses (so M is finite), ε > 0 (λ = ε/(2M) > 0), θ₀ = 0 and
    η = 1/β_λ as printed (fixed, not witness constants); T ≥ the printed bound, taken as its ceiling.
    A T above :data:`T_CAP` is undecided (not run). Facts: ``M``, ``T``, ``low``, ``high``."""
    eps = number(witness, "eps")
    rule = section_3_reason(game) or positive("ε", eps)
    if rule is not None:
        return Premises.fail(rule)
    M = mismatch_coefficient(game).M
    low, high = potential_range(game)
    T = bounds.thm_3_6_iterations(game.n_agents, M, game.n_states, max(game.n_actions), high - low, game.gamma, eps)
    if T > T_CAP:
        shown = f"{T:.3g}" if math.isfinite(T) else "a count beyond float64"
        return Premises.undecided(f"T = {shown} iterations exceeds the cap {T_CAP}: not run")
    return Premises.hold(M=M, T=T, low=low, high=high)


def _thm_3_6_setup(game: MarkovGame, eps: float, M: float, T: float) -> tuple[float, float, int]:
    """``(λ, η, steps)`` of Theorem 3.6 for one example: λ = ε/(2M), η = 1/β_λ, and the smallest
    integer T meeting the bound (t = 0 at least)."""
    lam = eps / (2 * M)
    return lam, 1.0 / bounds.thm_3_6_beta(game.n_agents, game.gamma, game.n_states, lam), max(1, math.ceil(T))


def _thm_3_6_outcome(
    eps: float, target: float, T: float, steps: int, needed: int, best: float, start_gap: float, span: float
) -> Outcome:
    # honest tightness: iterations actually needed ÷ the smallest T the theorem allows (an integer ≥ 1,
    # since min_{t<T} needs T ≥ 1) — not the gap, which the stopping rule puts at ε by construction
    out = upper_bound_outcome(needed, steps, note=f"T = {T:.4g}, min gap {best:.3g} vs eps {target:.3g}")
    out = dataclasses.replace(out, informative=start_gap > target and eps < span)
    return out if T >= 1 else dataclasses.replace(out, tightness=None)  # T < 1: nothing to be tight against


def batch_thm_3_6(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], *, gates: list[Premises], eps_scale: float = 1.0
) -> list[Outcome]:
    """:func:`check_thm_3_6` over same-shape games at once: log-barrier PG from θ₀ = 0 with every
    member's own λ and η, stepped together (``θ ← θ + η (∇Vⁱ + ∇ barrier)``, Lemma 3.1's gradients of
    the stacked evaluation), a member leaving at its first ε-Nash iterate or after its T steps."""
    B = len(games)
    eps = [float(w["eps"]) for w in witnesses]
    setup = [
        _thm_3_6_setup(g, e, gate.facts["M"], gate.facts["T"]) for g, e, gate in zip(games, eps, gates, strict=True)
    ]
    lam = torch.tensor([x[0] for x in setup], dtype=torch.float64)[:, None, None]
    eta = torch.tensor([x[1] for x in setup], dtype=torch.float64)[:, None, None]
    steps = [x[2] for x in setup]
    target = [eps_scale * e for e in eps]
    batch = GameBatch.stack(games)
    theta = tuple(torch.zeros(B, games[0].n_states, n, dtype=torch.float64) for n in games[0].n_actions)
    needed, best = [s + 1 for s in steps], [math.inf] * B
    live = list(range(B))
    start_gap: list[float] = []
    for t in range(max(steps)):
        probs = softmax_policy(theta)
        gaps = nash_gap(batch, probs).gap.tolist()
        if t == 0:
            start_gap = gaps
        keep = []
        for j, (b, g) in enumerate(zip(live, gaps, strict=True)):
            best[b] = min(best[b], g)
            if best[b] <= target[b]:
                needed[b] = t + 1
            elif t + 1 < steps[b]:
                keep.append(j)
        if not keep:
            break
        if len(keep) < len(live):
            live, batch = [live[j] for j in keep], batch.select(keep)
            theta, probs = tuple(x[keep] for x in theta), tuple(p[keep] for p in probs)
            lam, eta = lam[keep], eta[keep]
        grads = marginal_policy_gradients(batch, probs)
        barrier = log_barrier_gradients(probs, lam)  # type: ignore[arg-type]
        theta = tuple(x + eta * (g + b) for x, g, b in zip(theta, grads, barrier, strict=True))
    return [
        _thm_3_6_outcome(
            e,
            target[b],
            gate.facts["T"],
            steps[b],
            needed[b],
            best[b],
            start_gap[b],
            gate.facts["high"] - gate.facts["low"],
        )
        for b, (e, gate) in enumerate(zip(eps, gates, strict=True))
    ]


@BOOK.claim(
    "thm-3.6",
    ref="Theorem 3.6 (Appendix D.2)",
    statement="log-barrier PG with lambda = eps/(2M), eta = 1/beta_lambda, theta_0 = 0: min_{t<T} Nash-gap_t <= "
    "eps whenever T >= 328NM^2|S|^2 max|A|^2 (Phi_max-Phi_min)/((1-gamma)^3 eps^2) "
    "+ 32NM|S| max|A|^2 (Phi_max-Phi_min)/eps (tightness: iterations needed / T)",
    examples=_thm_3_6_examples,
    premises=premises_thm_3_6,
    batch_premises=primed_gate(premises_thm_3_6, mismatch=True, potential=True),
    mutants={"eps / 1000": {"eps_scale": 1e-3}},
    moves=Moves(ranges={"eps": (1e-3, 3.0)}, gamma_cap=None),
    coverage=coverage(AGENTS_UPTO_2, STATES, KERNEL, AGENT_TERMS),
    premise_space=mpg_space(
        "≤ 2 agents × 2 actions (some agent with two), ≤ 2 states, γ ≤ 0.3",
        extra="; ε ∈ [0.5, 3] or a fraction in [0.5, 0.95] of the uniform policy's Nash-gap; θ₀ = 0",
    ),
    informative="θ₀ = 0 is not already ε-Nash and ε < Φ_max − Φ_min",
    batch=batch_thm_3_6,
)
def check_thm_3_6(
    game: MarkovGame,
    witness: dict[str, Any],
    *,
    gate: Premises,
    eps_scale: float = 1.0,
) -> Outcome:
    eps = float(witness["eps"])
    M, T, low, high = (gate.facts[k] for k in ("M", "T", "low", "high"))
    lam, eta, steps = _thm_3_6_setup(game, eps, M, T)
    alg = pg(lr=eta, lam=lam, init="zeros")  # the dynamics of the theorem, as the library runs them
    state = alg.init(game, seed=0, batch=1)
    target = eps_scale * eps
    needed, best = steps + 1, math.inf  # steps + 1: not reached within T
    start_gap = float(nash_gap(game, alg.policy(state)).gap[0])
    for t in range(steps):
        best = min(best, float(nash_gap(game, alg.policy(state)).gap[0]))
        if best <= target:
            needed = t + 1  # min over t < needed of the Nash-gap is ≤ ε
            break
        state = alg.step(game, state)
    return _thm_3_6_outcome(eps, target, T, steps, needed, best, start_gap, high - low)


def premises_thm_3_6_smoothness(game: MarkovGame, witness: dict[str, Any]) -> Premises:
    """β_λ of Theorem 3.6: Section 3's hypotheses, a potential φ ∈ [0, 1] (β_λ builds on Lemma 3.2),
    λ > 0; θ any."""
    theta_of(game, witness)
    lam = number(witness, "lam")
    return decide(
        [
            section_3_reason(game),
            unit_potential_reason(game, "β_λ builds on Lemma 3.2, which assumes"),
            positive("λ", lam),
        ]
    )


def batch_thm_3_6_smoothness(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], *, gates: list[Premises], bound_scale: float = 1.0
) -> list[Outcome]:
    """:func:`check_thm_3_6_smoothness` over same-shape games at once: every member's ∇²L_λ from one
    batched graph (:func:`~mpgverify.solvers.hessian.batched_hessians`), norms in stacked SVDs."""
    batch = GameBatch.stack(games)
    x, shapes = stacked_flat_theta(games, witnesses)
    lam = torch.tensor([float(w["lam"]) for w in witnesses], dtype=torch.float64)

    def L(X: torch.Tensor) -> torch.Tensor:
        probs = softmax_policy(unflat_theta(shapes, X))
        return (batch.at_mu(potential_values(batch, probs)) + lam * member_log_barriers(probs))[:, None]

    H = batched_hessians(L, x)[:, 0]
    norms = torch.linalg.matrix_norm(H, ord=2).tolist()
    scale = H.abs().flatten(1).amax(-1).tolist()
    return [
        upper_bound_outcome(
            n, bound_scale * bounds.thm_3_6_beta(g.n_agents, g.gamma, g.n_states, float(w["lam"])), scale=c
        )
        for g, w, n, c in zip(games, witnesses, norms, scale, strict=True)
    ]


@BOOK.claim(
    "thm-3.6@smoothness",
    ref="Theorem 3.6, beta_lambda",
    statement="beta_lambda = 41N/(4(1-gamma)^3) + 2 lambda N/|S| bounds the smoothness of L_lambda",
    examples=lambda: with_theta(
        mpg_games(max_agents=3, max_states=2, max_actions=3, max_gamma=0.9),
        extra=lambda draw, game: {"lam": draw(st.floats(0.01, 2.0))},
        tails=True,
    ),
    premises=premises_thm_3_6_smoothness,
    mutants={"bound / 1000": {"bound_scale": 1e-3}},
    moves=Moves(ranges={"lam": (0.01, 2.0)}),
    coverage=UNIT_POTENTIAL_TAILS,
    premise_space=mpg_space(
        "≤ 3 agents × 3 actions, ≤ 2 states, γ ≤ 0.9 (Hessians by autograd)", extra=THETA_TAILS + "; λ ∈ [0.01, 2]"
    ),
    relaxation=PotentialSmoothness("full", barrier=True),
    batch=batch_thm_3_6_smoothness,
)
def check_thm_3_6_smoothness(
    game: MarkovGame, witness: dict[str, Any], *, gate: Premises | None = None, bound_scale: float = 1.0
) -> Outcome:
    lam = float(witness["lam"])
    x0 = flat_theta(theta_of(game, witness))

    def L(x: torch.Tensor) -> torch.Tensor:
        probs = softmax_policy(theta_from_flat(game, x))
        return at_mu(game, potential_values(game, probs)) + lam * log_barrier(probs)

    H = hessian(L, x0)
    beta = bound_scale * bounds.thm_3_6_beta(game.n_agents, game.gamma, game.n_states, lam)
    return upper_bound_outcome(spectral_norm(H), beta, scale=float(H.abs().max()))


CLAIMS = BOOK.claims
