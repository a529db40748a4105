"""Section 3.1 with Appendices B and C: the gradient of Φ_θ (Lemma 3.1 / C.2) and its smoothness
(Lemma 3.2 / C.1), each against autograd: gradients and Hessians of exact values (linear algebra), the
paper's constants from :mod:`mpgverify.bounds`. The smoothness checks also run over a population of
same-shape games at once (Hessians of a batched graph, :func:`~mpgverify.solvers.hessian.batched_hessians`)."""

from __future__ import annotations

from typing import Any

import torch

import randomgames.strategies as rgs
from mpgverify import bounds
from mpgverify.algorithms.gradients import policy_gradients
from mpgverify.game import MarkovGame
from mpgverify.policy import joint_policy, softmax_policy
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.evaluation import evaluate, potential_values
from mpgverify.solvers.hessian import batched_hessians, hessian_spectral_norm
from mpgverify.verify.claims import ClaimBook, Outcome, Premises
from properties.common import (
    flat_theta,
    hessian,
    identity_outcome,
    mpg_games,
    stacked_flat_theta,
    stacked_theta,
    theta_from_flat,
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
    KERNEL,
    MPG_COVERAGE,
    STATES,
    THETA_RANGE,
    UNIT_POTENTIAL_COVERAGE,
    coverage,
    mpg_space,
)
from properties.moves import Moves
from properties.premises import decide, section_3_reason, unit_potential_reason
from properties.relaxations import PotentialSmoothness, StageSmoothness

__all__ = [
    "BOOK",
    "CLAIMS",
    "DENSE_HESSIAN_LIMIT",
    "block_norm",
    "premises_lemma_3_1",
    "premises_lemma_3_2",
    "premises_lemma_c1",
]

BOOK = ClaimBook(section="3")

_FULL = "≤ 3 agents × 3 actions, ≤ 3 states, γ ≤ 0.99"
_SMALL = "≤ 3 agents × 3 actions, ≤ 2 states, γ ≤ 0.9 (Hessians by autograd)"


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


# -- Lemma 3.1 / Lemma C.2: the gradient form --------------------------------------------------------
def _batched_gradient_outcomes(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], factor: torch.Tensor
) -> list[Outcome]:
    """:func:`check_lemma_3_1` over same-shape games at once (``factor`` ``[B]``, one per member): autograd
    of Σ_b Φ_b(μ_b) and Σ_b Vⁱ_b(μ_b) through the stacked evaluation (members independent, so each
    member's block is its own gradient) against the formula from the same evaluation, detached."""
    batch = GameBatch.stack(games)
    theta = tuple(t.clone().requires_grad_(True) for t in stacked_theta(games, witnesses))
    probs = softmax_policy(theta)
    ev = evaluate(batch, probs)
    assert ev.Phi_mu is not None
    gPhi = torch.autograd.grad(ev.Phi_mu.sum(), theta, retain_graph=True)
    formula = policy_gradients(
        tuple(p.detach() for p in probs),
        ev._replace(d=ev.d.detach(), advantages=tuple(a.detach() for a in ev.advantages)),
    )
    B = len(games)
    residual, scale = torch.zeros(B, dtype=torch.float64), torch.zeros(B, dtype=torch.float64)
    for i in range(games[0].n_agents):
        gV = torch.autograd.grad(ev.V_mu[:, i].sum(), theta[i], retain_graph=True)[0]
        f = factor[:, None, None] * formula[i]
        residual = torch.stack([residual, (gPhi[i] - f).abs().amax((1, 2)), (gV - f).abs().amax((1, 2))]).amax(0)
        scale = torch.stack([scale, gV.abs().amax((1, 2)), f.abs().amax((1, 2))]).amax(0)
    terms = _term_scale(ev.d.detach(), ev.V.detach())
    scale = torch.maximum(scale, terms)
    return [identity_outcome(r, scale=c) for r, c in zip(residual.tolist(), scale.tolist(), strict=True)]


def _term_scale(d: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """``max_s d(s) · max_{i,s} |Vⁱ(s)|`` per member (``d [*B, S]``, ``V [*B, N, S]``): the size of the terms
    ``d(s) Qⁱ(s, a)`` and ``d(s) Vⁱ(s)`` whose difference is a gradient entry ``d π (Q − V)``. Their
    rounding (~1e-16 of it, times the conditioning of I − γP_π) is an absolute error that the gradient's
    own size does not bound: with γ = 0.99 and rewards ~2000 (d ~ 100, |V| ~ 2·10⁵) autograd and the
    formula differed by 5.8e-9 on gradients of 0.1, where the exact identity holds (hunt, seed 0)."""
    return d.amax(-1) * V.abs().flatten(-2).amax(-1)


def batch_lemma_3_1(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], *, gates: list[Premises], factor: float = 1.0
) -> list[Outcome]:
    return _batched_gradient_outcomes(games, witnesses, torch.full((len(games),), factor, dtype=torch.float64))


def batch_lemma_c2(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], *, gates: list[Premises], factor: float = 1.0
) -> list[Outcome]:
    """Lemma C.2's extra factor 1/(1−γ), each member's own γ."""
    factors = torch.tensor([factor / (1.0 - g.gamma) for g in games], dtype=torch.float64)
    return _batched_gradient_outcomes(games, witnesses, factors)


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
    batch=batch_lemma_3_1,
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
    return identity_outcome(residual, scale=max(scale, float(_term_scale(ev.d.detach(), ev.V.detach()))))


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
    batch=batch_lemma_c2,
)
def check_lemma_c2(
    game: MarkovGame, witness: dict[str, Any], *, gate: Premises | None = None, factor: float = 1.0
) -> Outcome:
    return check_lemma_3_1(game, witness, factor=factor / (1.0 - game.gamma))


# -- Lemma 3.2 and C.1: Hessian norms -----------------------------------------------------------------
def block_norm(H: torch.Tensor, sizes: list[int], part: str) -> torch.Tensor:
    """The norm a smoothness claim bounds, from Hessians ``H [*, n, n]`` whose coordinates are the agents'
    parameter blocks of ``sizes``: ``‖H‖₂`` (``"full"``), or the largest ``‖∇²_{θⁱθʲ}‖₂`` over own
    (i = j) or cross (i ≠ j) blocks (0 when there are none); ``[*]``, stacked SVDs."""
    if part == "full":
        return torch.linalg.matrix_norm(H, ord=2)
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    blocks = [
        torch.linalg.matrix_norm(H[..., starts[i] : starts[i] + sizes[i], starts[j] : starts[j] + sizes[j]], ord=2)
        for i in range(len(sizes))
        for j in range(len(sizes))
        if (part == "own") == (i == j)
    ]
    return torch.stack(blocks).amax(0) if blocks else H.new_zeros(H.shape[:-2])


# -- Lemma 3.2: smoothness of Φ_θ(s) -----------------------------------------------------------------
#: Above this many parameters the full-Hessian norm of lemma-3.2 comes from Lanczos, not a dense Hessian.
DENSE_HESSIAN_LIMIT = 128


def _lemma_3_2_bound(game: MarkovGame, part: str, bound_scale: float) -> float:
    return bound_scale * {
        "full": bounds.lemma_3_2_smoothness,
        "own": bounds.lemma_3_2_own_block,
        "cross": bounds.lemma_3_2_cross_block,
    }[part](game.n_agents, game.gamma)


def batch_lemma_3_2(
    games: list[MarkovGame],
    witnesses: list[dict[str, Any]],
    *,
    gates: list[Premises],
    part: str = "full",
    bound_scale: float = 1.0,
) -> list[Outcome]:
    """:func:`check_lemma_3_2` over same-shape games at once: every member's ``∇²_θ Φ_θ(s)`` for every s
    from one batched graph (:func:`~mpgverify.solvers.hessian.batched_hessians` of the stacked
    :func:`~mpgverify.solvers.evaluation.potential_values`), the norms in stacked SVDs. Above
    :data:`DENSE_HESSIAN_LIMIT` parameters (Lanczos) the members go one at a time."""
    game = games[0]
    if part == "full" and sum(game.n_states * n for n in game.n_actions) > DENSE_HESSIAN_LIMIT:
        return [
            check_lemma_3_2(g, w, part=part, bound_scale=bound_scale) for g, w in zip(games, witnesses, strict=True)
        ]
    batch = GameBatch.stack(games)
    x, shapes = stacked_flat_theta(games, witnesses)
    H = batched_hessians(lambda X: potential_values(batch, softmax_policy(unflat_theta(shapes, X))), x)  # [B, S, n, n]
    worst = block_norm(H, [s * n for s, n in shapes], part).amax(-1).tolist()
    scale = H.abs().flatten(1).amax(-1).tolist()
    return [
        upper_bound_outcome(w, _lemma_3_2_bound(g, part, bound_scale), scale=c)
        for g, w, c in zip(games, worst, scale, strict=True)
    ]


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
    batch=batch_lemma_3_2,
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
    batch=batch_lemma_3_2,
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
    batch=batch_lemma_3_2,
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
        worst = max(worst, float(block_norm(H, [game.n_states * n for n in game.n_actions], part)))
    return upper_bound_outcome(worst, _lemma_3_2_bound(game, part, bound_scale), scale=scale)


# -- Lemma C.1: smoothness of F_s(θ_s) = π_θs · c ------------------------------------------------------
_ONE_STATE_SPACE = "any c ∈ [−1, 1]^|A| (either sign), ≤ 3 agents × 3 actions" + THETA_RANGE


def _lemma_c1_bound(game: MarkovGame, part: str, bound_scale: float, c: torch.Tensor) -> float:
    return bound_scale * {
        "full": bounds.lemma_c1_smoothness,
        "own": bounds.lemma_c1_own_block,
        "cross": bounds.lemma_c1_cross_block,
    }[part](game.n_agents, float(c.abs().max()))


def batch_lemma_c1(
    games: list[MarkovGame],
    witnesses: list[dict[str, Any]],
    *,
    gates: list[Premises],
    part: str = "full",
    bound_scale: float = 1.0,
) -> list[Outcome]:
    """:func:`check_lemma_c1` over same-shape games at once: the Hessians of ``Σ_a π_b(a|s) c_{b,a}``
    for every member b from one batched graph, the norms in stacked SVDs."""
    x, shapes = stacked_flat_theta(games, witnesses)
    c = torch.stack([g.R[0, 0] for g in games])  # [B, A]
    H = batched_hessians(
        lambda X: (joint_policy(softmax_policy(unflat_theta(shapes, X)))[:, 0] * c).sum(-1, keepdim=True), x
    )
    H = H[:, 0]  # [B, n, n]
    worst = block_norm(H, [n for _, n in shapes], part).tolist()
    scale = H.abs().flatten(1).amax(-1).tolist()
    return [
        upper_bound_outcome(w, _lemma_c1_bound(g, part, bound_scale, cb), scale=sc)
        for g, w, sc, cb in zip(games, worst, scale, c, strict=True)
    ]


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
    batch=batch_lemma_c1,
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
    batch=batch_lemma_c1,
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
    batch=batch_lemma_c1,
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
    worst = float(block_norm(H, list(game.n_actions), part))
    return upper_bound_outcome(worst, _lemma_c1_bound(game, part, bound_scale, c), scale=float(H.abs().max()))


def _joint(game: MarkovGame, x: torch.Tensor) -> torch.Tensor:
    return joint_policy(softmax_policy(theta_from_flat(game, x)))


CLAIMS = BOOK.claims
