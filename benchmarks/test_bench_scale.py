"""Timings against N (pytest-benchmark): dense, factored and the naive reference side by side.

The naive reference (dense tensors, a Python loop over agents, nothing batched) lives in
``benchmarks/naive.py``; ``python benchmarks/scale.py --markdown`` adds peak memory per
measurement (fresh process each) for the README table. Dense and factored games go through the
same public functions (the representation is the only difference).
"""

from __future__ import annotations

import pytest
import torch

from benchmarks.naive import naive_evaluation
from mpgverify import coordination_game, evaluate, nash_gap, price_of_anarchy, random_logits, softmax_policy
from mpgverify.algorithms import make_algorithm
from mpgverify.algorithms.gradients import marginal_policy_gradients
from mpgverify.builtin_games import factored_coordination_game
from mpgverify.solvers.evaluation import potential_values
from mpgverify.solvers.hessian import hessian_spectral_norm


def _once(benchmark, fn, n):
    if n >= 9:
        return benchmark.pedantic(fn, rounds=1, iterations=1, warmup_rounds=0)
    return benchmark(fn)


@pytest.mark.parametrize("n", [2, 4, 6, 8, 10, 12])
def test_factored_evaluation_nash_gap_poa(benchmark, n) -> None:
    game = factored_coordination_game(n)
    probs = softmax_policy(random_logits(game, seed=0))

    def run():
        ev = evaluate(game, probs)
        return nash_gap(game, probs, V_mu=ev.V_mu).gap, price_of_anarchy(game, probs, V_mu=ev.V_mu)

    _once(benchmark, run, n)


@pytest.mark.parametrize("n", [2, 4, 6, 8])
def test_dense_evaluation_nash_gap_poa(benchmark, n) -> None:
    game = coordination_game(n)
    probs = softmax_policy(random_logits(game, seed=0))

    def run():
        ev = evaluate(game, probs)
        return nash_gap(game, probs, V_mu=ev.V_mu).gap, price_of_anarchy(game, probs, V_mu=ev.V_mu)

    benchmark(run)


@pytest.mark.parametrize("n", [2, 4, 6])
def test_naive_reference_evaluation_nash_gap_poa(benchmark, n) -> None:
    game = coordination_game(n)
    probs = softmax_policy(random_logits(game, seed=0))
    benchmark(naive_evaluation, game, list(probs))


@pytest.mark.parametrize("n", [2, 4, 6, 8])
def test_exact_gradient_10_policies(benchmark, n) -> None:
    game = coordination_game(n)
    probs = softmax_policy(random_logits(game, seed=0, batch=(10,)))
    benchmark(marginal_policy_gradients, game, probs)


@pytest.mark.parametrize("n, name", [(2, "pg"), (5, "pg"), (8, "pg"), (2, "npg"), (5, "npg"), (8, "npg")])
def test_one_dense_iteration_10_seeds(benchmark, n, name) -> None:
    game = coordination_game(n)
    alg = make_algorithm(name, lr=0.1)
    state = alg.init(game, seed=0, batch=10)
    benchmark(alg.step, game, state)


@pytest.mark.parametrize("n", [5, 8, 10, 12])
def test_one_factored_pg_iteration_10_seeds(benchmark, n) -> None:
    game = factored_coordination_game(n)
    alg = make_algorithm("pg", lr=0.1)
    state = alg.init(game, seed=0, batch=10)
    _once(benchmark, lambda: alg.step(game, state), n)


@pytest.mark.parametrize(
    "n, method", [(2, "dense"), (3, "dense"), (4, "dense"), (2, "lanczos"), (3, "lanczos"), (4, "lanczos")]
)
def test_hessian_spectral_norm(benchmark, n, method) -> None:
    game = coordination_game(n)
    theta = random_logits(game, seed=0)
    sizes = [t.numel() for t in theta]
    x0 = torch.cat([t.reshape(-1) for t in theta])

    def phi(x):
        parts = torch.split(x, sizes)
        return potential_values(game, softmax_policy(tuple(p.reshape(game.n_states, -1) for p in parts)))[0]

    if method == "dense":
        benchmark(lambda: torch.linalg.matrix_norm(torch.autograd.functional.hessian(phi, x0), ord=2))
    else:
        benchmark(lambda: hessian_spectral_norm(phi, x0, steps=40))


def test_one_property_example(benchmark) -> None:
    """One example of the claim lemma-3.2 (full Hessian at every state) on a fixed drawn game."""
    from properties.section3_lemmas import check_lemma_3_2
    from randomgames import identical_interest_game

    game = identical_interest_game(seed=0, n_agents=2, n_states=2, n_actions=2)
    witness = {"theta": [t.tolist() for t in random_logits(game, seed=0)]}
    benchmark(check_lemma_3_2, game, witness)


@pytest.mark.parametrize("seed, n_agents, n_states", [(0, 2, 4), (1, 3, 4), (2, 3, 8)])
def test_random_game_evaluation_nash_gap_poa(benchmark, seed, n_agents, n_states) -> None:
    """The same three quantities on random identical-interest games (3 actions per agent, random transitions)."""
    from randomgames import identical_interest_game

    game = identical_interest_game(seed=seed, n_agents=n_agents, n_states=n_states, n_actions=3)
    probs = softmax_policy(random_logits(game, seed=seed))

    def run():
        ev = evaluate(game, probs)
        return nash_gap(game, probs, V_mu=ev.V_mu).gap, price_of_anarchy(game, probs, V_mu=ev.V_mu)

    benchmark(run)
