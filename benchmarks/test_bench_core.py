"""Timings of the exact core (pytest-benchmark). Numbers go to the README, never into assertions."""

from __future__ import annotations

import pytest

from mpgverify import (
    coordination_game,
    evaluate,
    nash_gap,
    price_of_anarchy,
    random_logits,
    social_optimum,
    softmax_policy,
)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_full_evaluation_nash_gap_poa(benchmark, n) -> None:
    """Evaluation + Nash-gap + POA of one policy on the coordination game (issue target: N = 5 in ms)."""
    game = coordination_game(n)
    probs = softmax_policy(random_logits(game, seed=0))

    def run():
        ev = evaluate(game, probs)
        gap = nash_gap(game, probs, V_mu=ev.V_mu)
        poa = price_of_anarchy(game, probs, V_mu=ev.V_mu)
        return gap.gap, poa

    benchmark(run)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_social_optimum(benchmark, n) -> None:
    game = coordination_game(n)
    benchmark(social_optimum, game)


def test_batched_evaluation_10_policies_n5(benchmark) -> None:
    game = coordination_game(5)
    probs = softmax_policy(random_logits(game, seed=0, batch=(10,)))
    benchmark(lambda: nash_gap(game, probs))


@pytest.mark.parametrize("name", ["pg", "npg"])
def test_training_10_seeds_400_iterations_n5(benchmark, name) -> None:
    """Training only (no per-iteration metrics): issue 7's target is < 1 s for tabular PG."""
    from mpgverify.algorithms import make_algorithm

    game = coordination_game(5)
    alg = make_algorithm(name)

    def train():
        state = alg.init(game, seed=0, batch=10)
        for _ in range(400):
            state = alg.step(game, state)
        return state

    benchmark.pedantic(train, rounds=3, iterations=1)
