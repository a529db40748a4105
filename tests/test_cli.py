"""The command line: results, help, and bad input → exit 2 with one line and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from mpgverify import MarkovGame, coordination_game, load_game, save_game
from mpgverify.cli import build_parser, main
from mpgverify.formats import game_to_json, save_policy
from mpgverify.policy import uniform_policy


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mpgverify", *args], capture_output=True, text=True)


def test_evaluate_json_matches_format() -> None:
    out = run("evaluate", "coordination:n=2", "--policy", "uniform", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["format"] == "mpgverify.evaluation/1"
    assert set(report) >= {
        "values",
        "potential",
        "nash_gap",
        "best_response_gains",
        "social_value",
        "social_optimum",
        "poa",
    }
    assert report["values"] == pytest.approx([25.0, 25.0], abs=1e-10)
    assert report["social_optimum"] == pytest.approx(95.6, abs=1e-9)
    assert report["poa"] == pytest.approx(50 / 95.6, abs=1e-12)


def test_evaluate_table_and_files(tmp_path, capsys) -> None:
    assert main(["export", "coordination:n=3,gamma=0.9", "--out", str(tmp_path / "g.json")]) == 0
    game = load_game(tmp_path / "g.json")
    assert game.gamma == 0.9 and game.n_agents == 3
    save_policy(uniform_policy(game), tmp_path / "p.json")
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "g.json"), "--policy", str(tmp_path / "p.json")]) == 0
    text = capsys.readouterr().out
    assert "Nash-gap" in text and "POA" in text


def test_random_policy_is_seeded(capsys) -> None:
    main(["evaluate", "coordination:n=2", "--policy", "random:5", "--json"])
    first = capsys.readouterr().out
    main(["evaluate", "coordination:n=2", "--policy", "random:5", "--json"])
    assert capsys.readouterr().out == first


def test_constants(capsys) -> None:
    assert main(["constants", "coordination:n=2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # φ ≥ 0 and the all-zeros state pays 3 forever at best: Φ_max ≤ 3/(1 − γ) = 60.
    assert 0.0 <= out["phi_min"] <= out["phi_max"] <= 60.0
    assert out["M"] >= 1.0


def unreachable_game() -> MarkovGame:
    # μ is a point mass on state 0; state 1 is reached only if agent 0 plays action 1.
    T = torch.zeros(2, 2, 2, dtype=torch.float64)
    T[0, 0, 0] = 1.0
    T[0, 1, 1] = 1.0
    T[1, :, 1] = 1.0
    return MarkovGame(
        gamma=0.9,
        n_actions=(2,),
        mu=[1.0, 0.0],
        transition=T,
        rewards=torch.zeros(1, 2, 2),
        potential=torch.zeros(2, 2),
    )


BAD = [
    (
        ["evaluate", "nope.json", "--policy", "uniform"],
        "GAME: 'nope.json' is neither a file nor a built-in game",
    ),
    (["evaluate", "coordination:n=2,k=3", "--policy", "uniform"], "unknown option 'k'"),
    (["evaluate", "coordination:n=x", "--policy", "uniform"], "n: must be an integer"),
    (["evaluate", "coordination:n=2,gamma=1.5", "--policy", "uniform"], "gamma: must satisfy 0 ≤ gamma < 1"),
    (["evaluate", "coordination:n=2", "--policy", "random:abc"], "--policy: random:SEED needs"),
    (["evaluate", "coordination:n=2", "--policy", "missing.json"], "--policy: 'missing.json' is neither"),
]


@pytest.mark.parametrize("argv,message", BAD, ids=[b[1][:30] for b in BAD])
def test_bad_input_exits_2_with_one_line(argv, message) -> None:
    out = run(*argv)
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert message in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert out.stdout == ""


def test_bad_files_exit_2(tmp_path) -> None:
    obj = game_to_json(coordination_game(2))
    obj["mu"][1] = float("nan")
    (tmp_path / "g.json").write_text(json.dumps(obj))  # json writes the bare token NaN
    out = run("evaluate", str(tmp_path / "g.json"), "--policy", "uniform")
    assert out.returncode == 2 and "mu[1]: must be finite" in out.stderr and "Traceback" not in out.stderr
    save_game(unreachable_game(), tmp_path / "u.json")
    (tmp_path / "p.json").write_text('{"format": "mpgverify.policy/1", "probs": [[[1.0, 0.0, 0.0]]]}')
    out = run("evaluate", str(tmp_path / "u.json"), "--policy", str(tmp_path / "p.json"))
    assert out.returncode == 2 and "probs[0]" in out.stderr and "Traceback" not in out.stderr


def test_assumption_2_1_failure_is_named(tmp_path) -> None:
    save_game(unreachable_game(), tmp_path / "u.json")
    out = run("constants", str(tmp_path / "u.json"))
    assert out.returncode == 2
    assert "Assumption 2.1" in out.stderr and "state 1 is never visited" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_help_is_complete() -> None:
    parser = build_parser()
    text = parser.format_help()
    commands = (
        "evaluate",
        "export",
        "constants",
        "check-mpg",
        "run",
        "check-algorithm",
        "claims",
        "hunt",
        "figures",
        "replay",
    )
    for command in commands:
        assert command in text
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(commands)  # type: ignore[arg-type]
    for name, p in sub.choices.items():  # type: ignore[union-attr]
        help_text = p.format_help()
        assert p.description and len(help_text) > 200, name
        if name in ("evaluate", "export", "constants", "check-mpg", "run"):
            assert "GAME" in help_text, name
    assert run("evaluate", "--help").returncode == 0
