"""The claims ledger: run every selected claim, render ``mpgverify.ledger/1`` and its tables."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from mpgverify.verify.claims import Claim
from mpgverify.verify.runner import ClaimResult, run_claim

__all__ = ["LEDGER_FORMAT", "ledger_json", "render_markdown", "render_table", "run_ledger"]

LEDGER_FORMAT = "mpgverify.ledger/1"


def run_ledger(
    claims: Sequence[Claim],
    *,
    budget: str,
    seed_value: int = 0,
    counterexample_dir: Path | None = None,
    progress: TextIO | None = None,
) -> list[ClaimResult]:
    """Run each claim in turn (progress lines on ``progress``)."""
    results = []
    for k, claim in enumerate(claims, 1):
        if progress is not None:
            progress.write(f"[{k}/{len(claims)}] {claim.id} ... ")
            progress.flush()
        r = run_claim(
            claim,
            budget=budget,
            seed_value=seed_value,
            counterexample_dir=counterexample_dir,
            known_dir=counterexample_dir,
        )
        if progress is not None:
            progress.write(f"{r.status} ({r.premises_met}/{r.examples}, {r.seconds:.1f} s)\n")
        results.append(r)
    return results


def ledger_json(results: Sequence[ClaimResult], budget: str, seed_value: int) -> dict[str, Any]:
    return {"format": LEDGER_FORMAT, "budget": budget, "seed": seed_value, "claims": [r.to_json() for r in results]}


def _num(x: float | None, fmt: str = ".3g") -> str:
    return "—" if x is None else format(x, fmt)


def _rows(results: Sequence[ClaimResult]) -> list[list[str]]:
    return [
        [
            r.id,
            r.ref,
            r.status,
            f"{r.premises_met}/{r.examples}",
            _num(r.worst_margin),
            _num(r.tightness, ".4g"),
            r.counterexample or "",
        ]
        for r in results
    ]


HEADER = ["claim", "reference", "verdict", "premises met/examples", "worst margin", "tightness", "counterexample"]


def render_table(results: Sequence[ClaimResult]) -> str:
    rows = [HEADER, *_rows(results)]
    widths = [max(len(r[c]) for r in rows) for c in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(results: Sequence[ClaimResult], budget: str, seed_value: int) -> str:
    out = [f"Budget `{budget}`, seed {seed_value}.", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in _rows(results):
        row[-1] = f"`{row[-1]}`" if row[-1] else ""
        out.append("| " + " | ".join(row) + " |")
    notes = [f"- `{r.id}`: {r.note}" for r in results if r.note and r.status != "holds"]
    return "\n".join([*out, *(["", *notes] if notes else [])]) + "\n"
