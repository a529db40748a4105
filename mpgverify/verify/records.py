"""Result records as JSON rows: one rule for the ledger's claim rows and the hunter's records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

__all__ = ["RichRecord", "record_json"]


def record_json(record: Any, *, internal: Iterable[str] = ("detail",)) -> dict[str, Any]:
    """The fields of a dataclass ``record`` in declaration order, without the ``internal`` ones
    (working data that is not part of the format), ``seconds`` rounded to the millisecond."""
    skip = set(internal)
    row = {f.name: getattr(record, f.name) for f in fields(record) if f.name not in skip}
    if "seconds" in row:
        row["seconds"] = round(row["seconds"], 3)
    return row


class RichRecord:
    """Jupyter display of a result record (a ledger row, a hunt record): its fields as a two-column
    table under a ``id: status`` title, with its note. Mixed into the record dataclasses."""

    def _record_document(self) -> Any:
        from mpgverify.verify.document import Document, Para, Table

        to_json = getattr(self, "to_json", None)
        row = dict(to_json() if to_json is not None else record_json(self))
        row.pop("distribution", None)
        note = row.pop("note", "")
        title = f"{row.get('id', '')}: {row.get('status', '')}"
        rows = tuple((k, v) for k, v in row.items() if not isinstance(v, (dict, list)) and k not in ("id", "status"))
        counts = tuple(
            (k, "; ".join(f"{c} = {n}" for c, n in v.items())) for k, v in row.items() if isinstance(v, dict)
        )
        return Document(title, (Table(("field", "value"), rows + counts), *((Para(note),) if note else ())))

    def _repr_markdown_(self) -> str:
        from mpgverify.verify.document import render_markdown

        return render_markdown(self._record_document())

    def _repr_html_(self) -> str:
        from mpgverify.verify.document import render_html

        return render_html(self._record_document(), fragment=True)
