"""``mpgverify.counterexample/1`` files: write, read, replay."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mpgverify import __version__
from mpgverify.atomic import locked, write_text, write_unique
from mpgverify.cost import Cost, require_cost
from mpgverify.errors import FormatError, MpgverifyError
from mpgverify.formats import check_depth, first_nonfinite, game_from_json, game_to_json, json_text, read_json
from mpgverify.memory import recording_bytes, require_memory
from mpgverify.threads import apply_thread_policy, work_entries
from mpgverify.verify.claims import Claim, ExactMargin, Example, Outcome, closeness

__all__ = [
    "COUNTEREXAMPLE_FORMAT",
    "ROLES",
    "closest_call_json",
    "counterexample_json",
    "load_counterexample",
    "replay",
    "save_closest_call",
    "user_counterexample_dir",
    "witness_errors",
    "write_counterexample",
]

COUNTEREXAMPLE_FORMAT = "mpgverify.counterexample/1"


def counterexample_json(
    claim: Claim, example: Example, outcome: Outcome, exact: ExactMargin | None, found_by: str
) -> dict[str, Any]:
    return {
        "format": COUNTEREXAMPLE_FORMAT,
        "claim": claim.id,
        "statement": claim.statement,
        "game": game_to_json(example.game),
        "witness": example.witness,
        "claimed": outcome.bound,
        "observed": outcome.observed,
        "margin": outcome.margin if exact is None else exact.value,
        "exact": exact is not None,
        "exact_margin": None if exact is None else exact.exact,
        "found_by": f"mpgverify {__version__}; {found_by}",
    }


#: what a file of this format holds: a confirmed violation, or the example a hunt came closest with
ROLES = ("counterexample", "closest call")


def closest_call_json(claim: Claim, example: Example, outcome: Outcome, found_by: str) -> dict[str, Any]:
    """A hunt's closest call (no violation: the informative example of least score, ``−tightness``
    where the claim reports one, else the margin) in the counterexample format, ``role: "closest call"``."""
    tight = outcome.tightness if outcome.tightness is not None and math.isfinite(outcome.tightness) else None
    return counterexample_json(claim, example, outcome, None, found_by) | {"role": ROLES[1], "tightness": tight}


def _closeness(obj: dict[str, Any]) -> float:
    """How close a saved call came (lower: closer), as the hunter scores it (:func:`closeness`)."""
    tight, margin = obj.get("tightness"), obj.get("margin")
    tight = float(tight) if isinstance(tight, (int, float)) and not isinstance(tight, bool) else None
    margin = float(margin) if isinstance(margin, (int, float)) and not isinstance(margin, bool) else math.inf
    return closeness(tight, margin)


def save_closest_call(folder: Path, obj: dict[str, Any]) -> Path:
    """Save a closest call as ``folder/<claim id>.json``, under the folder's lock, unless the file there
    (a closest call of the same claim) came closer; returns the file that holds the closer call."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{obj['claim']}.json"
    with locked(folder):
        if path.is_file():
            try:
                _, _, old = load_counterexample(path)
            except MpgverifyError:
                old = None
            if old is not None and old.get("claim") == obj["claim"] and _closeness(old) <= _closeness(obj):
                return path
        write_text(path, json_text(obj, indent=1))
    return path


def write_counterexample(path: Path, obj: dict[str, Any]) -> Path:
    """Save ``obj`` as ``path`` atomically, under the folder's lock; when another process saved that
    name first, as ``NAME~2.json`` (… ``~3``): a confirmed counterexample is never lost or replaced.
    Returns where it went."""
    return write_unique(path.parent, path.stem, json_text(obj, indent=1))


def user_counterexample_dir() -> Path:
    """Where new counterexamples go when no folder is named: ``$MPGVERIFY_HOME/counterexamples``, else
    ``$XDG_DATA_HOME/mpgverify/counterexamples`` (``~/.local/share`` when unset). Never the working
    directory, never the installed package."""
    home = os.environ.get("MPGVERIFY_HOME")
    if home:
        return Path(home) / "counterexamples"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "mpgverify" / "counterexamples"


def load_counterexample(path: str | Path) -> tuple[str, Example, dict[str, Any]]:
    """(claim id, example, raw object) from a counterexample file, validated."""
    obj = read_json(path)
    if not isinstance(obj, dict) or obj.get("format") != COUNTEREXAMPLE_FORMAT:
        raise FormatError(f"{path}: format", f"must be {COUNTEREXAMPLE_FORMAT!r}")
    for key in ("claim", "game", "witness"):
        if key not in obj:
            raise FormatError(f"{path}: {key}", "is required but missing")
    try:
        game = game_from_json(obj["game"])
    except FormatError as e:
        raise FormatError(f"{path}: game.{e.field}", e.rule) from None
    if not isinstance(obj["witness"], dict):
        raise FormatError(f"{path}: witness", "must be a JSON object")
    check_depth(obj["witness"], WITNESS_DEPTH, f"{path}: witness", "no witness holds arrays of rank above 5")
    bad = first_nonfinite(obj["witness"], "witness")
    if bad is not None:
        raise FormatError(f"{path}: {bad}", "must be finite (NaN and Infinity are not JSON)")
    for key, value in obj.items():
        kinds = _FIELDS.get(key)
        if kinds is None:
            raise FormatError(f"{path}: {key}", f"is not a field of {COUNTEREXAMPLE_FORMAT}")
        if isinstance(value, bool) != (bool in kinds) or not isinstance(value, kinds):
            raise FormatError(f"{path}: {key}", f"must be {_KIND_NAMES[kinds]}, got {value!r}"[:300])
        if isinstance(value, float) and not math.isfinite(value):
            raise FormatError(f"{path}: {key}", f"must be finite or null, got {value!r}")
    if obj.get("role", ROLES[0]) not in ROLES:
        raise FormatError(f"{path}: role", f"must be one of {', '.join(map(repr, ROLES))}, got {obj['role']!r}"[:200])
    return str(obj["claim"]), Example(game, obj["witness"]), obj


#: the deepest witness: a sequence of policies [T][N][S][A] inside the witness object
WITNESS_DEPTH = 6
_NUMBER = (int, float, type(None))
#: every field of the format and the JSON types it takes (numbers may be null: an undefined value)
_FIELDS: dict[str, tuple[type, ...]] = {
    "format": (str,),
    "claim": (str,),
    "statement": (str,),
    "game": (dict,),
    "witness": (dict,),
    "claimed": _NUMBER,
    "observed": _NUMBER,
    "margin": _NUMBER,
    "exact": (bool,),
    "exact_margin": (str, type(None)),
    "found_by": (str,),
    "role": (str,),
    "tightness": _NUMBER,
}
_KIND_NAMES = {
    (str,): "a string",
    (dict,): "a JSON object",
    _NUMBER: "a number or null",
    (bool,): "true or false",
    (str, type(None)): "a string or null",
}


def _require_replay_cost(claim: Claim, example: Example) -> None:
    """Refuse, before the check runs, a replay whose dynamics (the gate's ``T`` iterations or ``K``
    inner steps per agent) would take longer than the time budget (:mod:`mpgverify.cost`)."""
    game = example.game
    require_memory(recording_bytes(game, 1), f"replaying {claim.id} on its game")
    if claim.premises is None:
        return
    try:
        gate = claim.premises(game, example.witness)
    except Exception:
        return
    steps = gate.facts.get("T") or gate.facts.get("K") if gate.met else None
    if isinstance(steps, (int, float)) and steps > 0:
        cost = Cost(4.0 * game.n_agents * float(steps), 0.0, 0, f"{float(steps):.3g} steps of its dynamics", "")
        require_cost(cost, game, 1, f"replaying {claim.id}")


class _ReadWitness(dict[str, Any]):
    """A witness that records which of its keys the claim read."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def _unread(claim: Claim, witness: _ReadWitness) -> None:
    """A witness key the claim never read, on an example whose premises it decided, must be a plain
    number of magnitude ≤ 1e100 (a constant another reading of the family uses, such as λ beside ν); anything else
    (``"hello"``, null, a list) is refused by name: it was meant for the check and would be ignored."""
    for key in sorted(set(witness) - witness.read):
        value = dict.__getitem__(witness, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) <= 1e100:
            raise FormatError(
                f"witness.{key}", f"is not read by claim {claim.id}, and is not a number: {value!r}"[:200]
            )


@contextlib.contextmanager
def witness_errors(claim: Claim) -> Iterator[None]:
    """A stored witness is user input: an error the claim's code raises on it (a missing key, a wrong
    shape) becomes one :class:`FormatError` naming the witness and the claim."""
    try:
        yield
    except MpgverifyError:
        raise
    except KeyError as e:
        raise FormatError("witness", f"lacks the key {e.args[0]!r} that claim {claim.id} needs") from None
    except (TypeError, ValueError, IndexError, AssertionError, RuntimeError) as e:
        detail = f"{e.__class__.__name__}: {e}" if str(e) else e.__class__.__name__
        raise FormatError("witness", f"does not fit claim {claim.id} ({detail})") from None


def replay(claim: Claim, example: Example) -> tuple[Outcome, ExactMargin | None]:
    """Re-check ``claim`` on a stored example: the float outcome and, when available, the exact margin.
    Every witness key must be read by the claim or be a plain number (:func:`_unread`)."""
    _require_replay_cost(claim, example)
    apply_thread_policy(work_entries(example.game))
    witness = _ReadWitness(example.witness)
    with witness_errors(claim):
        outcome = claim.check(example.game, witness)
        exact = claim.exact(example.game, witness) if claim.exact is not None and outcome.violated else None
        if outcome.premises_met:
            _unread(claim, witness)
    return outcome, exact
