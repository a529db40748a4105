"""The public JSON formats of ``docs/FORMATS.md``: ``mpgverify.game/1`` and
``mpgverify.policy/1``, loaded strictly and saved losslessly.

Floats are written with ``repr`` precision, so saving then loading gives back the same tensors
bit for bit. Every loading error is a :class:`~mpgverify.errors.FormatError` whose message names
the source, the field with its index, and the rule broken.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from mpgverify.atomic import write_text
from mpgverify.errors import FormatError
from mpgverify.game import Game, MarkovGame
from mpgverify.policy import Policy, check_logits, check_policy, softmax_policy

__all__ = [
    "GAME_FORMAT",
    "MAX_AGENTS",
    "MAX_INPUT_BYTES",
    "POLICY_FORMAT",
    "HugeInteger",
    "check_depth",
    "dump_json",
    "finite_json",
    "first_nonfinite",
    "game_from_json",
    "game_to_json",
    "json_text",
    "load_game",
    "load_policy",
    "max_input_bytes",
    "parse_json_text",
    "policy_from_json",
    "policy_to_json",
    "read_json",
    "save_game",
    "save_policy",
]

GAME_FORMAT = "mpgverify.game/1"
POLICY_FORMAT = "mpgverify.policy/1"

#: the most agents a dense game file can hold: its transition has rank N + 2 ≤ 64 (numpy's axis limit)
MAX_AGENTS = 62

_GAME_REQUIRED = ("gamma", "n_actions", "mu", "transition", "rewards")
_GAME_OPTIONAL = ("format", "name", "potential")


#: the largest input file read (``MPGVERIFY_MAX_INPUT``, bytes or with a K/M/G suffix): parsing holds
#: about ten times the text in Python objects, so the default 256 MiB needs a few GiB at most
MAX_INPUT_BYTES = 256 * 2**20
#: the longest integer literal accepted: 308 digits hold every float64-sized number (and every seed and
#: count); longer ones are refused before Python converts them (a 5000-digit literal is slow to read,
#: then overflows a float)
MAX_INT_DIGITS = 308
_CHUNK = 2**20


def max_input_bytes() -> int:
    """:data:`MAX_INPUT_BYTES`, or ``MPGVERIFY_MAX_INPUT`` when set."""
    from mpgverify.memory import parse_bytes

    text = os.environ.get("MPGVERIFY_MAX_INPUT", "").strip()
    return parse_bytes(text, "MPGVERIFY_MAX_INPUT") if text else MAX_INPUT_BYTES


def _read_limited(p: Path, limit: int) -> bytes:
    """The bytes of ``p``, refused past ``limit`` without reading further (``/dev/zero`` included)."""
    with p.open("rb") as f:
        if p.is_file() and os.fstat(f.fileno()).st_size > limit:
            raise FormatError(
                str(p),
                f"is {os.fstat(f.fileno()).st_size} bytes, above the input limit of {limit} (MPGVERIFY_MAX_INPUT)",
            )
        parts: list[bytes] = []
        size = 0
        while True:
            chunk = f.read(min(_CHUNK, limit + 1 - size))
            if not chunk:
                return b"".join(parts)
            parts.append(chunk)
            size += len(chunk)
            if size > limit:
                raise FormatError(str(p), f"holds more than the input limit of {limit} bytes (MPGVERIFY_MAX_INPUT)")


class _Refused(Exception):
    """Raised from inside the JSON parser's hooks; turned into a FormatError naming the file."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"repeats the key {key!r} in one object (JSON readers disagree on which value wins)")
        out[key] = value
    return out


class HugeInteger:
    """An integer literal longer than :data:`MAX_INT_DIGITS` digits, kept unconverted: no field takes
    it, so the field it sits in refuses it by name (``gamma: must be a number, got an integer of 5000
    digits``) instead of the parser refusing the whole file."""

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"an integer of {self.digits} digits (at most {MAX_INT_DIGITS})"


def _integer(text: str) -> int | HugeInteger:
    digits = len(text.lstrip("-"))
    return HugeInteger(digits) if digits > MAX_INT_DIGITS else int(text)


def _constant(text: str) -> float:
    """``NaN`` and ``±Infinity`` (not JSON) read as the float, so that the field they sit in refuses
    them by name (``mu[1]: must be finite``); no field takes a non-finite number."""
    return float(text.replace("Infinity", "inf"))


def parse_json_text(text: str, source: str) -> Any:
    """Strict JSON: no duplicate keys, no integer past :data:`MAX_INT_DIGITS` digits; ``NaN``,
    ``Infinity`` and overflowing literals (``1e999``) become non-finite floats, which every field
    refuses by name."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_integer, parse_constant=_constant)
    except _Refused as e:
        raise FormatError(source, str(e)) from None
    except json.JSONDecodeError as e:
        raise FormatError(source, f"is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise FormatError(source, "nests arrays or objects too deeply to be read") from None
    except ValueError as e:  # anything else the parser refuses, said on one line
        raise FormatError(source, f"is not valid JSON ({e})") from None


def read_json(path: str | Path) -> Any:
    """Parse a JSON file strictly (:func:`parse_json_text`), refusing files past the input limit
    (:func:`max_input_bytes`); I/O and syntax problems are one-line :class:`FormatError`."""
    p = Path(path)
    try:
        data = _read_limited(p, max_input_bytes())
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise FormatError(str(p), "no such file") from None
    except IsADirectoryError:
        raise FormatError(str(p), "is a folder; a JSON file is needed") from None
    except (OSError, UnicodeDecodeError) as e:
        raise FormatError(str(p), f"cannot be read ({e.__class__.__name__}: {e})") from None
    return parse_json_text(text, str(p))


def first_nonfinite(obj: Any, prefix: str = "") -> str | None:
    """The path (``witness.eps``, ``claims[3].hunt.best_margin``) of the first non-finite float (or
    over-long integer, :class:`HugeInteger`) in parsed JSON, or None; iterative, for fields a loader
    does not otherwise read."""
    stack: list[tuple[Any, str]] = [(obj, prefix)]
    while stack:
        item, path = stack.pop()
        if (isinstance(item, float) and not math.isfinite(item)) or isinstance(item, HugeInteger):
            return path
        if isinstance(item, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item))
    return None


def check_depth(obj: Any, limit: int, source: str, why: str) -> None:
    """Refuse ``obj`` nested deeper than ``limit`` (arrays and objects; ``why`` says where the limit
    comes from, e.g. the rank of a game's arrays)."""
    if _depth(obj, limit) > limit:
        raise FormatError(source, f"nests arrays or objects deeper than {limit} levels ({why})")


def _depth(obj: Any, limit: int) -> int:
    """Nesting depth of parsed JSON, iteratively (no recursion on hostile input), stopping past ``limit``."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        item, d = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, d)
            if d > limit:
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
    if len(n_actions) > MAX_AGENTS:
        raise FormatError(
            "n_actions",
            f"lists {len(n_actions)} agents; a dense game has at most {MAX_AGENTS} (its transition "
            f"[S][A¹]…[Aᴺ][S'] has rank N + 2, and arrays have at most 64 axes)",
        )
    # every array of the format has rank at most N + 2, inside the top-level object
    check_depth(obj, len(n_actions) + 3, "(top level)", f"the arrays of a {len(n_actions)}-agent game have rank N + 2")
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
    write_text(path, dump_json(game_to_json(game)))


def policy_from_json(obj: Any, game: Game) -> Policy:
    """A product policy (probabilities) from a parsed ``mpgverify.policy/1`` object.

    Exactly one of ``probs`` and ``logits`` (tabular softmax θ) must be present.
    """
    _check_format(obj, POLICY_FORMAT)
    check_depth(obj, 4, "(top level)", "probs[i][s][a] has rank 3")
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
    write_text(path, dump_json(policy_to_json(probs)))
