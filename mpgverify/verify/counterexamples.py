"""``mpgverify.counterexample/1`` files: write, read, replay."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mpgverify import __version__
from mpgverify.errors import FormatError, MpgverifyError
from mpgverify.formats import game_from_json, game_to_json, json_text, read_json
from mpgverify.verify.claims import Claim, ExactMargin, Example, Outcome

__all__ = [
    "COUNTEREXAMPLE_FORMAT",
    "counterexample_json",
    "load_counterexample",
    "replay",
    "user_counterexample_dir",
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


def write_counterexample(path: Path, obj: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json_text(obj, indent=1), encoding="utf-8")
    return path


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
    return str(obj["claim"]), Example(game, obj["witness"]), obj


def replay(claim: Claim, example: Example) -> tuple[Outcome, ExactMargin | None]:
    """Re-check ``claim`` on a stored example: the float outcome and, when available, the exact margin."""
    try:
        outcome = claim.check(example.game, example.witness)
        exact = claim.exact(example.game, example.witness) if claim.exact is not None and outcome.violated else None
    except MpgverifyError:
        raise
    except KeyError as e:
        raise FormatError("witness", f"lacks the key {e.args[0]!r} that claim {claim.id} needs") from None
    except (TypeError, ValueError, IndexError, AssertionError, RuntimeError) as e:  # a witness is user input
        detail = f"{e.__class__.__name__}: {e}" if str(e) else e.__class__.__name__
        raise FormatError("witness", f"does not fit claim {claim.id} ({detail})") from None
    return outcome, exact
