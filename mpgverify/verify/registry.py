"""The claim registry: claims are found through the entry-point group ``mpgverify.claims``.

A package exposes ``name = "package.module:CLAIMS"`` where ``CLAIMS`` is a sequence of
:class:`~mpgverify.verify.claims.Claim` (or a zero-argument callable returning one). When
``package.module`` also defines ``COUNTEREXAMPLES`` (a folder), its ``<claim id>.json`` files are the
claims' shipped counterexamples, found wherever the package is installed and whatever the working
directory. This
project's own claims are registered that way (``pyproject.toml``), and a user can register the
claims of another paper the same way.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterable
from importlib.metadata import entry_points
from pathlib import Path

from mpgverify.errors import FormatError
from mpgverify.verify.claims import Claim

__all__ = ["ENTRY_POINT_GROUP", "describe_selection", "load_claims", "select_claims"]

ENTRY_POINT_GROUP = "mpgverify.claims"


def load_claims() -> list[Claim]:
    """Every registered claim, in registration order; duplicate ids are an error."""
    claims: list[Claim] = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        obj = ep.load()
        found: Iterable[Claim] = obj() if callable(obj) else obj
        folder = getattr(importlib.import_module(ep.module), "COUNTEREXAMPLES", None)
        claims.extend(_with_shipped(c, folder) for c in found)
    seen: set[str] = set()
    for c in claims:
        if c.id in seen:
            raise FormatError("claims", f"claim id {c.id!r} is registered twice")
        seen.add(c.id)
    return claims


def _with_shipped(claim: Claim, folder: object) -> Claim:
    if folder is None or claim.shipped_counterexample is not None:
        return claim
    path = Path(str(folder)) / f"{claim.id}.json"
    return dataclasses.replace(claim, shipped_counterexample=path) if path.is_file() else claim


def _matches(claim_id: str, selector: str, family: bool) -> bool:
    """Whether ``selector`` picks ``claim_id``: ``ID@*`` (or any id with ``family``) picks the id and
    its readings ``ID@…``; a bare id picks that id alone."""
    base = selector.removesuffix("@*")
    if selector.endswith("@*") or family:
        return claim_id == base or claim_id.startswith(base + "@")
    return claim_id == selector


def select_claims(
    claims: list[Claim], only: Iterable[str] | None, *, family: bool = False, field: str = "--only"
) -> list[Claim]:
    """The claims ``only`` names, in registration order: a bare id names that claim alone; ``ID@*``
    (or every id, with ``family``) names the id and its readings ``ID@…``. An id or family that names
    nothing is refused by ``field``, with the family it may have meant."""
    if not only:
        return claims
    wanted = list(only)
    picked = [c for c in claims if any(_matches(c.id, w, family) for w in wanted)]
    for w in wanted:
        if any(_matches(c.id, w, family) for c in claims):
            continue
        readings = [c.id for c in claims if _matches(c.id, w, True)]
        if readings:
            raise FormatError(
                field,
                f"{w!r} is not a claim id; its family {w.removesuffix('@*')}@* has {', '.join(readings)} "
                "(name one, or select the family with ID@* or --family)",
            )
        known = sorted({c.id.split("@")[0] for c in claims})
        raise FormatError(field, f"unknown claim id {w!r} (claim families: {', '.join(known)})")
    return picked


def describe_selection(picked: list[Claim], only: Iterable[str] | None, *, family: bool = False) -> str:
    """What a selection matched, in one line: every selector that names a family lists its members."""
    if not only:
        return f"selected every registered claim ({len(picked)})"
    parts = []
    for w in only:
        hits = [c.id for c in picked if _matches(c.id, w, family)]
        parts.append(w if hits == [w] else f"{w} matched {len(hits)}: {', '.join(hits)}")
    return f"selected {len(picked)} claim{'s' if len(picked) != 1 else ''} ({'; '.join(parts)})"
