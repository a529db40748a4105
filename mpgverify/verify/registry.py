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

__all__ = ["ENTRY_POINT_GROUP", "load_claims", "select_claims"]

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


def select_claims(claims: list[Claim], only: Iterable[str] | None) -> list[Claim]:
    """Claims whose id is in ``only`` or starts with an entry of it followed by ``@``."""
    if not only:
        return claims
    wanted = list(only)
    known = {c.id for c in claims}
    picked = [c for c in claims if any(c.id == w or c.id.startswith(w + "@") for w in wanted)]
    missing = [w for w in wanted if not any(c.id == w or c.id.startswith(w + "@") for c in claims)]
    if missing:
        raise FormatError("--only", f"unknown claim id {missing[0]!r} (known: {', '.join(sorted(known))})")
    return picked
