"""The float64 torch path equals the independent sympy rational path on random small games."""

from __future__ import annotations

import pytest
import torch

import randomgames as rg
from mpgverify import (
    evaluate,
    mismatch_coefficient,
    nash_gap,
    potential_range,
    price_of_anarchy,
    random_logits,
    social_optimum,
    softmax_policy,
)
from mpgverify.solvers.exact import (
    exact_evaluate,
    exact_mismatch,
    exact_nash_gap,
    exact_poa,
    exact_potential_range,
    exact_social_optimum,
    rationalize_game,
    rationalize_policy,
)

TOL = 1e-9  # float64 linear solves on games with values ≤ 1/(1 − γ) = 10


def small_games():
    for seed in range(6):
        yield rg.identical_interest_game(seed=seed, n_agents=2, n_states=3, n_actions=(2, 3))
        yield rg.dummy_term_game(seed=seed, n_agents=3, n_states=2, n_actions=2)
        yield rg.constant_offset_game(seed=seed, n_agents=2, n_states=2, n_actions=2, transitions="deterministic")
        yield rg.general_sum_game(
            seed=seed, n_agents=2, n_states=2, n_actions=(3, 2), transitions="sparse", mu="random"
        )


GAMES = list(small_games())


def assert_close(name: str, got: object, exact: object) -> None:
    g, e = float(got), float(exact)  # type: ignore[arg-type]
    assert abs(g - e) <= TOL * (1 + abs(e)), f"{name}: float64 {g!r} vs exact {e!r} (diff {g - e:.3g})"


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
def test_float_path_equals_rational_path(game) -> None:
    probs = softmax_policy(random_logits(game, seed=7))
    eg, ep = rationalize_game(game), rationalize_policy(probs)
    ex = exact_evaluate(eg, ep)
    ev = evaluate(game, probs)
    for i in range(game.n_agents):
        assert_close(f"V^{i}(mu)", ev.V_mu[i], ex.V_mu[i])
        for s in range(game.n_states):
            assert_close(f"V^{i}({s})", ev.V[i, s], ex.V[i][s])
            for a in range(game.n_joint_actions):
                assert_close(f"Q^{i}({s},{a})", ev.Q[i, s, a], ex.Q[i][s][a])
            for ai in range(game.n_actions[i]):
                assert_close(f"A^{i}({s},{ai})", ev.advantages[i][s, ai], ex.advantages[i][s][ai])
    for s in range(game.n_states):
        assert_close(f"d({s})", ev.d[s], ex.d[s])
    if game.phi is not None:
        assert_close("Phi(mu)", ev.Phi_mu, ex.Phi_mu)
        lo, hi = exact_potential_range(eg)
        got = potential_range(game)
        assert_close("Phi_min", got.low, lo)
        assert_close("Phi_max", got.high, hi)
    gap, gains = exact_nash_gap(eg, ep)
    ng = nash_gap(game, probs)
    assert_close("Nash-gap", ng.gap, gap)
    for i, g in enumerate(gains):
        assert_close(f"gain^{i}", ng.gains[i], g)
    assert_close("social optimum", social_optimum(game).value, exact_social_optimum(eg))
    assert_close("POA", price_of_anarchy(game, probs), exact_poa(eg, ep))
    if game.mu.min() > 0:
        assert_close("M", mismatch_coefficient(game).M, exact_mismatch(eg))


def test_batched_evaluation_equals_one_by_one() -> None:
    game = GAMES[0]
    logits = random_logits(game, seed=3, batch=(4,))
    batch = evaluate(game, softmax_policy(logits))
    gaps = nash_gap(game, softmax_policy(logits)).gap
    for b in range(4):
        one = softmax_policy(tuple(t[b] for t in logits))
        single = evaluate(game, one)
        assert torch.allclose(batch.V[b], single.V, atol=1e-13, rtol=0)
        assert torch.allclose(batch.d[b], single.d, atol=1e-13, rtol=0)
        assert abs(float(gaps[b]) - float(nash_gap(game, one).gap)) < 1e-12
