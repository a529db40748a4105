"""randomgames: every MPG class satisfies Def 2.2, the checker separates MPGs from controls with
exact certificates, strategies validate their arguments and shrink to small games."""

from __future__ import annotations

import json
from random import Random

import pytest
import torch
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import randomgames as rg
import randomgames.strategies as rgs
from mpgverify import load_game, potential_values, state_values
from mpgverify.cli import main
from mpgverify.formats import save_game
from mpgverify.solvers.mpg_check import check_mpg, recheck_certificate
from tests.handgames import mpg_or_roundoff

MANY = max(100, 4 * settings().max_examples)  # "hundreds of drawn games" at every budget


def def_2_2_residual(game, pi, bar, i) -> tuple[float, float]:
    """(max_s |ΔVⁱ(s) − ΔΦ(s)|, value scale) for the pair (π, π̄) differing in agent i."""
    dV = state_values(game, bar)[..., i, :] - state_values(game, pi)[..., i, :]
    dPhi = potential_values(game, bar) - potential_values(game, pi)
    return float((dV - dPhi).abs().max()), 1.0 + float(state_values(game, pi).abs().max())


@pytest.mark.parametrize("name", sorted(rgs.MPG_CLASSES))
def test_every_mpg_class_satisfies_def_2_2(name) -> None:
    @settings(max_examples=MANY)
    @given(data=st.data())
    def check(data) -> None:
        game = data.draw(rgs.MPG_CLASSES[name](), label="game")
        for _ in range(4):
            pi, bar, i = data.draw(rgs.policy_pairs(game), label="pair")
            resid, scale = def_2_2_residual(game, pi, bar, i)
            assert resid <= 1e-10 * scale, f"{game!r}: Def 2.2 residual {resid:.3g} for agent {i}"

    check()


@pytest.mark.parametrize("name", sorted(rgs.MPG_CLASSES))
def test_checker_accepts_every_mpg_class(name) -> None:
    @given(game=rgs.MPG_CLASSES[name]())
    def check(game) -> None:
        # exactly an MPG, or one whose floats miss it by round-off only (its 4-cycles, summed in rationals):
        # then "undecided at this precision", never "not an MPG"
        stated = check_mpg(game)
        assert mpg_or_roundoff(stated) and stated.stated_potential_ok, (game, stated)
        hidden = check_mpg(game.replace(potential=None))
        assert mpg_or_roundoff(hidden), (game, hidden)

    check()


@given(game=rgs.non_mpgs())
def test_checker_rejects_every_control_with_a_valid_certificate(game) -> None:
    result = check_mpg(game)
    assert not result.is_mpg, f"{game!r} is a proven non-MPG, checker said MPG ({result.basis})"
    assert result.basis == "cycle"
    cert = json.loads(json.dumps(result.certificate))  # survives a JSON round trip
    exact = recheck_certificate(cert)
    assert exact != 0 and str(exact) == cert["exact_cycle_sum"]
    assert abs(float(exact) - cert["cycle_sum"]) <= 1e-9 * (1 + abs(float(exact)))


def test_stated_but_wrong_potential_is_reported() -> None:
    game = rg.identical_interest_game(seed=0)
    wrong = game.replace(potential=game.potential + torch.arange(game.potential.numel()).reshape(game.potential.shape))
    result = check_mpg(wrong)
    assert result.stated_potential_ok is False and result.is_mpg and result.basis == "fitted potential"


def test_crowding_congestion_game_is_not_an_mpg() -> None:
    # The Leonardos-style variant where crowding drives the state: certified not an MPG.
    result = check_mpg(rg.congestion_game(seed=0, n_agents=3, n_facilities=3, crowding=True))
    assert not result.is_mpg and recheck_certificate(result.certificate) != 0


def test_check_mpg_cli(tmp_path, capsys) -> None:
    save_game(rg.statewise_potential_game(seed=5), tmp_path / "c.json")
    capsys.readouterr()
    assert main(["check-mpg", str(tmp_path / "c.json"), "--certificate", str(tmp_path / "cert.json")]) == 1
    assert json.loads((tmp_path / "cert.json").read_text())["exact"] is True
    capsys.readouterr()
    save_game(rg.identical_interest_game(seed=0).replace(potential=None), tmp_path / "d.json")  # exact in floats
    assert main(["check-mpg", str(tmp_path / "d.json"), "--potential-out", str(tmp_path / "fit.json"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["verdict"] == "MPG" and summary["basis"] == "fitted potential"
    fitted = load_game(tmp_path / "fit.json")
    assert check_mpg(fitted).basis == "stated potential"


def minimal(strategy, condition=lambda x: True):
    # seeded: the shrinker's result must not depend on the run
    return find(strategy, condition, settings=settings(database=None, max_examples=500), random=Random(0))


def test_strategies_shrink_to_the_smallest_game() -> None:
    g = minimal(rgs.mpgs())
    assert (g.n_agents, g.n_states, g.n_actions, g.gamma) == (1, 1, (1,), 0.0)
    g = minimal(rgs.mpgs(), lambda g: g.n_agents >= 2 and g.n_states >= 2)
    assert (g.n_agents, g.n_states, g.n_actions) == (2, 2, (1, 1))
    g = minimal(rgs.identical_interest_games(min_states=2, min_actions=2))
    assert torch.allclose(g.transition, torch.full_like(g.transition, 0.5)), "rows shrink to uniform"
    assert float(g.rewards.abs().max()) == 0.0, "rewards shrink to the low end"
    g = minimal(rgs.non_mpgs())  # one_of shrinks to its first branch, the state-wise control
    assert (g.n_agents, g.n_states, g.n_actions, g.gamma) == (2, 2, (2, 2), 0.5)
    g = minimal(rgs.general_sum_controls())
    assert (g.n_agents, g.n_states, g.n_actions, g.gamma) == (2, 1, (2, 2), 0.0)
    assert minimal(rgs.coordination_games()).n_agents == 1


@pytest.mark.parametrize(
    "factory",
    [
        lambda: rgs.identical_interest_games(min_agents=0),
        lambda: rgs.identical_interest_games(min_states=3, max_states=2),
        lambda: rgs.identical_interest_games(max_gamma=1.0),
        lambda: rgs.identical_interest_games(reward_range=(1.0, 0.0)),
        lambda: rgs.identical_interest_games(transitions=("bogus",)),
        lambda: rgs.statewise_potential_controls(min_gamma=0.0),
        lambda: rgs.coordination_games(max_agents=9),
        lambda: rgs.general_mpgs(max_agnets=2),
        lambda: rgs.general_sum_controls(max_actions=1),
        lambda: rgs.mpgs(min_actions=1.5),
        lambda: rgs.normal_form_potential_games(max_states=2),
    ],
)
def test_strategy_arguments_are_validated(factory) -> None:
    with pytest.raises(InvalidArgument):
        minimal(factory())


@pytest.mark.parametrize(
    "make",
    [
        rg.identical_interest_game,
        rg.dummy_term_game,
        rg.constant_offset_game,
        rg.general_sum_game,
        rg.statewise_potential_game,
        rg.congestion_game,
    ],
)
def test_seeded_generators_are_reproducible(make) -> None:
    a, b = make(seed=11), make(seed=11)
    assert torch.equal(a.rewards, b.rewards) and torch.equal(a.transition, b.transition)
    assert not torch.equal(a.rewards, make(seed=12).rewards)


@given(game=rgs.identical_interest_games(transitions=("deterministic",), mus=("point",), max_gamma=0.99))
def test_edge_cases_evaluate_finitely(game) -> None:
    # deterministic transitions (absorbing states included), point-mass mu, gamma up to 0.99
    V = state_values(
        game,
        __import__("mpgverify").softmax_policy(
            tuple(torch.zeros(game.n_states, n, dtype=torch.float64) for n in game.n_actions)
        ),
    )
    assert torch.isfinite(V).all()


@pytest.mark.parametrize(
    ("sizes", "field", "rule"),
    [
        ({"min_agents": 0}, "min_agents", "must be ≥ 1, got 0"),
        ({"min_states": 3, "max_states": 2}, "max_states", "must be ≥ min_states=3, got 2"),
        ({"max_actions": True}, "max_actions", "must be an integer, got True"),
        ({"max_gamma": 1.0}, "gamma", "need 0 ≤ min_gamma ≤ max_gamma < 1, got 0.0, 1.0"),
        ({"min_gamma": float("nan")}, "min_gamma", "must be a finite number, got nan"),
        ({"max_agnets": 2}, "max_agnets", "is not a size keyword"),
    ],
)
def test_size_specification_names_the_keyword_and_the_rule(sizes, field, rule) -> None:
    from randomgames.sizes import GameSizes, SizeError

    with pytest.raises(SizeError) as e:
        GameSizes.of(sizes)
    assert e.value.field == field and e.value.rule.startswith(rule), (e.value.field, e.value.rule)


def test_size_floors_and_one_size_use_the_same_rules() -> None:
    from randomgames.sizes import GameSizes, SizeError

    assert GameSizes().at_least(agents=2).min_agents == 2
    assert GameSizes(min_agents=3).at_least(agents=2).min_agents == 3
    with pytest.raises(SizeError, match="max_states: must be ≥ 2 for this class"):
        GameSizes(max_states=1).at_least(states=2)
    with pytest.raises(SizeError, match="n_states: must be ≥ 1, got 0"):
        GameSizes.exactly(n_agents=2, n_states=0, n_actions=2, gamma=0.5)
    with pytest.raises(SizeError, match=r"gamma: must satisfy 0 ≤ gamma < 1, got 1\.5"):
        GameSizes.exactly(n_agents=2, n_states=2, n_actions=2, gamma=1.5)
    # the seeded generators go through the same rules
    with pytest.raises(SizeError, match="n_agents: must be ≥ 1, got 0"):
        rg.general_mpg_game(seed=0, n_agents=0)
    with pytest.raises(SizeError, match="n_actions: must be ≥ 1, got 0"):
        rg.general_mpg_game(seed=0, n_agents=2, n_actions=[2, 0])
