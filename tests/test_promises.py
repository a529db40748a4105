"""The built-in algorithms declare what the paper promises them, game by game (issue 13)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from mpgverify import bounds
from mpgverify.algorithm_check import check_algorithm
from mpgverify.algorithms import make_algorithm, pg
from mpgverify.algorithms.tabular import TabularState
from mpgverify.builtin_games import coordination_game
from mpgverify.cli import main
from mpgverify.solvers.game_constants import potential_range
from randomgames import algorithm_test_games


def test_pg_promises_a_monotone_potential_exactly_up_to_the_lemma_c3_step() -> None:
    game = coordination_game(2)
    low, high = potential_range(game)
    step = (1 - 0.95) / (2 * 5 * (high - low))  # Lemma C.3: (1−γ)/(N max(5, √N)(Φ_max − Φ_min)), N = 2
    assert step == pytest.approx(bounds.lemma_c3_step(2, 0.95, high - low), rel=1e-15)
    at = make_algorithm("pg", lr=step).declarations(game)
    assert at.monotone_potential and "Lemma C.3" in at.source, at
    above = make_algorithm("pg", lr=step * 1.001).declarations(game)
    assert above.empty and "exceeds" in above.source, above


@pytest.mark.parametrize(
    ("name", "options", "promised"),
    [
        ("pg", {"lr": 1e-4}, {"monotone_potential"}),
        ("br-dynamics", {}, {"monotone_potential"}),
        ("npg-br", {"K": 400}, {"nash_reached"}),  # ε_K = 4/((1−γ)²K) = 1 at γ = 0.9
        ("pg", {}, set()),  # η = 0.1 is above every drawn game's Lemma C.3 step
        ("log-barrier-pg", {}, set()),
        ("npg", {}, set()),
        ("nn-pg", {}, set()),
        ("sampled-pg", {}, set()),
    ],
)
def test_built_in_algorithms_keep_their_promises(name: str, options: dict, promised: set[str]) -> None:
    report = check_algorithm(
        lambda **o: make_algorithm(name, **o), algorithm_test_games(3), seeds=2, iters=30, **options
    )
    assert report.ok, report.render()
    checked = {o.name for o in report.outcomes if o.checked} - {"deterministic", "runs"}
    assert checked == promised, report.render()
    skipped = [o.detail for o in report.outcomes if not o.checked]
    reasons = ("not declared", "not promised; ") if promised else ("not promised; ",)  # + the algorithm's reason
    assert all(d.startswith(reasons) for d in skipped), skipped


def test_npg_br_promise_is_theorem_3_8_at_the_epsilon_its_k_meets() -> None:
    from randomgames import identical_interest_game

    game = identical_interest_game(seed=0, n_agents=2, n_states=2, n_actions=2, gamma=0.9)
    decl = make_algorithm("npg-br", K=400).declarations(game)
    assert decl.nash_reached is not None
    eps, T = decl.nash_reached
    assert eps == pytest.approx(4 / (0.1**2 * 400))  # K = 4/((1−γ)²ε) solved for ε
    low, high = potential_range(game)
    assert T == math.floor(2 * (high - low) / eps) + 1  # Appendix E.2
    assert make_algorithm("npg-br", K=400, lr=0.5).declarations(game).empty  # stated for η = 1 only


def descending_pg(**options) -> object:
    """PG that steps down the gradient, carrying the real PG's game-dependent promises."""
    good = pg(**options)

    def step(game, state):
        up = good.step(game, state)
        return TabularState(tuple(2 * t - a for t, a in zip(state.theta, up.theta, strict=True)), up.t)

    return dataclasses.replace(good, name="descending-pg", step=step)


def test_a_broken_pg_fails_the_promise_the_real_one_keeps() -> None:
    report = check_algorithm(descending_pg, algorithm_test_games(3), seeds=2, iters=20, lr=1e-4)
    bad = {o.name: o for o in report.outcomes}["monotone_potential"]
    assert bad.checked and not bad.passed and "Lemma C.3" in bad.detail, report.render()
    args = ["check-algorithm", "tests.test_promises:descending_pg", "--games", "2", "--seeds", "1"]
    assert main([*args, "--option", "lr=0.0001"]) == 1
