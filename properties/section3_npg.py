"""Section 3.3 with Appendix E: natural policy gradient is soft policy iteration (Lemma 3.7), and
the approximate best-response NPG dynamics (5, 6) reach an ε-Nash policy within 2(Φ_max − Φ_min)/ε + 1
outer steps (Theorem 3.8). Exact evaluation; the printed reading and the corrected ones side by side."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import sympy
import torch
from hypothesis import strategies as st

from mpgverify import bounds
from mpgverify.algorithms.gradients import natural_directions, policy_gradients
from mpgverify.algorithms.npg_br import inner_loops, npg_br, outer_step
from mpgverify.game import MarkovGame
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.evaluation import at_mu, evaluate, state_values, values_and_potential
from mpgverify.solvers.exact import exact_evaluate, rationalize_game, rationalize_policy
from mpgverify.solvers.game_constants import potential_range
from mpgverify.solvers.nash import best_response, nash_gap
from mpgverify.verify.claims import ClaimBook, ExactMargin, Outcome, Premises
from properties.common import (
    identity_outcome,
    mpg_games,
    stacked_theta,
    theta_of,
    upper_bound_outcome,
    with_theta,
)
from properties.coverage import MPG_COVERAGE_TAILS, THETA_TAILS, UNIT_POTENTIAL_TAILS, mpg_space
from properties.moves import Moves
from properties.premises import at_least, decide, integer, number, positive, section_3_reason, unit_potential_reason

__all__ = ["BOOK", "CLAIMS", "premises_lemma_3_7", "premises_thm_3_8"]

#: Lemma 3.7's float check is informative while 1/min π stays below this (the Fisher matrix's conditioning)
CONDITION_LIMIT = 1e6

BOOK = ClaimBook(section="3")

_FULL = "≤ 3 agents × 3 actions, ≤ 3 states, γ ≤ 0.99"
_TINY = "≤ 3 agents × 3 actions, ≤ 2 states, γ ≤ 0.5 (iteration counts grow like (1−γ)⁻³)"


def _with_eta() -> Any:
    return with_theta(
        mpg_games(reward_range=(-1.0, 1.0)), extra=lambda draw, game: {"eta": draw(st.floats(0.01, 2.0))}, tails=True
    )


def _with_eps(lo: float, hi: float) -> Any:
    """Tiny games (γ ≤ 0.5), θ (with the tails: near-deterministic starts) and ε: any in [lo, hi], or a
    fraction in [0.2, 0.9] of θ₀'s Nash-gap (at least 0.05), so that the start is not already ε-Nash."""

    starts = with_theta(mpg_games(max_agents=3, max_states=2, max_actions=3, max_gamma=0.5), tails=True)

    @st.composite
    def build(draw: Any) -> Any:
        ex = draw(starts)
        if draw(st.booleans()):
            gap = float(nash_gap(ex.game, softmax_policy(theta_of(ex.game, ex.witness))).gap)
            eps = max(draw(st.floats(0.2, 0.9)) * gap, 0.05)
        else:
            eps = draw(st.floats(lo, hi))
        return type(ex)(ex.game, ex.witness | {"eps": eps})

    return build


#: NPG-BR examples: ε moves over (0.05, 1], γ too
_EPS_MOVES = Moves(ranges={"eps": (0.05, 1.0)}, gamma_cap=None)


def _eps_space(lo: float) -> str:
    """The premise space of the NPG-BR claims, drawn by :func:`_with_eps` with ε ∈ [lo, 1] or steered."""
    return mpg_space(
        _TINY, extra=THETA_TAILS + f"; ε ∈ [{lo:g}, 1] or a fraction in [0.2, 0.9] of θ₀'s Nash-gap (≥ 0.05)"
    )


def premises_lemma_3_7(game: MarkovGame, witness: dict[str, Any]) -> Premises:
    """Lemma 3.7: Section 3's hypotheses, a step size η > 0; θ any."""
    theta_of(game, witness)
    return decide([section_3_reason(game), positive("η", number(witness, "eta"))])


def premises_thm_3_8(game: MarkovGame, witness: dict[str, Any], *, corrected: bool = False) -> Premises:
    """Theorem 3.8 (and its inner-loop claim): Section 3's hypotheses, rewards (the potential) in [0, 1]
    as the cited NPG bound assumes, ε > 0, and K inner steps with ``K ≥ 4/((1−γ)²ε)`` — the witness's
    ``K`` (an integer) or, when absent, the smallest such K; ``corrected``: K from the start's KL
    (:func:`mpgverify.bounds.thm_3_8_inner_steps_from`), undecided above 20000 inner steps. Facts: ``K``."""
    start = theta_of(game, witness)
    eps = number(witness, "eps")
    rule = decide(
        [section_3_reason(game), unit_potential_reason(game, "the inner-loop bound assumes"), positive("ε", eps)]
    )
    if not rule:
        return rule
    if corrected:
        surprise = max(float(-torch.log_softmax(t, dim=-1).min()) for t in start)
        need = bounds.thm_3_8_inner_steps_from(game.gamma, eps, surprise)
    else:
        need = bounds.thm_3_8_inner_steps(game.gamma, eps)
    K = integer(witness, "K", default=-1, cap=10**7)
    if K == -1:
        if not need <= 20000:  # also an infinite need (a subnormal ε): never converted to an integer
            shown = f"{need:.6g}" if math.isfinite(need) else f"a count beyond float64 (ε = {eps:.3g})"
            return Premises.undecided(f"K ≥ {shown} inner steps would be needed, above the cap 20000: not run")
        K = math.ceil(need)
    if K > 20000:
        return Premises.undecided(f"K = {K} inner steps exceeds the cap 20000: not run")
    bound = "2(L(1−γ) + 1)/((1−γ)²ε)" if corrected else "4/((1−γ)²ε)"
    return decide([at_least("K", K, need, f"{bound} = {need:.6g}")], K=K)


# -- Lemma 3.7: NPG is soft policy iteration -----------------------------------------------------------------
def exact_lemma_3_7(
    game: MarkovGame,
    witness: dict[str, Any],
    *,
    gate: Premises | None = None,
    fisher_d: str = "unnormalized",
    factor: float = 1.0,
) -> ExactMargin:
    """Rational re-check at the rational policy π = softmax(θ) (as computed in floats): per agent
    and state, ``x = F_s† g_s`` (sympy pseudo-inverse) against ``factor·Aⁱ(s, ·)``; the lemma holds
    iff their difference is constant over actions. Margin: −η·(largest spread of the difference), the
    quantity :func:`check_lemma_3_7` computes in floats."""
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
    worst *= sympy.Rational(*float(witness["eta"]).as_integer_ratio())
    return ExactMargin(str(-worst), float(-worst), observed=str(worst), bound="0")


def _lemma_3_7_outcome(
    probs: tuple[torch.Tensor, ...], ev: Any, gamma: Any, eta: float, fisher_d: str, factor: float
) -> list[Outcome]:
    """:func:`check_lemma_3_7`'s outcome for every member of a batch ``[B, …]`` of policies and their
    evaluation (one game's or one per game, ``gamma`` a number or ``[B, 1]``; ``eta`` ``[B, 1, 1]``)."""
    nat = natural_directions(probs, policy_gradients(probs, ev), ev.d, gamma, fisher_d)  # type: ignore[arg-type]
    spreads = [eta * (n - factor * a) for n, a in zip(nat, ev.advantages, strict=True)]
    residual = torch.stack([(x.amax(-1) - x.amin(-1)).amax(-1) for x in spreads]).amax(0).tolist()
    # F_s = d(s)(diag π − ππᵀ) has condition ~1/min π: near-deterministic rows (the logits' tails) lose
    # that much accuracy in F†g, so the float tolerance grows with it and such examples are not informative.
    # The residual is in logits, η·(F†g − A): its rounding is that loss relative to η·max |Aⁱ| (rewards of
    # 5e12 and logit gaps of 700 gave a float residual of 2.5e291 where the exact one is 0: hunt, seed 0).
    # Beyond float64's range (a scale past 1e300) the tolerance is infinite: such an example decides nothing
    low = torch.stack([p.flatten(1).amin(-1) for p in probs]).amin(0).tolist()
    largest = torch.stack([a.abs().flatten(1).amax(-1) for a in ev.advantages]).amax(0)  # max |Aⁱ| [B]
    size = (torch.as_tensor(eta, dtype=torch.float64).flatten() * largest).tolist()
    outs = []
    for r, m, z in zip(residual, low, size, strict=True):
        cond = 1.0 / m if m > 0 else math.inf
        scale = cond * max(1.0, z)
        scale = scale if scale <= 1e300 else math.inf  # float64 resolves nothing here: an infinite tolerance
        outs.append(dataclasses.replace(identity_outcome(r, scale=scale), informative=cond <= CONDITION_LIMIT))
    return outs


def batch_lemma_3_7(
    games: list[MarkovGame],
    witnesses: list[dict[str, Any]],
    *,
    gates: list[Premises],
    fisher_d: str = "unnormalized",
    factor: float = 1.0,
) -> list[Outcome]:
    """:func:`check_lemma_3_7` over same-shape games at once: one stacked evaluation, Fisher blocks and
    pseudo-inverses for every member."""
    batch = GameBatch.stack(games)
    probs = softmax_policy(stacked_theta(games, witnesses))
    eta = torch.tensor([float(w["eta"]) for w in witnesses], dtype=torch.float64)[:, None, None]
    return _lemma_3_7_outcome(probs, evaluate(batch, probs), batch.gamma[:, None], eta, fisher_d, factor)  # type: ignore[arg-type]


@BOOK.claim(
    "lemma-3.7@unnormalized-d",
    ref="Lemma 3.7 (Appendix E.1), d as defined",
    statement="NPG (4) with the Fisher matrix weighted by the unnormalized d is theta^i <- theta^i + eta A^i "
    "(pi^i_{t+1} proportional to pi^i_t exp(eta A^i))",
    examples=_with_eta,
    premises=premises_lemma_3_7,
    exact=exact_lemma_3_7,
    mutants={"step 2 eta": {"factor": 2.0}},
    moves=Moves(ranges={"eta": (0.01, 2.0)}),
    coverage=MPG_COVERAGE_TAILS,
    premise_space=mpg_space(_FULL, "[−1, 1]", THETA_TAILS + "; η ∈ [0.01, 2]"),
    batch=batch_lemma_3_7,
)
@BOOK.claim(
    "lemma-3.7@normalized-d",
    ref="Lemma 3.7 (Appendix E.1), d normalized",
    statement="the same with the Fisher matrix weighted by the normalized visitation distribution (1-gamma) d",
    examples=_with_eta,
    premises=premises_lemma_3_7,
    options={"fisher_d": "normalized"},
    exact=exact_lemma_3_7,
    mutants={"step 2 eta": {"factor": 2.0}},
    moves=Moves(ranges={"eta": (0.01, 2.0)}),
    coverage=MPG_COVERAGE_TAILS,
    premise_space=mpg_space(_FULL, "[−1, 1]", THETA_TAILS + "; η ∈ [0.01, 2]"),
    batch=batch_lemma_3_7,
)
def check_lemma_3_7(
    game: MarkovGame,
    witness: dict[str, Any],
    *,
    gate: Premises | None = None,
    fisher_d: str = "unnormalized",
    factor: float = 1.0,
) -> Outcome:
    """lemma-3.7: the NPG step θ + η(Fⁱ)†∇Vⁱ and the soft policy-iteration step θ + η·factor·Aⁱ give the
    same policy, i.e. their logits differ by a constant per state. Residual: the largest spread over
    actions of η((Fⁱ_s)†∇_s Vⁱ − factor·Aⁱ(s, ·)), in logits (the exact re-check's quantity)."""
    theta, eta = theta_of(game, witness), float(witness["eta"])
    probs = softmax_policy(tuple(t[None] for t in theta))
    return _lemma_3_7_outcome(probs, evaluate(game, probs), game.gamma, eta, fisher_d, factor)[0]


# -- Theorem 3.8: NPG-BR ---------------------------------------------------------------------------------


def batch_thm_3_8_inner(
    games: list[MarkovGame],
    witnesses: list[dict[str, Any]],
    *,
    gates: list[Premises],
    eps_scale: float = 1.0,
    corrected: bool = False,
) -> list[Outcome]:
    """:func:`check_thm_3_8_inner` over same-shape games at once: every member's inner loops with its
    own K (masked), its start's Nash-gap and each agent's best response, in stacked solves."""
    batch = GameBatch.stack(games)
    start = stacked_theta(games, witnesses)
    K = [int(g.facts["K"]) for g in gates]
    start_gap = nash_gap(batch, softmax_policy(start)).gap.tolist()
    cand = inner_loops(batch, start, torch.tensor(K), 1.0)
    short = []
    for i in range(batch.n_agents):
        after = softmax_policy(tuple(c[i] for c in cand))
        own = batch.at_mu(values_and_potential(batch, after)[0][:, i])  # evaluate's V_mu[:, i], without Q, A, d
        short.append((best_response(batch, after, i).V_mu - own).tolist())
    return [
        _inner_outcome(g, float(w["eps"]), K[b], start_gap[b], [row[b] for row in short], eps_scale)
        for b, (g, w) in enumerate(zip(games, witnesses, strict=True))
    ]


def _reward_scale(game: MarkovGame) -> float:
    """``max(1, max |rⁱ(s, a)|)``: the round-off of the values, and of the advantages that drive every
    inner step, grows with the rewards' magnitude. A potential in [0, 1] (the premise) allows rewards
    of any size through a dummy term: at rewards of 1.8e14 one ulp of a value is 2⁻⁵, and a hunt
    "refuted" the corrected inner-loop claim by a shortfall of exactly that (0.03125 against ε/2 =
    0.025) under an absolute tolerance of 2e-9."""
    return max(1.0, float(game.rewards.abs().max()))


def _inner_outcome(
    game: MarkovGame, eps: float, K: int, start_gap: float, shortfalls: list[float], eps_scale: float
) -> Outcome:
    """The inner-loop claim's outcome from each agent's shortfall ``V*ⁱ(μ) − Vⁱ(θⁱ_{t,K}, θ⁻ⁱ_t)(μ)``."""
    worst = min(eps_scale * eps / 2 - short for short in shortfalls)
    tol = 1e-9 * (1 + 1 / (1 - game.gamma)) * _reward_scale(game)
    return Outcome(True, worst, tol, eps / 2 - worst, eps / 2, None, f"K = {K}", informative=start_gap > eps / 2)


@BOOK.claim(
    "thm-3.8@inner-br",
    ref="Theorem 3.8 / Section 3.3",
    statement="with K >= 4/((1-gamma)^2 eps) inner NPG steps (5) (eta = 1 as printed), every agent's inner loop "
    "reaches an eps/2-best response to the others' fixed policies",
    examples=_with_eps(0.2, 1.0),
    premises=premises_thm_3_8,
    mutants={"eps / 1000": {"eps_scale": 1e-3}},
    moves=_EPS_MOVES,
    coverage=UNIT_POTENTIAL_TAILS,
    premise_space=_eps_space(0.2),
    informative="some agent starts more than ε/2 from a best response",
    batch=batch_thm_3_8_inner,
)
@BOOK.claim(
    "thm-3.8@inner-br-corrected",
    ref="Theorem 3.8 / Section 3.3, corrected",
    statement="with K >= 2(L(1-gamma) + 1)/((1-gamma)^2 eps), L = max_{s,a} log(1/pi_0^i(a|s)) for the inner "
    "loop's start (eta = 1), every agent's inner loop reaches an eps/2-best response. Derivation: the NPG bound "
    "the paper cites (Agarwal et al.) is KL(pi*||pi_0)/(eta' K) + 1/((1-gamma)^2 K) with eta' = 1 - gamma "
    "for the update theta <- theta + A; KL(pi*||pi_0) <= L, and L = log|A^i| only from the uniform start",
    examples=_with_eps(0.2, 1.0),
    premises=premises_thm_3_8,
    premise_options={"corrected": True},
    options={"corrected": True},
    mutants={"eps / 1000": {"eps_scale": 1e-3}},
    moves=_EPS_MOVES,
    coverage=UNIT_POTENTIAL_TAILS,
    premise_space=_eps_space(0.2),
    informative="some agent starts more than ε/2 from a best response",
    batch=batch_thm_3_8_inner,
)
def check_thm_3_8_inner(
    game: MarkovGame, witness: dict[str, Any], *, gate: Premises, eps_scale: float = 1.0, corrected: bool = False
) -> Outcome:
    """Each inner loop (5) with K ≥ 4/((1−γ)²ε) steps (η = 1, as printed) reaches an ε/2-best response;
    ``corrected``: with K from :func:`mpgverify.bounds.thm_3_8_inner_steps_from` (the start's KL)."""
    eps = float(witness["eps"])
    start = theta_of(game, witness)
    theta = tuple(t[None] for t in start)
    K = int(gate.facts["K"])
    start_gap = float(nash_gap(game, softmax_policy(start)).gap)
    cand = inner_loops(game, theta, K, 1.0)
    shortfalls = []
    for i in range(game.n_agents):
        after = softmax_policy(tuple(c[i] for c in cand))
        got = float(at_mu(game, state_values(game, after))[0, i])
        best = float(best_response(game, after, i).V_mu[0])
        shortfalls.append(best - got)
    return _inner_outcome(game, eps, K, start_gap, shortfalls, eps_scale)


def _npg_br_run(
    game: MarkovGame, witness: dict[str, Any], K: int, until: float | None = None
) -> tuple[list[float], list[float], float, float]:
    """(Nash-gaps, Φ(μ) values, ε, the outer-step bound) along NPG-BR with K ≥ 4/((1−γ)²ε), η = 1,
    run for the bound's ⌊2(Φ_max − Φ_min)/ε⌋ + 1 outer steps, or, with ``until``, only until the first
    iterate whose gap is ≤ ``until`` (its gap is the last recorded): Theorem 3.8 asks when the first
    ε-Nash policy comes, and nothing after it changes that answer."""
    eps = float(witness["eps"])
    low, high = potential_range(game)
    bound = bounds.thm_3_8_outer_steps(high - low, eps)
    steps = math.floor(bound) + 1
    alg = npg_br(lr=1.0, K=K)
    state = alg.init(game, seed=0, batch=1)._replace(theta=tuple(t[None] for t in theta_of(game, witness)))
    gaps, phis = [], []
    for t in range(steps + 1):
        probs = alg.policy(state)
        gaps.append(float(nash_gap(game, probs).gap))
        phis.append(float(evaluate(game, probs).Phi_mu[0]))  # type: ignore[index]
        if until is not None and gaps[-1] <= until:
            break
        if t < steps:
            state = alg.step(game, state)
    return gaps, phis, eps, bound + 1


def _npg_br_runs(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], Ks: list[int], until: list[float] | None = None
) -> list[tuple[list[float], list[float], float, float]]:
    """:func:`_npg_br_run` for same-shape games at once: one stacked outer step for all, each member
    with its own K (masked), its own number of outer steps and its own ``until`` (a member that has
    taken its steps, or reached a gap ≤ its ``until``, leaves the batch)."""
    batch = GameBatch.stack(games)
    eps = [float(w["eps"]) for w in witnesses]
    rng = potential_range(batch)
    allowed = [
        bounds.thm_3_8_outer_steps(high - low, e)
        for low, high, e in zip(rng.low.tolist(), rng.high.tolist(), eps, strict=True)  # type: ignore[attr-defined]
    ]
    steps = [math.floor(b) + 1 for b in allowed]
    gaps: list[list[float]] = [[] for _ in games]
    phis: list[list[float]] = [[] for _ in games]
    alive, theta, K = list(range(len(games))), stacked_theta(games, witnesses), torch.tensor(Ks)
    for t in range(max(steps) + 1):
        probs = softmax_policy(theta)
        V, Phi = values_and_potential(batch, probs)  # type: ignore[arg-type]  # evaluate's V and Φ, no Q, A or d
        for b, g, phi in zip(
            alive, nash_gap(batch, probs, batch.at_mu(V)).gap.tolist(), batch.at_mu(Phi).tolist(), strict=True
        ):
            gaps[b].append(g)
            phis[b].append(phi)
        keep = [j for j, b in enumerate(alive) if t < steps[b] and (until is None or gaps[b][-1] > until[b])]
        if not keep:
            break
        if len(keep) < len(alive):
            batch, alive = batch.select(keep), [alive[j] for j in keep]
            theta, K = tuple(x[keep] for x in theta), K[keep]
        theta = outer_step(batch, theta, K, 1.0)[0]
    return [(gaps[b], phis[b], eps[b], allowed[b] + 1) for b in range(len(games))]


def batch_thm_3_8(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], *, gates: list[Premises], eps_scale: float = 1.0
) -> list[Outcome]:
    """:func:`check_thm_3_8` over same-shape games at once (:func:`_npg_br_runs`)."""
    targets = [eps_scale * float(w["eps"]) for w in witnesses]
    runs = _npg_br_runs(games, witnesses, [int(g.facts["K"]) for g in gates], until=targets)
    return [_thm_3_8_outcome(gaps, eps, allowed, eps_scale) for gaps, _, eps, allowed in runs]


def _thm_3_8_outcome(gaps: list[float], eps: float, allowed: float, eps_scale: float) -> Outcome:
    target = eps_scale * eps
    needed = next((t for t, g in enumerate(gaps) if g <= target), len(gaps))
    seen = f"gap {gaps[needed]:.3g} at t = {needed}" if needed < len(gaps) else f"min gap {min(gaps):.3g}"
    out = upper_bound_outcome(needed, allowed, note=f"{seen} vs eps {target:.3g}")
    return dataclasses.replace(out, informative=gaps[0] > eps)


def batch_thm_3_8_step_e2(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], *, gates: list[Premises], increase_scale: float = 1.0
) -> list[Outcome]:
    """:func:`check_thm_3_8_step_e2` over same-shape games at once (:func:`_npg_br_runs`)."""
    runs = _npg_br_runs(games, witnesses, [int(g.facts["K"]) for g in gates])
    return [
        _step_e2_outcome(gaps, phis, eps, increase_scale, _reward_scale(g))
        for g, (gaps, phis, eps, _) in zip(games, runs, strict=True)
    ]


def _step_e2_outcome(
    gaps: list[float], phis: list[float], eps: float, increase_scale: float, reward_scale: float
) -> Outcome:
    rises = [phis[t + 1] - phis[t] for t in range(len(gaps) - 1) if gaps[t] > eps]
    if not rises:
        return Outcome(
            True, math.inf, 0.0, math.nan, eps / 2, None, "every iterate was already ε-Nash", informative=False
        )
    worst = min(rises) - increase_scale * eps / 2
    return Outcome(True, worst, 1e-9 * (1 + abs(phis[0])) * reward_scale, min(rises), eps / 2, None, "")


@BOOK.claim(
    "thm-3.8",
    ref="Theorem 3.8 (Appendix E.2)",
    statement="NPG-BR (5,6) with K >= 4/((1-gamma)^2 eps) reaches an eps-Nash policy within 2(Phi_max-Phi_min)/eps "
    "+ 1 outer steps (tightness: outer steps needed / allowed)",
    examples=_with_eps(0.3, 1.0),
    premises=premises_thm_3_8,
    mutants={"eps / 1000": {"eps_scale": 1e-3}},
    moves=_EPS_MOVES,
    coverage=UNIT_POTENTIAL_TAILS,
    premise_space=_eps_space(0.3),
    informative="θ₀ is not already ε-Nash",
    batch=batch_thm_3_8,
)
def check_thm_3_8(game: MarkovGame, witness: dict[str, Any], *, gate: Premises, eps_scale: float = 1.0) -> Outcome:
    """thm-3.8: the first ε-Nash policy comes within ``2(Φ_max − Φ_min)/ε + 1`` outer steps. Observed:
    the outer steps actually taken to reach it (the bound + 1 when never reached), so the tightness
    is steps needed ÷ steps allowed."""
    target = eps_scale * float(witness["eps"])
    gaps, _, eps, allowed = _npg_br_run(game, witness, int(gate.facts["K"]), until=target)
    return _thm_3_8_outcome(gaps, eps, allowed, eps_scale)


@BOOK.claim(
    "thm-3.8@step-e2",
    ref="Appendix E.2, step",
    statement="every outer step taken from a policy that is not eps-Nash raises Phi(mu) by at least eps/2",
    examples=_with_eps(0.3, 1.0),
    premises=premises_thm_3_8,
    mutants={"rise x 100": {"increase_scale": 100.0}},
    moves=_EPS_MOVES,
    coverage=UNIT_POTENTIAL_TAILS,
    premise_space=_eps_space(0.3),
    informative="at least one outer step from a policy that is not ε-Nash (else there is no step to check)",
    batch=batch_thm_3_8_step_e2,
)
def check_thm_3_8_step_e2(
    game: MarkovGame, witness: dict[str, Any], *, gate: Premises, increase_scale: float = 1.0
) -> Outcome:
    gaps, phis, eps, _ = _npg_br_run(game, witness, int(gate.facts["K"]))
    return _step_e2_outcome(gaps, phis, eps, increase_scale, _reward_scale(game))


CLAIMS = BOOK.claims
