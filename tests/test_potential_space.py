"""The MPG space of a kernel (:mod:`mpgverify.solvers.potential_space`) and the generators built on it:
each generator class is surjective onto its declared class — decompose, rebuild, equal — on games
built by this package's generators and by other routes (the paper's coordination game, the
congestion game, hand-built games, projections of general-sum games)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import randomgames as rg
import randomgames.strategies as rgs
from mpgverify.arrays import DTYPE
from mpgverify.builtin_games import coordination_game
from mpgverify.solvers.mpg_check import check_mpg
from mpgverify.solvers.potential_space import (
    NotAnMPG,
    agent_term_bases,
    compose_rewards,
    decompose_mpg,
    project_to_mpg,
)
from randomgames import builders as gen
from tests.handgames import matrix_coordination, mpg_or_roundoff, switch_mdp


def assert_rebuilds(game, tol: float = 1e-9) -> None:
    """decompose → rebuild with the generator → the same rewards; the rebuilt game is an MPG under
    the independent Def 2.2 check of :func:`mpgverify.solvers.mpg_check.check_mpg`."""
    d = decompose_mpg(game)
    rebuilt = gen.build_general_mpg(d.phi, d.coefficients, game.transition, game.mu, game.gamma, "rebuilt")
    err = float((rebuilt.rewards - game.rewards).abs().max())
    assert err <= tol * (1 + float(game.rewards.abs().max())), f"{game!r}: rebuilt rewards differ by {err:.3g}"
    checked = check_mpg(rebuilt, seed=3)
    assert mpg_or_roundoff(checked) and checked.stated_potential_ok, (game, checked)


@pytest.mark.parametrize(
    "game",
    [
        coordination_game(2),
        coordination_game(3, gamma=0.9),
        rg.congestion_game(seed=0, n_agents=3, n_facilities=2),
        rg.congestion_game(seed=1, n_agents=2, n_facilities=3, switch_prob=0.2),
        switch_mdp(),
        matrix_coordination(),
    ],
    ids=["coordination-2", "coordination-3", "congestion-3x2", "congestion-2x3", "switch-mdp", "matrix-coordination"],
)
def test_games_built_by_other_routes_decompose_and_rebuild(game) -> None:
    assert_rebuilds(game)


@settings(max_examples=25)
@given(game=rgs.general_sum_games(max_agents=3, max_states=3, max_actions=3, reward_range=(-1.0, 1.0)))
def test_projection_of_a_general_sum_game_is_an_mpg_that_rebuilds(game) -> None:
    projected = project_to_mpg(game)
    assert_rebuilds(projected)
    again = project_to_mpg(projected)  # a projection: idempotent
    assert float((again.rewards - projected.rewards).abs().max()) <= 1e-9


@settings(max_examples=25)
@given(game=rgs.general_mpgs(agent_term_range=(-2.0, 2.0), reward_range=(-1.0, 1.0)))
def test_general_class_decomposes_and_rebuilds(game) -> None:
    assert_rebuilds(game)


@pytest.mark.parametrize("name", ["identical_interest", "dummy_term", "constant_offset", "normal_form_potential"])
def test_older_classes_lie_in_the_general_class(name) -> None:
    @settings(max_examples=15)
    @given(game=rgs.MPG_CLASSES[name]())
    def check(game) -> None:
        assert_rebuilds(game)

    check()


def test_non_mpg_controls_do_not_decompose() -> None:
    for game in (rg.statewise_potential_game(seed=3), rg.general_sum_game(seed=4, n_states=3, n_actions=3)):
        with pytest.raises(NotAnMPG, match="residual"):
            decompose_mpg(game)


def test_agent_terms_of_a_generic_kernel_are_the_shaping_terms() -> None:
    # generic action-dependent P: the admissible uⁱ are exactly gⁱ(s) − γ Σ P(s'|s,a) gⁱ(s')
    game = rg.identical_interest_game(seed=9, n_agents=2, n_states=3, n_actions=(2, 3), gamma=0.8)
    S = game.n_states
    shaping = torch.eye(S, dtype=DTYPE)[:, None, :] - game.gamma * game.P  # [S, A, S]: column g = e_k
    shaping = shaping.permute(2, 0, 1).reshape(S, -1).T  # [S·A, S]
    for B in agent_term_bases(game.transition, game.gamma):
        assert B.shape[1] == S
        inside = B @ (B.T @ shaping)
        assert float((inside - shaping).abs().max()) <= 1e-10


def test_agent_terms_of_a_state_only_kernel_are_the_dummy_terms() -> None:
    game = rg.dummy_term_game(seed=2, n_agents=3, n_states=2, n_actions=(2, 3, 2))
    S, acts = game.n_states, game.n_actions
    for i, B in enumerate(agent_term_bases(game.transition, game.gamma)):
        others = S * torch.tensor(acts).prod().item() // acts[i]
        assert B.shape[1] == others, (i, B.shape)


@settings(max_examples=25)
@given(game=rgs.positive_potential_mpgs(max_agents=3, max_states=3))
def test_positive_potential_class_rebuilds_and_meets_assumption_4_6(game) -> None:
    params = gen.positive_potential_parameters(game)
    assert float(params["potential_floor"].min()) > 0 and float(params["surplus_floor"].min()) >= -1e-12
    rebuilt = gen.build_positive_potential_mpg(
        params["phi"],
        params["dummies"],
        params["rows"],
        params["potential_floor"],
        params["surplus_floor"].clamp(min=0.0),
        game.mu,
        game.gamma,
        "rebuilt",
    )
    assert float((rebuilt.rewards - game.rewards).abs().max()) <= 1e-12
    assert_rebuilds(game)


def test_positive_potential_class_reaches_negative_terms() -> None:
    # the premise space, not a corner: agent terms below zero and potentials below zero occur
    neg_term = neg_phi = 0
    for seed in range(40):
        g = rg.positive_potential_mpg_game(seed=seed, n_agents=2, n_states=2)
        neg_term += bool(((g.rewards - g.potential) < 0).any())
        neg_phi += bool((g.potential < 0).any())
    assert neg_term >= 20 and neg_phi >= 5, (neg_term, neg_phi)


def test_compose_matches_seeded_generator() -> None:
    g = rg.general_mpg_game(seed=5, n_agents=2, n_states=2, n_actions=3, transitions="sparse")
    d = decompose_mpg(g)
    assert float((compose_rewards(d.phi, d.coefficients, d.bases) - g.rewards).abs().max()) <= 1e-12
    assert mpg_or_roundoff(check_mpg(g))


@given(st.data())
@settings(max_examples=10)
def test_build_general_mpg_validates_coefficients(data) -> None:
    g = rg.general_mpg_game(seed=1)
    with pytest.raises(ValueError, match=r"coefficients\[0\]"):
        gen.build_general_mpg(g.potential, [torch.zeros(1, dtype=DTYPE)] * 2, g.transition, g.mu, g.gamma, "x")


def test_a_game_too_large_for_the_dense_basis_is_refused_clearly() -> None:
    from mpgverify.errors import MpgverifyError

    big = coordination_game(7)  # S·A = 128 · 128 = 16384
    with pytest.raises(MpgverifyError, match="exceeds 4096"):
        decompose_mpg(big)


def test_the_basis_cache_returns_what_the_computation_gives() -> None:
    """A cached basis equals the one computed afresh, bit for bit; a hit is a copy (mutating it does not
    reach the cache); the key is the kernel's content and γ (an equal kernel in another tensor hits, a
    different γ does not)."""
    from mpgverify.solvers import potential_space as ps
    from randomgames.generators import general_mpg_game

    game = general_mpg_game(seed=11, n_agents=2, n_states=2, n_actions=(2, 3), gamma=0.7)
    ps._CACHE.clear()
    first = ps.agent_term_basis(game.transition, game.gamma, 1)
    assert len(ps._CACHE) == 1
    fresh = ps._basis(game.transition.reshape(2, 6, 2), game.gamma, (2, 3), 1, 0)
    assert torch.equal(first, fresh)
    first.fill_(7.0)
    again = ps.agent_term_basis(game.transition.clone(), game.gamma, 1)
    assert torch.equal(again, fresh) and len(ps._CACHE) == 1, "a copy of the kernel is the same key"
    other = ps.agent_term_basis(game.transition, 0.3, 1)
    assert len(ps._CACHE) == 2 and torch.equal(other, ps._basis(game.transition.reshape(2, 6, 2), 0.3, (2, 3), 1, 0))
