"""Solvers against brute force: policy iteration vs enumeration of deterministic policies, and the
social optimum vs every deterministic product policy."""

from __future__ import annotations

import itertools
import math

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


def _expectation_by_enumeration(x: torch.Tensor, probs: list[torch.Tensor], agent: int) -> torch.Tensor:
    """E_{a⁻ⁱ~π⁻ⁱ(·|s)} x(s, aⁱ, a⁻ⁱ, t) term by term over the joint actions (agent 0 slowest); ``x``
    ``[B, S, A, T]``, the result ``[B, S, Aⁱ, T]``."""
    acts = [p.shape[-1] for p in probs]
    out = torch.zeros(*x.shape[:2], acts[agent], x.shape[-1], dtype=torch.float64)
    for k, joint in enumerate(itertools.product(*(range(n) for n in acts))):
        w = torch.ones(x.shape[:2], dtype=torch.float64)
        for j, a in enumerate(joint):
            if j != agent:
                w = w * probs[j][..., a]
        out[:, :, joint[agent]] += w[..., None] * x[:, :, k]
    return out


@pytest.mark.parametrize("acts", [(1,), (3,), (2, 3), (1, 3), (3, 1, 2), (2, 2, 2, 2)])
@pytest.mark.parametrize("trailing", [(), (2,)])
@pytest.mark.parametrize("kind", ["uniform", "deterministic", "near-deterministic", "random"])
def test_expect_over_others_is_the_expectation_and_the_weights_contraction(acts, trailing, kind) -> None:
    """``expect_over_others`` (elementwise sums over the unflattened joint action) against the expectation
    enumerated term by term and against the contraction with ``others_weights`` that it replaced."""
    from mpgverify.policy import expect_over_others, others_weights

    gen = torch.Generator().manual_seed(len(acts) * 10 + len(trailing))
    B, S = 3, 2
    logits = {
        "uniform": lambda n: torch.zeros(B, S, n, dtype=torch.float64),
        "deterministic": lambda n: 800.0 * torch.nn.functional.one_hot(torch.randint(n, (B, S), generator=gen), n),
        "near-deterministic": lambda n: 30.0 * torch.randn(B, S, n, generator=gen, dtype=torch.float64),
        "random": lambda n: torch.randn(B, S, n, generator=gen, dtype=torch.float64),
    }[kind]
    probs = [torch.softmax(logits(n).to(torch.float64), -1) for n in acts]
    x = torch.randn(B, S, math.prod(acts), *trailing, generator=gen, dtype=torch.float64)
    for i in range(len(acts)):
        got = expect_over_others(x, probs, i, n_trailing=len(trailing))
        flat = x.reshape(B, S, math.prod(acts), -1)
        want = _expectation_by_enumeration(flat, probs, i).reshape(B, S, acts[i], *trailing)
        via_w = (others_weights(probs, i) @ flat).reshape(B, S, acts[i], *trailing)
        assert got.shape == want.shape == via_w.shape, (got.shape, want.shape, via_w.shape)
        assert torch.allclose(got, want, atol=1e-13, rtol=0), float((got - want).abs().max())
        assert torch.allclose(got, via_w, atol=1e-13, rtol=0), float((got - via_w).abs().max())


def test_expect_over_others_broadcasts_to_the_policy_batch() -> None:
    """With nothing to average (one agent) the result still takes the policy's batch shape, as the
    contraction with Wⁱ gave."""
    from mpgverify.policy import expect_over_others

    probs = [torch.softmax(torch.randn(4, 2, 3, dtype=torch.float64), -1)]
    x = torch.randn(2, 3, dtype=torch.float64)
    got = expect_over_others(x, probs, 0)
    assert got.shape == (4, 2, 3), got.shape
    assert torch.equal(got, x.expand(4, 2, 3))
