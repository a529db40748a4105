"""Fuzz every loader and every command (issue 13): Hypothesis over the JSON formats, mutated from
valid files, and over each command's arguments. The contract is :func:`harness.assert_well_behaved`.

Examples shrink toward the valid file (one mutation, at the top level) and toward short argument
lists. CI runs a few per test; ``tox -e fuzz`` runs many (``MPGVERIFY_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpgverify import coordination_game
from mpgverify.formats import game_to_json, policy_to_json
from mpgverify.policy import uniform_policy
from tests.fuzz.harness import FUZZ_SETTINGS, assert_well_behaved

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[2]
GAME = game_to_json(coordination_game(2, gamma=0.9))
POLICY = policy_to_json(uniform_policy(coordination_game(2)))
COUNTEREXAMPLE = json.loads((ROOT / "properties" / "counterexamples" / "lemma-c.2.json").read_text())

# -- JSON values: every type, edge numbers included (NaN and Infinity are written as Python's json does) -------
edge_numbers = st.sampled_from([0, -1, 1, 2, 10**30, -(10**30), 0.5, -0.0, 1e308, -1e308, 5e-324, math.nan, math.inf])
scalars = st.one_of(st.none(), st.booleans(), edge_numbers, st.integers(), st.floats(), st.text(max_size=8))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=12,
)


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for k, v in enumerate(obj[:3]):  # the first few entries of each array
            out += _paths(v, (*prefix, k))
    return out


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> Any:
    """``base`` with one to three edits: replace a value, delete a key or entry, add a key, or wrap."""
    obj = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(obj)
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(["replace", "delete", "add", "wrap"]))
        if not path:
            obj = draw(json_values) if kind == "replace" else [obj] if kind == "wrap" else obj
            continue
        parent = obj
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        if kind == "replace":
            parent[key] = draw(json_values)
        elif kind == "delete":
            del parent[key]
        elif kind == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=6))] = draw(json_values)
        else:
            parent[key] = [parent[key]]
    return obj


def _write(tmp: Path, name: str, obj: Any) -> str:
    """Write a (hostile) input beside, not inside, the folder whose outputs are checked."""
    path = tmp.parent / f"{tmp.name}-{name}"
    path.write_text(json.dumps(obj))  # Python writes NaN/Infinity: the loaders must refuse them
    return str(path)


def _refuse(token: str) -> None:
    raise AssertionError(f"{token} in a JSON file written")


def _check_written(folder: Path) -> None:
    for path in folder.rglob("*.json"):
        json.loads(path.read_text(), parse_constant=_refuse)


GAME_COMMANDS = [
    lambda g, out: ["evaluate", g, "--policy", "uniform", "--json"],
    lambda g, out: ["constants", g, "--json"],
    lambda g, out: ["check-mpg", g, "--policies", "2", "--json"],
    lambda g, out: ["export", g, "--out", f"{out}/e.json"],
    lambda g, out: ["run", "pg", "--game", g, "--seeds", "1", "--iters", "2", "--out", out, "--json"],
]


@FUZZ_SETTINGS
@given(obj=mutated(GAME), command=st.sampled_from(range(len(GAME_COMMANDS))))
def test_game_files(tmp_path_factory, obj, command) -> None:
    tmp = tmp_path_factory.mktemp("game")
    assert_well_behaved(GAME_COMMANDS[command](_write(tmp, "g.json", obj), str(tmp)))
    _check_written(tmp)


@FUZZ_SETTINGS
@given(obj=mutated(POLICY))
def test_policy_files(tmp_path_factory, obj) -> None:
    tmp = tmp_path_factory.mktemp("policy")
    assert_well_behaved(["evaluate", "coordination:n=2", "--policy", _write(tmp, "p.json", obj), "--json"])


@FUZZ_SETTINGS
@given(obj=mutated(COUNTEREXAMPLE))
def test_counterexample_files(tmp_path_factory, obj) -> None:
    tmp = tmp_path_factory.mktemp("cx")
    assert_well_behaved(["replay", _write(tmp, "c.json", obj)])
    assert_well_behaved(["explain", str(tmp / "c.json"), "--format", "tex"])


@FUZZ_SETTINGS
@given(content=st.text(max_size=200).map(str.encode) | st.binary(max_size=200))
def test_arbitrary_bytes_as_a_game_file(tmp_path_factory, content) -> None:
    path = tmp_path_factory.mktemp("text") / "g.json"
    path.write_bytes(content)
    assert_well_behaved(["evaluate", str(path), "--policy", "uniform"])


# -- arguments: each command's flags with hostile values, on top of a base that keeps the work small -----------
numbers = st.sampled_from(
    ["0", "-5", "1", "3", "nan", "inf", "-inf", "1e308", "1e-320", "99999999999999999999", "x", ""]
)
games = st.sampled_from(
    [
        "coordination",
        "coordination:n=3",
        "coordination:n=99",
        "coordination:n=0",
        "coordination:gamma=1",
        "coordination:gamma=nan",
        "coordination:eps=-1",
        "coordination:n=2,n=3",
        "coordination:bogus=1",
        "nope:n=2",
        "",
        ":",
        "/",
        "/dev/null",
    ]
)
texts = st.text(max_size=12)
representations = st.sampled_from(["auto", "dense", "factored", "bogus", ""])

COMMANDS: dict[str, tuple[list[str], dict[str, st.SearchStrategy[str]]]] = {
    "evaluate": (
        ["coordination:n=2"],
        {
            "--policy": st.sampled_from(
                ["uniform", "random:1", "random:-1", "random:99999999999999999999", "random:", "x.json"]
            )
            | texts,
            "GAME": games,
            "--repr": representations,
        },
    ),
    "constants": (["coordination:n=2"], {"GAME": games, "--repr": representations}),
    "export": (["coordination:n=2"], {"GAME": games, "--out": st.sampled_from(["{tmp}", "{tmp}/no/such/e.json", ""])}),
    "check-mpg": (["coordination:n=2"], {"--policies": numbers, "--seed": numbers, "GAME": games}),
    "run": (
        ["pg", "--game", "coordination:n=2", "--seeds", "1", "--iters", "2", "--out", "{tmp}/runs"],
        {
            "--seeds": numbers,
            "--iters": numbers,
            "--seed": numbers,
            "--lr": numbers,
            "--game": games,
            "--option": st.sampled_from(
                ["lam=nan", "lam=-1", "lr=0", "K=2", "=1", "x", "gradient=bogus", "init=zeros"]
            ),
            "--device": st.sampled_from(["cpu", "cuda", "tpu", "auto"]),
            "--repr": representations,
            "--record-every": numbers,
        },
    ),
    "check-algorithm": (
        ["pg", "--games", "1", "--seeds", "1", "--iters", "2"],
        {
            "--games": numbers,
            "--seeds": numbers,
            "--iters": numbers,
            "--max-actions": numbers,
            "--seed": numbers,
            "ALGO": st.sampled_from(["pg", "nope", "os:path", "mpgverify.cli:main", ":", "math:"]),
        },
    ),
    "claims": (
        ["--only", "def-2.2", "--budget", "quick"],
        {"--only": texts, "--seed": numbers, "--json": st.sampled_from(["{tmp}", "{tmp}/l.json", "{tmp}/no/l.json"])},
    ),
    "hunt": (
        ["def-2.2", "--evaluations", "3"],
        {
            "--seconds": numbers,
            "--evaluations": numbers,
            "--seed": numbers,
            "CLAIM": texts,
            "--json": st.sampled_from(["{tmp}", "{tmp}/h.json"]),
        },
    ),
    "figures": (
        ["--out", "{tmp}/fig", "--n", "2", "--iters", "2", "--seeds", "1", "--lams", "0.1", "--ks", "1"],
        {
            "--n": numbers,
            "--iters": numbers,
            "--seeds": numbers,
            "--record-every": numbers,
            "--lams": numbers,
            "--ks": numbers,
            "--device": st.sampled_from(["cpu", "tpu"]),
        },
    ),
    "replay": ([str(ROOT / "properties" / "counterexamples" / "lemma-c.2.json")], {"FILE": texts}),
    "explain": (
        [str(ROOT / "properties" / "counterexamples" / "lemma-c.2.json")],
        {
            "FILE": texts,
            "--format": st.sampled_from(["md", "tex", "html", "pdf", ""]),
            "--out": st.sampled_from(["{tmp}", "{tmp}/e", "{tmp}/no/such/e", "/proc/1/e", "{tmp}/e.md/"]),
        },
    ),
    "report": (
        [str(ROOT / "tests" / "fuzz" / "ledger-two-rows.json"), "--out", "{tmp}/r"],
        {"LEDGER": texts, "--out": st.sampled_from(["{tmp}", "{tmp}/r", "/proc/1/r", "{tmp}/r/../r"])},
    ),
}


@st.composite
def argument_lists(draw: st.DrawFn, command: str, tmp: str) -> list[str]:
    base, flags = COMMANDS[command]
    argv = [command, *base]
    for flag in draw(st.lists(st.sampled_from(sorted(flags)), max_size=3)):
        value = draw(flags[flag])
        argv += [value] if flag.isupper() else [flag, value]
    return [a.replace("{tmp}", tmp) for a in argv]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_arguments(command, tmp_path_factory) -> None:
    @FUZZ_SETTINGS
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        tmp = tmp_path_factory.mktemp(command)
        assert_well_behaved(data.draw(argument_lists(command, str(tmp))))
        _check_written(tmp)

    check()


def test_commands_cover_every_subcommand() -> None:
    from mpgverify.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)  # type: ignore[union-attr]
