"""Section 3.1 with Appendices B and C: the gradient of Φ_θ (Lemma 3.1 / C.2), its smoothness
(Lemma 3.2 / C.1), PG's monotone step (Lemma C.3) and the Nash limit of PG (Theorem 3.4). Every
quantity is exact (linear algebra + autograd); the paper's constants come from :mod:`mpgverify.bounds`."""

from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

import randomgames.strategies as rgs
from mpgverify import bounds
from mpgverify.algorithms.gradients import policy_gradients
from mpgverify.algorithms.pg import pg
from mpgverify.game import MarkovGame
from mpgverify.policy import joint_policy, softmax_policy
from mpgverify.solvers.batched import GameBatch, stack_members
from mpgverify.solvers.evaluation import evaluate, potential_values, state_values
from mpgverify.solvers.game_constants import potential_range
from mpgverify.solvers.hessian import hessian_spectral_norm
from mpgverify.solvers.nash import nash_gap
from mpgverify.verify.claims import ClaimBook, Outcome, Premises
from properties.common import (
    flat_theta,
    hessian,
    identity_outcome,
    mpg_games,
    spectral_norm,
    theta_from_flat,
    theta_of,
    upper_bound_outcome,
    with_theta,
)
from properties.coverage import (
    ACTIONS,
    AGENT_TERMS,
    AGENTS,
    AGENTS_FROM_2,
    KERNEL,
    MPG_COVERAGE,
    MPG_COVERAGE_TAILS,
    STATES,
    THETA_RANGE,
    THETA_TAILS,
    UNIT_POTENTIAL_COVERAGE,
    UNIT_POTENTIAL_TAILS,
    coverage,
    mpg_space,
)
from properties.moves import Moves
from properties.pg_limits import MOVED, pg_limit, pg_limits
from properties.premises import (
    assumption_2_1_reason,
    at_least,
    decide,
    integer,
    mpg_reason,
    number,
    unit_potential_reason,
    within,
)
from properties.relaxations import PotentialSmoothness, StageSmoothness

__all__ = [
    "BOOK",
    "CLAIMS",
    "DENSE_HESSIAN_LIMIT",
    "premises_lemma_3_1",
    "premises_lemma_3_2",
    "premises_lemma_c1",
    "premises_lemma_c3",
    "premises_thm_3_4",
    "section_3_reason",
]

BOOK = ClaimBook(section="3")

_FULL = "≤ 3 agents × 3 actions, ≤ 3 states, γ ≤ 0.99"
_SMALL = "≤ 3 agents × 3 actions, ≤ 2 states, γ ≤ 0.9 (Hessians by autograd)"
_TINY = "≤ 3 agents × 3 actions, ≤ 2 states, γ ≤ 0.5 (iteration counts grow like (1−γ)⁻³)"


def _full() -> Any:
    return with_theta(mpg_games(reward_range=(-1.0, 1.0)))


def _small() -> Any:
    return with_theta(mpg_games(max_agents=3, max_states=2, max_actions=3, max_gamma=0.9))


def _one_state(min_agents: int = 1) -> Any:
    return with_theta(
        rgs.identical_interest_games(
            min_agents=min_agents, max_agents=3, max_states=1, max_actions=3, reward_range=(-1.0, 1.0)
        )
    )


# -- premise gates ---------------------------------------------------------------------------------------
def section_3_reason(game: MarkovGame) -> str | None:
    """The standing hypotheses of Section 3 ("where Assumptions 2.1 and 2.3 hold"): an MPG with its stated
    potential (Def 2.2) and Assumption 2.1 (decided exactly); Assumption 2.3 holds for every finite game."""
    return mpg_reason(game) or assumption_2_1_reason(game)


def premises_lemma_3_1(game: MarkovGame, witness: dict[str, Any]) -> Premises:
    """Lemma 3.1 (and C.2): Section 3's standing hypotheses (:func:`section_3_reason`); θ any real
    parameters of the right shapes (a format rule)."""
    theta_of(game, witness)
    return decide([section_3_reason(game)])


def premises_lemma_3_2(game: MarkovGame, witness: dict[str, Any], *, part: str = "full") -> Premises:
    """Lemma 3.2 and its proof's blocks: Section 3's hypotheses and a potential φ ∈ [0, 1] (the proof's
    assumption); cross blocks need two agents; θ any."""
    theta_of(game, witness)
    return decide(
        [
            section_3_reason(game),
            unit_potential_reason(game),
            "cross blocks need two agents" if part == "cross" and game.n_agents < 2 else None,
        ]
    )


def premises_lemma_c1(game: MarkovGame, witness: dict[str, Any], *, part: str = "full") -> Premises:
    """Lemma C.1: any c ∈ ℝ^|A| (here agent 0's reward vector at state 0) and θ_s any; cross blocks
    need two agents."""
    theta_of(game, witness)
    return decide(["cross blocks need two agents" if part == "cross" and game.n_agents < 2 else None])


def premises_lemma_c3(game: MarkovGame, witness: dict[str, Any]) -> Premises:
    """Lemma C.3: Section 3's hypotheses, Φ_max > Φ_min (else the bound is infinite and every η > 0
    qualifies: then ``eta_fraction`` is read as η itself), and the step
    ``0 < η = eta_fraction · (1−γ)/(N max(5, √N)(Φ_max − Φ_min)) ≤`` that bound, i.e.
    ``eta_fraction ∈ (0, 1]``."""
    theta_of(game, witness)
    fraction = number(witness, "eta_fraction")
    if (reason := section_3_reason(game)) is not None:
        return Premises.fail(reason)
    low, high = potential_range(game)
    if high - low <= 0:
        return decide([within("eta", fraction, 0.0, None, low_open=True)], eta=fraction)
    return decide(
        [within("eta_fraction", fraction, 0.0, 1.0, low_open=True)],
        eta=fraction * bounds.lemma_c3_step(game.n_agents, game.gamma, high - low),
    )


# -- Lemma 3.1 / Lemma C.2: the gradient form --------------------------------------------------------
@BOOK.claim(
    "lemma-3.1",
    ref="Lemma 3.1, eq. (2)",
    statement="dPhi_theta(mu)/dtheta^i_{s,a} = dV^i_theta(mu)/dtheta^i_{s,a} = d_mu(s) pi^i(a|s) A^i_theta(s,a), "
    "d unnormalized",
    examples=_full,
    premises=premises_lemma_3_1,
    mutants={"factor 2": {"factor": 2.0}},
    moves=Moves(),
    coverage=MPG_COVERAGE,
    premise_space=mpg_space(_FULL, "[−1, 1]", THETA_RANGE),
)
def check_lemma_3_1(
    game: MarkovGame, witness: dict[str, Any], *, gate: Premises | None = None, factor: float = 1.0
) -> Outcome:
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


@BOOK.claim(
    "lemma-c.2",
    ref="Lemma C.2 (Appendix C)",
    statement="the gradient of Lemma 3.1 with an extra factor 1/(1-gamma)",
    examples=_full,
    premises=premises_lemma_3_1,
    mutants={"factor 2": {"factor": 2.0}},
    moves=Moves(),
    coverage=MPG_COVERAGE,
    premise_space=mpg_space(_FULL, "[−1, 1]", THETA_RANGE),
)
def check_lemma_c2(
    game: MarkovGame, witness: dict[str, Any], *, gate: Premises | None = None, factor: float = 1.0
) -> Outcome:
    return check_lemma_3_1(game, witness, factor=factor / (1.0 - game.gamma))


# -- Lemma 3.2: smoothness of Φ_θ(s) -----------------------------------------------------------------
#: Above this many parameters the full-Hessian norm of lemma-3.2 comes from Lanczos, not a dense Hessian.
DENSE_HESSIAN_LIMIT = 128


@BOOK.claim(
    "lemma-3.2",
    ref="Lemma 3.2 (Appendix B)",
    statement="Phi_theta(s) is 41N/(4(1-gamma)^3)-smooth in theta for every s (potential in [0,1])",
    examples=_small,
    premises=premises_lemma_3_2,
    mutants={"bound / 1000": {"bound_scale": 1e-3}},
    moves=Moves(),
    coverage=UNIT_POTENTIAL_COVERAGE,
    premise_space=mpg_space(_SMALL, extra=THETA_RANGE),
    relaxation=PotentialSmoothness("full"),
)
@BOOK.claim(
    "lemma-3.2@own-block",
    ref="Appendix B, first bound",
    statement="||grad^2_{theta^i theta^i} Phi_theta(s)||_2 <= (6+2gamma)/(1-gamma)^3",
    examples=_small,
    premises=premises_lemma_3_2,
    options={"part": "own"},
    mutants={"bound / 1000": {"bound_scale": 1e-3}},
    moves=Moves(),
    coverage=UNIT_POTENTIAL_COVERAGE,
    premise_space=mpg_space(_SMALL, extra=THETA_RANGE),
    relaxation=PotentialSmoothness("own"),
)
@BOOK.claim(
    "lemma-3.2@cross-block",
    ref="Appendix B, second bound",
    statement="||grad^2_{theta^i theta^j} Phi_theta(s)||_2 <= (-4gamma^2+2gamma+10)/(1-gamma)^3 for i != j",
    examples=lambda: with_theta(mpg_games(min_agents=2, max_agents=3, max_states=2, max_actions=3)),
    premises=premises_lemma_3_2,
    premise_options={"part": "cross"},
    options={"part": "cross"},
    mutants={"bound / 1000": {"bound_scale": 1e-3}},
    moves=Moves(),
    coverage=coverage(STATES, KERNEL, ACTIONS, AGENT_TERMS),
    premise_space=mpg_space("2–3 agents × ≤ 3 actions, ≤ 2 states", extra=THETA_RANGE),
    relaxation=PotentialSmoothness("cross"),
)
def check_lemma_3_2(
    game: MarkovGame,
    witness: dict[str, Any],
    *,
    gate: Premises | None = None,
    part: str = "full",
    bound_scale: float = 1.0,
) -> Outcome:
    """Spectral norm of ``∇²_θ Φ_θ(s)`` (or of its own / cross agent blocks), worst state, vs the bound."""
    x0 = flat_theta(theta_of(game, witness))
    sizes = [game.n_states * n for n in game.n_actions]
    starts = [sum(sizes[:i]) for i in range(game.n_agents)]
    worst, scale = 0.0, 0.0
    for s in range(game.n_states):
        f = lambda x, s=s: potential_values(game, softmax_policy(theta_from_flat(game, x)))[s]
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
_ONE_STATE_SPACE = "any c ∈ [−1, 1]^|A| (either sign), ≤ 3 agents × 3 actions" + THETA_RANGE


@BOOK.claim(
    "lemma-c.1",
    ref="Lemma C.1 (Appendix C.2)",
    statement="F_s(theta_s) = sum_a pi_theta_s(a|s) c_{s,a} is N max(5, sqrt N) ||c||_inf-smooth",
    examples=_one_state,
    premises=premises_lemma_c1,
    mutants={"bound / 1000": {"bound_scale": 1e-3}},
    moves=Moves(),
    coverage=coverage(AGENTS, ACTIONS),
    premise_space=_ONE_STATE_SPACE,
    relaxation=StageSmoothness("full"),
)
@BOOK.claim(
    "lemma-c.1@own-block",
    ref="Lemma C.1, own blocks",
    statement="own blocks <= 5 ||c||_inf",
    examples=_one_state,
    premises=premises_lemma_c1,
    options={"part": "own"},
    mutants={"bound / 1000": {"bound_scale": 1e-3}},
    moves=Moves(),
    coverage=coverage(AGENTS, ACTIONS),
    premise_space="as lemma-c.1",
    relaxation=StageSmoothness("own"),
)
@BOOK.claim(
    "lemma-c.1@cross-block",
    ref="Lemma C.1, cross blocks",
    statement="cross blocks <= sqrt(N) ||c||_inf",
    examples=lambda: _one_state(min_agents=2),
    premises=premises_lemma_c1,
    premise_options={"part": "cross"},
    options={"part": "cross"},
    mutants={"bound / 1000": {"bound_scale": 1e-3}},
    moves=Moves(),
    coverage=coverage(AGENTS_FROM_2, ACTIONS),
    premise_space="as lemma-c.1, 2–3 agents",
    relaxation=StageSmoothness("cross"),
)
def check_lemma_c1(
    game: MarkovGame,
    witness: dict[str, Any],
    *,
    gate: Premises | None = None,
    part: str = "full",
    bound_scale: float = 1.0,
) -> Outcome:
    """One state, c = the (shared) reward vector over joint actions; Hessian of ``Σ_a π(a|s) c_a``."""
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
    return joint_policy(softmax_policy(theta_from_flat(game, x)))


# -- Lemma C.3: one PG step with the small step size improves V_φ and Q_φ everywhere --------------------
def _eta_fraction(draw: Any, game: MarkovGame) -> dict[str, Any]:
    """η as a fraction of its bound over the whole of (0, 1]: the closed end η = bound exactly, tiny steps
    down to 1e-6, and the interval between."""
    return {"eta_fraction": draw(st.one_of(st.just(1.0), st.floats(1e-6, 1.0)))}


@BOOK.claim(
    "lemma-c.3",
    ref="Lemma C.3",
    statement="with eta <= (1-gamma)/(N max(5,sqrt N)(Phi_max-Phi_min)), one PG step (3) gives V_phi^{t+1}(s) >= "
    "V_phi^t(s) and Q_phi^{t+1}(s,a) >= Q_phi^t(s,a) for all s, a",
    examples=lambda: with_theta(mpg_games(reward_range=(-1.0, 1.0)), extra=_eta_fraction, tails=True),
    premises=premises_lemma_c3,
    mutants={"descent": {"sign": -1.0}},
    moves=Moves(ranges={"eta_fraction": (1e-6, 1.0)}),
    coverage=MPG_COVERAGE_TAILS,
    premise_space=mpg_space(_FULL, "[−1, 1]", THETA_TAILS + "; η a fraction in (0, 1] of the bound, 1 included"),
    informative="the step moves θ (max |∇Φ| > 1e-12)",
)
def check_lemma_c3(game: MarkovGame, witness: dict[str, Any], *, gate: Premises, sign: float = 1.0) -> Outcome:
    eta = float(gate.facts["eta"])
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
    moved = max(float(g.abs().max()) for g in grads) > 1e-12
    return Outcome(True, worst, tol, -worst, 0.0, None, f"eta = {eta:.3g}", informative=moved)


# -- Theorem 3.4: PG limits are Nash ----------------------------------------------------------------------
def premises_thm_3_4(game: MarkovGame, witness: dict[str, Any]) -> Premises:
    """Theorem 3.4: Section 3's hypotheses; the step ``η = eta_fraction · min((1−γ)/(N max(5,√N)(Φ_max −
    Φ_min)), 4(1−γ)³/(41N))`` with ``eta_fraction ∈ (0, 1]`` (default 1: η at its bound); θ₀ any;
    Assumption 3.3 (θ_t converges) certified on the run of ``steps`` ≥ 1 steps (:func:`pg_limit`).
    Facts: the limit ``state``, ``eta`` and the initial gradient's largest entry ``moved``."""
    setup = _thm_3_4_setup(game, witness)
    if isinstance(setup, Premises):
        return setup
    theta0, steps, eta, moved = setup
    return _thm_3_4_decision(pg_limit(game, theta0, eta, steps), eta, moved)


def batch_premises_thm_3_4(games: list[MarkovGame], witnesses: list[dict[str, Any]]) -> list[Premises]:
    """:func:`premises_thm_3_4` over same-shape games at once: the rules one by one, then every PG run
    whose rules hold in one stacked run (:func:`properties.pg_limits.pg_limits`)."""
    setups = [_thm_3_4_setup(g, w) for g, w in zip(games, witnesses, strict=True)]
    runs = [k for k, s in enumerate(setups) if not isinstance(s, Premises)]
    out: list[Premises] = [s if isinstance(s, Premises) else Premises.undecided("") for s in setups]
    if runs:
        args = [setups[k] for k in runs]
        limits = pg_limits([games[k] for k in runs], [a[0] for a in args], [a[2] for a in args], [a[1] for a in args])  # type: ignore[index]
        for k, a, limit in zip(runs, args, limits, strict=True):
            out[k] = _thm_3_4_decision(limit, a[2], a[3])  # type: ignore[index]
    return out


def _thm_3_4_setup(game: MarkovGame, witness: dict[str, Any]) -> Premises | tuple[Any, int, float, float]:
    """The rules of :func:`premises_thm_3_4` before the PG run: a failed rule, or (θ₀, steps, η, moved)."""
    theta0 = theta_of(game, witness)
    steps = integer(witness, "steps", cap=100_000)
    fraction = number(witness, "eta_fraction", default=1.0)
    rule = section_3_reason(game) or within("eta_fraction", fraction, 0.0, 1.0, low_open=True)
    rule = rule or at_least("steps", steps, 1)
    if rule is not None:
        return Premises.fail(rule)
    low, high = potential_range(game)
    eta = fraction * bounds.thm_3_4_step(game.n_agents, game.gamma, high - low)
    probs = softmax_policy(theta0)
    moved = max(float(g.abs().max()) for g in policy_gradients(probs, evaluate(game, probs)))
    return theta0, steps, eta, moved


def _thm_3_4_decision(limit: tuple[Any, int, str | None], eta: float, moved: float) -> Premises:
    state, taken, reason = limit
    if reason is not None:
        return Premises.fail(reason)
    return Premises.hold(state=state, eta=eta, moved=moved, steps=taken)


def _pg_runs(draw: Any, game: MarkovGame) -> dict[str, Any]:
    return {"steps": 1000, "eta_fraction": draw(st.one_of(st.just(1.0), st.floats(1e-3, 1.0)))}


def _thm_3_4_outcome(gate: Premises, gap: float, value_scale: float, gap_bound: float) -> Outcome:
    moved = gate.facts["moved"] > MOVED
    note = f"limit certified after {gate.facts['steps']} steps"
    return Outcome(True, gap_bound - gap, 1e-7 * (1.0 + value_scale), gap, gap_bound, None, note, informative=moved)


def batch_thm_3_4(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], *, gates: list[Premises], gap_bound: float = 0.0
) -> list[Outcome]:
    """:func:`check_thm_3_4` over same-shape games at once: the limits' Nash-gaps and values stacked."""
    batch = GameBatch.stack(games)
    limits = stack_members([softmax_policy(tuple(t[0] for t in g.facts["state"].theta)) for g in gates])
    gaps = nash_gap(batch, limits).gap.tolist()  # type: ignore[arg-type]
    scales = evaluate(batch, limits).V.abs().amax((-2, -1)).tolist()  # type: ignore[arg-type]
    return [_thm_3_4_outcome(g, gap, sc, gap_bound) for g, gap, sc in zip(gates, gaps, scales, strict=True)]


@BOOK.claim(
    "thm-3.4",
    ref="Theorem 3.4 (Appendix C)",
    statement="PG (3) with eta <= min((1-gamma)/(N max(5,sqrt N)(Phi_max-Phi_min)), 4(1-gamma)^3/(41N)): if "
    "theta_t converges (Assumption 3.3), the limit is a Nash policy",
    examples=lambda: with_theta(
        mpg_games(max_agents=3, max_states=2, max_actions=3, max_gamma=0.5), extra=_pg_runs, tails=True
    ),
    premises=premises_thm_3_4,
    mutants={"gap <= -1": {"gap_bound": -1.0}},
    moves=Moves(gamma_cap=None, ranges={"eta_fraction": (1e-3, 1.0)}),
    coverage=UNIT_POTENTIAL_TAILS,
    premise_space=mpg_space(
        _TINY, extra=THETA_TAILS + "; η a fraction in (0, 1] of its bound; 1000 PG steps (Assumption 3.3 certified)"
    ),
    informative=f"PG moved: the initial gradient's largest entry is above {MOVED:g}",
    batch=batch_thm_3_4,
    batch_premises=batch_premises_thm_3_4,
)
def check_thm_3_4(game: MarkovGame, witness: dict[str, Any], *, gate: Premises, gap_bound: float = 0.0) -> Outcome:
    limit = pg(lr=gate.facts["eta"]).policy(gate.facts["state"])
    gap = float(nash_gap(game, limit).gap[0])
    return _thm_3_4_outcome(gate, gap, float(state_values(game, limit).abs().max()), gap_bound)


CLAIMS = BOOK.claims
