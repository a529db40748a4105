"""Section 4.3 (with Appendix F): the POA along maximum-gain ε-ratio-best-response dynamics (Thm 4.7)
and along NPG-BR (Cor 4.8), with their proof steps.

Premise space: (α, β)-smooth MPGs (decided exactly, :mod:`properties.smoothness`) meeting
Assumption 4.6, ``0 < Φ_π(s) ≤ V_π(s)`` for every product policy π and state s — decided exactly
too: with one state or a state-only kernel Q the law of s_t does not depend on π, so
``min_π E_π[Σ_t γᵗ c(s_t, a_t)] = (I − γQ)⁻¹ min_a c(·, a)`` for any stage reward c. The potential
and each agent's term ``rⁱ − φ`` take either sign as far as the assumption allows
(:func:`randomgames.strategies.positive_potential_mpgs`); only their sums are constrained.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from typing import Any

import torch
from hypothesis import strategies as st

import randomgames.strategies as rgs
from mpgverify import bounds
from mpgverify.game import MarkovGame
from mpgverify.memo import per_game
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.game_constants import potential_range
from mpgverify.solvers.nash import nash_gap
from mpgverify.solvers.welfare import social_optimum, unravel_joint
from mpgverify.verify.claims import Axis, ClaimBook, Example, Outcome, Premises, premise_checked, want_trace
from properties.common import theta_json, theta_of, upper_bound_outcome
from properties.coverage import (
    ACTIONS,
    AGENT_TERMS,
    AGENTS,
    EXACT_KERNEL,
    POTENTIAL_SIGN,
    coverage,
    witness_sign,
)
from properties.moves import Moves
from properties.premises import mpg_reason, number, positive
from properties.ratio_nash import ratio_eps_reason
from properties.section4_draws import alphas, choices
from properties.sequences import br_sequences, npg_br_sequences, sequence
from properties.sequences import trace as trace_of
from properties.smoothness import (
    discount_scaled,
    over_one_denominator,
    smoothness_constants,
    smoothness_not_established,
)
from randomgames.reuse import sampled

__all__ = ["BOOK", "CLAIMS", "assumption_4_6", "assumption_4_6_minima", "premises_thm_4_7"]

BOOK = ClaimBook(section="4")


#: σ: small (where (8) is likely violated), or any up to 5
_SIGMAS = st.one_of(st.floats(1e-3, 0.1), st.floats(0.01, 5.0))
#: ε: the closed end 0, small, or any up to 0.5
_EPSILONS = st.one_of(st.just(0.0), st.floats(0.0, 0.05), st.floats(0.05, 0.5))


@st.composite
def _dynamics_examples(draw: Any) -> Example:
    """A game of the class (its agent terms meeting Assumption 4.6 in sum, or per agent, both drawn),
    θ₀, ε, σ, α and the β choice."""
    size: dict[str, Any] = dict(max_agents=3, max_states=2, max_actions=3, max_gamma=0.5)
    kind = draw(sampled(("in sum", "in sum", "per agent", "identical interest")))
    if kind == "identical interest":
        game = draw(rgs.identical_interest_games(**size, reward_range=(0.05, 1.0), transitions=("action_independent",)))
    else:
        game = draw(rgs.positive_potential_mpgs(**size, per_agent=kind == "per agent"))
    if draw(st.integers(0, 3)) == 0:
        # constructive: start near the socially worst pure profile with a small σ, where policies violating
        # (8) — the premise of the bad-step claim — are likely (a state-only kernel: per state, the worst
        # joint action minimizes V)
        theta = _near_worst(game, draw(st.floats(4.0, 12.0)))
        sigma = draw(st.floats(1e-3, 0.1))
    else:
        theta = draw(rgs.logits(game, tails=True))
        sigma = draw(_SIGMAS)
    eps = draw(_EPSILONS)  # ε = 0: the closed end
    if draw(st.booleans()):  # steered: ε below θ₀'s Nash-gap, so that NPG-BR's sequence has a step (T ≥ 1)
        gap = float(nash_gap(game, softmax_policy(theta)).gap)
        if gap > 0:
            eps = min(0.5, max(1e-3, draw(st.floats(0.2, 0.9)) * gap))
    witness = {"theta": theta_json(theta), "eps": eps, "sigma": sigma}
    return Example(game, witness | {"alpha": alphas(draw), "beta_choice": choices(draw)})


def _near_worst(game: MarkovGame, gap: float) -> tuple[torch.Tensor, ...]:
    """Logits putting each state's policy near the joint action of least total reward Σ_i rⁱ(s, ·)."""
    worst = game.R.sum(0).argmin(-1)  # [S] flat joint actions
    acts = unravel_joint(game, worst[None])[0]  # [N, S]
    return tuple(gap * torch.nn.functional.one_hot(acts[i], n).to(torch.float64) for i, n in enumerate(game.n_actions))


def _exact_floor(D: tuple[int, list[list[int]]], least: tuple[int, list[int]]) -> list[Fraction]:
    """``min_π E_π[Σ_t γᵗ c(s_t, a_t) | s₀ = s] = (D m)(s)`` for every s, exactly, under a state-only kernel:
    ``D = (I − γQ)⁻¹`` given as ``(L, Dn)``, ``D = Dn/L`` (:func:`~properties.smoothness.discount_scaled`),
    and ``m(t) = min_a c(t, a)`` as ``(q, k)``, ``m = k/q`` (:func:`_row_minima`):
    ``(D m)(s) = Σ_t Dn[s][t] k[t] / (L q)``, an integer sum and one Fraction per state."""
    (L, Dn), (q, k) = D, least
    return [Fraction(sum(d * m for d, m in zip(row, k, strict=True)), L * q) for row in Dn]


def _row_minima(plus: list[list[list[float]]], minus: list[list[list[float]]]) -> tuple[int, list[int]]:
    """``min_a (Σ_k plus[k][t][a] − Σ_k minus[k][t][a])`` per row t, exactly, as ``(q, [k_t])`` with the
    minimum ``k_t/q``: every float is put over one power-of-two denominator q
    (:func:`~properties.smoothness.over_one_denominator`), so the sums and the minimum are integer
    operations (the same rationals as sums of the floats' Fractions)."""
    tables = (*plus, *minus)
    q, flat = over_one_denominator([x for table in tables for row in table for x in row])
    it = iter(flat)
    ints = [[[next(it) for _ in row] for row in table] for table in tables]  # the tables' shapes again
    signs = [1] * len(plus) + [-1] * len(minus)
    out = []
    for t in range(len(ints[0])):
        sums = [
            sum(sign * table[t][a] for sign, table in zip(signs, ints, strict=True)) for a in range(len(ints[0][t]))
        ]
        out.append(min(sums))
    return q, out


@per_game()
def assumption_4_6_minima(game: MarkovGame, *, per_agent: bool = False) -> tuple[list[Any], list[list[Any]]] | str:
    """``(min_π Φ_π(s) per s, [min_π (V_π − Φ_π)(s) per s])`` exactly, ``V_π = Σ_i Vⁱ_π`` as printed —
    or, ``per_agent``, one list ``min_π (Vⁱ_π − Φ_π)(s)`` per agent i; a string when undecidable here.

    ``V_π − Φ_π`` is the value of the stage reward ``Σ_i rⁱ − φ`` (not ``Σ_i (rⁱ − φ)``, which is
    ``V − NΦ``), and ``Vⁱ_π − Φ_π`` that of ``rⁱ − φ``; under a state-only kernel each minimum over
    product policies is ``(I − γQ)⁻¹ min_a c(·, a)`` (module docstring). Every stored float is read as
    the rational it denotes and each kernel row is divided by its exact sum (the exact path's
    convention, :func:`mpgverify.solvers.exact.rationalize_game`; :func:`~properties.smoothness.discount_scaled`
    with ``normalized_rows`` over one denominator, kept by γ and Q, so a move of μ or of the rewards reuses D)."""
    if game.potential is None:
        return "no stated potential"
    if smoothness_not_established(game) is not None:
        return "Assumption 4.6 is decided exactly for one state or a state-only kernel only"
    N = game.n_agents
    D = discount_scaled(game, normalized_rows=True)
    phi = game.phi.tolist()  # type: ignore[union-attr]
    R = game.R.tolist()
    phi_floor = _exact_floor(D, _row_minima([phi], []))
    if per_agent:
        return phi_floor, [_exact_floor(D, _row_minima([R[i]], [phi])) for i in range(N)]
    return phi_floor, [_exact_floor(D, _row_minima(R, [phi]))]


def assumption_4_6(game: MarkovGame, *, per_agent: bool = False) -> Premises:
    """Assumption 4.6, decided exactly: ``0 < Φ_π(s) ≤ V_π(s)`` for every product policy π and state s,
    ``V_π = Σ_i Vⁱ_π`` (:func:`assumption_4_6_minima`). ``per_agent``: the stronger
    ``0 < Φ_π(s) ≤ Vⁱ_π(s)`` for every agent i (a correction, below). Undecided for kernels that depend
    on actions. Facts: ``phi_floor`` and ``surplus_floor`` (the least minima, as floats)."""
    got = assumption_4_6_minima(game, per_agent=per_agent)
    if isinstance(got, str):
        return Premises.undecided(got)
    phi_floor, surplus = got
    if min(phi_floor) <= 0:
        return Premises.fail(f"min_π Φ_π(s) = {float(min(phi_floor)):.4g} ≤ 0")
    for k, floor in enumerate(surplus):
        if min(floor) < 0:
            who = f"V^{k}_π − Φ_π" if per_agent else "V_π − Φ_π"
            return Premises.fail(f"min_π ({who})(s) = {float(min(floor)):.4g} < 0")
    who = "Vⁱ_π − Φ_π, every agent i" if per_agent else "V_π − Φ_π"
    phi_least, surplus_least = float(min(phi_floor)), float(min(min(f) for f in surplus))
    premise_checked(
        lambda: (
            f"Assumption 4.6{' (per agent)' if per_agent else ''}, exactly: min_π Φ_π(s) = {phi_least:.4g} > 0 "
            f"and min_π ({who})(s) = {surplus_least:.4g} ≥ 0"
        )
    )
    return Premises.hold(phi_floor=phi_least, surplus_floor=surplus_least)


def premises_thm_4_7(
    game: MarkovGame,
    witness: dict[str, Any],
    *,
    kind: str = "br",
    part: str = "count",
    require_rho_above_one: bool = False,
    per_agent: bool = False,
) -> Premises:
    """Theorem 4.7 / Corollary 4.8 and their proof steps: an MPG (stated potential) that is (α, β)-smooth
    (exact) with Assumption 4.6 (exact; ``per_agent`` for the corrected ids), σ > 0, ε ∈ [0, 1) for the
    ratio dynamics and ε > 0 for NPG-BR (K ≥ 4/((1−γ)²ε)), 1 + β > 0 (the threshold of (8) defined), and
    for the count ρ > 0, ρ ≠ 1 (log_ρ defined; ``require_rho_above_one``: ρ > 1). θ₀ any.
    Facts: ``alpha``, ``beta``, ``rho``."""
    theta_of(game, witness)
    eps, sigma = number(witness, "eps"), number(witness, "sigma")
    constants = smoothness_constants(game, witness)
    if isinstance(constants, Premises):
        return constants
    alpha_q, beta_q = constants
    try:
        alpha, beta = float(alpha_q), float(beta_q)
    except OverflowError:  # a witness α of 1e308 is a number, but the bounds it enters are not
        return Premises.undecided("α or β lies beyond float64's range: the bounds they enter cannot be evaluated")
    rule = (ratio_eps_reason(eps) if kind == "br" else positive("ε", eps)) or positive("σ", sigma)
    rule = rule or (mpg_reason(game) if game.potential is not None else "no stated potential")
    rule = rule or (
        f"1 + β = {float(1 + beta_q):.4g} ≤ 0: the threshold of (8) is undefined" if 1 + beta_q <= 0 else None
    )
    if rule is not None:
        return Premises.fail(rule)
    need = bounds.thm_3_8_inner_steps(game.gamma, eps) if kind == "npg-br" else 0.0
    if not need <= 20000:  # an overflowing need (a subnormal ε) is said in words, not as "inf"
        shown = f"{need:.3g}" if math.isfinite(need) else f"beyond float64 at ε = {eps:.3g}"
        return Premises.undecided(f"K = 4/((1−γ)²ε) = {shown} exceeds 20000")
    a46 = assumption_4_6(game, per_agent=per_agent)
    if not a46:
        return Premises(a46.met, f"Assumption 4.6{' (per agent)' if per_agent else ''}: {a46.reason}")
    grow_good = bounds.thm_4_7_good_growth(eps) if kind == "br" else bounds.cor_4_8_good_growth(eps, game.gamma)
    rho = bounds.thm_4_7_rho(bounds.thm_4_7_bad_growth(sigma, beta, game.n_agents), grow_good)
    if part == "count":
        if rho <= 0 or rho == 1:
            return Premises.fail(f"ρ = {rho:.4g}: log_ρ undefined")
        if require_rho_above_one and rho <= 1:
            return Premises.fail(f"ρ = {rho:.4g} ≤ 1 (the corrected statement needs ρ > 1)")
    return Premises.hold(
        alpha=alpha,
        beta=beta,
        rho=rho,
        threshold=float(bounds.thm_4_7_threshold(alpha_q, beta_q, Fraction(sigma))),
        **a46.facts,
    )


#: dynamics examples: MPGs as above with Assumption 4.6; γ ≤ 0.5 keeps NPG-BR's K = 4/((1−γ)²ε) small.
DYNAMICS_MOVES = Moves(
    ranges={"eps": (0.0, 0.5), "sigma": (1e-3, 5.0), "alpha": (-1.0, 2.0), "beta_choice": (0.0, 0.99)},
    gamma_cap=0.5,
)
#: Assumption 4.6 bounds the sum V = Σ_i Vⁱ; whether it also holds agent by agent splits its class in two
FORM_4_6 = Axis(
    "Assumption 4.6 holds",
    ("per agent (Φ ≤ Vⁱ for every i)", "in sum only"),
    lambda ex: "per agent (Φ ≤ Vⁱ for every i)" if assumption_4_6(ex.game, per_agent=True) else "in sum only",
)
_COVER = coverage(AGENTS, EXACT_KERNEL, ACTIONS, AGENT_TERMS, POTENTIAL_SIGN, FORM_4_6, witness_sign("alpha"))
_COVER_PER_AGENT = coverage(AGENTS, EXACT_KERNEL, ACTIONS, AGENT_TERMS, POTENTIAL_SIGN, witness_sign("alpha"))
_SPACE = (
    "(α, β)-smooth MPGs with Assumption 4.6 (both decided exactly), one state or a state-only kernel, ≤ 3 agents "
    "× 3 actions, ≤ 2 states, γ ≤ 0.5; potential and agent terms of either sign with min_π Φ_π ∈ [0.05, 1] and "
    "min_π (V − Φ) ∈ [0, 1] per state (V = Σ_i Vⁱ); θ₀ with logits in [−3, 3], in its tails, or near the socially "
    "worst profile (a quarter of the draws, with σ ≤ 0.1); ε ∈ [0, 0.5] (0 apart), σ ∈ [0.001, 5], α ∈ [−1, 2], "
    "β in its valid interval"
)
_PER_AGENT = (
    "Derivation: a good step moves the max-gain agent i from a policy that is not eps-ratio-Nash for it, so "
    "Phi_{t+1} - Phi_t = V^i_{t+1} - V^i_t > eps V^i_{t+1}; the proof's Phi_{t+1} >= Phi_t/(1-eps) needs "
    "eps V^i_{t+1} >= eps Phi_{t+1}, i.e. Phi <= V^i for the moving agent, which Assumption 4.6 (a bound on the "
    "sum V = sum_i V^i) does not give. Requiring Phi_pi(s) <= V^i_pi(s) for every agent restores it"
)
_SPACE_PER_AGENT = _SPACE + "; Φ_π ≤ Vⁱ_π for every agent"
_INFORMATIVE = "the sequence has a step of the kind the claim is about (T ≥ 1; for the step claims, a bad or good step)"
_FLIP = {"log_rho sign flipped": {"allowed_sign": -1.0}}
_GROW = {"growth x 100": {"slack": 100.0}}


def _dynamics_outcome(
    game: MarkovGame,
    witness: dict[str, Any],
    gate: Premises,
    seq: Any,
    opt: float,
    phi_high: float,
    kind: str,
    part: str,
    slack: float,
    allowed_sign: float,
) -> Outcome:
    """The outcome of :func:`check_thm_4_7` from the sequence, V_π*(μ) and Φ_max."""
    eps, sigma = float(witness["eps"]), float(witness["sigma"])
    beta, rho, N = gate.facts["beta"], gate.facts["rho"], game.n_agents
    values, phis, T, moves = seq
    threshold = gate.facts["threshold"] * opt
    bad = [v < threshold for v in values]
    trace = trace_of(values, phis, bad, moves, threshold, kind) if want_trace() else None
    grow_bad = bounds.thm_4_7_bad_growth(sigma, beta, N)
    grow_good = bounds.thm_4_7_good_growth(eps) if kind == "br" else bounds.cor_4_8_good_growth(eps, game.gamma)
    if part == "count":
        phi_max = max(phi_high, phis[0])  # Φ_max ≥ Φ₀ exactly; floats may say otherwise
        allowed = allowed_sign * bounds.thm_4_7_bad_policies(phi_max, phis[0], T, grow_good, rho)
        out = upper_bound_outcome(sum(bad) * slack, allowed, note=f"T = {T}, ρ = {rho:.4g}, β = {beta:.4g}")
        # the logarithms carry ~1e-12 relative error each; log ρ near 0 magnifies it. No tightness ratio: the
        # count of bad policies is 0 on most sequences, so count ÷ allowed says nothing; the margin
        # (allowed − count, in policies) is the distance to a violation, and the hunter climbs it.
        tol = out.tol + 1e-12 * (1 + T) / abs(math.log(rho))
        return replace(out, tol=tol, tightness=None, informative=T >= 1, trace=trace)
    steps = [t for t in range(T) if bad[t] == (part == "bad-step")]
    if not steps:  # the premises hold, but the sequence has no step of this kind: nothing to test
        note = f"no {part.replace('-step', '')} steps"
        return Outcome(True, math.inf, 0.0, math.nan, 0.0, None, note, False, trace=trace)
    need = grow_bad if part == "bad-step" else grow_good
    worst = min(phis[t + 1] - slack * need * phis[t] for t in steps)
    note = f"{len(steps)} {part.replace('-', ' ')}(s); the least Φ_(t+1) − {need:.6g}·Φ_t over them"
    return Outcome(True, worst, 1e-9 * (1 + abs(phis[0])), worst, 0.0, None, note, trace=trace)


def batch_thm_4_7(
    games: list[MarkovGame],
    witnesses: list[dict[str, Any]],
    *,
    gates: list[Premises],
    kind: str = "br",
    part: str = "count",
    slack: float = 1.0,
    allowed_sign: float = 1.0,
    **_: Any,
) -> list[Outcome]:
    """:func:`check_thm_4_7` over same-shape games at once: the sequences of max-gain ε-ratio-best-response
    dynamics (:func:`properties.sequences.br_sequences`) or of NPG-BR (Corollary 4.8,
    :func:`properties.sequences.npg_br_sequences`), the social optima and Φ_max in stacked solves."""
    if want_trace():  # a certificate's table comes from the one-at-a-time sequence
        return [
            check_thm_4_7(g, w, gate=gt, kind=kind, part=part, slack=slack, allowed_sign=allowed_sign)
            for g, w, gt in zip(games, witnesses, gates, strict=True)
        ]
    batch = GameBatch.stack(games)
    opts = social_optimum(batch).value.tolist()  # type: ignore[arg-type]
    highs = potential_range(batch).high.tolist()  # type: ignore[arg-type,attr-defined]
    seqs = (br_sequences if kind == "br" else npg_br_sequences)(games, witnesses)
    return [
        _dynamics_outcome(g, w, gt, seq, opt, high, kind, part, slack, allowed_sign)
        for g, w, gt, seq, opt, high in zip(games, witnesses, gates, seqs, opts, highs, strict=True)
    ]


@BOOK.claim(
    "thm-4.7",
    ref="Theorem 4.7 (Appendix F.1)",
    statement="along max-gain eps-ratio-best-response dynamics pi_0..pi_T in an (alpha, beta)-smooth MPG with "
    "Assumption 4.6, all but at most log_rho(Phi_max/Phi_0) - T log_rho(1/(1-eps)) policies satisfy "
    "V_pi_t(mu) >= alpha/((1+beta)(1+sigma)) V_pi*(mu), rho = (1-eps)(1+sigma(1+beta)/N)",
    mutants=_FLIP,
    examples=_dynamics_examples,
    premises=premises_thm_4_7,
    informative=_INFORMATIVE,
    moves=DYNAMICS_MOVES,
    coverage=_COVER,
    premise_space=_SPACE,
    batch=batch_thm_4_7,
)
@BOOK.claim(
    "thm-4.7@corrected",
    ref="Theorem 4.7, corrected for rho",
    statement="Theorem 4.7 restricted to rho > 1. Correction: the proof's Phi_0 (1+sigma(1+beta)/N)^m "
    "(1/(1-eps))^(T-m) <= Phi_max gives m log rho <= log(Phi_max/Phi_0) - T log(1/(1-eps)), and dividing by log "
    "rho keeps the direction of the inequality only when rho > 1",
    mutants=_FLIP,
    options={"require_rho_above_one": True},
    premise_options={"require_rho_above_one": True},
    examples=_dynamics_examples,
    premises=premises_thm_4_7,
    informative=_INFORMATIVE,
    moves=DYNAMICS_MOVES,
    coverage=_COVER,
    premise_space=_SPACE,
    batch=batch_thm_4_7,
)
@BOOK.claim(
    "thm-4.7@per-agent",
    ref="Theorem 4.7, corrected for rho and the good step",
    statement="Theorem 4.7 with rho > 1 and Assumption 4.6 strengthened to 0 < Phi_pi(s) <= V^i_pi(s) for every "
    "agent i (it implies the printed one). " + _PER_AGENT,
    mutants=_FLIP,
    options={"require_rho_above_one": True, "per_agent": True},
    premise_options={"require_rho_above_one": True, "per_agent": True},
    examples=_dynamics_examples,
    premises=premises_thm_4_7,
    informative=_INFORMATIVE,
    moves=DYNAMICS_MOVES,
    coverage=_COVER_PER_AGENT,
    premise_space=_SPACE_PER_AGENT,
    batch=batch_thm_4_7,
)
@BOOK.claim(
    "thm-4.7@bad-step",
    ref="Appendix F.1, eq. (20)",
    statement="after a bad policy (violating (8)) Phi_{t+1} >= (1 + sigma(1+beta)/N) Phi_t",
    mutants=_GROW,
    options={"part": "bad-step"},
    premise_options={"part": "bad-step"},
    examples=_dynamics_examples,
    premises=premises_thm_4_7,
    informative=_INFORMATIVE,
    moves=DYNAMICS_MOVES,
    coverage=_COVER,
    premise_space=_SPACE,
    batch=batch_thm_4_7,
)
@BOOK.claim(
    "thm-4.7@good-step",
    ref="Appendix F.1",
    statement="after a good policy Phi_{t+1} >= Phi_t / (1 - eps)",
    mutants=_GROW,
    options={"part": "good-step"},
    premise_options={"part": "good-step"},
    examples=_dynamics_examples,
    premises=premises_thm_4_7,
    informative=_INFORMATIVE,
    moves=DYNAMICS_MOVES,
    coverage=_COVER,
    premise_space=_SPACE,
    batch=batch_thm_4_7,
)
@BOOK.claim(
    "thm-4.7@good-step-per-agent",
    ref="Appendix F.1, corrected",
    statement="after a good policy Phi_{t+1} >= Phi_t / (1 - eps), under 0 < Phi_pi(s) <= V^i_pi(s) for every agent. "
    + _PER_AGENT,
    mutants=_GROW,
    options={"part": "good-step", "per_agent": True},
    premise_options={"part": "good-step", "per_agent": True},
    examples=_dynamics_examples,
    premises=premises_thm_4_7,
    informative=_INFORMATIVE,
    moves=DYNAMICS_MOVES,
    coverage=_COVER_PER_AGENT,
    premise_space=_SPACE_PER_AGENT,
    batch=batch_thm_4_7,
)
@BOOK.claim(
    "cor-4.8",
    ref="Corollary 4.8 (Appendix F.2)",
    statement="the same count for NPG-BR (5,6) with K >= 4/((1-gamma)^2 eps): all but at most log_rho(Phi_max/Phi_0) - "
    "T log_rho(1 + eps/(2(1-gamma))) policies satisfy (8), rho = (1+sigma(1+beta)/N)/(1+eps/(2(1-gamma)))",
    mutants=_FLIP,
    options={"kind": "npg-br"},
    premise_options={"kind": "npg-br"},
    examples=_dynamics_examples,
    premises=premises_thm_4_7,
    informative=_INFORMATIVE,
    moves=DYNAMICS_MOVES,
    coverage=_COVER,
    premise_space=_SPACE,
    batch=batch_thm_4_7,
)
@BOOK.claim(
    "cor-4.8@corrected",
    ref="Corollary 4.8, corrected",
    statement="Corollary 4.8 restricted to rho > 1 (the same division by log rho as in Theorem 4.7)",
    mutants=_FLIP,
    options={"kind": "npg-br", "require_rho_above_one": True},
    premise_options={"kind": "npg-br", "require_rho_above_one": True},
    examples=_dynamics_examples,
    premises=premises_thm_4_7,
    informative=_INFORMATIVE,
    moves=DYNAMICS_MOVES,
    coverage=_COVER,
    premise_space=_SPACE,
    batch=batch_thm_4_7,
)
@BOOK.claim(
    "cor-4.8@good-step",
    ref="Appendix F.2",
    statement="for NPG-BR, after a good policy (Phi_{t+1} - Phi_t)/Phi_t > eps/(2(1-gamma))",
    mutants=_GROW,
    options={"kind": "npg-br", "part": "good-step"},
    premise_options={"kind": "npg-br", "part": "good-step"},
    examples=_dynamics_examples,
    premises=premises_thm_4_7,
    informative=_INFORMATIVE,
    moves=DYNAMICS_MOVES,
    coverage=_COVER,
    premise_space=_SPACE,
    batch=batch_thm_4_7,
)
def check_thm_4_7(
    game: MarkovGame,
    witness: dict[str, Any],
    *,
    gate: Premises,
    kind: str = "br",
    part: str = "count",
    slack: float = 1.0,
    allowed_sign: float = 1.0,
    **_: Any,
) -> Outcome:
    """thm-4.7 (``kind="br"``) / cor-4.8 (``kind="npg-br"``): ``part="count"`` — at most
    ``log_ρ(Φ_max/Φ₀) − T log_ρ(growth_good)`` policies of the sequence violate (8); the proof steps
    ``"bad-step"`` (20) and ``"good-step"``; the premises (:func:`premises_thm_4_7`) come from the gate."""
    seq = sequence(game, witness, kind)
    opt, phi_high = float(social_optimum(game).value), potential_range(game).high
    return _dynamics_outcome(game, witness, gate, seq, opt, phi_high, kind, part, slack, allowed_sign)


CLAIMS = BOOK.claims
