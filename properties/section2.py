"""Section 2: the Markov potential game identity (Def 2.2) and its gradient consequence."""

from __future__ import annotations

from typing import Any

import sympy
import torch
from hypothesis import strategies as st

import randomgames.strategies as rgs
from mpgverify.arrays import as_tensor
from mpgverify.errors import FormatError
from mpgverify.game import MarkovGame
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch, stack_members
from mpgverify.solvers.evaluation import evaluate
from mpgverify.solvers.exact import exact_evaluate, rationalize_game, rationalize_policy
from mpgverify.verify.claims import ClaimBook, ExactMargin, Outcome, Premises
from properties.common import identity_outcome, theta_of, with_theta
from properties.coverage import MPG_COVERAGE, MPG_SPACE
from properties.moves import Moves
from properties.premises import decide, integer, mpg_reason

__all__ = ["CLAIMS"]

BOOK = ClaimBook(section="2")


def _examples() -> st.SearchStrategy:
    def extra(draw: Any, game: MarkovGame) -> dict[str, Any]:
        i = draw(st.integers(0, game.n_agents - 1))
        bar = draw(rgs.logits(game))
        return {"agent": i, "theta_bar_i": bar[i].tolist()}

    return with_theta(rgs.mpgs(max_agents=3, max_states=3, max_actions=3, reward_range=(-1.0, 1.0)), extra=extra)


def premises_def_2_2(game: MarkovGame, witness: dict[str, Any]) -> Premises:
    """Def 2.2's hypothesis: the game is an MPG with its stated potential φ (:func:`mpg_reason`); the
    witness names an agent i ∈ {0..N−1}, θ and θ̄ⁱ (their shapes are format rules: malformed is exit 2)."""
    _pair(game, witness)
    return decide([mpg_reason(game)])


def _pair(game: MarkovGame, witness: dict[str, Any]) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...], int]:
    theta = theta_of(game, witness)
    i = integer(witness, "agent")
    if not 0 <= i < game.n_agents:
        raise FormatError("witness.agent", f"must be an agent index in [0, {game.n_agents - 1}], got {i}")
    if "theta_bar_i" not in witness:
        raise FormatError("witness.theta_bar_i", "is required but missing")
    deviation = as_tensor(witness["theta_bar_i"], (game.n_states, game.n_actions[i]), "witness.theta_bar_i")
    bar = tuple(deviation if j == i else t for j, t in enumerate(theta))
    return theta, bar, i


def exact_def_2_2(
    game: MarkovGame, witness: dict[str, Any], *, gate: Premises | None = None, potential_scale: float = 1.0
) -> ExactMargin:
    """Both halves in rationals, with the policies equal to the float softmax values exactly: the
    value identity, and the gradient identity through the exact derivative of the softmax
    parameterization, ``∂X(μ)/∂θⁱ_{s,a} = d(s) πⁱ(a|s) Aⁱ_X(s, a)`` for X = Vⁱ and X = Φ
    (the formula of Lemma 3.1, itself checked against autograd by claim ``lemma-3.1``)."""
    theta, bar, i = _pair(game, witness)
    eg = rationalize_game(game)
    k = sympy.Rational(*float(potential_scale).as_integer_ratio())
    phi = [[k * v for v in row] for row in (eg.phi or [])]
    eg = type(eg)(eg.gamma, eg.n_actions, eg.mu, eg.P, eg.R, phi, eg.joint)
    as_potential = type(eg)(eg.gamma, eg.n_actions, eg.mu, eg.P, [phi] * eg.n_agents, phi, eg.joint)
    p = rationalize_policy(softmax_policy(theta))
    ep, eq = exact_evaluate(eg, p), exact_evaluate(eg, rationalize_policy(softmax_policy(bar)))
    assert ep.Phi is not None and eq.Phi is not None
    worst = max(abs((eq.V[i][s] - ep.V[i][s]) - (eq.Phi[s] - ep.Phi[s])) for s in range(game.n_states))
    A_phi = exact_evaluate(as_potential, p).advantages[i]
    for s in range(game.n_states):
        for a in range(game.n_actions[i]):
            worst = max(worst, abs(ep.d[s] * p[i][s][a] * (ep.advantages[i][s][a] - A_phi[s][a])))
    return ExactMargin(str(-worst), float(-worst), observed=str(worst), bound="0")


def _def_2_2_games(games: list[MarkovGame], potential_scale: float) -> list[MarkovGame]:
    """The games as checked: each stated potential times ``potential_scale`` (the mutant's knob)."""
    if potential_scale == 1.0:
        return games
    return [g.replace(potential=potential_scale * g.potential) for g in games]


def batch_def_2_2(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], *, gates: list[Premises], potential_scale: float = 1.0
) -> list[Outcome]:
    """:func:`check_def_2_2` over same-shape games: π and (π̄ⁱ, π⁻ⁱ) of every member in one stacked
    evaluation, and every agent's ∇_θⁱ Vⁱ and ∇_θⁱ Φ of the whole stack by autograd (the members are
    independent, so the gradient of the summed values is each member's own)."""
    pairs = [_pair(g, w) for g, w in zip(games, witnesses, strict=True)]
    scaled = _def_2_2_games(games, potential_scale)
    B, N = len(games), games[0].n_agents
    twice = GameBatch.stack([g for g in scaled for _ in range(2)])
    both = stack_members([softmax_policy(t) for theta, bar, _ in pairs for t in (theta, bar)])
    ev = evaluate(twice, both)  # type: ignore[arg-type]
    assert ev.Phi is not None
    V, Phi = ev.V.reshape(B, 2, N, -1), ev.Phi.reshape(B, 2, -1)
    leaves = tuple(t.clone().requires_grad_(True) for t in stack_members([theta for theta, _, _ in pairs]))
    at = evaluate(GameBatch.stack(scaled), softmax_policy(leaves))  # type: ignore[arg-type]
    assert at.Phi_mu is not None
    gaps = []
    for j in range(N):
        gV = torch.autograd.grad(at.V_mu[:, j].sum(), leaves[j], retain_graph=True)[0]
        gPhi = torch.autograd.grad(at.Phi_mu.sum(), leaves[j], retain_graph=True)[0]
        gaps.append((gV - gPhi).abs().flatten(1).amax(-1))
    # per member b with its agent i_b, as check_def_2_2 computes it (the same operations, a member axis)
    rows, agent = torch.arange(B), torch.tensor([i for _, _, i in pairs])
    values = ((V[rows, 1, agent] - V[rows, 0, agent]) - (Phi[:, 1] - Phi[:, 0])).abs().amax(-1).tolist()
    grad_gaps = torch.stack(gaps)[agent, rows].tolist()
    scales = zip(V[:, 0].abs().amax((-2, -1)).tolist(), Phi[:, 0].abs().amax(-1).tolist(), strict=True)
    return [
        identity_outcome(max(v, g), scale=sv + sp) for v, g, (sv, sp) in zip(values, grad_gaps, scales, strict=True)
    ]


@BOOK.claim(
    "def-2.2",
    ref="Def 2.2 and eq. (1)",
    statement=(
        "In an MPG, for every agent i, state s and product policies differing only in agent i, "
        "V^i(pi_bar^i, pi^-i)(s) - V^i(pi)(s) = Phi(pi_bar^i, pi^-i)(s) - Phi(pi)(s); hence "
        "grad_{theta^i} V^i_theta = grad_{theta^i} Phi_theta"
    ),
    examples=_examples,
    premises=premises_def_2_2,
    exact=exact_def_2_2,
    mutants={"potential scaled by 1.5": {"potential_scale": 1.5}},
    moves=Moves(),
    coverage=MPG_COVERAGE,
    premise_space=MPG_SPACE.format(size="≤ 3 agents × 3 actions, ≤ 3 states, γ ≤ 0.99", phi="[−1, 1]")
    + "; π, π̄ softmax with logits in [−3, 3]",
    batch=batch_def_2_2,
)
def check_def_2_2(
    game: MarkovGame, witness: dict[str, Any], *, gate: Premises | None = None, potential_scale: float = 1.0
) -> Outcome:
    """``Vⁱ(π̄ⁱ,π⁻ⁱ)(s) − Vⁱ(π)(s) = Φ(π̄ⁱ,π⁻ⁱ)(s) − Φ(π)(s)`` at every s, and
    ``∇_{θⁱ} Vⁱ_θ(μ) = ∇_{θⁱ} Φ_θ(μ)`` (autograd)."""
    theta, bar, i = _pair(game, witness)
    g = _def_2_2_games([game], potential_scale)[0]
    # π and (π̄ⁱ, π⁻ⁱ) as one batch of two policies: one solve gives both values and both Φ
    both = softmax_policy(tuple(torch.stack([t, b]) for t, b in zip(theta, bar, strict=True)))
    ev = evaluate(g, both)
    assert ev.Phi is not None
    dV = ev.V[1, i] - ev.V[0, i]
    dPhi = ev.Phi[1] - ev.Phi[0]
    leaf = theta[i].clone().requires_grad_(True)
    th = tuple(leaf if j == i else t for j, t in enumerate(theta))
    at = evaluate(g, softmax_policy(th))
    assert at.Phi_mu is not None
    gV = torch.autograd.grad(at.V_mu[i], leaf, retain_graph=True)[0]
    gPhi = torch.autograd.grad(at.Phi_mu, leaf)[0]
    residual = max(float((dV - dPhi).abs().max()), float((gV - gPhi).abs().max()))
    scale = float(ev.V[0].abs().max()) + float(ev.Phi[0].abs().max())
    return identity_outcome(residual, scale=scale)


CLAIMS = BOOK.claims
