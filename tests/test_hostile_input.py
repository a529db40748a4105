"""Regression tests of issue 13's remaining cases: usage errors on one line, a contradicting stated
potential named, strict JSON, memory refused before allocating."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from mpgverify import coordination_game, save_game
from mpgverify.cli import main
from mpgverify.formats import finite_json, json_text
from mpgverify.mdp import policy_iteration
from mpgverify.memory import evaluation_bytes, memory_budget


@pytest.mark.parametrize(
    "argv",
    [["run"], ["evaluate", "coordination", "--policy"], ["bogus"], ["claims", "--budget", "huge"], []],
    ids=["missing arguments", "missing value", "unknown command", "bad choice", "nothing"],
)
def test_usage_errors_are_one_line(argv, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "error:" in err, err


def test_evaluate_names_a_stated_potential_that_contradicts_the_rewards(tmp_path, capsys) -> None:
    game = coordination_game(2)
    wrong = game.replace(potential=1.5 * game.potential)
    save_game(wrong, tmp_path / "g.json")
    assert main(["evaluate", str(tmp_path / "g.json"), "--policy", "uniform", "--json"]) == 0
    notes = json.loads(capsys.readouterr().out).get("notes", [])
    assert any("contradicts Def 2.2" in n and "agent 0" in n for n in notes), notes
    assert main(["evaluate", "coordination:n=2", "--policy", "uniform", "--json"]) == 0  # the right one: no note
    assert "notes" not in json.loads(capsys.readouterr().out)


def test_json_output_has_no_nan_or_infinity() -> None:
    obj = {"poa": math.nan, "x": [1.0, -math.inf, {"y": math.inf}], "ok": 2.5}
    assert finite_json(obj) == {"poa": None, "x": [1.0, None, {"y": None}], "ok": 2.5}

    def refuse(token: str) -> None:
        raise AssertionError(f"{token} in JSON")

    assert json.loads(json_text(obj), parse_constant=refuse)["ok"] == 2.5


def test_work_beyond_the_memory_budget_is_refused_before_allocating(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv("MPGVERIFY_MEMORY_LIMIT", "64M")
    assert memory_budget() == 64 * 2**20
    need = evaluation_bytes(2, 4, (2, 2), 10**6)
    assert need == 8 * 3 * 10**6 * (2 * 4 * 4 + 4 * 4 + 16 + 2 * 4 * 2 * 4)  # Q, joint π, P_π, induced MDPs; ×3
    argv = ["run", "pg", "--game", "coordination:n=2", "--seeds", "1000000", "--iters", "1", "--out", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "GiB" in err[0] and "MPGVERIFY_MEMORY_LIMIT" in err[0], err
    assert main(["check-mpg", "coordination:n=3", "--policies", "1000000"]) == 2  # about 27 GiB
    monkeypatch.setenv("MPGVERIFY_MEMORY_LIMIT", "lots")
    assert main(["check-mpg", "coordination:n=2"]) == 2
    assert "MPGVERIFY_MEMORY_LIMIT" in capsys.readouterr().err


def test_policy_iteration_does_not_materialize_a_shared_kernel_per_batch_member() -> None:
    """`constants coordination:n=8` tried to allocate 64 GiB: P [S, A, S] was expanded over the S indicator
    rewards. Solving many reward tables against one kernel must equal solving them one by one."""
    gen = torch.Generator().manual_seed(0)
    S, A, K = 5, 3, 7
    P = torch.rand(S, A, S, generator=gen, dtype=torch.float64)
    P /= P.sum(-1, keepdim=True)
    r = torch.rand(K, S, A, generator=gen, dtype=torch.float64)
    together = policy_iteration(P, r, 0.9)
    for k in range(K):
        alone = policy_iteration(P, r[k], 0.9)
        assert torch.equal(together.policy[k], alone.policy)
        assert torch.allclose(together.V[k], alone.V, rtol=0, atol=1e-12)


def test_shipped_counterexamples_are_found_from_any_folder_and_nothing_is_written_there(tmp_path) -> None:
    """Issue 13: from another working directory the shipped counterexamples were ignored (two refuted ids
    read "holds") and new finds were written into the user's folder."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "MPGVERIFY_HOME": str(tmp_path / "home")}
    argv = [
        sys.executable,
        "-m",
        "mpgverify",
        "claims",
        "--only",
        "lemma-c.2,lemma-3.7@normalized-d",
        "--json",
        "l.json",
    ]
    out = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rows = {r["id"]: r for r in json.loads((tmp_path / "l.json").read_text())["claims"]}
    assert {r["status"] for r in rows.values()} == {"refuted"}, rows
    assert all(Path(r["counterexample"]).is_file() for r in rows.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.json"]  # nothing else written into the folder


def test_new_finds_go_to_the_named_or_user_folder(tmp_path, monkeypatch) -> None:
    from mpgverify.verify.counterexamples import user_counterexample_dir

    monkeypatch.setenv("MPGVERIFY_HOME", str(tmp_path / "h"))
    assert user_counterexample_dir() == tmp_path / "h" / "counterexamples"
    monkeypatch.delenv("MPGVERIFY_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "x"))
    assert user_counterexample_dir() == tmp_path / "x" / "mpgverify" / "counterexamples"
