"""mpgverify.game/1 and mpgverify.policy/1: lossless round trips and one clear error per bad input."""

from __future__ import annotations

import copy
import json
import math

import pytest
import torch

import randomgames as rg
from mpgverify import (
    FormatError,
    MarkovGame,
    coordination_game,
    load_game,
    load_policy,
    save_game,
    save_policy,
)
from mpgverify.formats import game_from_json, game_to_json, policy_from_json
from mpgverify.policy import random_logits, softmax_policy


def assert_same_game(a: MarkovGame, b: MarkovGame) -> None:
    assert a.name == b.name and a.gamma == b.gamma and a.n_actions == b.n_actions
    for field in ("mu", "transition", "rewards", "potential"):
        x, y = getattr(a, field), getattr(b, field)
        if x is None or y is None:
            assert x is None and y is None, field
        else:
            # bit for bit: equal values and identical float64 payloads
            assert torch.equal(x.view(torch.int64), y.view(torch.int64)), field


@pytest.mark.parametrize(
    "game",
    [
        coordination_game(3),
        rg.identical_interest_game(seed=4, n_agents=2, n_states=3, n_actions=(2, 3), transitions="random", mu="random"),
        rg.general_sum_game(seed=5, n_agents=3, n_states=2, n_actions=(1, 2, 3)),
    ],
    ids=lambda g: g.name,
)
def test_save_then_load_is_bit_identical(tmp_path, game) -> None:
    path = tmp_path / "g.json"
    save_game(game, path)
    loaded = load_game(path)
    assert_same_game(game, loaded)
    save_game(loaded, tmp_path / "again.json")
    assert path.read_bytes() == (tmp_path / "again.json").read_bytes()


def test_rows_off_by_less_than_tolerance_are_renormalized_once(tmp_path) -> None:
    obj = game_to_json(coordination_game(2))
    obj["mu"] = [0.25 + 4e-10, 0.25, 0.25, 0.25]  # sums to 1 + 4e-10: accepted, renormalized
    game = game_from_json(obj)
    assert abs(float(game.mu.sum()) - 1.0) < 1e-15
    save_game(game, tmp_path / "g.json")
    assert_same_game(game, load_game(tmp_path / "g.json"))


def test_policy_round_trip(tmp_path) -> None:
    game = rg.identical_interest_game(seed=1, n_actions=(2, 3))
    probs = softmax_policy(random_logits(game, seed=2))
    save_policy(probs, tmp_path / "p.json")
    back = load_policy(tmp_path / "p.json", game)
    for p, q in zip(probs, back, strict=True):
        assert torch.equal(p, q)


def test_policy_logits_are_softmaxed() -> None:
    game = rg.identical_interest_game(seed=1)
    probs = policy_from_json({"format": "mpgverify.policy/1", "logits": [[[0.0, 0.0], [0.0, math.log(3)]]] * 2}, game)
    assert torch.allclose(probs[0][1], torch.tensor([0.25, 0.75], dtype=torch.float64))


BASE = game_to_json(coordination_game(2))


def mutated(path: tuple, value) -> dict:
    obj = copy.deepcopy(BASE)
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return obj


def dropped(key: str) -> dict:
    obj = copy.deepcopy(BASE)
    del obj[key]
    return obj


BAD_GAMES = [
    ("wrong format", mutated(("format",), "mpgverify.game/2"), "format", "must be 'mpgverify.game/1'"),
    ("missing field", dropped("rewards"), "rewards", "required"),
    ("unknown field", mutated(("extra",), 1), "extra", "not a field"),
    ("gamma = 1", mutated(("gamma",), 1.0), "gamma", "0 ≤ gamma < 1"),
    ("gamma < 0", mutated(("gamma",), -0.1), "gamma", "0 ≤ gamma < 1"),
    ("gamma string", mutated(("gamma",), "0.9"), "gamma", "must be a number"),
    ("gamma NaN", mutated(("gamma",), float("nan")), "gamma", "0 ≤ gamma < 1"),
    ("zero actions", mutated(("n_actions", 1), 0), "n_actions[1]", "≥ 1"),
    ("mu not a distribution", mutated(("mu",), [0.5, 0.5, 0.5, 0.5]), "mu", "probability vector"),
    ("mu negative", mutated(("mu",), [1.5, -0.5, 0.0, 0.0]), "mu[1]", "nonnegative"),
    ("mu NaN", mutated(("mu", 2), float("nan")), "mu[2]", "finite"),
    (
        "ragged transition",
        mutated(("transition", 1, 0), [[0.5, 0.5, 0.0, 0.0]]),
        "transition[1][0]",
        "2 entries",
    ),
    (
        "transition row sum",
        mutated(("transition", 1, 0, 1), [0.5, 0.2, 0.1, 0.0]),
        "transition[1][0][1]",
        "probability vector",
    ),
    (
        "transition negative",
        mutated(("transition", 3, 1, 1), [1.1, -0.1, 0.0, 0.0]),
        "transition[3][1][1][1]",
        "nonnegative",
    ),
    ("reward inf", mutated(("rewards", 0, 2, 1, 0), float("inf")), "rewards[0][2][1][0]", "finite"),
    ("reward string", mutated(("rewards", 1, 0, 0, 0), "x"), "rewards[1][0][0][0]", "must be a number"),
    ("reward bool", mutated(("rewards", 1, 0, 0, 0), True), "rewards[1][0][0][0]", "must be a number"),
    ("potential shape", mutated(("potential",), [[1.0]]), "potential", "entries"),
]


@pytest.mark.parametrize("label,obj,field,rule", BAD_GAMES, ids=[b[0] for b in BAD_GAMES])
def test_bad_game_gives_one_clear_error(tmp_path, label, obj, field, rule) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(obj))
    with pytest.raises(FormatError) as info:
        load_game(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: {field}:"), f"{label}: message {msg!r} should name {field!r}"
    assert rule in msg, f"{label}: message {msg!r} should state the rule {rule!r}"
    assert "\n" not in msg


def test_malformed_json(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"format": "mpgverify.game/1", "gamma": 0.9,,}')
    with pytest.raises(FormatError, match=r"is not valid JSON: .* line 1 column"):
        load_game(path)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        load_game(tmp_path / "nope.json")


GAME = rg.identical_interest_game(seed=0, n_states=2, n_actions=(2, 3))
BAD_POLICIES = [
    ({"format": "mpgverify.policy/1"}, "probs", "exactly one"),
    ({"format": "mpgverify.policy/1", "probs": [[[1.0, 0.0], [1.0, 0.0]]]}, "probs", "one entry per agent"),
    (
        {"format": "mpgverify.policy/1", "probs": [[[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [1.0, 0.0]]]},
        "probs[1][0]",
        "3 entries",
    ),
    (
        {"format": "mpgverify.policy/1", "probs": [[[0.7, 0.7], [1.0, 0.0]], [[1, 0, 0], [1, 0, 0]]]},
        "probs[0][0]",
        "probability vector",
    ),
    (
        {"format": "mpgverify.policy/1", "probs": [[[1.2, -0.2], [1.0, 0.0]], [[1, 0, 0], [1, 0, 0]]]},
        "probs[0][0][1]",
        "nonnegative",
    ),
    (
        {"format": "mpgverify.policy/1", "logits": [[[0, 0], [0, float("nan")]], [[0, 0, 0], [0, 0, 0]]]},
        "logits[0][1][1]",
        "finite",
    ),
    ({"format": "mpgverify.game/1", "probs": []}, "format", "mpgverify.policy/1"),
]


@pytest.mark.parametrize("obj,field,rule", BAD_POLICIES)
def test_bad_policy_gives_one_clear_error(tmp_path, obj, field, rule) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(obj))
    with pytest.raises(FormatError) as info:
        load_policy(path, GAME)
    msg = str(info.value)
    assert msg.startswith(f"{path}: {field}:"), msg
    assert rule in msg, msg
