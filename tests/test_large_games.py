"""Past the dense limit: the CLI picks the factored representation, recording is batched and
warm-started without changing a number, and --repr overrides the choice."""

from __future__ import annotations

import json

import pytest
import torch

from mpgverify import coordination_game, nash_gap
from mpgverify.algorithms import make_algorithm
from mpgverify.builtin_games import coordination, factored_coordination_game, parse_game_spec
from mpgverify.cli import main
from mpgverify.experiments.run import run
from mpgverify.factored import FactoredGame
from mpgverify.game import MarkovGame
from mpgverify.solvers.nash import best_response


def test_the_representation_is_picked_by_size_and_can_be_overridden() -> None:
    assert isinstance(parse_game_spec("coordination:n=8"), MarkovGame)
    assert isinstance(parse_game_spec("coordination:n=9"), FactoredGame)
    assert isinstance(parse_game_spec("coordination:n=3", representation="factored"), FactoredGame)
    assert parse_game_spec("coordination:n=12").name == "coordination:n=12"
    with pytest.raises(Exception, match="dense coordination game is built for n ≤ 8"):
        coordination(9, representation="dense")


def test_the_cli_evaluates_and_runs_coordination_n12(tmp_path, capsys) -> None:
    assert main(["evaluate", "coordination:n=12", "--policy", "uniform", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["game"] == "coordination:n=12" and len(report["values"]) == 12
    assert report["nash_gap"] >= 0 and 0 < report["poa"] <= 1
    args = ["run", "pg", "--game", "coordination:n=12", "--seeds", "1", "--iters", "2", "--record-every", "2"]
    assert main([*args, "--out", str(tmp_path), "--json"]) == 0
    run_report = json.loads(capsys.readouterr().out)
    assert run_report["game"] == "coordination:n=12"
    lines = (tmp_path / "pg-coordination-n-12-curves.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["0", "2"]  # iterations 0 and 2 recorded


@pytest.mark.parametrize(
    "argv, message",
    [
        (["export", "coordination:n=12", "--out", "x.json"], "export"),
        (["check-mpg", "coordination:n=10"], "check-mpg works on the dense"),
        (["evaluate", "coordination:n=12", "--repr", "dense", "--policy", "uniform"], "built for n ≤ 8"),
    ],
)
def test_dense_only_work_past_the_limit_exits_2_with_one_line(argv, message, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_constants_past_the_limit_give_the_potential_range_and_say_why_m_is_missing(capsys) -> None:
    assert main(["constants", "coordination:n=9", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["M"] is None and "2S = 1024 MDP optima" in out["note"] and out["phi_max"] > out["phi_min"] > 0


def _constants_of(spec: str, representation: str, capsys) -> str:
    main(["constants", spec, "--repr", representation, "--json"])
    return capsys.readouterr().out


def test_constants_agree_across_representations(capsys) -> None:
    dense = json.loads(_constants_of("coordination:n=4", "dense", capsys))
    factored = json.loads(_constants_of("coordination:n=4", "factored", capsys))
    assert factored["phi_min"] == pytest.approx(dense["phi_min"], abs=1e-9)
    assert factored["phi_max"] == pytest.approx(dense["phi_max"], abs=1e-9)


@pytest.mark.parametrize("factored", [False, True])
def test_batched_recording_equals_per_seed_recording(factored) -> None:
    """One batched, warm-started Nash-gap over every seed and agent equals each seed's and agent's
    own best response computed alone, at every recorded iteration."""
    game = factored_coordination_game(4) if factored else coordination_game(4)
    alg = make_algorithm("pg", lr=0.1)
    state = alg.init(game, seed=3, batch=3)
    previous = None
    for _ in range(4):
        probs = alg.policy(state)
        gap = nash_gap(game, probs, start=previous)
        previous = gap.responses
        for b in range(3):
            alone = tuple(p[b] for p in probs)
            own = torch.stack([best_response(game, alone, i).V_mu for i in range(game.n_agents)])
            assert torch.allclose(gap.best_values[b], own, rtol=0, atol=1e-12), (gap.best_values[b] - own).abs().max()
        state = alg.step(game, state)


def test_recorded_curves_do_not_depend_on_the_recording_interval() -> None:
    game = coordination_game(3)
    alg = make_algorithm("pg", lr=0.1)
    every = run(alg, game, seeds=2, iters=6, every=1)
    sparse = run(alg, game, seeds=2, iters=6, every=3)
    assert sparse.steps == (0, 3, 6)
    for name in ("nash_gap", "poa", "values"):
        assert torch.equal(getattr(sparse, name), getattr(every, name)[[0, 3, 6]]), name
