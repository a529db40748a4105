"""Solvers against brute force: policy iteration vs enumeration of deterministic policies, and the
social optimum vs every deterministic product policy."""

from __future__ import annotations

import itertools

import pytest
import torch

import randomgames as rg
from mpgverify import evaluate, policy_iteration, social_optimum
from mpgverify.policy import deterministic_policy


def brute_force_mdp(P: torch.Tensor, r: torch.Tensor, gamma: float) -> torch.Tensor:
    S, A = r.shape
    best = torch.full((S,), -torch.inf, dtype=torch.float64)
    for actions in itertools.product(range(A), repeat=S):
        idx = torch.tensor(actions)
        P_pol = P[torch.arange(S), idx]
        r_pol = r[torch.arange(S), idx]
        V = torch.linalg.solve(torch.eye(S, dtype=torch.float64) - gamma * P_pol, r_pol)
        best = torch.maximum(best, V)
    return best


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.99])
def test_policy_iteration_matches_enumeration(seed, gamma) -> None:
    gen = torch.Generator().manual_seed(seed)
    S, A = 3, 3
    P = rg.builders.draw_transition(rg.sources.TorchSource(seed), S, (A,), "sparse").reshape(S, A, S)
    gen = torch.Generator().manual_seed(seed + 1000)
    r = torch.randn(S, A, generator=gen, dtype=torch.float64)
    sol = policy_iteration(P, r, gamma)
    assert torch.allclose(sol.V, brute_force_mdp(P, r, gamma), atol=1e-10, rtol=0)


def test_policy_iteration_batches_rewards() -> None:
    gen = torch.Generator().manual_seed(0)
    P = rg.builders.draw_transition(rg.sources.TorchSource(0), 3, (2,), "random").reshape(3, 2, 3)
    r = torch.randn(5, 3, 2, generator=gen, dtype=torch.float64)
    batch = policy_iteration(P, r, 0.9)
    for b in range(5):
        assert torch.allclose(batch.V[b], policy_iteration(P, r[b], 0.9).V, atol=1e-13)


@pytest.mark.parametrize("seed", range(4))
def test_social_optimum_beats_every_deterministic_product_policy(seed) -> None:
    game = rg.general_sum_game(seed=seed, n_agents=2, n_states=2, n_actions=2)
    opt = float(social_optimum(game).value)
    best = -float("inf")
    for flat in itertools.product(range(2), repeat=game.n_agents * game.n_states):
        acts = torch.tensor(flat).reshape(game.n_agents, game.n_states)
        best = max(best, float(evaluate(game, deterministic_policy(game, acts)).V_mu.sum()))
    assert abs(opt - best) < 1e-10, (opt, best)


def test_values_are_differentiable_in_logits() -> None:
    game = rg.identical_interest_game(seed=0)
    logits = tuple(t.requires_grad_() for t in torch.zeros(2, 2, 2, dtype=torch.float64))
    V = evaluate(game, tuple(torch.softmax(t, -1) for t in logits)).V_mu.sum()
    grads = torch.autograd.grad(V, logits)
    assert all(torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads)
