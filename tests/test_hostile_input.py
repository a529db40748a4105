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
from mpgverify.memory import evaluation_bytes, memory_budget
from mpgverify.solvers.mdp import policy_iteration


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


# -- issue 22: hostile input, round 2 --------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "properties" / "counterexamples"
BIG = "9" * 5000


def _cli(argv, capsys, *, code: int | None = None) -> tuple[int, str, str]:
    """``mpgverify ARGV`` in process: the exit status, stdout, stderr; exit 2 must be one error line."""
    got = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    if got == 2:
        lines = err.strip().splitlines()
        assert len([x for x in lines if "error:" in x]) == 1 and "error:" in lines[-1], lines
    if code is not None:
        assert got == code, (got, out, err)
    return got, out, err


def _game_text(tmp_path: Path) -> str:
    save_game(coordination_game(2, gamma=0.9), tmp_path / "g.json")
    return (tmp_path / "g.json").read_text()


def _witnessed(tmp_path: Path, name: str, **witness) -> Path:
    obj = json.loads((SHIPPED / f"{name}.json").read_text())
    obj["witness"].update(witness)
    path = tmp_path / f"{name}-edited.json"
    path.write_text(json.dumps(obj))
    return path


@pytest.mark.parametrize(
    "argv, rule",
    [
        (
            ["evaluate", "{big_int_file}", "--policy", "uniform"],
            "gamma: must be a number, got an integer of 5000 digits",
        ),
        (["evaluate", "coordination:n=2", "--policy", f"random:{BIG}"], "random:SEED"),
        (["evaluate", f"coordination:n={BIG}", "--policy", "uniform"], "5000 characters"),
        (["evaluate", "coordination:n=2,n=3", "--policy", "uniform"], "given twice"),
        (["evaluate", "{duplicate_key_file}", "--policy", "uniform"], "repeats the key 'gamma'"),
        (["evaluate", "/dev/zero", "--policy", "uniform"], "input limit"),
    ],
    ids=["5000-digit int in a file", "5000-digit seed", "5000-digit n", "n twice", "duplicate key", "/dev/zero"],
)
def test_hostile_numbers_and_keys_are_one_line(argv, rule, tmp_path, capsys) -> None:
    text = _game_text(tmp_path)
    (tmp_path / "big.json").write_text(text.replace('"gamma": 0.9', f'"gamma": {BIG}'))
    (tmp_path / "dup.json").write_text(text.replace('"gamma": 0.9', '"gamma": 0.9, "gamma": 0.1'))
    files = {"{big_int_file}": tmp_path / "big.json", "{duplicate_key_file}": tmp_path / "dup.json"}
    _, _, err = _cli([files.get(a, a) for a in argv], capsys, code=2)
    assert rule in err, err


@pytest.mark.parametrize("field", ["mu", "transition", "rewards", "potential"])
@pytest.mark.parametrize("text", [" 0.5 ", "0.5_0", "1"])
def test_numbers_written_as_strings_are_refused_in_every_array(field, text, tmp_path, capsys) -> None:
    obj = json.loads(_game_text(tmp_path))
    leaf = obj[field]
    while isinstance(leaf[0], list):
        leaf = leaf[0]
    leaf[0] = text
    (tmp_path / "s.json").write_text(json.dumps(obj))
    _, _, err = _cli(["evaluate", tmp_path / "s.json", "--policy", "uniform"], capsys, code=2)
    assert f"{field}[0]" in err and "must be a number" in err, err


def test_logits_written_as_strings_are_refused(tmp_path, capsys) -> None:
    save_game(coordination_game(2), tmp_path / "g.json")
    (tmp_path / "p.json").write_text(json.dumps({"format": "mpgverify.policy/1", "logits": [[["0.5", 0]] * 4] * 2}))
    _, _, err = _cli(["evaluate", tmp_path / "g.json", "--policy", tmp_path / "p.json"], capsys, code=2)
    assert "logits[0][0][0]: must be a number" in err, err


@pytest.mark.parametrize(
    "name, witness, expect",
    [
        ("thm-3.8", {"eps": 0.0}, "premises not met"),
        ("thm-3.8", {"eps": 5e-324}, "premises undecided"),
        ("thm-3.8", {"eps": 1e-12}, "premises undecided"),
        ("thm-3.8@inner-br", {"eps": 1e-300}, "premises undecided"),
        ("cor-4.8", {"eps": 5e-324}, "premises undecided"),
        ("cor-4.8@corrected", {"eps": 5e-324}, "premises undecided"),  # (1−γ)²ε underflowed: 4/0
        ("thm-4.7", {"sigma": -1.0}, "premises not met"),
        ("def-4.4@as-written", {"eps": 100.0}, "premises not met"),
    ],
)
def test_replayed_witness_constants_outside_the_statement_are_premises_not_met(
    name, witness, expect, tmp_path, capsys
) -> None:
    import time

    start = time.perf_counter()
    _, out, _ = _cli(["replay", _witnessed(tmp_path, name, **witness)], capsys, code=0)
    assert expect in out and time.perf_counter() - start < 30, out  # decided, never a run of 10¹² inner steps


@pytest.mark.parametrize(
    "edit, rule",
    [
        ({"witness": {"lambda": "hello"}}, "witness.lambda: must be a number"),
        ({"witness": {"lambda": None}}, "witness.lambda: must be a number"),
        ({"witness": {"lambda": [1]}}, "witness.lambda: must be a number"),
        ({"witness": {"eps": "0.5"}}, "witness.eps: must be a number"),
        ({"witness": {"eps": True}}, "witness.eps: must be a number"),
        ({"margin": "abc"}, "margin: must be a number or null"),
        ({"exact": "yes"}, "exact: must be true or false"),
        ({"surprise": 1}, "surprise: is not a field"),
    ],
)
def test_every_counterexample_field_is_read_and_typed(edit, rule, tmp_path, capsys) -> None:
    name = "prop-4.3@one-sided" if "lambda" in edit.get("witness", {}) else "thm-3.8"
    obj = json.loads((SHIPPED / f"{name}.json").read_text())
    for key, value in edit.items():
        if isinstance(value, dict):
            obj[key].update(value)
        else:
            obj[key] = value
    (tmp_path / "c.json").write_text(json.dumps(obj))
    _, _, err = _cli(["replay", tmp_path / "c.json"], capsys, code=2)
    assert rule in err, err


def test_a_62_agent_game_loads_and_a_63_agent_game_is_refused_by_rank(tmp_path, capsys) -> None:
    def nest(v, depth):
        for _ in range(depth):
            v = [v]
        return v

    for n, code in ((62, 0), (63, 2)):
        obj = {"format": "mpgverify.game/1", "gamma": 0.5, "n_actions": [1] * n, "mu": [1.0]}
        obj |= {"transition": nest([1.0], n + 1), "rewards": [nest(0.0, n + 1) for _ in range(n)]}
        (tmp_path / "g.json").write_text(json.dumps(obj))
        _, _, err = _cli(["evaluate", tmp_path / "g.json", "--policy", "uniform"], capsys, code=code)
        assert code == 0 or "at most 62" in err, err


@pytest.mark.parametrize(
    "plugin, reason",
    [
        ("nan", "agent 0's policy is not finite"),
        ("unnormalized", "rows do not sum to 1"),
        ("negative", "negative probability"),
        ("wrong_shape", "must have shape [1, 2, 2]"),
        ("raises", "step raised RuntimeError: boom"),
        ("exits", "step called sys.exit"),
    ],
)
def test_a_misbehaving_plugin_fails_the_runs_property_with_its_reason(plugin, reason, capsys) -> None:
    argv = ["check-algorithm", f"tests.hostile_plugins:{plugin}", "--games", "2", "--seeds", "1", "--iters", "5"]
    _, out, _ = _cli(argv, capsys, code=1)
    line = next(x for x in out.splitlines() if " runs " in x)
    assert line.strip().startswith("FAIL") and reason in line and "step" in line, out


@pytest.mark.parametrize(
    "argv, rule",
    [
        (["tests.hostile_plugins:typed", "--option", "beta=abc"], "--option beta: must be a finite number, got 'abc'"),
        (["tests.hostile_plugins:typed", "--option", "width=2.5"], "--option width: must be an integer"),
        (["tests.hostile_plugins:typed", "--option", "depth=1"], "--option depth: is not an option"),
        (["sys:exit"], "the factory called sys.exit"),
        (["npg-br", "--option", "K=1000000"], "lower --option K"),
    ],
)
def test_plugin_options_are_typed_and_factories_that_exit_are_refused(argv, rule, capsys) -> None:
    _, _, err = _cli(["check-algorithm", *argv, "--games", "1", "--seeds", "1"], capsys, code=2)
    assert rule in err, err


def test_typed_options_reach_the_plugin_as_declared(capsys) -> None:
    argv = ["check-algorithm", "tests.hostile_plugins:typed", "--option", "beta=2", "--option", "width=3"]
    _cli([*argv, "--option", "name=5", "--games", "1", "--seeds", "1"], capsys, code=0)  # 2 → 2.0, "5" a str


def test_check_algorithm_that_checked_nothing_says_so_and_exits_3(capsys) -> None:
    _, out, err = _cli(["check-algorithm", "pg", "--games", "2", "--seeds", "1"], capsys, code=3)
    assert "nothing checked" in err and "nothing checked beyond determinism" in out, (out, err)


def test_check_algorithm_finds_a_module_in_the_working_directory(tmp_path, monkeypatch, capsys) -> None:
    import sys

    (tmp_path / "my_dynamics.py").write_text("from tests.hostile_plugins import typed as factory\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    _cli(["check-algorithm", "my_dynamics:factory", "--games", "1", "--seeds", "1"], capsys, code=0)


def test_check_algorithm_keeps_a_few_policies_not_every_iterate() -> None:
    from mpgverify.algorithm_check import _run, _Trace
    from mpgverify.algorithms import Declarations, pg
    from mpgverify.progress import Progress
    from randomgames import algorithm_test_games

    game = algorithm_test_games(1)[0]
    trace = _Trace(game, Declarations(nash_within=(0.1, 7)), 4, {7, 300})
    _run(pg(lr=0.1), game, 0, 2, 300, trace, Progress("t", 300, None))
    assert len(trace.first) == 4 and sorted(trace.at) == [7, 300]  # 4 + 2 policies held, not 301


@pytest.mark.parametrize(
    "argv, rule",
    [
        (["run", "npg-br", "--option", "K=1000000000"], "lower --option K"),
        (["run", "sampled-pg", "--option", "samples=1000000000000"], "lower --option samples"),
        (["run", "nn-pg", "--option", "hidden=100000000"], "lower --option hidden"),
        (["run", "nn-pg", "--option", "hidden=-1"], "hidden: must be an integer ≥ 1"),
    ],
)
def test_work_past_the_budgets_is_refused_before_it_starts_naming_the_option(argv, rule, tmp_path, capsys) -> None:
    import time

    start = time.perf_counter()
    _, _, err = _cli([*argv, "--game", "coordination:n=2", "--out", tmp_path], capsys, code=2)
    assert rule in err and time.perf_counter() - start < 20, err


def _ring_game(S: int):
    """One agent, one action, a ring of ``S`` states: M = 1, and 2S MDP optima to find it."""
    from mpgverify.game import MarkovGame

    ring = torch.roll(torch.eye(S, dtype=torch.float64), 1, dims=1)[:, None, :]
    mu = torch.full((S,), 1.0 / S, dtype=torch.float64)
    rewards = torch.linspace(0, 1, S, dtype=torch.float64).reshape(1, S, 1)
    return MarkovGame(gamma=0.9, n_actions=(1,), mu=mu, transition=ring, rewards=rewards, name=f"ring-{S}")


def test_constants_estimates_the_mismatch_coefficient_and_solves_in_chunks(tmp_path, monkeypatch, capsys) -> None:
    from mpgverify.solvers.game_constants import mismatch_coefficient

    small = _ring_game(60)
    whole = mismatch_coefficient(small)
    monkeypatch.setenv("MPGVERIFY_MEMORY_LIMIT", "2M")  # chunks of a few MDPs each: the same M
    assert mismatch_coefficient(small).M == pytest.approx(whole.M, rel=1e-12)
    monkeypatch.setenv("MPGVERIFY_MEMORY_LIMIT", "1G")
    monkeypatch.setenv("MPGVERIFY_TIME_LIMIT", "30")
    save_game(_ring_game(1100), tmp_path / "ring.json")  # 21 GB unchunked; minutes chunked
    _, _, err = _cli(["constants", tmp_path / "ring.json"], capsys, code=2)
    assert "would take about" in err and "MPGVERIFY_TIME_LIMIT" in err, err


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "coordination:n=2", "--out", "/proc/1/x.json"],
        ["run", "pg", "--game", "coordination:n=2", "--iters", "2", "--seeds", "1", "--out", "/proc/1/runs"],
        ["figures", "--out", "/proc/1/figs", "--n", "2", "--iters", "2", "--seeds", "1", "--lams", "1", "--ks", "1"],
        ["claims", "--only", "lemma-c.2", "--json", "/proc/1/x.json"],
        ["hunt", "lemma-c.2", "--evaluations", "3", "--json", "/proc/1/x.json"],
        ["hunt", "lemma-c.2", "--evaluations", "3", "--counterexamples", "{file}"],
        ["hunt", "lemma-c.2", "--evaluations", "3", "--counterexamples", "/proc/1/cx"],
    ],
    ids=["export", "run", "figures", "claims", "hunt --json", "hunt into a file", "hunt into /proc"],
)
def test_unwritable_outputs_are_refused_before_any_work(argv, tmp_path, capsys) -> None:
    (tmp_path / "f").write_text("x")
    _, _, err = _cli([a.replace("{file}", str(tmp_path / "f")) for a in argv], capsys, code=2)
    assert "cannot be written" in err or "a folder is needed" in err, err


def test_mpgverify_home_naming_a_file_is_refused_before_the_hunt(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "f").write_text("x")
    monkeypatch.setenv("MPGVERIFY_HOME", str(tmp_path / "f"))
    _, _, err = _cli(["hunt", "lemma-c.2", "--evaluations", "3"], capsys, code=2)
    assert "MPGVERIFY_HOME" in err, err


@pytest.mark.parametrize(
    "argv, rule",
    [
        (["check-mpg", "{g}", "--certificate", "{g}"], "is also the input GAME"),
        (["export", "{g}", "--out", "{g}"], "is also the input GAME"),
        (["claims", "--only", "lemma-c.2", "--json", "{x}", "--markdown", "{x}"], "is also --json"),
        (["hunt", "lemma-c.2", "--evaluations", "3", "--ledger", "{x}", "--json", "{x}"], "is also --json"),
        (["hunt", "lemma-c.2", "--evaluations", "3", "--markdown", "{x}"], "give --ledger too"),
    ],
)
def test_an_output_that_is_an_input_or_another_output_is_refused(argv, rule, tmp_path, capsys) -> None:
    save_game(coordination_game(2), tmp_path / "g.json")
    before = (tmp_path / "g.json").read_bytes()
    names = {"{g}": str(tmp_path / "g.json"), "{x}": str(tmp_path / "x")}
    _, _, err = _cli([names.get(a, a) for a in argv], capsys, code=2)
    assert rule in err and (tmp_path / "g.json").read_bytes() == before, err


def test_a_malformed_ledger_row_is_refused_not_copied(tmp_path, capsys) -> None:
    ledger = json.loads((ROOT / "docs" / "ledger-standard.json").read_text())
    ledger["claims"][3]["premises_met"] = "many"
    (tmp_path / "l.json").write_text(json.dumps(ledger))
    before = (tmp_path / "l.json").read_bytes()
    _, _, err = _cli(["hunt", "lemma-c.2", "--evaluations", "3", "--ledger", tmp_path / "l.json"], capsys, code=2)
    assert "claims[3].premises_met" in err and (tmp_path / "l.json").read_bytes() == before, err


def test_an_interrupted_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path) -> None:
    from mpgverify.atomic import atomic_path, write_text

    write_text(tmp_path / "a.json", "old")
    with pytest.raises(KeyboardInterrupt), atomic_path(tmp_path / "a.json") as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert (tmp_path / "a.json").read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_a_second_writer_never_replaces_the_first_ones_counterexample(tmp_path) -> None:
    from mpgverify.atomic import write_unique

    paths = [write_unique(tmp_path, "thm-4.5", f'{{"k": {k}}}') for k in range(3)]
    assert [p.name for p in paths] == ["thm-4.5.json", "thm-4.5~2.json", "thm-4.5~3.json"]
    assert [json.loads(p.read_text())["k"] for p in paths] == [0, 1, 2]


def _mpgverify(args, cwd, **kwargs):
    import os
    import subprocess
    import sys

    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPGVERIFY_HOME": str(cwd / "home")}
    return subprocess.Popen([sys.executable, "-m", "mpgverify", *map(str, args)], cwd=cwd, env=env, text=True, **kwargs)


def test_two_hunts_on_one_ledger_and_one_folder_lose_nothing(tmp_path) -> None:
    import subprocess

    ledger = json.loads((ROOT / "docs" / "ledger-standard.json").read_text())
    rows = [{k: v for k, v in r.items() if k != "hunt"} for r in ledger["claims"]]
    (tmp_path / "l.json").write_text(json.dumps({**ledger, "claims": rows}))
    # 100 evaluations: both seeds refute thm-4.5 within them (40 sufficed for the (1+1)-ES alone)
    common = ["--evaluations", "100", "--workers", "1", "--counterexamples", tmp_path / "cx", "--ledger", "l.json"]
    claims = [["thm-4.5", "lemma-c.2"], ["thm-4.5", "thm-4.5@as-used"]]  # both refute thm-4.5: two files
    runs = [
        _mpgverify(
            ["hunt", *ids, *common, "--seed", k, "--json", f"h{k}.json"],
            tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for k, ids in enumerate(claims)
    ]
    results = [p.communicate(timeout=300) for p in runs]
    assert all(p.returncode in (0, 1) for p in runs), results
    merged = {r["id"]: r for r in json.loads((tmp_path / "l.json").read_text())["claims"]}
    records = [json.loads((tmp_path / f"h{k}.json").read_text()) for k in range(2)]  # a base id: its readings too
    hunted = [{r["id"]: r for r in rec} for rec in records]
    for rid in set(hunted[0]) | set(hunted[1]):
        mine = [h[rid]["evaluations"] for h in hunted if rid in h]
        assert merged[rid]["hunt"]["evaluations"] in mine, (rid, merged[rid].get("hunt"), mine)  # none lost
    found = [r["counterexample"] for rec in records for r in rec if r["counterexample"]]
    assert len(found) == len(set(found)) and all(Path(f).is_file() for f in found), found
    wrote = [h["thm-4.5"]["counterexample"] for h in hunted if h["thm-4.5"]["counterexample"]]
    assert all(h["thm-4.5"]["status"] == "refuted" for h in hunted), hunted
    # Both hunts start with no thm-4.5 file, so both write it: one as thm-4.5~2.json. A hunt that
    # started after the other had written it (a slow start on a busy machine) does not write a second.
    assert (len(wrote) == 2 and any("~2" in Path(f).stem for f in wrote)) or len(wrote) == 1, wrote


@pytest.mark.parametrize(
    "args",
    [
        ["run", "pg", "--game", "coordination:n=5", "--iters", "100000", "--record-every", "1000", "--out", "runs"],
        ["figures", "--out", "figs", "--n", "2", "3", "--iters", "400", "--seeds", "2"],
        ["export", "coordination:n=7", "--out", "g.json"],
        ["check-algorithm", "pg", "--iters", "100000", "--games", "2"],
    ],
    ids=["run", "figures", "export", "check-algorithm"],
)
def test_ctrl_c_is_one_line_and_exit_130_at_any_moment(args, tmp_path) -> None:
    import signal
    import subprocess
    import time

    for delay in (0.2, 1.5, 4.0):  # while torch loads, while parsing, in the work
        p = _mpgverify(args, tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        assert p.returncode in (0, 130) and "Traceback" not in err, (delay, p.returncode, err[-2000:])
        assert p.returncode == 0 or "interrupted" in err.strip().splitlines()[-1], (delay, err)
        for path in tmp_path.rglob("*.json"):  # whatever was written is whole
            json.loads(path.read_text())
        assert not list(tmp_path.rglob("*.tmp")), list(tmp_path.rglob("*"))


def test_a_ctrl_c_python_drops_in_a_callback_is_delivered_again(tmp_path, monkeypatch, capsys) -> None:
    """A KeyboardInterrupt raised where CPython only prints exceptions (a weakref callback of the import
    machinery, as a Ctrl-C lands during an import; here a ``__del__``) reaches the command all the same:
    one line, exit 130, the work stopped (the flaky ``check-algorithm`` case ran past its minute)."""
    import time

    import mpgverify.cli.games as games

    class DropsCtrlC:
        def __del__(self) -> None:
            raise KeyboardInterrupt

    ran: list[float] = []

    def save_slowly(game, path) -> None:
        start = time.perf_counter()
        DropsCtrlC()  # collected at once: its KeyboardInterrupt goes to sys.unraisablehook
        while time.perf_counter() - start < 5.0:
            ran.append(time.perf_counter() - start)
        raise AssertionError("the dropped Ctrl-C never reached the command")

    monkeypatch.setattr(games, "save_game", save_slowly)
    code = main(["export", "coordination:n=2", "--out", str(tmp_path / "g.json")])
    err = capsys.readouterr().err
    assert code == 130 and "interrupted" in err.strip().splitlines()[-1], (code, err)
    assert ran and ran[-1] < 1.0, f"the command ran {ran[-1] if ran else 0:.2f} s after the Ctrl-C"
    assert not (tmp_path / "g.json").exists()


def _swallow_a_ctrl_c() -> None:
    """A Ctrl-C delivered here and lost, as a library's ``except BaseException: pass`` (or C code that
    clears errors) loses it."""
    import signal

    try:
        signal.raise_signal(signal.SIGINT)
        for _ in range(10**6):  # the handler runs at the next bytecode boundary
            pass
    except BaseException:  # the point: somebody else's code swallows it
        pass


def test_a_ctrl_c_a_library_swallows_stops_a_long_job_within_one_unit(monkeypatch, capsys) -> None:
    """The CI case: ``check-algorithm pg --iters 100000`` interrupted in its first seconds ran on past a
    minute. Here the Ctrl-C is lost inside a step; the job stops at its next unit of progress."""
    import mpgverify.algorithm_check as check

    steps: list[str] = []

    def call_plugin(what, where, fn, *args, **kwargs):
        if what == "step":
            steps.append(where)
            if len(steps) == 5:
                _swallow_a_ctrl_c()
        return fn(*args, **kwargs)

    monkeypatch.setattr(check, "call_plugin", call_plugin)
    code = main(["check-algorithm", "pg", "--iters", "100000", "--games", "2"])
    err = capsys.readouterr().err
    assert code == 130 and "interrupted" in err.strip().splitlines()[-1], (code, err[-500:])
    assert len(steps) == 5, f"{len(steps) - 5} steps ran after the lost Ctrl-C"


def test_a_ctrl_c_lost_in_a_command_without_units_is_exit_130(tmp_path, monkeypatch, capsys) -> None:
    """No unit of progress comes after the loss: the command's status is still 130, not its own 0."""
    import mpgverify.cli.games as games

    def save_and_lose_a_ctrl_c(game, path) -> None:
        _swallow_a_ctrl_c()

    monkeypatch.setattr(games, "save_game", save_and_lose_a_ctrl_c)
    code = main(["export", "coordination:n=2", "--out", str(tmp_path / "g.json")])
    err = capsys.readouterr().err
    assert code == 130 and "interrupted" in err.strip().splitlines()[-1], (code, err)
    monkeypatch.undo()
    assert main(["export", "coordination:n=2", "--out", str(tmp_path / "g.json")]) == 0  # nothing left over


def test_a_ctrl_c_python_wraps_is_never_a_plugin_failure(monkeypatch, capsys) -> None:
    """Python turns a KeyboardInterrupt raised in ``__set_name__`` into a RuntimeError: inside a plug-in's
    step that was "pg raised RuntimeError", the game skipped and the check run on. It is a Ctrl-C."""
    import mpgverify.algorithm_check as check
    from mpgverify.algorithms.api import call_plugin

    class Named:
        def __set_name__(self, owner, name) -> None:
            raise KeyboardInterrupt

    def step_in_class_creation(*args):
        type("Lazy", (), {"x": Named()})  # a class created during a lazy import, as the Ctrl-C lands

    with pytest.raises(KeyboardInterrupt):
        call_plugin("step", "g", step_in_class_creation)
    steps: list[str] = []

    def wrapped(what, where, fn, *args, **kwargs):
        if what == "step":
            steps.append(where)
            return call_plugin(what, where, step_in_class_creation)
        return fn(*args, **kwargs)

    monkeypatch.setattr(check, "call_plugin", wrapped)
    code = main(["check-algorithm", "pg", "--iters", "1000", "--games", "2"])
    err = capsys.readouterr().err
    assert code == 130 and "interrupted" in err.strip().splitlines()[-1] and len(steps) == 1, (code, err, steps)


def test_a_closed_stdout_pipe_is_not_a_traceback_and_the_work_finishes(tmp_path) -> None:
    import subprocess

    args = ["claims", "--only", "lemma-c.2", "--json", "l.json", "--workers", "1"]
    p = _mpgverify(args, tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # the reader went away (`| head -1`)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0 and "Traceback" not in err and "BrokenPipe" not in err, err
    assert json.loads((tmp_path / "l.json").read_text())["claims"][0]["status"] == "refuted"


@pytest.mark.parametrize("perturbation", [1e-10, 1e-8, 1e-6, 1e-13])
def test_check_mpg_never_says_mpg_on_a_provable_non_mpg(perturbation, tmp_path, capsys) -> None:
    from randomgames import identical_interest_game

    game = identical_interest_game(seed=0, n_agents=2, n_states=2, n_actions=2, gamma=0.9)
    rewards = game.rewards.clone()
    rewards[0, 0, 0, 1] += perturbation
    save_game(game.replace(rewards=rewards, potential=None), tmp_path / "g.json")
    code, out, _ = _cli(["check-mpg", tmp_path / "g.json", "--json"], capsys)
    summary = json.loads(out)
    assert code != 0 and summary["verdict"] != "MPG", summary
    if perturbation >= 1e-10:  # far above round-off: proved, in rationals
        assert code == 1 and summary["basis"] == "cycle" and summary["certificate"]["exact"] is True, summary
    else:  # at round-off: undecided at this precision, and said why
        assert code == 3 and "round-off" in summary["note"], summary


# -- found by the blind acceptance run (tests/fuzz/acceptance.py) ----------------------------------------------
@pytest.mark.parametrize(
    "argv, rule",
    [
        (["export", "coordination:n=2", "--out", "{fifo}"], "a device or special file"),
        (["export", "coordination:n=2", "--out", "newdir/"], "a file path is needed"),
        (["evaluate", "coordination:n=٢", "--policy", "uniform"], "n: must be an integer"),
        (["evaluate", "coordination:n=2,gamma=0.5_0", "--policy", "uniform"], "gamma: must be a number"),
        (["run", "pg", "--game", "coordination:n=2", "--lr", "0.5_0"], "--lr: must be a finite number"),
        (["run", "pg", "--game", "coordination:n=2", "--seed", str(2**62)], "--seed: must be an integer"),
        (["evaluate", "coordination:n=2", "--policy", f"random:{2**62}"], "[0, 2⁶²)"),
        (["check-algorithm", "tests.hostile_plugins:bad_declarations", "--games", "1"], "nash_within must be"),
    ],
    ids=[
        "special file",
        "trailing slash",
        "arabic digit",
        "underscore in a spec",
        "underscore in --lr",
        "seed 2^62",
        "random:2^62",
        "negative declarations",
    ],
)
def test_what_the_blind_acceptance_run_found(argv, rule, tmp_path, monkeypatch, capsys) -> None:
    import os

    os.mkfifo(tmp_path / "fifo")
    monkeypatch.chdir(tmp_path)
    _, _, err = _cli([a.replace("{fifo}", str(tmp_path / "fifo")) for a in argv], capsys, code=2)
    assert rule in err and (tmp_path / "fifo").exists() and not (tmp_path / "fifo").is_file(), err
    assert not (tmp_path / "newdir").exists()


@pytest.mark.parametrize("drop", ["theta", "all"])
def test_a_witness_missing_its_key_is_one_line_naming_it(drop, tmp_path, capsys) -> None:
    obj = json.loads((SHIPPED / "lemma-c.2.json").read_text())
    obj["witness"] = {} if drop == "all" else {k: v for k, v in obj["witness"].items() if k != drop}
    (tmp_path / "c.json").write_text(json.dumps(obj))
    _, _, err = _cli(["replay", tmp_path / "c.json"], capsys, code=2)
    assert "theta" in err, err


@pytest.mark.parametrize("value", ["hello", None, [1]])
def test_a_witness_key_the_claim_does_not_read_must_be_a_plain_number(value, tmp_path, capsys) -> None:
    _, _, err = _cli(["replay", _witnessed(tmp_path, "prop-4.3@signed", **{"lambda": value})], capsys, code=2)
    assert "witness.lambda: is not read by claim prop-4.3@signed" in err, err
    _cli(["replay", _witnessed(tmp_path, "prop-4.3@signed", **{"lambda": 0.25})], capsys, code=1)  # a number: fine


@pytest.mark.parametrize("field", ["gamma", "mu", "rewards"])
def test_nan_and_huge_integers_are_refused_naming_their_field(field, tmp_path, capsys) -> None:
    for token in ("NaN", BIG):
        text = _game_text(tmp_path)
        obj = json.loads(text)
        if field == "gamma":
            obj["gamma"] = "@"
        else:
            leaf = obj[field]
            while isinstance(leaf[0], list):
                leaf = leaf[0]
            leaf[0] = "@"
        (tmp_path / "t.json").write_text(json.dumps(obj).replace('"@"', token))
        _, _, err = _cli(["evaluate", tmp_path / "t.json", "--policy", "uniform"], capsys, code=2)
        assert f": {field}" in err, (token, err)


@pytest.mark.parametrize("eps", [1, 0.999])
def test_a_replay_whose_arithmetic_fails_is_undecided_never_holds(eps, tmp_path, capsys) -> None:
    # found by the witness-constant fuzz: an observed NaN read "the claim holds here"
    _, out, _ = _cli(["replay", _witnessed(tmp_path, "cor-4.8@good-step", eps=eps)], capsys, code=0)
    assert "undecided" in out and "holds" not in out and "nan" not in out.lower(), out


def test_judge_states_a_zero_tolerance_instead_of_dividing_by_it() -> None:
    from mpgverify.verify.claims import Outcome
    from mpgverify.verify.runner import judge

    confirmed, how = judge(Outcome(premises_met=True, margin=-1.0, tol=0.0, observed=1.0, bound=0.0), None)
    assert "tolerance 0" in how and isinstance(confirmed, bool), how


def test_witness_constants_beyond_float64_bounds_are_refused_by_name(tmp_path, capsys) -> None:
    _, _, err = _cli(["replay", _witnessed(tmp_path, "cor-4.8@good-step", alpha=1e308)], capsys, code=2)
    assert "witness.alpha: must be at most 1e+100" in err, err


def test_export_estimates_its_memory_before_serializing(tmp_path, monkeypatch, capsys) -> None:
    # found by the 400-example fuzz: export coordination:n=8 peaked at 2.25 GB with a 1 GB budget
    monkeypatch.setenv("MPGVERIFY_MEMORY_LIMIT", "1G")
    _, _, err = _cli(["export", "coordination:n=8", "--out", tmp_path / "g.json"], capsys, code=2)
    assert "writing coordination:n=8 as JSON" in err and "2.26 GiB" in err and not (tmp_path / "g.json").exists(), err


def test_a_ctrl_c_inside_a_grad_mode_switch_leaves_torchs_grad_mode_as_the_command_found_it(
    monkeypatch, capsys
) -> None:
    """A Ctrl-C that lands in ``torch.no_grad().__enter__`` after gradients were turned off (no block
    begun, so no ``__exit__``) ends the command with 130 and gives the process back its grad mode: an
    in-process caller (a notebook, the test suite: a worker's later autograd tests failed so in CI) goes
    on with gradients as they were."""
    import torch

    import mpgverify.cli as cli

    def interrupted_in_a_switch(_args):
        torch.set_grad_enabled(False)
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "check_outputs", interrupted_in_a_switch)
    assert torch.is_grad_enabled()
    assert cli.main(["replay", "x.json"]) == 130
    assert torch.is_grad_enabled(), "the interrupted command left gradients off"
    with torch.no_grad():
        assert cli.main(["replay", "x.json"]) == 130
        assert not torch.is_grad_enabled(), "a caller's own no_grad was turned on by the command"
    capsys.readouterr()


def test_a_ctrl_c_wrapped_by_python_is_still_an_interrupt(monkeypatch, capsys) -> None:
    """A Ctrl-C while a module creates a class reaches us as a RuntimeError caused by KeyboardInterrupt
    (``__set_name__``; seen in CI 1.5 s into ``figures``): one line and exit 130, in parsing and in the
    work; any other RuntimeError is still an internal error."""
    import mpgverify.cli as cli

    def wrapped(*_args, **_kw):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as e:
            raise RuntimeError("Error calling __set_name__ on 'cached_property' instance") from e

    monkeypatch.setattr(cli.argparse.ArgumentParser, "parse_args", wrapped)
    assert cli.main(["replay", "x.json"]) == 130
    assert capsys.readouterr().err.strip() == "mpgverify: interrupted"
    monkeypatch.undo()
    monkeypatch.setattr(cli, "check_outputs", wrapped)
    assert cli.main(["replay", "x.json"]) == 130
    err = capsys.readouterr().err.strip()
    assert err.endswith("interrupted; no file was left half-written") and len(err.splitlines()) == 1, err
    monkeypatch.setattr(cli, "check_outputs", lambda args: (_ for _ in ()).throw(RuntimeError("plain")))
    assert cli.main(["replay", "x.json"]) == 2
    assert "internal error (RuntimeError: plain)" in capsys.readouterr().err
