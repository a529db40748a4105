"""The command line: results, help, and bad input → exit 2 with one line and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


A_FILE = str(Path(__file__).resolve())  # an existing file where a folder is needed

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
    # issue 13: arguments that used to be accepted and silently ignored or run forever
    (["claims", "--only", ""], "--only: names no claim id"),
    (["claims", "--only", " , "], "--only: names no claim id"),
    (["check-algorithm", "pg", "--games", "0"], "--games: must be an integer in [1, 10000], got '0'"),
    (["run", "pg", "--game", "coordination:n=2", "--option", "lam=nan"], "--option lam: must be a finite number"),
    (["hunt", "def-2.2", "--seconds", "inf"], "--seconds: must be a finite number, got 'inf'"),
    (["hunt", "def-2.2", "--seconds", "-1"], "--seconds: must be a number in (0, 31536000]"),
    (["hunt", "def-2.2", "--seconds", "1e308"], "--seconds: must be a number in (0, 31536000]"),  # tox -e fuzz
    (["check-mpg", "coordination:n=2", "--policies", "-5"], "--policies: must be an integer in [0, 1000000]"),
    # found by the fuzz harness (tests/fuzz): a seed torch cannot take, counts that never end, a line break
    (["check-mpg", "coordination:n=2", "--seed", "99999999999999999999"], "--seed: must be an integer in [0, "),
    (["check-algorithm", "pg", "--iters", "99999999999999999999"], "--iters: must be an integer in [1, 1000000]"),
    (["replay", "x.json", "\n0"], "unrecognized arguments: \\n0"),
    (["evaluate", "coordination:n=2", "--policy", f"random:{2**64}"], "--policy: random:SEED needs an integer"),
    (["evaluate", "coordination:n=2,gamma=0.9999999999999", "--policy", "uniform"], "gamma: must satisfy 1 − gamma ≥"),
    # output paths are checked before any work (claims used to fail only after running every claim)
    (["claims", "--only", "def-2.2", "--json", "no/such/folder/l.json"], "--json: 'no/such/folder/l.json': its"),
    (["claims", "--only", "def-2.2", "--markdown", "."], "--markdown: '.' is a folder"),
    (["export", "coordination:n=2", "--out", "."], "--out: '.' is a folder"),
    (["run", "pg", "--game", "coordination:n=2", "--out", A_FILE], f"--out: {A_FILE!r} is a file"),
    (["figures", "--out", A_FILE], f"--out: {A_FILE!r} is a file"),
    (["check-mpg", "coordination:n=2", "--potential-out", "."], "--potential-out: '.' is a folder"),
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


@pytest.mark.parametrize("depth", [80, 5000, 200000])
def test_deeply_nested_json_exits_2_with_one_line(tmp_path, depth) -> None:
    # issue 13: hostile nesting raised RecursionError with a traceback; issue 22: the limit is the
    # format's array rank (a game of N agents: N + 3 levels), inside an otherwise valid file
    nested = "[" * depth + "]" * depth
    game = game_to_json(coordination_game(2))
    (tmp_path / "g.json").write_text(json.dumps(game).replace('"mu": [', f'"mu": [{nested}, ', 1))
    cx = {"format": "mpgverify.counterexample/1", "claim": "lemma-c.2", "game": game, "witness": {"theta": 0}}
    (tmp_path / "c.json").write_text(json.dumps(cx).replace('"theta": 0', f'"theta": {nested}'))
    for argv in (["evaluate", str(tmp_path / "g.json"), "--policy", "uniform"], ["replay", str(tmp_path / "c.json")]):
        out = run(*argv)
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        assert "nests" in out.stderr and out.stderr.strip().count("\n") == 0, out.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda w: w.pop("eps"), "witness.eps: is required but missing"),
        (lambda w: w.update(eps="half"), "witness.eps: must be a number"),
        (lambda w: w.update(theta=[[1.0]]), "witness"),
    ],
    ids=["missing key", "wrong type", "wrong shape"],
)
def test_replay_of_a_malformed_witness_exits_2_with_one_line(tmp_path, change, message) -> None:
    # issue 13: a counterexample whose witness lacks a key or has the wrong type gave a traceback
    root = Path(__file__).resolve().parents[1] / "properties" / "counterexamples"
    obj = json.loads((root / "thm-4.7.json").read_text())
    change(obj["witness"])
    (tmp_path / "c.json").write_text(json.dumps(obj))
    out = run("replay", str(tmp_path / "c.json"))
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert message in out.stderr and out.stderr.strip().count("\n") == 0, out.stderr


@pytest.mark.parametrize(
    ("source", "spec", "message"),
    [
        ("raise RuntimeError('boom')\n", "badplug:make", "importing 'badplug' raised RuntimeError: boom"),
        ("def make(**kw):\n    raise ValueError('nope')\n", "badplug:make", "the factory raised ValueError: nope"),
        ("def make(**kw):\n    return 3\n", "badplug:make", "the factory returned a int, not an Algorithm"),
    ],
    ids=["raises on import", "factory raises", "returns a non-Algorithm"],
)
def test_broken_plugins_exit_2_with_one_line(tmp_path, source, spec, message) -> None:
    # issue 13: a plug-in is user input; its failures are reported, not re-raised
    (tmp_path / "badplug.py").write_text(source)
    out = subprocess.run(
        [sys.executable, "-m", "mpgverify", "run", spec, "--game", "coordination:n=2", "--iters", "1", "--seeds", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)},
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert message in out.stderr and out.stderr.strip().count("\n") == 0, out.stderr


def test_rewards_whose_values_overflow_exit_2(tmp_path) -> None:
    # issue 13: rewards near 1e308 printed NaN with exit 0
    obj = game_to_json(coordination_game(2))
    obj["rewards"][0][0][0][0] = 1e308
    (tmp_path / "g.json").write_text(json.dumps(obj))
    path = str(tmp_path / "g.json")
    for argv in (["evaluate", path, "--policy", "uniform"], ["check-mpg", path]):
        out = run(*argv)
        assert out.returncode == 2 and "rewards: max |entry|/(1 − gamma)" in out.stderr, out.stderr
        assert "Traceback" not in out.stderr and out.stderr.strip().count("\n") == 0


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
        "explain",
        "report",
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
