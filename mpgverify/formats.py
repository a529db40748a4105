"""The public JSON formats of ``docs/FORMATS.md``: ``mpgverify.game/1`` and
``mpgverify.policy/1``, loaded strictly and saved losslessly.

Floats are written with ``repr`` precision, so saving then loading gives back the same tensors
bit for bit. Every loading error is a :class:`~mpgverify.errors.FormatError` whose message names
the source, the field with its index, and the rule broken.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from mpgverify.errors import FormatError
from mpgverify.game import Game, MarkovGame
from mpgverify.policy import Policy, check_logits, check_policy, softmax_policy

__all__ = [
    "GAME_FORMAT",
    "POLICY_FORMAT",
    "dump_json",
    "finite_json",
    "game_from_json",
    "game_to_json",
    "json_text",
    "load_game",
    "load_policy",
    "policy_from_json",
    "policy_to_json",
    "read_json",
    "save_game",
    "save_policy",
]

GAME_FORMAT = "mpgverify.game/1"
POLICY_FORMAT = "mpgverify.policy/1"

_GAME_REQUIRED = ("gamma", "n_actions", "mu", "transition", "rewards")
_GAME_OPTIONAL = ("format", "name", "potential")


def read_json(path: str | Path) -> Any:
    """Parse a JSON file, turning I/O and syntax problems into one-line :class:`FormatError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError(str(p), "no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise FormatError(str(p), f"cannot be read ({e.__class__.__name__}: {e})") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise FormatError(str(p), f"is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise FormatError(str(p), "nests arrays or objects too deeply to be read") from None
    if _depth(obj) > MAX_DEPTH:
        raise FormatError(str(p), f"nests arrays or objects deeper than {MAX_DEPTH} levels (no format needs more)")
    return obj


#: the deepest nesting any format needs: rewards [N][S][A¹]…[Aᴺ] plus a few wrapping objects
MAX_DEPTH = 64


def _depth(obj: Any) -> int:
    """Nesting depth of parsed JSON, iteratively (no recursion on hostile input)."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        item, d = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, d)
            if d > MAX_DEPTH:
                return d
            stack.extend((v, d + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _check_format(obj: Any, expected: str) -> None:
    if not isinstance(obj, dict):
        raise FormatError("(top level)", f'must be a JSON object with "format": "{expected}"')
    got = obj.get("format")
    if got != expected:
        raise FormatError("format", f"must be {expected!r}, got {got!r}")


def game_from_json(obj: Any) -> MarkovGame:
    """Build a validated :class:`MarkovGame` from a parsed ``mpgverify.game/1`` object."""
    _check_format(obj, GAME_FORMAT)
    for key in _GAME_REQUIRED:
        if key not in obj:
            raise FormatError(key, "is required but missing")
    unknown = sorted(set(obj) - set(_GAME_REQUIRED) - set(_GAME_OPTIONAL))
    if unknown:
        raise FormatError(unknown[0], f"is not a field of {GAME_FORMAT}")
    n_actions = obj["n_actions"]
    if not isinstance(n_actions, list):
        raise FormatError("n_actions", f"must be a list of integers, got {n_actions!r}")
    mu = obj["mu"]
    if not isinstance(mu, list):
        raise FormatError("mu", f"must be a list of probabilities, got {mu!r}")
    # nested lists go straight in: MarkovGame validates them and names the offending index
    fields: dict[str, Any] = {
        "gamma": obj["gamma"],
        "n_actions": tuple(n_actions),
        "mu": mu,
        "transition": obj["transition"],
        "rewards": obj["rewards"],
        "potential": obj.get("potential"),
        "name": obj.get("name", "game"),
    }
    return MarkovGame(**fields)


def game_to_json(game: MarkovGame) -> dict[str, Any]:
    """The ``mpgverify.game/1`` object of ``game`` (floats exact under ``repr``)."""
    out: dict[str, Any] = {
        "format": GAME_FORMAT,
        "name": game.name,
        "gamma": game.gamma,
        "n_actions": list(game.n_actions),
        "mu": game.mu.tolist(),
        "transition": game.transition.tolist(),
        "rewards": game.rewards.tolist(),
    }
    if game.potential is not None:
        out["potential"] = game.potential.tolist()
    return out


def finite_json(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by ``null`` (JSON has no NaN or Infinity: an
    undefined quantity, e.g. the POA of a game whose social optimum is not positive, is null)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_json(v) for v in obj]
    return obj


def json_text(obj: Any, *, indent: int | None = 2) -> str:
    """Standard JSON text of ``obj`` (non-finite floats as null, see :func:`finite_json`), newline-ended."""
    return json.dumps(finite_json(obj), indent=indent, allow_nan=False) + "\n"


def dump_json(obj: dict[str, Any]) -> str:
    """One top-level key per line, arrays compact: readable and exact (``repr`` floats)."""
    body = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in obj.items())
    return "{\n" + body + "\n}\n"


def _with_source(source: str, err: FormatError) -> FormatError:
    return FormatError(f"{source}: {err.field}", err.rule)


def load_game(path: str | Path) -> MarkovGame:
    """Load and validate a ``mpgverify.game/1`` file."""
    obj = read_json(path)
    try:
        return game_from_json(obj)
    except FormatError as e:
        raise _with_source(str(path), e) from None


def save_game(game: MarkovGame, path: str | Path) -> None:
    """Write ``game`` as ``mpgverify.game/1``."""
    Path(path).write_text(dump_json(game_to_json(game)), encoding="utf-8")


def policy_from_json(obj: Any, game: Game) -> Policy:
    """A product policy (probabilities) from a parsed ``mpgverify.policy/1`` object.

    Exactly one of ``probs`` and ``logits`` (tabular softmax θ) must be present.
    """
    _check_format(obj, POLICY_FORMAT)
    has = [k for k in ("probs", "logits") if k in obj]
    if len(has) != 1:
        raise FormatError("probs", 'exactly one of "probs" and "logits" must be given')
    unknown = sorted(set(obj) - {"format", "probs", "logits"})
    if unknown:
        raise FormatError(unknown[0], f"is not a field of {POLICY_FORMAT}")
    if has[0] == "probs":
        return check_policy(game, obj["probs"], "probs")
    return softmax_policy(check_logits(game, obj["logits"], "logits"))


def policy_to_json(probs: Sequence[torch.Tensor]) -> dict[str, Any]:
    """The ``mpgverify.policy/1`` object of an unbatched product policy."""
    return {"format": POLICY_FORMAT, "probs": [p.tolist() for p in probs]}


def load_policy(path: str | Path, game: Game) -> Policy:
    """Load and validate a ``mpgverify.policy/1`` file against ``game``."""
    obj = read_json(path)
    try:
        return policy_from_json(obj, game)
    except FormatError as e:
        raise _with_source(str(path), e) from None


def save_policy(probs: Sequence[torch.Tensor], path: str | Path) -> None:
    """Write an unbatched product policy as ``mpgverify.policy/1``."""
    Path(path).write_text(dump_json(policy_to_json(probs)), encoding="utf-8")
