"""Factored games: every factored solver equals the dense one on every N where both run."""

from __future__ import annotations

import pytest
import torch

from mpgverify import coordination_game, evaluate, nash_gap
from mpgverify.algorithms import make_algorithm
from mpgverify.algorithms.gradients import policy_gradients
from mpgverify.errors import FormatError
from mpgverify.factored import (
    FactoredGame,
    factored_coordination_game,
    factored_evaluate,
    factored_nash_gap,
    factored_poa,
    factored_policy_gradients,
    factored_social_optimum,
)
from mpgverify.policy import random_logits, softmax_policy
from mpgverify.welfare import price_of_anarchy, social_optimum

F64 = torch.float64


def random_factored(seed: int, n: int) -> FactoredGame:
    """Local states and actions of different sizes, kernels that depend on the local state, distinct rewards."""
    gen = torch.Generator().manual_seed(seed)
    sizes = [2 + (i % 2) for i in range(n)]
    acts = [2 + ((i + 1) % 2) for i in range(n)]
    local = tuple(torch.rand(L, A, L, generator=gen, dtype=F64).softmax(-1) for L, A in zip(sizes, acts, strict=True))
    S = 1
    for L in sizes:
        S *= L
    rewards = torch.rand(n, S, generator=gen, dtype=F64)
    mu = torch.rand(S, generator=gen, dtype=F64).softmax(-1)
    return FactoredGame(0.9, local, rewards, mu, rewards.mean(0), f"random-factored-{n}")


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7])
def test_factored_coordination_equals_dense(n) -> None:
    fg, dg = factored_coordination_game(n), coordination_game(n)
    assert torch.equal(fg.dense().transition, dg.transition)
    probs = softmax_policy(random_logits(dg, seed=n, batch=(3,)))
    fe, de = factored_evaluate(fg, probs), evaluate(dg, probs)
    assert torch.allclose(fe.V, de.V, atol=1e-10)
    assert torch.allclose(fe.d, de.d, atol=1e-10)
    assert fe.Phi is not None and de.Phi is not None and torch.allclose(fe.Phi, de.Phi, atol=1e-10)
    for a, b in zip(fe.advantages, de.advantages, strict=True):
        assert torch.allclose(a, b, atol=1e-10)
    assert torch.allclose(factored_nash_gap(fg, probs), nash_gap(dg, probs).gap, atol=1e-9)
    assert torch.allclose(factored_social_optimum(fg).value, social_optimum(dg).value, atol=1e-9)
    assert torch.allclose(factored_poa(fg, probs), price_of_anarchy(dg, probs), atol=1e-10)


@pytest.mark.parametrize("seed, n", [(0, 1), (1, 2), (2, 3), (3, 4)])
def test_random_factored_games_equal_dense(seed, n) -> None:
    fg = random_factored(seed, n)
    dg = fg.dense()
    probs = softmax_policy(random_logits(dg, seed=seed, batch=(2,)))
    fe, de = factored_evaluate(fg, probs), evaluate(dg, probs)
    assert torch.allclose(fe.V, de.V, atol=1e-10)
    for a, b in zip(factored_policy_gradients(fg, probs), policy_gradients(probs, de), strict=True):
        assert torch.allclose(a, b, atol=1e-10)
    assert torch.allclose(factored_nash_gap(fg, probs), nash_gap(dg, probs).gap, atol=1e-9)
    assert torch.allclose(factored_social_optimum(fg).value, social_optimum(dg).value, atol=1e-9)


def test_pg_runs_on_a_factored_game_as_on_the_dense_one() -> None:
    fg, dg = factored_coordination_game(3), coordination_game(3)
    alg = make_algorithm("pg", lr=0.1)
    fs, ds = alg.init(fg, seed=0, batch=2), alg.init(dg, seed=0, batch=2)
    for _ in range(5):
        fs, ds = alg.step(fg, fs), alg.step(dg, ds)
    for a, b in zip(fs.theta, ds.theta, strict=True):
        assert torch.allclose(a, b, atol=1e-12)


def test_factored_game_validates_its_fields() -> None:
    k = torch.tensor([[[0.5, 0.5], [1.0, 0.0]], [[0.2, 0.8], [0.3, 0.7]]], dtype=F64)
    with pytest.raises(FormatError, match=r"local\[0\]"):
        FactoredGame(0.9, (k[:, :, :1],), torch.zeros(1, 2), torch.tensor([0.5, 0.5]))
    with pytest.raises(FormatError, match="rewards"):
        FactoredGame(0.9, (k,), torch.zeros(1, 3), torch.tensor([0.5, 0.5]))
    with pytest.raises(FormatError, match="gamma"):
        FactoredGame(1.0, (k,), torch.zeros(1, 2), torch.tensor([0.5, 0.5]))
    with pytest.raises(FormatError, match="n"):
        factored_coordination_game(0)


@pytest.mark.parametrize("n", [2, 3])
def test_lanczos_hessian_norm_equals_the_dense_hessian_norm(n) -> None:
    from mpgverify.evaluation import potential_values
    from mpgverify.hessian import hessian_spectral_norm

    game = coordination_game(n)
    theta = random_logits(game, seed=n)
    sizes = [t.numel() for t in theta]
    x0 = torch.cat([t.reshape(-1) for t in theta])

    def phi(x: torch.Tensor) -> torch.Tensor:
        parts = torch.split(x, sizes)
        probs = softmax_policy(tuple(p.reshape(game.n_states, -1) for p in parts))
        return potential_values(game, probs)[0]

    dense = float(torch.linalg.matrix_norm(torch.autograd.functional.hessian(phi, x0), ord=2))
    assert hessian_spectral_norm(phi, x0, steps=x0.numel()) == pytest.approx(dense, rel=1e-9)
    assert hessian_spectral_norm(phi, x0, steps=4) <= dense * (1 + 1e-9)  # fewer steps: a lower bound


def test_best_responses_with_value_iteration_warm_start_equal_dense_at_n8() -> None:
    """From 256 states on, best responses start with value-iteration backups (mpgverify.factored.SWEEPS_FROM_STATES)."""
    from mpgverify.factored import SWEEPS_FROM_STATES

    fg, dg = factored_coordination_game(8), coordination_game(8)
    assert fg.n_states >= SWEEPS_FROM_STATES
    probs = softmax_policy(random_logits(dg, seed=8, batch=(2,)))
    assert torch.allclose(factored_nash_gap(fg, probs), nash_gap(dg, probs).gap, atol=1e-9)
    assert torch.allclose(factored_poa(fg, probs), price_of_anarchy(dg, probs), atol=1e-10)
