#!/usr/bin/env python3
# ruff: noqa: E501  (plug-in sources written out as strings, one line each)
"""Blind acceptance test of the ``mpgverify`` command line.

Written from README.md, docs/FORMATS.md and ``mpgverify [COMMAND] --help`` only; the shipped
counterexample files are used as input data.  Every case runs ``python -m mpgverify ...`` in its own
temporary folder (60 s timeout, ``MPGVERIFY_MEMORY_LIMIT=1G``, ``OMP_NUM_THREADS=1``, a 6 GB
address-space limit) and is classified as one of

    ok, traceback, hang, blowup, bad-exit, multi-line-error, vague-error, silent-accept,
    wrong-reject, lost-write, bad-output

The promise checked: exit 0 (or 1 / 3 where the help gives it a meaning, 130 after Ctrl-C) with
valid output, or exit 2 with exactly one error line (the last stderr line, containing "error:").

    python tests/fuzz/acceptance.py [--only SUBSTRING] [--jobs N] [--json PATH] [--list] [--keep] [--extended]

The default corpus is 437 cases (about 22 min with --jobs 1 on two shared cores); --extended adds 154
lower-priority ones.  Device-node outputs (a "full" device) are private nodes made in the case folder,
never /dev/full itself: an atomic rename over such a path replaces the node.

Exit 0 when every case is ok, 1 otherwise.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import dataclasses
import json
import os
import random
import re
import resource
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CX_DIR = REPO / "properties" / "counterexamples"
TIMEOUT = 60.0
SIGINT_GRACE = 20.0  # seconds a command may take to stop after Ctrl-C
AS_LIMIT = 6 * 1024**3

# the most severe problem of a case names its class
SEVERITY = [
    "traceback",
    "hang",
    "blowup",
    "bad-exit",
    "lost-write",
    "multi-line-error",
    "silent-accept",
    "wrong-reject",
    "vague-error",
    "bad-output",
]
CLASSES = [
    "ok",
    "traceback",
    "hang",
    "blowup",
    "bad-exit",
    "multi-line-error",
    "vague-error",
    "silent-accept",
    "wrong-reject",
    "lost-write",
    "bad-output",
]

# exit codes each command may use (130 is added for cases that send SIGINT)
ALLOWED = {
    "evaluate": {0, 2},
    "export": {0, 2},
    "constants": {0, 2},
    "check-mpg": {0, 1, 2, 3},
    "run": {0, 2},
    "check-algorithm": {0, 1, 2, 3},
    "claims": {0, 2},
    "hunt": {0, 1, 2},
    "figures": {0, 2},
    "replay": {0, 1, 2},
}
JSON_STDOUT = {"evaluate", "constants", "check-mpg", "run"}  # with --json: stdout is one JSON object

FULL = ("chardev", (1, 7))  # like /dev/full, created in the case folder
NULL = ("chardev", (1, 3))  # like /dev/null
BIG = "1" + "0" * 4999  # an integer literal with 5000 digits
DEEP = "[" * 100_000 + "]" * 100_000


# ----------------------------------------------------------------------------------------------
# cases


@dataclasses.dataclass
class Case:
    name: str
    args: list[str]
    expect: str = "either"  # reject | accept | either | premise | nonzero
    files: dict[str, Any] = dataclasses.field(default_factory=dict)
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    sigint: float | None = None
    stdout: str = "capture"  # capture | closed | head1
    mention: str | None = None  # regex the error line must match (the field it names)
    intact: list[str] = dataclasses.field(default_factory=list)  # files that must stay valid JSON
    unchanged_on_interrupt: list[str] = dataclasses.field(default_factory=list)
    post: Callable[[Case, Path, dict], list[tuple[str, str]]] | None = None
    parallel: list[list[str]] | None = None  # several processes at once (same folder)
    pythonpath: bool = False

    @property
    def command(self) -> str:
        return self.args[0] if self.args else ""

    def cmdline(self) -> str:
        def q(a: str) -> str:
            a = a if len(a) <= 80 else a[:60] + f"...<{len(a)} chars>"
            return a if re.fullmatch(r"[\w@%+=:,./-]+", a) else repr(a)

        if self.parallel:
            return " & ".join("mpgverify " + " ".join(q(a) for a in p) for p in self.parallel)
        s = "mpgverify " + " ".join(q(a) for a in self.args)
        if self.stdout == "head1":
            s += " | head -c 1"
        elif self.stdout == "closed":
            s += " >&- (stdout pipe closed)"
        if self.sigint is not None:
            s += f"  [SIGINT after {self.sigint:.2f} s]"
        for k, v in self.env.items():
            s = f"{k}={v} " + s
        return s


def load(name: str) -> dict:
    return json.loads((CX_DIR / name).read_text())


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=1)


SENT = "\u0000SENTINEL\u0000"


def get_at(obj: Any, path: tuple) -> Any:
    for p in path:
        obj = obj[p]
    return obj


def set_at(obj: Any, path: tuple, value: Any) -> Any:
    obj = copy.deepcopy(obj)
    tgt = obj
    for p in path[:-1]:
        tgt = tgt[p]
    tgt[path[-1]] = value
    return obj


def del_at(obj: Any, path: tuple) -> Any:
    obj = copy.deepcopy(obj)
    tgt = obj
    for p in path[:-1]:
        tgt = tgt[p]
    del tgt[path[-1]]
    return obj


def raw_at(obj: Any, path: tuple, raw: str) -> str:
    """JSON text of obj with the value at path replaced by the raw JSON text `raw`."""
    text = json.dumps(set_at(obj, path, SENT))
    return text.replace(json.dumps(SENT), raw, 1)


def dup_at(obj: Any, path: tuple, raw_first: str, valid_last: bool = True) -> str:
    """JSON text where the key path[-1] appears twice: once with `raw_first`, once with its value."""
    orig = json.dumps(get_at(obj, path))
    key = json.dumps(path[-1])
    text = json.dumps(set_at(obj, path, SENT))
    first, second = (raw_first, orig) if valid_last else (orig, raw_first)
    return text.replace(json.dumps(SENT), f"{first}, {key}: {second}", 1)


def val(v: Any) -> str:
    return json.dumps(v)


# the base inputs --------------------------------------------------------------------------------

CX_FILES = sorted(p.name for p in CX_DIR.glob("*.json"))
G1 = load("lemma-c.2.json")["game"]  # 1 agent, 2 actions, 1 state, with potential
G2 = load("thm-4.5.json")["game"]  # 2 agents [2, 1], 2 states, no potential
G_ONE = load("def-4.4@as-written.json")["game"]  # 1 agent, 1 action, 1 state
G3 = load("thm-3.8.json")["game"]  # 2 agents [3, 3], 1 state
P2 = {"format": "mpgverify.policy/1", "probs": [[[0.5, 0.5], [0.25, 0.75]], [[1.0], [1.0]]]}
L2 = {"format": "mpgverify.policy/1", "logits": [[[0.0, 1.0], [-2.0, 3.0]], [[0.0], [0.0]]]}
PENNIES = {
    "format": "mpgverify.game/1",
    "name": "matching-pennies",
    "gamma": 0.5,
    "n_actions": [2, 2],
    "mu": [1.0],
    "transition": [[[[1.0], [1.0]], [[1.0], [1.0]]]],
    "rewards": [[[[1.0, -1.0], [-1.0, 1.0]]], [[[-1.0, 1.0], [1.0, -1.0]]]],
}
HANDMADE_LEDGER = {
    "format": "mpgverify.ledger/1",
    "budget": "quick",
    "claims": [
        {
            "id": "lemma-c.2",
            "ref": "Lemma C.2 (Appendix C)",
            "status": "refuted",
            "examples": 1,
            "premises_met": 1,
            "worst_margin": -0.5,
            "tightness": None,
            "counterexample": None,
            "seconds": 0.0,
            "informative": 1,
            "undecided": 0,
        },
        {
            "id": "prop-4.3@signed",
            "ref": "Proposition 4.3",
            "status": "holds",
            "examples": 25,
            "premises_met": 22,
            "worst_margin": 0.0,
            "tightness": None,
            "counterexample": None,
            "seconds": 0.3,
            "informative": 22,
            "undecided": 0,
        },
        {
            "id": "prop-4.3@one-sided",
            "ref": "Proposition 4.3",
            "status": "holds",
            "examples": 25,
            "premises_met": 22,
            "worst_margin": 0.0,
            "tightness": None,
            "counterexample": None,
            "seconds": 0.3,
            "informative": 22,
            "undecided": 0,
        },
    ],
}
FIXTURES: dict[str, Path] = {}  # filled by make_fixtures()


def big_state_game(S: int = 1100) -> str:
    """1 agent, 1 action, S states, a deterministic cycle: transition [S][1][S]."""
    rows = []
    for s in range(S):
        row = ["0"] * S
        row[(s + 1) % S] = "1"
        rows.append("[[" + ",".join(row) + "]]")
    rewards = "[[" + ",".join(f"[{(s % 7) / 7!r}]" for s in range(S)) + "]]"
    mu = "[" + ",".join([repr(1.0 / S)] * S) + "]"
    return (
        '{"format": "mpgverify.game/1", "name": "cycle-1100", "gamma": 0.9, "n_actions": [1], '
        f'"mu": {mu}, "transition": [{",".join(rows)}], "rewards": {rewards}}}'
    )


# the plug-in module ----------------------------------------------------------------------------

PLUGIN = r"""
import math, sys, time
import torch
from mpgverify import evaluate, softmax_policy
from mpgverify.algorithms import Algorithm, Declarations
from mpgverify.algorithms.tabular import TabularState, init_theta, tabular_policy


def _step(game, state):
    advantages = evaluate(game, softmax_policy(state.theta)).advantages
    theta = tuple(t + 0.5 * a for t, a in zip(state.theta, advantages))
    return TabularState(theta=theta, t=state.t + 1)


def _init(game, *, seed, batch):
    return init_theta(game, seed=seed, batch=batch)


def _alg(name, *, init=_init, step=_step, policy=tabular_policy, declares=None):
    return Algorithm(name=name, init=init, step=step, policy=policy,
                     declares=declares if declares is not None else Declarations())


def good():
    return _alg("good", declares=Declarations(nash_within=(0.05, 200), monotone_potential=True))


def nan_policy():
    return _alg("nan", policy=lambda st: tuple(torch.full_like(p, float("nan")) for p in tabular_policy(st)))


def inf_theta():
    return _alg("inf-theta", step=lambda g, st: TabularState(theta=tuple(torch.full_like(t, float("inf")) for t in st.theta), t=st.t + 1))  # noqa: E501


def negative_policy():
    def pol(st):
        out = []
        for p in tabular_policy(st):
            q = p.clone()
            q[..., 0] = -0.5
            q[..., -1] = q[..., -1] + 0.5 + p[..., 0]
            out.append(q)
        return tuple(out)
    return _alg("negative", policy=pol)


def unnormalized_policy():
    return _alg("unnormalized", policy=lambda st: tuple(2.0 * p for p in tabular_policy(st)))


def wrong_shape_policy():
    return _alg("wrong-shape", policy=lambda st: tuple(p[..., 0, :] for p in tabular_policy(st)))


def wrong_actions_policy():
    return _alg("wrong-actions", policy=lambda st: tuple(torch.cat([p, p], dim=-1) / 2 for p in tabular_policy(st)))


def wrong_agents_policy():
    return _alg("wrong-agents", policy=lambda st: tuple(tabular_policy(st))[:-1] or (torch.ones(1),))


def list_policy():
    return _alg("list", policy=lambda st: [p.tolist() for p in tabular_policy(st)])


def none_policy():
    return _alg("none", policy=lambda st: None)


def raise_step():
    def step(g, st):
        raise ValueError("plug-in step failed on purpose")
    return _alg("raise-step", step=step)


def raise_init():
    def init(g, *, seed, batch):
        raise RuntimeError("plug-in init failed on purpose")
    return _alg("raise-init", init=init)


def raise_factory():
    raise ZeroDivisionError("plug-in factory failed on purpose")


def exit_step():
    def step(g, st):
        sys.exit(0)
    return _alg("exit-step", step=step)


def exit_factory():
    sys.exit(0)


def slow_step():
    def step(g, st):
        t0 = time.time()
        while time.time() - t0 < 1.0:
            pass
        return _step(g, st)
    return _alg("slow-step", step=step)


def forever_step():
    def step(g, st):
        while True:
            pass
    return _alg("forever", step=step)


def returns_42():
    return 42


def bad_declarations():
    return _alg("bad-decl", declares=Declarations(nash_within=(-1.0, -5)))


def huge_declarations():
    return _alg("huge-decl", declares=Declarations(nash_within=(1e-12, 10**12)))


def nan_declarations():
    return _alg("nan-decl", declares=Declarations(nash_within=(float("nan"), 10)))


def state_none():
    return _alg("state-none", step=lambda g, st: None)
"""


# ----------------------------------------------------------------------------------------------
# the corpus


def build_corpus() -> list[Case]:
    C: list[Case] = []

    def add(name, args, expect="either", **kw):
        C.append(Case(name=name, args=list(args), expect=expect, **kw))

    # ---- 1. game files through evaluate -------------------------------------------------------
    gm: list[tuple[str, str, str, str | None, dict]] = []  # (name, text, expect, mention, base)

    def g(name, text, expect, mention=None):
        gm.append((name, text, expect, mention))

    # gamma
    for nm, raw, ex in [
        ("0", "0", "accept"),
        ("-0.0", "-0.0", "either"),
        ("subnormal", "5e-324", "accept"),
        ("1-1e-10", "0.9999999999", "reject"),
        ("1", "1", "reject"),
        ("-1e-300", "-1e-300", "reject"),
        ("1e308", "1e308", "reject"),
        ("str-spaces", val(" 0.5 "), "reject"),
        ("str-underscore", val("0.5_0"), "reject"),
        ("str-nan", val("nan"), "reject"),
        ("NaN-literal", "NaN", "reject"),
        ("1e999", "1e999", "reject"),
        ("true", "true", "reject"),
        ("false", "false", "reject"),
        ("null", "null", "reject"),
        ("list", "[0.5]", "reject"),
        ("5000-digits", BIG, "reject"),
        ("long-decimal", "0." + "5" * 5000, "accept"),
    ]:
        g(f"gamma={nm}", raw_at(G1, ("gamma",), raw), ex, "gamma" if ex == "reject" else None)
    # mu
    for nm, raw, ex in [
        ("unnormalized", "[0.5]", "reject"),
        ("within-tol", "[1.0000000001]", "accept"),
        ("outside-tol", "[1.000001]", "reject"),
        ("empty", "[]", "reject"),
        ("too-long", "[1.0, 0.0]", "reject"),
        ("bool", "[true]", "reject"),
        ("nested", "[[1.0]]", "reject"),
        ("1e999", "[1e999]", "reject"),
        ("null-entry", "[null]", "reject"),
        ("NaN", "[NaN]", "reject"),
    ]:
        g(f"mu={nm}", raw_at(G1, ("mu",), raw), ex, r"\bmu\b" if ex == "reject" else None)
    g("mu=negative-2-states", raw_at(G2, ("mu",), "[1.5, -0.5]"), "reject", r"\bmu\b")
    g("mu=subnormal-2-states", raw_at(G2, ("mu",), "[5e-324, 1.0]"), "either")
    # n_actions
    for nm, base, raw, ex in [
        ("0", G1, "[0]", "reject"),
        ("-1", G1, "[-1]", "reject"),
        ("2.0", G1, "[2.0]", "either"),
        ("2.5", G1, "[2.5]", "reject"),
        ("true", G_ONE, "[true]", "reject"),
        ("empty", G1, "[]", "reject"),
        ("5000-digits", G1, f"[{BIG}]", "reject"),
        ("1e9", G1, "[1000000000]", "reject"),
        ("huge-product", G1, "[1000000, 1000000, 1000000]", "reject"),
    ]:
        g(
            f"n_actions={nm}",
            raw_at(base, ("n_actions",), raw),
            ex,
            "n_actions|transition|reward" if ex == "reject" else None,
        )
    # transition
    for nm, base, path, raw, ex in [
        ("row-sum-0.8", G1, ("transition", 0, 0), "[0.8]", "reject"),
        ("row-within-tol", G1, ("transition", 0, 0), "[1.0000000001]", "accept"),
        ("row-negative", G2, ("transition", 0, 0, 0), "[-0.5, 1.5]", "reject"),
        ("row-nan", G2, ("transition", 0, 0, 0), "[NaN, 0.5]", "reject"),
        ("row-subnormal", G2, ("transition", 0, 0, 0), "[5e-324, 1.0]", "accept"),
        ("ragged", G2, ("transition", 0, 0, 0), "[1.0]", "reject"),
        ("too-deep", G1, ("transition",), "[[[[1.0]], [[1.0]]]]", "reject"),
        ("null", G1, ("transition",), "null", "reject"),
        ("deep-70", G1, ("transition",), "[" * 70 + "1.0" + "]" * 70, "reject"),
        ("deep-100000", G1, ("transition",), DEEP, "reject"),
    ]:
        g(f"transition={nm}", raw_at(base, path, raw), ex, "transition|deep|nest" if ex == "reject" else None)
    g("transition=missing", json.dumps(del_at(G1, ("transition",))), "reject", "transition")
    # rewards
    for nm, raw, ex in [
        ("nan", "[[[NaN, 1.0]]]", "reject"),
        ("1e308", "[[[1e308, 1.0]]]", "reject"),
        ("6e149", "[[[6e149, 1.0]]]", "reject"),
        ("1e149", "[[[1e149, 1.0]]]", "accept"),
        ("subnormal", "[[[5e-324, 1.0]]]", "accept"),
        ("str", '[[["0", 1.0]]]', "reject"),
        ("bool", "[[[true, 1.0]]]", "reject"),
        ("two-agents", "[[[0.0, 1.0]], [[0.0, 1.0]]]", "reject"),
        ("5000-digits", f"[[[{BIG}, 1.0]]]", "reject"),
    ]:
        g(f"rewards={nm}", raw_at(G1, ("rewards",), raw), ex, "reward" if ex == "reject" else None)
    g("rewards=missing", json.dumps(del_at(G1, ("rewards",))), "reject", "reward")
    # potential
    for nm, raw, ex in [
        ("null", "null", "either"),
        ("wrong-shape", "[[0.0]]", "reject"),
        ("nan", "[[NaN, 1.0]]", "reject"),
        ("inconsistent", "[[0.0, 5.0]]", "accept"),
    ]:
        g(f"potential={nm}", raw_at(G1, ("potential",), raw), ex, "potential" if ex == "reject" else None)
    g("potential=missing", json.dumps(del_at(G1, ("potential",))), "accept")
    # format / name / keys
    for nm, raw, ex in [
        ("game/2", val("mpgverify.game/2"), "reject"),
        ("int", "123", "reject"),
        ("upper", val("MPGVERIFY.GAME/1"), "reject"),
    ]:
        g(f"format={nm}", raw_at(G1, ("format",), raw), ex, "format")
    g("format=missing", json.dumps(del_at(G1, ("format",))), "reject", "format")
    g("name=100k-chars", raw_at(G1, ("name",), val("x" * 100_000)), "either")
    g("extra-key", json.dumps({**G1, "foo": 1}), "either")
    # duplicate keys: the last value valid (a last-wins parser would accept silently) and vice versa
    g("dup-gamma-last-valid", dup_at(G1, ("gamma",), "2.0"), "reject", "gamma|duplicate")
    g("dup-gamma-first-valid", dup_at(G1, ("gamma",), "2.0", valid_last=False), "reject", "gamma|duplicate")
    g("dup-format", dup_at(G1, ("format",), val("mpgverify.policy/1")), "reject", "format|duplicate")
    g("dup-rewards", dup_at(G1, ("rewards",), "[[[9.0, 9.0]]]"), "reject", "reward|duplicate")
    # top-level shapes
    g("top=list", json.dumps([G1]), "reject")
    g("top=counterexample", json.dumps(load("lemma-c.2.json")), "reject")

    for nm, text, ex, mention in gm:
        add(
            f"evaluate/game/{nm}",
            ["evaluate", "g.json", "--policy", "uniform", "--json"],
            ex,
            files={"g.json": text},
            mention=mention,
        )

    # raw bytes as a game
    raw_inputs: list[tuple[str, Any]] = [
        ("empty", b""),
        ("null", b"null"),
        ("list", b"[]"),
        ("garbage", bytes(range(256)) * 4),
        ("invalid-utf8", b'{"format": "\xff\xfe"}'),
        ("truncated", json.dumps(G1)[:-7].encode()),
        ("trailing-garbage", (json.dumps(G1) + " x").encode()),
        ("NaN-token", b"NaN"),
        ("deep-100000", DEEP.encode()),
        ("deep-objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
        ("utf16", json.dumps(G1).encode("utf-16")),
        ("bom", b"\xef\xbb\xbf" + json.dumps(G1).encode()),
        ("sparse-300MB", ("sparse", 300 * 1024**2)),
        ("directory", ("dir",)),
        ("symlink-loop", ("symlink", "g.json")),
    ]
    for nm, content in raw_inputs:
        ex = "either" if nm == "bom" else "reject"
        add(f"evaluate/bytes/{nm}", ["evaluate", "g.json", "--policy", "uniform"], ex, files={"g.json": content})
    add("evaluate/bytes/dev-zero", ["evaluate", "/dev/zero", "--policy", "uniform"], "reject")
    add("evaluate/bytes/nonexistent", ["evaluate", "nope.json", "--policy", "uniform"], "reject")
    add("evaluate/bytes/proc-mem", ["evaluate", "/proc/1/mem", "--policy", "uniform"], "reject")
    add("evaluate/bytes/empty-arg", ["evaluate", "", "--policy", "uniform"], "reject")
    add(
        "evaluate/bytes/1100-states",
        ["evaluate", "g.json", "--policy", "uniform", "--json"],
        "either",
        files={"g.json": ("fixture", "big_state")},
    )

    # ---- 2. the same hostile games through the other commands --------------------------------
    subset = [
        x
        for x in gm
        if x[0]
        in {
            "gamma=str-nan",
            "gamma=5000-digits",
            "n_actions=1e9",
            "transition=row-sum-0.8",
            "transition=deep-100000",
            "dup-gamma-last-valid",
            "n_actions=huge-product",
        }
    ]
    for nm, text, ex, mention in subset:
        add(f"constants/game/{nm}", ["constants", "g.json", "--json"], ex, files={"g.json": text}, mention=mention)
        exm = "either" if nm == "potential=inconsistent" else ex
        add(f"check-mpg/game/{nm}", ["check-mpg", "g.json", "--json"], exm, files={"g.json": text}, mention=mention)
        add(f"export/game/{nm}", ["export", "g.json", "--out", "out.json"], ex, files={"g.json": text}, mention=mention)
        add(
            f"run/game/{nm}",
            ["run", "pg", "--game", "g.json", "--seeds", "1", "--iters", "2", "--out", "runs", "--json"],
            ex,
            files={"g.json": text},
            mention=mention,
        )
    for nm, content in [("sparse-300MB", ("sparse", 300 * 1024**2)), ("deep", DEEP.encode())]:
        add(f"constants/bytes/{nm}", ["constants", "g.json"], "reject", files={"g.json": content})
        add(f"check-mpg/bytes/{nm}", ["check-mpg", "g.json"], "reject", files={"g.json": content})
        add(f"replay/bytes/{nm}", ["replay", "cx.json"], "reject", files={"cx.json": content})
    add("constants/dev-zero", ["constants", "/dev/zero"], "reject")
    add("replay/dev-zero", ["replay", "/dev/zero"], "reject")
    add("check-mpg/dev-zero", ["check-mpg", "/dev/zero"], "reject")
    add(
        "run/game-dev-zero",
        ["run", "pg", "--game", "/dev/zero", "--seeds", "1", "--iters", "1", "--out", "runs"],
        "reject",
    )
    add(
        "constants/1100-states", ["constants", "g.json", "--json"], "either", files={"g.json": ("fixture", "big_state")}
    )
    add(
        "constants/assumption-2.1-fails",
        ["constants", "g.json"],
        "reject",
        files={
            "g.json": json.dumps(
                {**G2, "mu": [1.0, 0.0], "transition": [[[[1.0, 0.0]], [[1.0, 0.0]]], [[[0.0, 1.0]], [[0.0, 1.0]]]]}
            )
        },
    )
    add("constants/valid", ["constants", "g.json", "--json"], "accept", files={"g.json": json.dumps(G2)})
    add("constants/coordination-3", ["constants", "coordination:n=3"], "accept")
    add("check-mpg/valid-mpg", ["check-mpg", "g.json", "--json"], "accept", files={"g.json": json.dumps(G1)})
    add(
        "check-mpg/pennies",
        ["check-mpg", "g.json", "--certificate", "cert.json"],
        "accept",
        files={"g.json": json.dumps(PENNIES)},
        post=post_exists_json(["cert.json"], when_rc={1}),
    )

    # ---- 3. built-in specs ---------------------------------------------------------------------
    specs = [
        ("n=2", "coordination:n=2", "accept"),
        ("n=0", "coordination:n=0", "reject"),
        ("n=1", "coordination:n=1", "either"),
        ("n=2.5", "coordination:n=2.5", "reject"),
        ("n=1e9", "coordination:n=1000000000", "reject"),
        ("n=21", "coordination:n=21", "reject"),
        ("n=5000-digits", "coordination:n=" + BIG, "reject"),
        ("n=2_0", "coordination:n=2_0", "reject"),
        ("n=arabic-digit", "coordination:n=\u0662", "reject"),
        ("n=space", "coordination:n= 2", "either"),
        ("gamma=1", "coordination:n=2,gamma=1", "reject"),
        ("gamma=nan", "coordination:n=2,gamma=nan", "reject"),
        ("gamma=-0.5", "coordination:n=2,gamma=-0.5", "reject"),
        ("gamma=1-1e-10", "coordination:n=2,gamma=0.9999999999", "reject"),
        ("gamma=0.5_0", "coordination:n=2,gamma=0.5_0", "reject"),
        ("gamma=subnormal", "coordination:n=2,gamma=5e-324", "accept"),
        ("eps=nan", "coordination:n=2,eps=nan", "reject"),
        ("eps=-1", "coordination:n=2,eps=-1", "either"),
        ("unknown-key", "coordination:n=2,foo=1", "reject"),
        ("dup-key", "coordination:n=2,n=3", "reject"),
        ("no-value", "coordination:n", "reject"),
        ("empty-options", "coordination:", "either"),
        ("unknown-game", "nosuchgame:n=2", "reject"),
        ("bare-name", "coordination", "either"),
    ]
    for nm, spec, ex in specs:
        add(f"evaluate/spec/{nm}", ["evaluate", spec, "--policy", "uniform", "--json"], ex)
    for nm, spec, ex in [
        ("n=1e9", "coordination:n=1000000000", "reject"),
        ("gamma=nan", "coordination:n=2,gamma=nan", "reject"),
        ("n=2_0", "coordination:n=2_0", "reject"),
    ]:
        add(f"run/spec/{nm}", ["run", "pg", "--game", spec, "--seeds", "1", "--iters", "1", "--out", "runs"], ex)
        add(f"constants/spec/{nm}", ["constants", spec], ex)
    add("export/spec/n=9-factored", ["export", "coordination:n=9", "--out", "o.json"], "reject")
    add("export/spec/n=9-dense", ["export", "coordination:n=9", "--repr", "dense", "--out", "o.json"], "reject")
    add(
        "export/spec/n=2-factored",
        ["export", "coordination:n=2", "--repr", "factored", "--out", "o.json"],
        "either",
        post=post_wrote_valid(),
    )
    add("check-mpg/spec/n=9", ["check-mpg", "coordination:n=9"], "reject")
    add(
        "evaluate/spec/repr-factored-file",
        ["evaluate", "g.json", "--repr", "factored", "--policy", "uniform"],
        "either",
        files={"g.json": json.dumps(G1)},
    )
    add(
        "evaluate/spec/repr-bogus",
        ["evaluate", "coordination:n=2", "--repr", "sparse", "--policy", "uniform"],
        "reject",
    )

    # ---- 4. policies ----------------------------------------------------------------------------
    pol: list[tuple[str, str, str]] = [
        ("valid-probs", json.dumps(P2), "accept"),
        ("valid-logits", json.dumps(L2), "accept"),
        ("unnormalized", raw_at(P2, ("probs", 0, 0), "[0.6, 0.6]"), "reject"),
        ("within-tol", raw_at(P2, ("probs", 0, 0), "[0.5, 0.5000000001]"), "accept"),
        ("negative", raw_at(P2, ("probs", 0, 0), "[-0.5, 1.5]"), "reject"),
        ("subnormal", raw_at(P2, ("probs", 0, 0), "[5e-324, 1.0]"), "accept"),
        ("NaN", raw_at(P2, ("probs", 0, 0), "[NaN, 0.5]"), "reject"),
        ("bool", raw_at(P2, ("probs", 1, 0), "[true]"), "reject"),
        ("one-agent", raw_at(P2, ("probs",), "[[[0.5, 0.5], [0.5, 0.5]]]"), "reject"),
        ("three-states", raw_at(P2, ("probs", 0), "[[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]"), "reject"),
        ("three-actions", raw_at(P2, ("probs", 0, 0), "[0.2, 0.3, 0.5]"), "reject"),
        ("both", json.dumps({**P2, "logits": L2["logits"]}), "either"),
        ("neither", json.dumps({"format": "mpgverify.policy/1"}), "reject"),
        ("logits-1e308", raw_at(L2, ("logits", 0, 0), "[1e308, -1e308]"), "either"),
        ("logits-nan", raw_at(L2, ("logits", 0, 0), "[NaN, 0]"), "reject"),
        ("logits-5000-digits", raw_at(L2, ("logits", 0, 0), f"[{BIG}, 0]"), "reject"),
        ("format-missing", json.dumps({"probs": P2["probs"]}), "reject"),
        ("format-game", json.dumps({**P2, "format": "mpgverify.game/1"}), "reject"),
        ("dup-probs", dup_at(P2, ("probs",), "[[[0.9, 0.9], [0.9, 0.9]], [[1.0], [1.0]]]"), "reject"),
        ("deep", raw_at(P2, ("probs",), DEEP), "reject"),
        ("game-file", json.dumps(G2), "reject"),
        ("sparse-300MB", None, "reject"),
    ]
    for nm, text, ex in pol:
        content: Any = ("sparse", 300 * 1024**2) if text is None else text
        add(
            f"evaluate/policy/{nm}",
            ["evaluate", "g.json", "--policy", "p.json", "--json"],
            ex,
            files={"g.json": json.dumps(G2), "p.json": content},
            mention=None if ex != "reject" or text is None else "prob|logit|polic|deep|nest",
        )
    for nm, spec, ex in [
        ("uniform", "uniform", "accept"),
        ("random-3", "random:3", "accept"),
        ("random-neg", "random:-1", "reject"),
        ("random-empty", "random:", "reject"),
        ("random-2^62", "random:4611686018427387904", "reject"),
        ("random-2^62-1", "random:4611686018427387903", "accept"),
        ("random-5000-digits", "random:" + BIG, "reject"),
        ("random-underscore", "random:1_0", "reject"),
        ("empty", "", "reject"),
        ("dev-zero", "/dev/zero", "reject"),
    ]:
        add(
            f"evaluate/policy-spec/{nm}", ["evaluate", "g.json", "--policy", spec], ex, files={"g.json": json.dumps(G2)}
        )

    # ---- 5. counterexamples (replay) ----------------------------------------------------------
    for f in CX_FILES:
        add(f"replay/shipped/{f}", ["replay", "cx.json"], "accept", files={"cx.json": (CX_DIR / f).read_text()})

    def cx(name, base_file, text, expect, mention=None):
        add(
            f"replay/{base_file.removesuffix('.json')}/{name}",
            ["replay", "cx.json"],
            expect,
            files={"cx.json": text},
            mention=mention,
        )

    for base_file, key, cases in [
        (
            "cor-4.8.json",
            "eps",
            [
                ("0", "0", "premise"),
                ("1e-300", "1e-300", "either"),
                ("5e-324", "5e-324", "either"),
                ("-1", "-1", "premise"),
                ("100", "100", "either"),
                ("nan-str", val("nan"), "reject"),
                ("1e999", "1e999", "reject"),
                ("true", "true", "reject"),
                ("list", "[0.3]", "reject"),
                ("str-spaces", val(" 0.5 "), "reject"),
            ],
        ),
        (
            "thm-4.7.json",
            "eps",
            [
                ("0", "0", "accept"),
                ("-1", "-1", "premise"),
                ("100", "100", "premise"),
                ("1", "1", "premise"),
                ("5e-324", "5e-324", "either"),
            ],
        ),
        (
            "thm-3.8.json",
            "eps",
            [
                ("0", "0", "premise"),
                ("-1", "-1", "premise"),
                ("1e-300", "1e-300", "either"),
                ("5e-324", "5e-324", "either"),
            ],
        ),
        (
            "thm-4.5.json",
            "eps",
            [("-1", "-1", "premise"), ("100", "100", "premise"), ("0.5_0", val("0.5_0"), "reject")],
        ),
        (
            "thm-4.7.json",
            "sigma",
            [
                ("-1", "-1", "premise"),
                ("0", "0", "premise"),
                ("5e-324", "5e-324", "either"),
                ("str", val("x"), "reject"),
            ],
        ),
        (
            "prop-4.3@signed.json",
            "lambda",
            [
                ("hello", val("hello"), "reject"),
                ("null", "null", "reject"),
                ("list", "[1]", "reject"),
                ("1e308", "1e308", "either"),
            ],
        ),
        ("prop-4.3@one-sided.json", "lambda", [("-1", "-1", "accept")]),
        ("prop-4.3@signed.json", "nu", [("-1e308", "-1e308", "either"), ("bool", "false", "reject")]),
        ("thm-4.5.json", "alpha", [("1e308", "1e308", "either"), ("nan-str", val("nan"), "reject")]),
        ("thm-4.5.json", "beta_choice", [("2", "2", "either"), ("str", val("a"), "reject")]),
        ("lemma-3.7@normalized-d.json", "eta", [("0", "0", "either"), ("str", val("x"), "reject")]),
    ]:
        base = load(base_file)
        for nm, raw, ex in cases:
            cx(
                f"witness.{key}={nm}",
                base_file,
                raw_at(base, ("witness", key), raw),
                ex,
                re.escape(key) if ex == "reject" else None,
            )
    # witness arrays
    c2 = load("lemma-c.2.json")
    for nm, raw, ex in [
        ("nan", "[[[NaN, 0.0]]]", "reject"),
        ("1e308", "[[[1e308, -1e308]]]", "either"),
        ("wrong-shape", "[[[0.0, 0.0, 0.0]]]", "reject"),
        ("null", "null", "reject"),
        ("two-agents", "[[[0.0, 0.0]], [[0.0, 0.0]]]", "reject"),
        ("deep", DEEP, "reject"),
    ]:
        cx(
            f"witness.theta={nm}",
            "lemma-c.2.json",
            raw_at(c2, ("witness", "theta"), raw),
            ex,
            "theta|deep|nest" if ex == "reject" else None,
        )
    cx("witness.theta=missing", "lemma-c.2.json", json.dumps(del_at(c2, ("witness", "theta"))), "reject", "theta")
    t45 = load("thm-4.5.json")
    for nm, raw, ex in [
        ("unnormalized", "[[0.9, 0.9], [0.5, 0.5]]", "reject"),
        ("wrong-shape", "[[0.5, 0.5]]", "reject"),
    ]:
        cx(
            f"witness.probs={nm}",
            "thm-4.5.json",
            raw_at(t45, ("witness", "probs", 0), raw),
            ex,
            "probs" if ex == "reject" else None,
        )
    # margin / exact / claimed / observed
    for key, cases in [
        (
            "margin",
            [
                ("str", val("abc"), "reject"),
                ("list", "[1]", "reject"),
                ("true", "true", "reject"),
                ("object", "{}", "reject"),
                ("null", "null", "either"),
                ("1e999", "1e999", "reject"),
            ],
        ),
        ("exact", [("str", val("yes"), "reject"), ("int", "1", "reject"), ("null", "null", "either")]),
        ("exact_margin", [("garbage", val("1/0"), "either")]),
        ("claimed", [("str", val("x"), "either")]),
        ("observed", [("null", "null", "either")]),
    ]:
        for nm, raw, ex in cases:
            cx(f"{key}={nm}", "lemma-c.2.json", raw_at(c2, (key,), raw), ex, re.escape(key) if ex == "reject" else None)
    cx("margin=missing", "lemma-c.2.json", json.dumps(del_at(c2, ("margin",))), "either")
    cx("dup-margin", "lemma-c.2.json", dup_at(c2, ("margin",), val("abc")), "reject", "margin|duplicate")
    cx("dup-claim", "lemma-c.2.json", dup_at(c2, ("claim",), val("thm-4.7")), "reject", "claim|duplicate")
    for nm, raw, ex in [
        ("unknown", val("no-such-claim"), "reject"),
        ("int", "5", "reject"),
        ("padded", val("lemma-c.2 "), "reject"),
        ("other-claim", val("thm-4.7"), "either"),
    ]:
        cx(f"claim={nm}", "lemma-c.2.json", raw_at(c2, ("claim",), raw), ex, "claim" if ex == "reject" else None)
    for nm, text, ex in [
        ("format-missing", json.dumps(del_at(c2, ("format",))), "reject"),
        ("format-v2", raw_at(c2, ("format",), val("mpgverify.counterexample/2")), "reject"),
        ("game-missing", json.dumps(del_at(c2, ("game",))), "reject"),
        ("game-null", raw_at(c2, ("game",), "null"), "reject"),
        ("game-gamma-2", raw_at(c2, ("game", "gamma"), "2"), "reject"),
        ("game-dup-gamma", dup_at(c2, ("game", "gamma"), "0.9"), "reject"),
        ("game-path-string", raw_at(c2, ("game",), val("g.json")), "reject"),
        ("game-3-actions", raw_at(c2, ("game", "n_actions"), "[3]"), "reject"),
        ("witness-missing", json.dumps(del_at(c2, ("witness",))), "reject"),
        ("witness-list", raw_at(c2, ("witness",), "[]"), "reject"),
        ("witness-empty", raw_at(c2, ("witness",), "{}"), "reject"),
        ("witness-extra-key", raw_at(c2, ("witness", "zzz"), "1"), "either"),
    ]:
        cx(nm, "lemma-c.2.json", text, ex)

    # ---- 6. run ---------------------------------------------------------------------------------
    R = ["--game", "coordination:n=2", "--seeds", "1", "--iters", "2", "--out", "runs"]
    for algo, opts in [
        ("pg", []),
        ("npg", []),
        ("npg-br", ["--option", "K=2"]),
        ("nn-pg", []),
        ("nn-adam", []),
        ("sampled-pg", ["--option", "samples=4"]),
        ("sampled-npg", ["--option", "samples=4"]),
        ("br-dynamics", []),
        ("log-barrier-pg", ["--option", "lam=0.1"]),
    ]:
        add(f"run/valid/{algo}", ["run", algo, *R, *opts, "--json"], "accept", post=post_wrote_valid())
    add(
        "run/valid/file-game",
        ["run", "pg", "--game", "g.json", "--seeds", "2", "--iters", "3", "--out", "runs", "--json"],
        "accept",
        files={"g.json": json.dumps(G2)},
        post=post_wrote_valid(),
    )
    for nm, algo, extra, ex in [
        ("npg-br-K=1e9", "npg-br", ["--option", "K=1000000000"], "reject"),
        ("sampled-pg-samples=1e12", "sampled-pg", ["--option", "samples=1000000000000"], "reject"),
        ("nn-pg-hidden=1e8", "nn-pg", ["--option", "hidden=100000000"], "reject"),
        ("nn-pg-hidden=-1", "nn-pg", ["--option", "hidden=-1"], "reject"),
        ("nn-pg-hidden=0", "nn-pg", ["--option", "hidden=0"], "reject"),
        ("nn-pg-activation=bogus", "nn-pg", ["--option", "activation=bogus"], "reject"),
        ("npg-br-K=0", "npg-br", ["--option", "K=0"], "reject"),
        ("npg-br-K=-1", "npg-br", ["--option", "K=-1"], "reject"),
        ("npg-br-K=2.5", "npg-br", ["--option", "K=2.5"], "reject"),
        ("npg-br-K=nan", "npg-br", ["--option", "K=nan"], "reject"),
        ("npg-br-K=10_0", "npg-br", ["--option", "K=10_0"], "reject"),
        ("npg-br-K=5000-digits", "npg-br", ["--option", "K=" + BIG], "reject"),
        ("npg-br-gain=bogus", "npg-br", ["--option", "gain=bogus"], "reject"),
        ("sampled-pg-samples=0", "sampled-pg", ["--option", "samples=0"], "reject"),
        ("sampled-pg-samples=-5", "sampled-pg", ["--option", "samples=-5"], "reject"),
        ("lr=nan", "pg", ["--lr", "nan"], "reject"),
        ("lr=inf", "pg", ["--lr", "inf"], "reject"),
        ("lr=-0.1", "pg", ["--lr", "-0.1"], "either"),
        ("lr=1e308", "pg", ["--lr", "1e308"], "either"),
        ("lr=subnormal", "pg", ["--lr", "5e-324"], "either"),
        ("lr=0.5_0", "pg", ["--lr", "0.5_0"], "reject"),
        ("lr=spaces", "pg", ["--lr", " 0.5 "], "either"),
        ("lr=1e999", "pg", ["--lr", "1e999"], "reject"),
        ("option-lr=nan", "pg", ["--option", "lr=nan"], "reject"),
        ("option-lam=-1", "log-barrier-pg", ["--option", "lam=-1"], "reject"),
        ("option-lam=0-log-barrier", "log-barrier-pg", ["--option", "lam=0"], "reject"),
        ("option-lam=nan", "pg", ["--option", "lam=nan"], "reject"),
        ("option-unknown", "pg", ["--option", "foo=1"], "reject"),
        ("option-no-equals", "pg", ["--option", "K"], "reject"),
        ("option-empty-key", "pg", ["--option", "=5"], "reject"),
        ("option-dup", "npg-br", ["--option", "K=2", "--option", "K=3"], "either"),
        ("option-gradient-bogus", "pg", ["--option", "gradient=bogus"], "reject"),
        ("option-init-bogus", "pg", ["--option", "init=bogus"], "reject"),
        ("option-form-bogus", "npg", ["--option", "form=bogus"], "reject"),
        ("option-fisher_d-bogus", "npg", ["--option", "fisher_d=bogus"], "reject"),
        ("br-eps=2", "br-dynamics", ["--option", "eps=2"], "reject"),
        ("br-eps=-1", "br-dynamics", ["--option", "eps=-1"], "reject"),
        ("br-reading-bogus", "br-dynamics", ["--option", "reading=bogus"], "reject"),
        ("seeds=0", "pg", ["--seeds", "0"], "reject"),
        ("seeds=-1", "pg", ["--seeds", "-1"], "reject"),
        ("seeds=1e9", "pg", ["--seeds", "1000000000"], "reject"),
        ("iters=0", "pg", ["--iters", "0"], "either"),
        ("iters=-1", "pg", ["--iters", "-1"], "reject"),
        ("iters=1000001", "pg", ["--iters", "1000001"], "reject"),
        ("iters=1e3", "pg", ["--iters", "1e3"], "reject"),
        ("record-every=0", "pg", ["--record-every", "0"], "reject"),
        ("record-every=-1", "pg", ["--record-every", "-1"], "reject"),
        ("record-every=1000", "pg", ["--record-every", "1000"], "either"),
        ("seed=-1", "pg", ["--seed", "-1"], "reject"),
        ("seed=2^62", "pg", ["--seed", "4611686018427387904"], "reject"),
        ("device=cuda", "pg", ["--device", "cuda"], "either"),
        ("device=tpu", "pg", ["--device", "tpu"], "reject"),
        ("device=empty", "pg", ["--device", ""], "reject"),
        ("algo-unknown", "nosuchalgo", [], "reject"),
        ("algo-os-system", "os:system", [], "reject"),
        ("algo-print", "builtins:print", [], "reject"),
        ("algo-missing-module", "nonexistent_mod_xyz:f", [], "reject"),
        ("algo-math-pi", "math:pi", [], "reject"),
        ("algo-colon", ":", [], "reject"),
    ]:
        args = ["run", algo, *R]
        # later flags override the defaults in R (argparse keeps the last)
        add(f"run/opt/{nm}", args + extra + ["--json"], ex, post=post_wrote_valid())

    # ---- 7. check-algorithm ------------------------------------------------------------------
    CA = ["--games", "1", "--seeds", "1", "--iters", "2"]
    add("check-algorithm/valid/pg", ["check-algorithm", "pg", *CA], "accept")
    add("check-algorithm/valid/br-dynamics", ["check-algorithm", "br-dynamics", *CA], "accept")
    add(
        "check-algorithm/valid/pg-small-lr",
        ["check-algorithm", "pg", "--games", "1", "--seeds", "1", "--option", "lr=0.0001"],
        "accept",
    )
    add("check-algorithm/pg-iters=1e6", ["check-algorithm", "pg", "--iters", "1000000"], "either")
    for nm, extra, ex in [
        ("games=0", ["--games", "0"], "either"),
        ("games=-1", ["--games", "-1"], "reject"),
        ("games=1e9", ["--games", "1000000000"], "reject"),
        ("seeds=0", ["--seeds", "0"], "reject"),
        ("seeds=-3", ["--seeds", "-3"], "reject"),
        ("iters=-1", ["--iters", "-1"], "reject"),
        ("iters=1000001", ["--iters", "1000001"], "reject"),
        ("max-actions=1", ["--max-actions", "1"], "reject"),
        ("max-actions=0", ["--max-actions", "0"], "reject"),
        ("max-actions=100", ["--max-actions", "100"], "either"),
        ("max-actions=1e9", ["--max-actions", "1000000000"], "reject"),
        ("option-lr=nan", ["--option", "lr=nan"], "reject"),
        ("option-unknown", ["--option", "zzz=1"], "reject"),
        ("seed=-1", ["--seed", "-1"], "reject"),
        ("seed=2^62", ["--seed", "4611686018427387904"], "reject"),
    ]:
        add(f"check-algorithm/opt/{nm}", ["check-algorithm", "pg", *CA, *extra], ex)
    add("check-algorithm/opt/npg-br-K=1e9", ["check-algorithm", "npg-br", *CA, "--option", "K=1000000000"], "reject")
    add("check-algorithm/opt/unknown-algo", ["check-algorithm", "nosuchalgo", *CA], "reject")
    add("check-algorithm/opt/os-system", ["check-algorithm", "os:system", *CA], "reject")

    # ---- 8. plug-ins --------------------------------------------------------------------------
    plugin_files = {"myplug.py": PLUGIN}
    for fac, ex in [
        ("good", "accept"),
        ("nan_policy", "nonzero"),
        ("inf_theta", "nonzero"),
        ("negative_policy", "nonzero"),
        ("unnormalized_policy", "nonzero"),
        ("wrong_shape_policy", "nonzero"),
        ("wrong_actions_policy", "nonzero"),
        ("wrong_agents_policy", "nonzero"),
        ("list_policy", "either"),
        ("none_policy", "nonzero"),
        ("raise_step", "nonzero"),
        ("raise_init", "nonzero"),
        ("raise_factory", "nonzero"),
        ("exit_step", "nonzero"),
        ("exit_factory", "nonzero"),
        ("slow_step", "accept"),
        ("returns_42", "nonzero"),
        ("bad_declarations", "nonzero"),
        ("huge_declarations", "either"),
        ("nan_declarations", "nonzero"),
        ("state_none", "nonzero"),
    ]:
        add(
            f"check-algorithm/plugin/{fac}",
            ["check-algorithm", f"myplug:{fac}", *CA],
            ex,
            files=plugin_files,
            pythonpath=True,
        )
    for fac, ex in [
        ("good", "accept"),
        ("nan_policy", "reject"),
        ("negative_policy", "reject"),
        ("unnormalized_policy", "reject"),
        ("wrong_shape_policy", "reject"),
        ("raise_step", "reject"),
        ("exit_step", "reject"),
        ("returns_42", "reject"),
        ("none_policy", "reject"),
    ]:
        add(
            f"run/plugin/{fac}",
            ["run", f"myplug:{fac}", *R, "--json"],
            ex,
            files=plugin_files,
            pythonpath=True,
            post=post_wrote_valid(),
        )
    add(
        "check-algorithm/plugin/forever_step+SIGINT",
        ["check-algorithm", "myplug:forever_step", *CA],
        "either",
        files=plugin_files,
        pythonpath=True,
        sigint=6.0,
    )

    # ---- 9. claims ----------------------------------------------------------------------------
    Q = ["--only", "lemma-c.2", "--budget", "quick", "--workers", "1"]
    add(
        "claims/valid",
        ["claims", *Q, "--json", "L.json", "--markdown", "L.md", "--counterexamples", "cx"],
        "accept",
        post=post_exists_json(["L.json"], when_rc={0}),
    )
    for nm, extra, ex in [
        ("budget-bogus", ["--budget", "huge"], "reject"),
        ("only-unknown", ["--only", "no-such-claim"], "reject"),
        ("only-empty", ["--only", ""], "either"),
        ("only-commas", ["--only", ",,,"], "reject"),
        ("only-dup", ["--only", "lemma-c.2,lemma-c.2"], "either"),
        ("seed=-1", ["--seed", "-1"], "reject"),
        ("seed=1e3", ["--seed", "1e3"], "reject"),
        ("seed=2^62", ["--seed", "4611686018427387904"], "reject"),
        ("workers=0", ["--workers", "0"], "reject"),
        ("workers=-1", ["--workers", "-1"], "reject"),
        ("workers=1000", ["--workers", "1000"], "either"),
        ("scheduler-unreachable", ["--scheduler", "tcp://127.0.0.1:1"], "reject"),
        ("json-proc", ["--json", "/proc/1/ledger.json"], "reject"),
        ("json-dir", ["--json", "adir"], "reject"),
        ("markdown-dir", ["--markdown", "adir"], "reject"),
        ("json-eq-markdown", ["--json", "X", "--markdown", "X"], "reject"),
        ("json-dev-full", ["--json", "full"], "reject"),
        ("counterexamples-file", ["--counterexamples", "afile"], "reject"),
        ("counterexamples-proc", ["--counterexamples", "/proc/1/cx"], "reject"),
        ("json-nested-new-dir", ["--json", "new/sub/L.json"], "either"),
    ]:
        add(
            f"claims/opt/{nm}",
            ["claims", *Q, *extra],
            ex,
            files={"adir": ("dir",), "afile": "not a folder\n", **({"full": FULL} if "full" in extra else {})},
            post=post_wrote_valid(),
            intact=["X"] if nm == "json-eq-markdown" else [],
        )
    add(
        "claims/env/MPGVERIFY_HOME-file",
        ["claims", *Q],
        "either",
        files={"homefile": "x"},
        env={"MPGVERIFY_HOME": "homefile"},
        post=post_wrote_valid(),
    )
    add(
        "claims/env/MPGVERIFY_HOME-proc",
        ["claims", *Q],
        "either",
        env={"MPGVERIFY_HOME": "/proc/1/home"},
        post=post_wrote_valid(),
    )

    # ---- 10. hunt -----------------------------------------------------------------------------
    H = ["--evaluations", "20", "--workers", "1", "--counterexamples", "cx"]
    add("hunt/valid/lemma-c.2", ["hunt", "lemma-c.2", *H, "--json", "h.json"], "accept", post=post_wrote_valid())
    add(
        "hunt/valid/prop-4.3@signed-ledger",
        [
            "hunt",
            "prop-4.3@signed",
            "--evaluations",
            "40",
            "--workers",
            "1",
            "--counterexamples",
            "cx",
            "--ledger",
            "L.json",
            "--markdown",
            "L.md",
            "--json",
            "h.json",
        ],
        "accept",
        files={"L.json": ("fixture", "ledger")},
        post=post_hunt_ledger(["prop-4.3@signed"]),
    )
    for nm, args, ex in [
        ("no-claim", ["hunt", *H], "reject"),
        ("unknown-claim", ["hunt", "no-such-claim", *H], "reject"),
        ("all-and-claim", ["hunt", "--all", "lemma-c.2", *H], "either"),
        (
            "evaluations=0",
            ["hunt", "lemma-c.2", "--evaluations", "0", "--workers", "1", "--counterexamples", "cx"],
            "either",
        ),
        ("evaluations=-1", ["hunt", "lemma-c.2", "--evaluations", "-1", "--workers", "1"], "reject"),
        ("evaluations=1e3", ["hunt", "lemma-c.2", "--evaluations", "1e3", "--workers", "1"], "reject"),
        ("evaluations=5000-digits", ["hunt", "lemma-c.2", "--evaluations", BIG, "--workers", "1"], "reject"),
        ("seconds=-1", ["hunt", "lemma-c.2", "--seconds", "-1", "--workers", "1"], "reject"),
        ("seconds=nan", ["hunt", "lemma-c.2", "--seconds", "nan", "--workers", "1"], "reject"),
        ("seconds=inf", ["hunt", "lemma-c.2", "--seconds", "inf", "--workers", "1"], "reject"),
        ("seconds=0", ["hunt", "lemma-c.2", "--seconds", "0", "--workers", "1", "--counterexamples", "cx"], "either"),
        ("seconds=1e308+evaluations", ["hunt", "lemma-c.2", "--seconds", "1e308", *H], "either"),
        (
            "seconds=subnormal",
            ["hunt", "lemma-c.2", "--seconds", "5e-324", "--workers", "1", "--counterexamples", "cx"],
            "either",
        ),
        ("method-bogus", ["hunt", "lemma-c.2", *H, "--method", "magic"], "reject"),
        ("seed=-1", ["hunt", "lemma-c.2", *H, "--seed", "-1"], "reject"),
        ("workers=0", ["hunt", "lemma-c.2", "--evaluations", "20", "--workers", "0"], "reject"),
        ("ledger-nonexistent", ["hunt", "lemma-c.2", *H, "--ledger", "none.json"], "either"),
        ("ledger-invalid-json", ["hunt", "lemma-c.2", *H, "--ledger", "bad.json"], "reject"),
        ("ledger-is-game", ["hunt", "lemma-c.2", *H, "--ledger", "g.json"], "reject"),
        ("ledger-dev-zero", ["hunt", "lemma-c.2", *H, "--ledger", "/dev/zero"], "reject"),
        ("ledger-sparse-300MB", ["hunt", "lemma-c.2", *H, "--ledger", "sparse.json"], "reject"),
        ("ledger-dir", ["hunt", "lemma-c.2", *H, "--ledger", "adir"], "reject"),
        ("ledger-proc", ["hunt", "lemma-c.2", *H, "--ledger", "/proc/1/L.json"], "reject"),
        ("markdown-without-ledger", ["hunt", "lemma-c.2", *H, "--markdown", "L.md"], "either"),
        ("markdown-proc", ["hunt", "lemma-c.2", *H, "--ledger", "L.json", "--markdown", "/proc/1/L.md"], "reject"),
        ("json-dir", ["hunt", "lemma-c.2", *H, "--json", "adir"], "reject"),
        ("json-proc", ["hunt", "lemma-c.2", *H, "--json", "/proc/1/h.json"], "reject"),
        ("ledger-eq-json", ["hunt", "lemma-c.2", *H, "--ledger", "L.json", "--json", "L.json"], "reject"),
        ("ledger-eq-markdown", ["hunt", "lemma-c.2", *H, "--ledger", "L.json", "--markdown", "L.json"], "reject"),
        (
            "counterexamples-file",
            ["hunt", "prop-4.3@signed", "--evaluations", "40", "--workers", "1", "--counterexamples", "afile"],
            "reject",
        ),
        (
            "counterexamples-eq-json",
            [
                "hunt",
                "prop-4.3@signed",
                "--evaluations",
                "40",
                "--workers",
                "1",
                "--counterexamples",
                "cx",
                "--json",
                "cx",
            ],
            "reject",
        ),
    ]:
        add(
            f"hunt/opt/{nm}",
            args,
            ex,
            files={
                "bad.json": '{"format": "mpgverify.ledger/1", "claims": [',
                "g.json": json.dumps(G1),
                "sparse.json": ("sparse", 300 * 1024**2),
                "adir": ("dir",),
                "afile": "x\n",
                "L.json": ("fixture", "ledger"),
            },
            post=post_wrote_valid(),
            intact=["L.json"],
        )
    add(
        "hunt/env/MPGVERIFY_HOME-file",
        ["hunt", "prop-4.3@signed", "--evaluations", "40", "--workers", "1"],
        "reject",
        files={"homefile": "x"},
        env={"MPGVERIFY_HOME": "homefile"},
        post=post_wrote_valid(),
    )

    # ledger mutations
    def ledger_text(kind: str) -> str:
        base = json.loads(FIXTURES["ledger"].read_text())
        return {
            "format-v2": lambda: raw_at(base, ("format",), val("mpgverify.ledger/2")),
            "format-missing": lambda: json.dumps(del_at(base, ("format",))),
            "claims-object": lambda: raw_at(base, ("claims",), "{}"),
            "claims-null": lambda: raw_at(base, ("claims",), "null"),
            "claims-empty": lambda: raw_at(base, ("claims",), "[]"),
            "row-not-object": lambda: raw_at(base, ("claims", 0), "5"),
            "row-id-missing": lambda: json.dumps(del_at(base, ("claims", 0, "id"))),
            "row-id-int": lambda: raw_at(base, ("claims", 0, "id"), "7"),
            "status-bogus": lambda: raw_at(base, ("claims", 0, "status"), val("maybe")),
            "examples-str": lambda: raw_at(base, ("claims", 0, "examples"), val("x")),
            "worst_margin-NaN": lambda: raw_at(base, ("claims", 0, "worst_margin"), "NaN"),
            "worst_margin-1e999": lambda: raw_at(base, ("claims", 0, "worst_margin"), "1e999"),
            "examples-5000-digits": lambda: raw_at(base, ("claims", 0, "examples"), BIG),
            "dup-claims": lambda: dup_at(base, ("claims",), "[]"),
            "dup-row-id": lambda: dup_at(base, ("claims", 0, "id"), val("prop-4.3")),
            "budget-bogus": lambda: raw_at(base, ("budget",), val("infinite")),
            "deep": lambda: raw_at(base, ("claims",), DEEP),
            "top-list": lambda: json.dumps([base]),
        }[kind]()

    for kind, ex in [
        ("format-v2", "reject"),
        ("format-missing", "reject"),
        ("claims-object", "reject"),
        ("claims-null", "reject"),
        ("claims-empty", "either"),
        ("row-not-object", "reject"),
        ("row-id-missing", "reject"),
        ("row-id-int", "reject"),
        ("status-bogus", "reject"),
        ("examples-str", "reject"),
        ("worst_margin-NaN", "reject"),
        ("worst_margin-1e999", "reject"),
        ("examples-5000-digits", "reject"),
        ("dup-claims", "reject"),
        ("dup-row-id", "reject"),
        ("budget-bogus", "reject"),
        ("deep", "reject"),
        ("top-list", "reject"),
    ]:
        add(
            f"hunt/ledger/{kind}",
            ["hunt", "lemma-c.2", *H, "--ledger", "L.json"],
            ex,
            files={"L.json": ("lazy", ledger_text, kind)},
            post=post_wrote_valid(),
            intact=["L.json"],
        )

    # ---- 11. figures --------------------------------------------------------------------------
    F = ["--n", "2", "--iters", "2", "--seeds", "1", "--lams", "1", "--ks", "1", "--device", "cpu"]

    def fig(nm, extra, ex, **kw):
        # later flags override the earlier ones (argparse keeps the last occurrence)
        add(f"figures/{nm}", ["figures", "--out", "fig", *F, *extra], ex, post=post_wrote_valid(), **kw)

    fig("valid", [], "accept")
    for nm, extra, ex in [
        ("n=0", ["--n", "0"], "reject"),
        ("n=-1", ["--n", "-1"], "reject"),
        ("n=21", ["--n", "21"], "reject"),
        ("n=1e6", ["--n", "1000000"], "reject"),
        ("n=2.5", ["--n", "2.5"], "reject"),
        ("iters=0", ["--iters", "0"], "either"),
        ("iters=-1", ["--iters", "-1"], "reject"),
        ("iters=1000001", ["--iters", "1000001"], "reject"),
        ("seeds=0", ["--seeds", "0"], "reject"),
        ("seeds=three-values", ["--seeds", "1", "1", "1"], "reject"),
        ("seeds=1e9", ["--seeds", "1000000000"], "reject"),
        ("lams=nan", ["--lams", "nan"], "reject"),
        ("lams=-1", ["--lams", "-1"], "reject"),
        ("lams=inf", ["--lams", "inf"], "reject"),
        ("lams=0", ["--lams", "0"], "either"),
        ("lams=1e999", ["--lams", "1e999"], "reject"),
        ("ks=0", ["--ks", "0"], "reject"),
        ("ks=-1", ["--ks", "-1"], "reject"),
        ("ks=1e9", ["--ks", "1000000000"], "reject"),
        ("ks=2.5", ["--ks", "2.5"], "reject"),
        ("record-every=0", ["--record-every", "0"], "reject"),
        ("record-every=-2", ["--record-every", "-2"], "reject"),
        ("device=cuda", ["--device", "cuda"], "either"),
        ("device=bogus", ["--device", "bogus"], "reject"),
        ("seed=-1", ["--seed", "-1"], "reject"),
        ("repr-bogus", ["--repr", "bogus"], "reject"),
    ]:
        fig(nm, extra, ex)
    add("figures/out-file", ["figures", "--out", "afile", *F], "reject", files={"afile": "x\n"}, intact=[])
    add("figures/out-proc", ["figures", "--out", "/proc/1/fig", *F], "reject")
    add("figures/out-dev-null", ["figures", "--out", "null", *F], "reject", files={"null": NULL})

    # ---- 12. export / evaluate / check-mpg: OS failures and same paths ----------------------
    g1 = {"g.json": json.dumps(G1)}
    add(
        "export/valid-file",
        ["export", "g.json", "--out", "o.json"],
        "accept",
        files=g1,
        post=post_exists_json(["o.json"], when_rc={0}),
    )
    add(
        "export/valid-spec",
        ["export", "coordination:n=2", "--out", "o.json"],
        "accept",
        post=post_exists_json(["o.json"], when_rc={0}),
    )
    add("export/out-dir", ["export", "g.json", "--out", "adir"], "reject", files={**g1, "adir": ("dir",)})
    add("export/out-trailing-slash", ["export", "g.json", "--out", "newdir/"], "reject", files=g1)
    add("export/out-proc", ["export", "g.json", "--out", "/proc/1/o.json"], "reject", files=g1)
    add("export/out-dev-full", ["export", "g.json", "--out", "full"], "reject", files={**g1, "full": FULL})
    add("export/out-empty", ["export", "g.json", "--out", ""], "reject", files=g1)
    add(
        "export/out-nested-new",
        ["export", "g.json", "--out", "a/b/c/o.json"],
        "either",
        files=g1,
        post=post_wrote_valid(),
    )
    add(
        "export/same-as-input",
        ["export", "g.json", "--out", "g.json"],
        "either",
        files=g1,
        intact=["g.json"],
        post=post_game_loads("g.json"),
    )
    add(
        "export/out-existing-file",
        ["export", "g.json", "--out", "o.json"],
        "either",
        files={**g1, "o.json": '{"old": true}'},
        intact=["o.json"],
        post=post_wrote_valid(),
    )
    pen = {"g.json": json.dumps(PENNIES), "adir": ("dir",)}
    add(
        "check-mpg/certificate-eq-input",
        ["check-mpg", "g.json", "--certificate", "g.json"],
        "reject",
        files=pen,
        intact=["g.json"],
        post=post_game_loads("g.json"),
    )
    add(
        "check-mpg/potential-out-eq-input",
        ["check-mpg", "g.json", "--potential-out", "g.json"],
        "reject",
        files=g1,
        intact=["g.json"],
        post=post_game_loads("g.json"),
    )
    add(
        "check-mpg/certificate-eq-potential-out",
        ["check-mpg", "g.json", "--certificate", "X", "--potential-out", "X"],
        "reject",
        files=pen,
    )
    add("check-mpg/certificate-proc", ["check-mpg", "g.json", "--certificate", "/proc/1/c.json"], "reject", files=pen)
    add("check-mpg/certificate-dir", ["check-mpg", "g.json", "--certificate", "adir"], "reject", files=pen)
    add("check-mpg/potential-out-dir", ["check-mpg", "g.json", "--potential-out", "adir"], "reject", files=pen)
    add(
        "check-mpg/potential-out-dev-full",
        ["check-mpg", "g.json", "--potential-out", "full"],
        "reject",
        files={**g1, "full": FULL},
    )
    add(
        "check-mpg/potential-out-valid",
        ["check-mpg", "g.json", "--potential-out", "pot.json"],
        "accept",
        files=g1,
        post=post_exists_json(["pot.json"], when_rc={0}),
    )
    for nm, extra, ex in [
        ("policies=0", ["--policies", "0"], "either"),
        ("policies=-1", ["--policies", "-1"], "reject"),
        ("policies=1e9", ["--policies", "1000000000"], "reject"),
        ("seed=-1", ["--seed", "-1"], "reject"),
        ("seed=2^62", ["--seed", "4611686018427387904"], "reject"),
    ]:
        add(f"check-mpg/opt/{nm}", ["check-mpg", "g.json", *extra], ex, files=pen)
    add("run/out-file", ["run", "pg", *R, "--out", "afile"], "reject", files={"afile": "x\n"})
    add("run/out-proc", ["run", "pg", *R, "--out", "/proc/1/runs"], "reject")
    add("evaluate/valid", ["evaluate", "coordination:n=2", "--policy", "uniform", "--json"], "accept")
    add(
        "evaluate/valid-file",
        ["evaluate", "g.json", "--policy", "p.json", "--json"],
        "accept",
        files={"g.json": json.dumps(G2), "p.json": json.dumps(P2)},
    )

    # ---- 13. closed stdout ---------------------------------------------------------------------
    for mode in ("closed", "head1"):
        add(
            f"pipe-{mode}/evaluate",
            ["evaluate", "coordination:n=2", "--policy", "uniform", "--json"],
            "either",
            stdout=mode,
        )
        add(f"pipe-{mode}/constants", ["constants", "g.json"], "either", files={"g.json": json.dumps(G2)}, stdout=mode)
        add(
            f"pipe-{mode}/check-mpg",
            ["check-mpg", "g.json"],
            "either",
            files={"g.json": json.dumps(PENNIES)},
            stdout=mode,
        )
        add(
            f"pipe-{mode}/replay",
            ["replay", "cx.json"],
            "either",
            files={"cx.json": (CX_DIR / "thm-4.5.json").read_text()},
            stdout=mode,
        )
        add(f"pipe-{mode}/run", ["run", "pg", *R, "--json"], "either", stdout=mode, post=post_wrote_valid())
        add(f"pipe-{mode}/claims", ["claims", *Q, "--json", "L.json"], "either", stdout=mode, post=post_wrote_valid())
        add(f"pipe-{mode}/hunt", ["hunt", "lemma-c.2", *H], "either", stdout=mode, post=post_wrote_valid())
        add(f"pipe-{mode}/check-algorithm", ["check-algorithm", "pg", *CA], "either", stdout=mode)
    add("pipe-closed/evaluate-error", ["evaluate", "nope.json", "--policy", "uniform"], "reject", stdout="closed")

    # ---- 14. Ctrl-C ----------------------------------------------------------------------------
    rng = random.Random(20240601)

    def delay() -> float:
        return round(rng.uniform(0.5, 4.0), 2)

    sig = [
        (
            "run-pg-long",
            ["run", "pg", "--game", "coordination:n=5", "--seeds", "10", "--iters", "20000", "--out", "runs"],
            {},
        ),
        (
            "run-npg-br-long",
            [
                "run",
                "npg-br",
                "--game",
                "coordination:n=3",
                "--option",
                "K=50",
                "--seeds",
                "4",
                "--iters",
                "2000",
                "--out",
                "runs",
            ],
            {},
        ),
        ("figures-n2", ["figures", "--out", "fig", "--n", "2", "--device", "cpu"], {}),
        ("export-n8", ["export", "coordination:n=8", "--out", "big.json"], {"big.json": '{"old": true}'}),
        ("check-algorithm-long", ["check-algorithm", "pg", "--iters", "1000000", "--games", "1", "--seeds", "1"], {}),
        (
            "claims-standard-w1",
            ["claims", "--budget", "standard", "--workers", "1", "--json", "L.json", "--counterexamples", "cx"],
            {"L.json": ("fixture", "ledger")},
        ),
        (
            "claims-standard-w2",
            ["claims", "--budget", "standard", "--workers", "2", "--json", "L.json", "--counterexamples", "cx"],
            {"L.json": ("fixture", "ledger")},
        ),
        (
            "hunt-all-w1",
            [
                "hunt",
                "--all",
                "--seconds",
                "30",
                "--workers",
                "1",
                "--counterexamples",
                "cx",
                "--ledger",
                "L.json",
                "--json",
                "h.json",
            ],
            {"L.json": ("fixture", "ledger")},
        ),
        (
            "hunt-all-w2",
            [
                "hunt",
                "--all",
                "--seconds",
                "30",
                "--workers",
                "2",
                "--counterexamples",
                "cx",
                "--ledger",
                "L.json",
                "--json",
                "h.json",
            ],
            {"L.json": ("fixture", "ledger")},
        ),
        (
            "hunt-huge-evaluations",
            [
                "hunt",
                "thm-4.7",
                "--evaluations",
                "100000000",
                "--workers",
                "1",
                "--counterexamples",
                "cx",
                "--json",
                "h.json",
            ],
            {},
        ),
    ]
    for nm, args, files in sig:
        intact = [f for f in files]
        unchanged = ["L.json"] if args[0] == "claims" else []
        add(
            f"sigint/{nm}",
            args,
            "either",
            files=files,
            sigint=delay(),
            intact=intact,
            unchanged_on_interrupt=unchanged,
            post=post_wrote_valid(),
        )
    add(
        "sigint/run-late",
        ["run", "pg", "--game", "coordination:n=5", "--seeds", "10", "--iters", "20000", "--out", "runs"],
        "either",
        sigint=8.0,
        post=post_wrote_valid(),
    )
    add(
        "sigint/claims-late",
        ["claims", "--budget", "standard", "--workers", "1", "--json", "L.json", "--counterexamples", "cx"],
        "either",
        files={"L.json": ("fixture", "ledger")},
        sigint=8.0,
        intact=["L.json"],
        unchanged_on_interrupt=["L.json"],
        post=post_wrote_valid(),
    )
    add(
        "sigint/export-late",
        ["export", "coordination:n=8", "--out", "big.json"],
        "either",
        files={"big.json": '{"old": true}'},
        sigint=10.0,
        intact=["big.json"],
        post=post_wrote_valid(),
    )
    add(
        "sigint/hunt-late",
        [
            "hunt",
            "--all",
            "--seconds",
            "30",
            "--workers",
            "1",
            "--counterexamples",
            "cx",
            "--ledger",
            "L.json",
            "--json",
            "h.json",
        ],
        "either",
        files={"L.json": ("fixture", "ledger")},
        sigint=9.0,
        intact=["L.json"],
        post=post_wrote_valid(),
    )

    # ---- 15. two hunts at once on the same ledger and folder --------------------------------
    for nm, claims in [
        ("different-claims", ["prop-4.3@signed", "prop-4.3@one-sided"]),
        ("same-claim", ["prop-4.3@signed", "prop-4.3@signed"]),
    ]:
        procs = [
            [
                "hunt",
                c,
                "--evaluations",
                "40",
                "--workers",
                "1",
                "--seed",
                str(k),
                "--counterexamples",
                "cx",
                "--ledger",
                "L.json",
                "--json",
                f"h{k}.json",
            ]
            for k, c in enumerate(claims)
        ]
        C.append(
            Case(
                name=f"concurrent-hunt/{nm}",
                args=procs[0],
                expect="either",
                files={"L.json": ("fixture", "ledger")},
                parallel=procs,
                intact=["L.json"],
                post=post_concurrent(claims),
            )
        )
    return C


# Lower-priority cases: built and listed always, run only with --extended (the default corpus keeps the
# whole run under ~25 minutes on two shared cores; --extended adds these, about +8 minutes).
EXTENDED = set(
    """
evaluate/game/gamma=-0.0 evaluate/game/gamma=false evaluate/game/gamma=list evaluate/game/gamma=long-decimal
evaluate/game/mu=within-tol evaluate/game/mu=too-long evaluate/game/mu=null-entry evaluate/game/mu=NaN
evaluate/game/mu=bool evaluate/game/mu=nested evaluate/game/n_actions=2.0 evaluate/game/n_actions=-1
evaluate/game/n_actions=empty evaluate/game/transition=too-deep evaluate/game/transition=null
evaluate/game/transition=deep-70 evaluate/game/rewards=two-agents evaluate/game/rewards=str
evaluate/game/rewards=bool evaluate/game/potential=null evaluate/game/format=int evaluate/game/name=100k-chars
evaluate/game/dup-format evaluate/game/top=list evaluate/game/mu=subnormal-2-states
evaluate/bytes/null evaluate/bytes/list evaluate/bytes/truncated evaluate/bytes/utf16 evaluate/bytes/symlink-loop
evaluate/spec/n=1 evaluate/spec/n=2.5 evaluate/spec/n=21 evaluate/spec/n=space evaluate/spec/gamma=-0.5
evaluate/spec/eps=-1 evaluate/spec/no-value evaluate/spec/empty-options evaluate/spec/bare-name
evaluate/spec/gamma=subnormal
evaluate/policy/within-tol evaluate/policy/subnormal evaluate/policy/bool evaluate/policy/three-states
evaluate/policy/logits-nan evaluate/policy/format-game evaluate/policy/game-file
evaluate/policy-spec/random-empty evaluate/policy-spec/empty evaluate/policy-spec/random-2^62-1
replay/cor-4.8/witness.eps=nan-str replay/cor-4.8/witness.eps=list replay/cor-4.8/witness.eps=str-spaces
replay/thm-4.7/witness.eps=1 replay/thm-4.5/witness.eps=100 replay/prop-4.3@signed/witness.nu=-1e308
replay/thm-4.5/witness.beta_choice=str replay/lemma-c.2/witness.theta=null replay/lemma-c.2/witness.theta=two-agents
replay/lemma-c.2/margin=object replay/lemma-c.2/margin=true replay/lemma-c.2/exact=null replay/lemma-c.2/claimed=str
replay/lemma-c.2/observed=null replay/lemma-c.2/claim=int replay/lemma-c.2/format-missing
replay/lemma-c.2/game-null replay/lemma-c.2/witness-list replay/lemma-c.2/witness-extra-key
run/valid/nn-adam run/valid/sampled-npg run/valid/log-barrier-pg
run/opt/nn-pg-hidden=0 run/opt/nn-pg-activation=bogus run/opt/npg-br-K=-1 run/opt/npg-br-K=nan
run/opt/npg-br-gain=bogus run/opt/sampled-pg-samples=-5 run/opt/lr=inf run/opt/lr=subnormal run/opt/lr=spaces
run/opt/option-lam=nan run/opt/option-empty-key run/opt/option-init-bogus run/opt/option-form-bogus
run/opt/option-fisher_d-bogus run/opt/br-reading-bogus run/opt/seeds=-1 run/opt/iters=-1 run/opt/iters=1e3
run/opt/record-every=-1 run/opt/device=empty run/opt/algo-math-pi run/opt/algo-colon run/opt/algo-print
check-algorithm/valid/br-dynamics check-algorithm/opt/seeds=-3 check-algorithm/opt/iters=-1
check-algorithm/opt/max-actions=0 check-algorithm/opt/seed=2^62 check-algorithm/opt/unknown-algo
check-algorithm/opt/option-unknown
check-algorithm/plugin/inf_theta check-algorithm/plugin/wrong_actions_policy check-algorithm/plugin/list_policy
check-algorithm/plugin/nan_declarations check-algorithm/plugin/state_none check-algorithm/plugin/raise_init
run/plugin/negative_policy run/plugin/none_policy run/plugin/returns_42
claims/opt/only-commas claims/opt/seed=1e3 claims/opt/workers=-1 claims/opt/markdown-dir claims/opt/counterexamples-proc
claims/opt/json-nested-new-dir claims/env/MPGVERIFY_HOME-proc
hunt/opt/evaluations=1e3 hunt/opt/seconds=inf hunt/opt/seconds=subnormal hunt/opt/seed=-1 hunt/opt/ledger-dir
hunt/opt/json-proc hunt/opt/markdown-without-ledger hunt/opt/ledger-eq-markdown
hunt/ledger/format-missing hunt/ledger/claims-null hunt/ledger/row-id-missing hunt/ledger/examples-str
hunt/ledger/worst_margin-1e999 hunt/ledger/budget-bogus hunt/ledger/top-list hunt/ledger/claims-object
figures/n=-1 figures/n=2.5 figures/iters=-1 figures/seeds=1e9 figures/lams=inf figures/lams=1e999 figures/ks=-1
figures/ks=2.5 figures/record-every=-2 figures/device=bogus figures/seed=-1 figures/repr-bogus figures/lams=0
figures/iters=0 figures/out-dev-null
pipe-head1/constants pipe-head1/check-mpg pipe-head1/replay pipe-head1/check-algorithm pipe-closed/constants
""".split()
)


# ----------------------------------------------------------------------------------------------
# post-checks (return a list of (class, detail))


def strict_json_load(path: Path) -> Any:
    size = path.stat().st_size
    if size > 50 * 1024**2:  # too big to parse here: check it is complete
        with open(path, "rb") as fh:
            head = fh.read(64).lstrip()
            fh.seek(max(0, size - 64))
            tail = fh.read().rstrip()
        if not head.startswith((b"{", b"[")) or not tail.endswith((b"}", b"]")):
            raise ValueError(f"incomplete JSON ({size} bytes)")
        return None

    def bad_constant(c):
        raise ValueError(f"non-standard JSON constant {c}")

    return json.loads(path.read_text(), parse_constant=bad_constant)


def check_written(path: Path) -> str | None:
    """None if the file is complete, else what is wrong."""
    if not path.exists():
        return "missing"
    if path.is_dir():
        return None
    try:
        st = path.stat()
        if stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) == 1 and os.minor(st.st_rdev) == 7:
            return "a full device (every write fails with ENOSPC)"
    except OSError:
        pass
    try:
        size = path.stat().st_size
    except OSError as e:
        return f"unreadable: {e}"
    if str(path).startswith("/dev/"):
        return None
    if size == 0:
        return "empty"
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            strict_json_load(path)
        elif suffix == ".png":
            if not path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n":
                return "not a PNG"
        elif suffix == ".pdf":
            data = path.read_bytes()
            if not data.startswith(b"%PDF") or b"%%EOF" not in data[-1024:]:
                return "not a complete PDF"
    except Exception as e:
        return f"invalid: {str(e)[:120]}"
    return None


def wrote_paths(res: dict, cwd: Path) -> list[Path]:
    out = []
    for line in (res["stderr"] + "\n" + res["stdout"]).splitlines():
        m = re.match(r"^\s*wrote\s+(.*)$", line)
        if not m:
            continue
        # the path: "wrote X", "wrote X (details)", "wrote the game ... to X"
        words = [w.strip(",;:'\"`") for w in m.group(1).split()]
        if not words:
            continue
        if len(words) == 1 or m.group(1).split()[1].startswith("("):
            w = words[0]
        elif "to" in words[:-1]:
            w = words[len(words) - 1 - words[::-1].index("to") + 1]
        else:
            w = next((x for x in words if "/" in x or re.search(r"\.\w{1,5}$", x)), words[0])
        out.append(Path(w) if os.path.isabs(w) else cwd / w)
    return out


def post_wrote_valid():
    def post(case, cwd, res):
        return []  # the generic "wrote" check runs on every case

    return post


def post_exists_json(files: list[str], when_rc: set[int]):
    def post(case, cwd, res):
        if res["rc"] not in when_rc:
            return []
        out = []
        for f in files:
            problem = check_written(cwd / f)
            if problem:
                out.append(("lost-write", f"{f}: {problem} after exit {res['rc']}"))
        return out

    return post


def post_game_loads(file: str):
    def post(case, cwd, res):
        p = cwd / file
        try:
            d = strict_json_load(p)
        except Exception as e:
            return [("lost-write", f"{file}: input no longer JSON: {str(e)[:100]}")]
        if not isinstance(d, dict) or d.get("format") != "mpgverify.game/1":
            return [
                (
                    "lost-write",
                    f"{file}: input overwritten (format {d.get('format') if isinstance(d, dict) else type(d).__name__})",
                )
            ]
        return []

    return post


def ledger_rows(path: Path) -> dict[str, dict]:
    d = strict_json_load(path)
    return {r.get("id"): r for r in d.get("claims", []) if isinstance(r, dict)}


def post_hunt_ledger(claims: list[str]):
    def post(case, cwd, res):
        if res["rc"] not in (0, 1):
            return []
        try:
            rows = ledger_rows(cwd / "L.json")
        except Exception as e:
            return [("lost-write", f"L.json: {str(e)[:120]}")]
        out = []
        for c in claims:
            if not isinstance(rows.get(c, {}).get("hunt"), dict):
                out.append(("lost-write", f"L.json: row {c} has no hunt record"))
        return out

    return post


def post_concurrent(claims: list[str]):
    def post(case, cwd, res):
        out = []
        try:
            rows = ledger_rows(cwd / "L.json")
        except Exception as e:
            return [("lost-write", f"shared ledger L.json: {str(e)[:120]}")]
        for k, (c, sub) in enumerate(zip(claims, res["parallel"], strict=False)):
            if sub["rc"] not in (0, 1):
                continue  # refused (its one line is checked with the process)
            rec = rows.get(c, {}).get("hunt")
            if not isinstance(rec, dict):
                out.append(
                    ("lost-write", f"process {k} ({c}) exited {sub['rc']} but L.json row {c} has no hunt record")
                )
            try:
                recs = strict_json_load(cwd / f"h{k}.json")
            except Exception as e:
                out.append(("lost-write", f"h{k}.json: {str(e)[:100]}"))
                continue
            for r in recs if isinstance(recs, list) else [recs]:
                cpath = r.get("counterexample") if isinstance(r, dict) else None
                if cpath:
                    p = Path(cpath) if os.path.isabs(cpath) else cwd / cpath
                    problem = check_written(p)
                    if problem:
                        out.append(("lost-write", f"process {k}: counterexample {cpath}: {problem}"))
        # when both processes refuted the same claim, both counterexamples must be in the folder
        ok_subs = [s for s in res["parallel"] if s["rc"] == 1]
        if len(ok_subs) == 2 and len(set(claims)) == 2:
            files = sorted(p.name for p in (cwd / "cx").glob("*.json")) if (cwd / "cx").is_dir() else []
            for c in claims:
                if not any(f.startswith(c) for f in files):
                    out.append(("lost-write", f"cx/: no counterexample file for {c} (folder holds {files})"))
        return out

    return post


# ----------------------------------------------------------------------------------------------
# running


def make_fixtures(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    p = root / "big_state.json"
    p.write_text(big_state_game())
    FIXTURES["big_state"] = p
    ledger = root / "ledger.json"
    FIXTURES["ledger"] = ledger
    # a real ledger from the tool, else the hand-written one of docs/FORMATS.md's shape
    tmp = root / "ledger-run"
    tmp.mkdir(exist_ok=True)
    try:
        import subprocess

        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "mpgverify",
                "claims",
                "--only",
                "lemma-c.2,prop-4.3",
                "--budget",
                "quick",
                "--workers",
                "1",
                "--json",
                str(tmp / "L.json"),
                "--counterexamples",
                str(tmp / "cx"),
            ],
            cwd=tmp,
            env=child_env(tmp),
            capture_output=True,
            timeout=120,
            preexec_fn=limits,
        )
        d = strict_json_load(tmp / "L.json")
        ids = {row["id"] for row in d["claims"]}
        if r.returncode != 0 or not {"prop-4.3@signed", "prop-4.3@one-sided"} <= ids:
            raise ValueError("unexpected ledger")
        shutil.copy(tmp / "L.json", ledger)
    except Exception as e:
        print(f"[setup] using the hand-written ledger ({str(e)[:100]})", file=sys.stderr)
        ledger.write_text(json.dumps(HANDMADE_LEDGER, indent=1))


def limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


def child_env(cwd: Path, extra: dict | None = None, pythonpath: bool = False) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "MPGVERIFY_MEMORY_LIMIT": "1G",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "MPGVERIFY_HOME": str(cwd / ".mpgverify-home"),
            "PYTHONUNBUFFERED": "1",
            "MPLCONFIGDIR": str(cwd / ".mpl"),
        }
    )
    env.pop("CI", None)
    if pythonpath:
        env["PYTHONPATH"] = str(cwd) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for k, v in (extra or {}).items():
        env[k] = v if os.path.isabs(v) else str(cwd / v)
    return env


class Skip(Exception):
    pass


SYSTEM_DEVICES = ("/dev/null", "/dev/zero", "/dev/full")


def devices_intact() -> list[str]:
    """The system device nodes that are no longer character devices."""
    bad = []
    for d in SYSTEM_DEVICES:
        try:
            if not stat.S_ISCHR(os.lstat(d).st_mode):
                bad.append(d)
        except OSError:
            bad.append(d)
    return bad


def materialize(case: Case, cwd: Path) -> dict[str, bytes]:
    originals = {}
    for rel, content in case.files.items():
        p = cwd / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, tuple):
            kind = content[0]
            if kind == "sparse":
                with open(p, "wb") as fh:
                    fh.truncate(content[1])
            elif kind == "dir":
                p.mkdir(exist_ok=True)
            elif kind == "chardev":  # a private device node (e.g. 1,7 = full): never the system's /dev ones
                try:
                    os.mknod(p, 0o666 | stat.S_IFCHR, os.makedev(*content[1]))
                except OSError as e:
                    raise Skip(f"cannot create a device node here ({e})") from e
            elif kind == "symlink":
                os.symlink(content[1], p)
            elif kind == "fixture":
                shutil.copy(FIXTURES[content[1]], p)
            elif kind == "lazy":
                p.write_text(content[1](content[2]))
            else:
                raise ValueError(kind)
        elif isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
        if (
            p.is_file()
            and not p.is_symlink()
            and p.stat().st_size < 10 * 1024**2
            and not (isinstance(content, tuple) and content[0] == "sparse")
        ):
            originals[rel] = p.read_bytes()
    return originals


def spawn(args: list[str], cwd: Path, env: dict, stdout_mode: str, tag: str):
    import subprocess

    out_f = open(cwd / f".{tag}.stdout", "wb")
    err_f = open(cwd / f".{tag}.stderr", "wb")
    reader = None
    if stdout_mode == "capture":
        stdout = out_f
    else:
        r, w = os.pipe()
        if stdout_mode == "closed":
            os.close(r)
        stdout = w
    p = subprocess.Popen(
        [sys.executable, "-m", "mpgverify", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=err_f,
        preexec_fn=limits,
        start_new_session=True,
    )
    if stdout_mode != "capture":
        os.close(w)
        if stdout_mode == "head1":

            def read_one():
                try:
                    data = os.read(r, 1)
                    out_f.write(data)
                finally:
                    os.close(r)

            reader = threading.Thread(target=read_one, daemon=True)
            reader.start()
    return p, out_f, err_f, reader


def wait_proc(p, start: float, sigint_at: float | None) -> dict:
    """Wait for p (its own process group), sending SIGINT at sigint_at; returns rc, timing, rusage."""
    sent = None
    timed_out = False
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        now = time.monotonic() - start
        if sigint_at is not None and sent is None and now >= sigint_at:
            try:
                os.killpg(p.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            sent = now
        if now > TIMEOUT or (sent is not None and now - sent > SIGINT_GRACE):
            timed_out = True
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            pid, status, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.02)
    p.returncode = os.waitstatus_to_exitcode(status)
    # kill leftovers of the group (workers) quietly
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return {
        "rc": p.returncode,
        "seconds": round(time.monotonic() - start, 2),
        "timed_out": timed_out,
        "sigint_sent_at": sent,
        "maxrss_mb": round(ru.ru_maxrss / 1024, 1),
    }


def read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""


def last_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def classify_process(case: Case, args: list[str], res: dict, sigint: bool) -> list[tuple[str, str]]:
    """Problems of one process run; [] when it kept the promise."""
    cmd = args[0] if args else ""
    rc, err, out = res["rc"], res["stderr"], res["stdout"]
    allowed = set(ALLOWED.get(cmd, {0, 2}))
    if sigint:
        allowed |= {130, -signal.SIGINT}
    if case.stdout != "capture":
        allowed |= {-signal.SIGPIPE, 128 + signal.SIGPIPE}
    problems: list[tuple[str, str]] = []
    if res["timed_out"]:
        if res["sigint_sent_at"] is not None:
            return [
                ("hang", f"still running {SIGINT_GRACE:.0f} s after SIGINT (sent at {res['sigint_sent_at']:.1f} s)")
            ]
        return [("hang", f"no exit within {TIMEOUT:.0f} s")]
    mem_sig = re.search(
        r"MemoryError|can't allocate memory|Cannot allocate memory|bad_alloc|out of memory|"
        r"DefaultCPUAllocator",
        err,
    )
    if (rc in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS) and mem_sig) or rc == -signal.SIGKILL:
        return [("blowup", f"killed (exit {rc}), maxrss {res['maxrss_mb']} MB")]
    if mem_sig and ("Traceback" in err or rc not in allowed):
        return [("blowup", f"allocation failed: {mem_sig.group(0)} (exit {rc})")]
    if (
        "Traceback (most recent call last)" in err
        or "Traceback (most recent call last)" in out
        or "Exception ignored" in err
        or "Fatal Python error" in err
    ):
        return [("traceback", f"exit {rc}")]
    if rc not in allowed:
        return [("bad-exit", f"exit {rc} not in {sorted(allowed)}")]
    if rc == 2:
        error_lines = [ln for ln in err.splitlines() if "error:" in ln]
        ll = last_line(err)
        if len(error_lines) != 1 or "error:" not in ll:
            problems.append(("multi-line-error", f"{len(error_lines)} error lines; last stderr line {ll[:80]!r}"))
        elif re.search(r"internal error", ll, re.IGNORECASE):
            problems.append(("vague-error", "the error line is an internal error (an uncaught exception), not a rule"))
        elif case.mention and not re.search(case.mention, ll, re.IGNORECASE):
            problems.append(("vague-error", f"error line does not name /{case.mention}/"))
    # JSON on stdout
    if cmd in JSON_STDOUT and "--json" in args and rc in (0, 1, 3) and case.stdout == "capture" and not sigint:
        try:

            def bad_constant(c):
                raise ValueError(f"non-standard JSON constant {c}")

            json.loads(out, parse_constant=bad_constant)
        except Exception as e:
            problems.append(("bad-output", f"stdout is not strict JSON: {str(e)[:100]}"))
    return problems


def expectation(case: Case, res: dict) -> list[tuple[str, str]]:
    rc = res["rc"]
    ex = case.expect
    text = res["stdout"] + "\n" + res["stderr"]
    if rc in (130, -signal.SIGINT) or res["timed_out"]:
        return []
    if ex == "reject" and rc in (0, 1, 3):
        return [("silent-accept", f"exit {rc} where exit 2 was expected")]
    if ex == "nonzero" and rc in (0, 3):
        return [("silent-accept", f"exit {rc}: a broken plug-in passed")]
    if ex == "accept" and rc == 2:
        return [("wrong-reject", "exit 2 on valid input")]
    if ex == "premise":
        if rc == 2:
            return [("wrong-reject", "exit 2 where 'premises not met' (exit 0) was expected")]
        if rc != 0 or not re.search(r"premises? not met", text, re.IGNORECASE):
            return [("silent-accept", f"exit {rc} without 'premises not met' on a witness outside the premises")]
    return []


def run_case(case: Case, root: Path, keep: bool) -> dict:
    cwd = Path(tempfile.mkdtemp(prefix=re.sub(r"[^\w.-]", "_", case.name)[:60] + "-", dir=root))
    t0 = time.monotonic()
    record: dict[str, Any] = {"name": case.name, "command": case.cmdline(), "expect": case.expect}
    try:
        originals = materialize(case, cwd)
        env = child_env(cwd, case.env, case.pythonpath)
        runs = case.parallel or [case.args]
        procs = []
        start = time.monotonic()
        for k, args in enumerate(runs):
            procs.append((args, spawn(args, cwd, env, case.stdout, f"p{k}")))
        results = []
        for k, (_args, (p, out_f, err_f, reader)) in enumerate(procs):
            r = wait_proc(p, start, case.sigint)
            if reader is not None:
                reader.join(timeout=2)
            out_f.close()
            err_f.close()
            r["stdout"] = read_text(cwd / f".p{k}.stdout")
            r["stderr"] = read_text(cwd / f".p{k}.stderr")
            results.append(r)
        problems: list[tuple[str, str]] = []
        for args, r in zip(runs, results, strict=False):
            pr = classify_process(case, args, r, case.sigint is not None)
            if not pr:
                pr = expectation(case, r) if not case.parallel else []
            problems += pr
            # every file a process says it wrote must be complete
            for path in wrote_paths(r, cwd):
                problem = check_written(path)
                if problem:
                    problems.append(
                        (
                            "lost-write",
                            f"said 'wrote {path.relative_to(cwd) if path.is_relative_to(cwd) else path}' but it is {problem}",
                        )
                    )
        main = results[0]
        # files that must stay intact
        for rel in case.intact:
            p = cwd / rel
            if rel not in originals:
                continue
            if not p.exists():
                problems.append(("lost-write", f"{rel} (existed before) is gone"))
                continue
            if p.is_file() and p.read_bytes() != originals[rel]:
                problem = check_written(p) if p.suffix == ".json" or rel.endswith(".json") else None
                if rel.endswith(".json") and problem:
                    problems.append(("lost-write", f"{rel} was changed and is now {problem}"))
                elif not rel.endswith(".json"):
                    try:
                        strict_json_load(p)
                    except Exception as e:
                        problems.append(("lost-write", f"{rel} was changed and is not JSON: {str(e)[:80]}"))
        if main["rc"] in (130, -signal.SIGINT):
            for rel in case.unchanged_on_interrupt:
                p = cwd / rel
                if rel in originals and (not p.exists() or p.read_bytes() != originals[rel]):
                    problems.append(("lost-write", f"{rel} replaced although the command was interrupted"))
        for rel, content in case.files.items():
            if isinstance(content, tuple) and content[0] == "chardev":
                try:
                    mode = os.lstat(cwd / rel).st_mode
                except OSError:
                    mode = 0
                if not stat.S_ISCHR(mode):
                    what = "a regular file" if stat.S_ISREG(mode) else "nothing" if not mode else "something else"
                    problems.append(("lost-write", f"the device node {rel} was replaced by {what}"))
        for d in devices_intact():
            problems.append(("lost-write", f"SYSTEM DEVICE {d} is no longer a character device"))
        if case.post is not None:
            res_for_post = dict(main)
            res_for_post["parallel"] = results
            problems += case.post(case, cwd, res_for_post)
        cls = problems[0][0] if problems else "ok"
        # the most severe class first
        for c in SEVERITY:
            if any(p[0] == c for p in problems):
                cls = c
                break
        record.update(
            {
                "class": cls,
                "problems": [f"{c}: {d}" for c, d in problems],
                "rc": [r["rc"] for r in results] if case.parallel else main["rc"],
                "seconds": round(time.monotonic() - t0, 2),
                "maxrss_mb": max(r["maxrss_mb"] for r in results),
                "sigint_at": case.sigint,
                "last_stderr_line": " || ".join(last_line(r["stderr"])[:200] for r in results),
                "stderr_tail": " || ".join(r["stderr"][-1500:] for r in results) if problems else "",
            }
        )
    except Skip as e:
        record.update(
            {
                "class": "skipped",
                "problems": [str(e)],
                "rc": None,
                "seconds": round(time.monotonic() - t0, 2),
                "last_stderr_line": "",
                "stderr_tail": "",
            }
        )
    except Exception as e:  # a harness failure is reported, not hidden
        record.update(
            {
                "class": "harness-error",
                "problems": [repr(e)],
                "rc": None,
                "seconds": round(time.monotonic() - t0, 2),
                "last_stderr_line": "",
                "stderr_tail": "",
            }
        )
    finally:
        if not keep:
            shutil.rmtree(cwd, ignore_errors=True)
    return record


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=None, help="run the cases whose name contains SUBSTRING")
    ap.add_argument("--jobs", type=int, default=1, help="cases run at once (default 1)")
    ap.add_argument("--json", dest="json_path", default=None, help="write every result here")
    ap.add_argument("--list", action="store_true", help="list the case names and exit")
    ap.add_argument("--keep", action="store_true", help="keep the case folders")
    ap.add_argument("--extended", action="store_true", help="also run the lower-priority cases (EXTENDED)")
    a = ap.parse_args(argv)
    if a.jobs < 1:
        ap.error("--jobs must be at least 1")

    root = Path(tempfile.mkdtemp(prefix="mpgverify-acceptance-")) if not a.list else Path("/nonexistent")
    if not a.list:
        make_fixtures(root / "_fixtures")
    cases = build_corpus()
    names = [c.name for c in cases]
    dups = {n for n in names if names.count(n) > 1}
    if dups:
        print(f"duplicate case names: {sorted(dups)}", file=sys.stderr)
        return 2
    unknown = EXTENDED - set(names)
    if unknown:
        print(f"EXTENDED names no case: {sorted(unknown)}", file=sys.stderr)
        return 2
    if not a.extended:
        cases = [c for c in cases if c.name not in EXTENDED]
    if a.only:
        cases = [c for c in cases if a.only in c.name]
    if a.list:
        for c in cases:
            print(f"{c.name:70s} {c.expect:8s} {c.cmdline()[:120]}")
        print(f"{len(cases)} cases")
        return 0

    print(f"{len(cases)} cases, {a.jobs} job(s), folders under {root}", flush=True)
    results: list[dict] = []
    t0 = time.monotonic()
    lock = threading.Lock()

    def one(case: Case) -> dict:
        r = run_case(case, root, a.keep)
        with lock:
            results.append(r)
            mark = "ok" if r["class"] == "ok" else r["class"].upper()
            print(f"[{len(results):4d}/{len(cases)}] {mark:16s} {r['seconds']:6.1f}s  {case.name}", flush=True)
        return r

    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        list(pool.map(one, cases))
    order = {c.name: i for i, c in enumerate(cases)}
    results.sort(key=lambda r: order[r["name"]])
    wall = time.monotonic() - t0

    counts = {c: 0 for c in CLASSES}
    for r in results:
        counts[r["class"]] = counts.get(r["class"], 0) + 1
    bad = [r for r in results if r["class"] not in ("ok", "skipped")]
    if bad:
        print("\nnon-ok cases:")
        for r in bad:
            print(f"- {r['name']}  [{r['class']}]  rc={r['rc']}")
            print(f"    $ {r['command'][:300]}")
            for p in r["problems"][:3]:
                print(f"    {p[:200]}")
            print(f"    stderr: {r['last_stderr_line'][:200]}")
    if devices_intact():
        print(f"WARNING: system devices replaced during the run: {devices_intact()}", file=sys.stderr)
    print(f"\nsummary ({len(results)} cases, {wall:.0f} s wall):")
    print(f"  {'class':18s} count")
    for c, n in counts.items():
        print(f"  {c:18s} {n}")
    if a.json_path:
        Path(a.json_path).write_text(
            json.dumps(
                {
                    "cases": len(results),
                    "seconds": round(wall, 1),
                    "summary": counts,
                    "results": results,
                },
                indent=1,
            )
        )
        print(f"wrote {a.json_path}")
    shutil.rmtree(root, ignore_errors=True) if not a.keep else None
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
