"""Result records as JSON rows: one rule for the ledger's claim rows and the hunter's records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

__all__ = ["record_json"]


def record_json(record: Any, *, internal: Iterable[str] = ("detail",)) -> dict[str, Any]:
    """The fields of a dataclass ``record`` in declaration order, without the ``internal`` ones
    (working data that is not part of the format), ``seconds`` rounded to the millisecond."""
    skip = set(internal)
    row = {f.name: getattr(record, f.name) for f in fields(record) if f.name not in skip}
    if "seconds" in row:
        row["seconds"] = round(row["seconds"], 3)
    return row
