"""Fuzz like an attacker (issue 22): generators for what broke round 1.

* **Grammar values per field:** every numeric field of every format gets a token from a grammar of
  boundaries (0, −0.0, −1, subnormal, 1e308), never-valid numbers (NaN, Infinity, 1e999, a
  5000-digit integer), numeric strings (``"0.5"``, ``" 0.5 "``, ``"0.5_0"``), booleans, null and
  containers; or a key is repeated. The never-valid tokens must be refused (exit 2, one line).
* **Witness constants per claim:** each shipped counterexample replayed with one constant drawn
  inside and outside its premises (ε = 0, 5e-324, 1e-300, 100, σ = −1, …) or of the wrong type.
* **OS failures:** output paths that cannot be written, a file where a folder is needed and back,
  the same file as input and output, ``MPGVERIFY_HOME`` naming a file, a stdout pipe closed early.
* **Ctrl-C at a random moment** in every long command; **two writers** on one ledger and folder.

Examples shrink toward the first token of each list (a boundary number) and toward short delays.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpgverify import coordination_game
from mpgverify.cli import main
from mpgverify.formats import game_to_json, policy_to_json
from mpgverify.policy import uniform_policy
from tests.fuzz.harness import FUZZ_SETTINGS, Outcome, assert_well_behaved, check_contract

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "properties" / "counterexamples").glob("*.json"))
GAME = game_to_json(coordination_game(2, gamma=0.9))
POLICY = policy_to_json(uniform_policy(coordination_game(2)))
LEDGER = json.loads((ROOT / "docs" / "ledger-standard.json").read_text())

#: tokens that no numeric field of any format takes: the loaders must refuse them
NEVER = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "9" * 5000, '"0.5"', '" 0.5 "', '"0.5_0"', '"1"', "true"]
#: boundary values and other types: a field may take them or refuse them, on one line either way
BOUNDARY = ["0", "-0.0", "-1", "5e-324", "1e-300", "1e308", "-1e308", "0.5", "1", "2", "100", "null", "[]", "{}"]
SENTINEL = "@@HOSTILE@@"


def _numeric_paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Paths to the numbers of ``obj`` (the first two entries of each array, every key of objects)."""
    if isinstance(obj, bool) or isinstance(obj, str) or obj is None:
        return []
    if isinstance(obj, (int, float)):
        return [prefix]
    items = obj.items() if isinstance(obj, dict) else list(enumerate(obj))[:2]
    return [p for k, v in items for p in _numeric_paths(v, (*prefix, k))]


def _with_token(base: Any, path: tuple, token: str) -> str:
    """JSON text of ``base`` with the number at ``path`` replaced by the raw ``token``."""
    obj = json.loads(json.dumps(base))
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = SENTINEL
    return json.dumps(obj).replace(f'"{SENTINEL}"', token)


def _with_duplicate(base: dict[str, Any], key: str, token: str) -> str:
    text = json.dumps(base)
    return text.replace(f'"{key}":', f'"{key}": {token}, "{key}":', 1)


FORMATS: dict[str, tuple[Any, Any]] = {
    # format → (base object, argv builder from the file path and a scratch folder)
    "game": (GAME, lambda f, tmp: ["evaluate", f, "--policy", "uniform", "--json"]),
    "game-run": (GAME, lambda f, tmp: ["run", "pg", "--game", f, "--seeds", "1", "--iters", "1", "--out", tmp]),
    "game-mpg": (GAME, lambda f, tmp: ["check-mpg", f, "--policies", "2", "--json"]),
    "policy": (POLICY, lambda f, tmp: ["evaluate", "coordination:n=2", "--policy", f, "--json"]),
    "counterexample": (json.loads(SHIPPED[0].read_text()), lambda f, tmp: ["replay", f]),
    "ledger": (LEDGER, lambda f, tmp: ["hunt", "lemma-c.2", "--evaluations", "2", "--workers", "1", "--ledger", f]),
}


@st.composite
def hostile_files(draw: st.DrawFn) -> tuple[str, str, bool]:
    """(format, JSON text, whether it must be refused): one numeric field given a grammar token, or
    one key repeated."""
    name = draw(st.sampled_from(sorted(FORMATS)))
    base = FORMATS[name][0]
    never = draw(st.booleans())
    token = draw(st.sampled_from(NEVER if never else BOUNDARY))
    if draw(st.integers(0, 5)) == 0 and isinstance(base, dict):
        key = draw(st.sampled_from(sorted(base)))
        return name, _with_duplicate(base, key, token), True
    path = draw(st.sampled_from(_numeric_paths(base)))
    return name, _with_token(base, path, token), never


@FUZZ_SETTINGS
@given(case=hostile_files())
def test_grammar_tokens_in_every_numeric_field(tmp_path_factory, case) -> None:
    name, text, must_refuse = case
    tmp = tmp_path_factory.mktemp("grammar")
    path = tmp / "input.json"
    path.write_text(text)
    got = assert_well_behaved([str(a) for a in FORMATS[name][1](str(path), str(tmp / "out"))])
    assert not must_refuse or got.code == 2, f"{name}: a never-valid token was accepted (exit {got.code})"


def _witness_keys() -> list[tuple[Path, str]]:
    out = []
    for path in SHIPPED:
        witness = json.loads(path.read_text())["witness"]
        out += [(path, k) for k, v in witness.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return out


WITNESS_VALUES = st.sampled_from([0, -0.0, -1, 5e-324, 1e-300, 1e-12, 0.5, 0.999, 1, 2, 100, 1e308, 10**30])
WRONG_TYPES = st.sampled_from(["0.5", " 0.5 ", "hello", True, None, [1], {"x": 1}])


@FUZZ_SETTINGS
@given(key=st.sampled_from(_witness_keys()), value=WITNESS_VALUES | WRONG_TYPES)
def test_witness_constants_inside_and_outside_the_premises(tmp_path_factory, key, value) -> None:
    path, name = key
    obj = json.loads(path.read_text())
    obj["witness"][name] = value
    out = tmp_path_factory.mktemp("witness") / path.name
    out.write_text(json.dumps(obj))
    got = assert_well_behaved(["replay", str(out)])
    wrong_type = isinstance(value, (str, bool, list, dict)) or value is None
    wrong_type = wrong_type or abs(value) > 1e100  # beyond premises.MAX_MAGNITUDE: refused by name
    assert got.code == (2 if wrong_type else got.code), f"witness.{name} = {value!r} accepted"
    assert wrong_type or got.code in (0, 1), f"witness.{name} = {value!r}: a number must be decided, exit {got.code}"


# -- OS-level failures -----------------------------------------------------------------------------------------
PATH_KINDS = ["unwritable", "file-for-folder", "folder-for-file", "same-as-input", "nested-new", "plain"]
OUTPUT_COMMANDS = {
    "export": (["export", "{game}", "--out", "{file}"], "file"),
    "run": (["run", "pg", "--game", "{game}", "--seeds", "1", "--iters", "1", "--out", "{folder}"], "folder"),
    "check-mpg": (["check-mpg", "{game}", "--policies", "1", "--certificate", "{file}"], "file"),
    "claims": (["claims", "--only", "def-2.2", "--workers", "1", "--json", "{file}"], "file"),
    "hunt": (["hunt", "def-2.2", "--evaluations", "2", "--workers", "1", "--json", "{file}"], "file"),
    "hunt-cx": (["hunt", "def-2.2", "--evaluations", "2", "--workers", "1", "--counterexamples", "{folder}"], "folder"),
}


def _path_of(kind: str, tmp: Path, game: Path) -> str:
    (tmp / "a-file").write_text("x")
    (tmp / "a-folder").mkdir(exist_ok=True)
    return {
        "unwritable": "/proc/1/mpgverify-out",
        "file-for-folder": str(tmp / "a-file"),
        "folder-for-file": str(tmp / "a-folder"),
        "same-as-input": str(game),
        "nested-new": str(tmp / "new" / "deeper" / "out.json"),
        "plain": str(tmp / "out.json"),
    }[kind]


@FUZZ_SETTINGS
@given(command=st.sampled_from(sorted(OUTPUT_COMMANDS)), kind=st.sampled_from(PATH_KINDS), home=st.booleans())
def test_output_paths_under_os_failures(tmp_path_factory, monkeypatch_session, command, kind, home) -> None:
    tmp = tmp_path_factory.mktemp("paths")
    game = tmp / "g.json"
    game.write_text(json.dumps(GAME))
    before = game.read_bytes()
    argv = OUTPUT_COMMANDS[command][0]
    target = _path_of(kind, tmp, game)
    if home:  # MPGVERIFY_HOME naming a file: the default counterexample folder cannot exist
        monkeypatch_session.setenv("MPGVERIFY_HOME", str(tmp / "a-file"))
    try:
        got = assert_well_behaved([a.format(game=game, file=target, folder=target) for a in argv])
    finally:
        monkeypatch_session.delenv("MPGVERIFY_HOME", raising=False)
    assert got.code == 2 if _must_refuse(command, kind, home) else got.code != 2, (
        f"{command} with a {kind} output (home={home}): exit {got.code}"
    )
    if "{game}" in " ".join(argv):
        assert game.read_bytes() == before, "the input game was changed"
    assert not list(tmp.rglob("*.tmp")), list(tmp.rglob("*.tmp"))


def _must_refuse(command: str, kind: str, home: bool) -> bool:
    """Whether an output of ``kind`` must be refused by ``command`` (its output a file or a folder)."""
    argv, expects = OUTPUT_COMMANDS[command]
    reads_game = "{game}" in " ".join(argv)
    refused = {
        "unwritable": True,
        "file-for-folder": expects == "folder",
        "folder-for-file": expects == "file",
        "same-as-input": reads_game or expects == "folder",  # an input overwritten, or a file given as a folder
        "nested-new": expects == "file",  # a file's folder must exist; a folder is created
        "plain": False,
    }[kind]
    return refused or (home and command in ("claims", "hunt"))  # the default counterexample folder


@pytest.fixture(scope="module")
def monkeypatch_session():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


class _ClosedAfter(io.StringIO):
    """A stdout whose reader goes away after ``limit`` characters (``| head -c LIMIT``)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, text: str) -> int:
        if self.tell() + len(text) > self.limit:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


PIPED = [
    ["evaluate", "coordination:n=2", "--policy", "uniform"],
    ["constants", "coordination:n=2", "--json"],
    ["check-mpg", "coordination:n=2", "--policies", "2"],
    ["replay", str(SHIPPED[0])],
]


@FUZZ_SETTINGS
@given(argv=st.sampled_from(PIPED), limit=st.integers(0, 400))
def test_a_stdout_pipe_closed_at_any_byte(argv, limit) -> None:
    err = io.StringIO()
    with contextlib.redirect_stdout(_ClosedAfter(limit)), contextlib.redirect_stderr(err):
        code = main(argv)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        whole = main(argv)
    check_contract(argv, Outcome(code, "", err.getvalue()))
    assert code == whole, f"the closed pipe changed the exit status: {code} against {whole}"


# -- Ctrl-C at a random moment, and two writers ------------------------------------------------------------------
LONG = [
    ["run", "pg", "--game", "coordination:n=3", "--seeds", "4", "--iters", "3000", "--out", "{tmp}/runs"],
    ["figures", "--out", "{tmp}/figs", "--n", "2", "--iters", "60", "--seeds", "1", "--lams", "1", "--ks", "1"],
    ["export", "coordination:n=7", "--out", "{tmp}/g.json"],
    ["check-algorithm", "pg", "--games", "2", "--seeds", "1", "--iters", "3000"],
    ["claims", "--only", "lemma-3.1", "--workers", "1", "--json", "{tmp}/l.json", "--counterexamples", "{tmp}/cx"],
    [
        "hunt",
        "lemma-3.1",
        "--seconds",
        "4",
        "--workers",
        "1",
        "--json",
        "{tmp}/h.json",
        "--counterexamples",
        "{tmp}/cx",
    ],
]


@FUZZ_SETTINGS
@given(argv=st.sampled_from(LONG), after=st.floats(0.0, 1.0))
def test_ctrl_c_at_a_random_moment(tmp_path_factory, argv, after) -> None:
    tmp = tmp_path_factory.mktemp("sigint")
    assert_well_behaved([a.replace("{tmp}", str(tmp)) for a in argv], sigint_after=after)
    for path in tmp.rglob("*.json"):  # written whole or not at all
        json.loads(path.read_text())
    assert not list(tmp.rglob("*.tmp")), list(tmp.rglob("*"))


@settings(FUZZ_SETTINGS, max_examples=min(3, FUZZ_SETTINGS.max_examples))
@given(pair=st.lists(st.sampled_from(["thm-4.5", "thm-4.5@as-used", "lemma-c.2", "def-2.2"]), min_size=2, max_size=2))
def test_two_writers_at_once(tmp_path_factory, pair) -> None:
    tmp = tmp_path_factory.mktemp("writers")
    rows = [{k: v for k, v in r.items() if k != "hunt"} for r in LEDGER["claims"]]
    (tmp / "l.json").write_text(json.dumps({**LEDGER, "claims": rows}))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPGVERIFY_HOME": str(tmp / "home")}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mpgverify",
                "hunt",
                claim,
                "--evaluations",
                "20",
                "--workers",
                "1",
                "--seed",
                str(k),
                "--ledger",
                "l.json",
                "--counterexamples",
                "cx",
                "--json",
                f"h{k}.json",
            ],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k, claim in enumerate(pair)
    ]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert all(p.returncode in (0, 1) for p in procs) and not any("Traceback" in e for e in errs), errs
    merged = {r["id"]: r for r in json.loads((tmp / "l.json").read_text())["claims"]}
    records = [json.loads((tmp / f"h{k}.json").read_text()) for k in range(2)]
    for rec in records:
        for r in rec:
            assert "hunt" in merged[r["id"]], f"{r['id']}: a writer's row was lost"
    found = [r["counterexample"] for rec in records for r in rec if r["counterexample"]]
    assert len(found) == len(set(found)) and all((tmp / f).is_file() for f in found), found
