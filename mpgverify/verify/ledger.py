"""The claims ledger: run every selected claim, render ``mpgverify.ledger/1`` and its tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from mpgverify.errors import FormatError
from mpgverify.formats import check_depth, first_nonfinite, read_json
from mpgverify.progress import Progress
from mpgverify.verify.claims import Claim
from mpgverify.verify.execution import Finished, claim_task, executor, run_tasks
from mpgverify.verify.hunter import HuntResult
from mpgverify.verify.runner import ClaimResult

__all__ = [
    "LEDGER_FORMAT",
    "ledger_json",
    "merge_hunts",
    "read_ledger",
    "render_markdown",
    "render_markdown_json",
    "render_premise_spaces",
    "render_table",
    "run_ledger",
]

LEDGER_FORMAT = "mpgverify.ledger/1"


def run_ledger(
    claims: Sequence[Claim],
    *,
    budget: str,
    seed_value: int = 0,
    counterexample_dir: Path | None = None,
    progress: TextIO | None = None,
    workers: int = 1,
    scheduler: str | None = None,
) -> Finished[ClaimResult]:
    """Every claim's ledger row, on ``workers`` local processes or a Dask ``scheduler``
    (:mod:`mpgverify.verify.execution`), in claim order; progress with ETA on ``progress``."""
    folder = None if counterexample_dir is None else str(counterexample_dir)
    options = {"budget": budget, "seed_value": seed_value, "counterexample_dir": folder, "known_dir": folder}
    bar = Progress("claims", len(claims), progress, every=0)
    with executor(workers=min(workers, len(claims)), scheduler=scheduler) as pool:  # one claim: no pool
        return run_tasks(
            claim_task,
            [(c, options) for c in claims],
            pool=pool,
            progress=bar,
            describe=lambda r: f"{r.status} ({r.premises_met}/{r.examples}, {r.seconds:.1f} s)",
        )


def ledger_json(results: Sequence[ClaimResult], budget: str, seed_value: int) -> dict[str, Any]:
    return {"format": LEDGER_FORMAT, "budget": budget, "seed": seed_value, "claims": [r.to_json() for r in results]}


def read_ledger(path: str | Path) -> dict[str, Any]:
    """A ``mpgverify.ledger/1`` JSON file, validated."""
    obj = read_json(path)
    if not isinstance(obj, dict) or obj.get("format") != LEDGER_FORMAT:
        raise FormatError(f"{path}: format", f"must be {LEDGER_FORMAT!r}")
    if not isinstance(obj.get("claims"), list):
        raise FormatError(f"{path}: claims", "must be a list of ledger rows")
    if not isinstance(obj.get("budget"), str):
        raise FormatError(f"{path}: budget", f"must be a string, got {obj.get('budget')!r}"[:200])
    if isinstance(obj.get("seed"), bool) or not isinstance(obj.get("seed"), int):
        raise FormatError(f"{path}: seed", f"must be an integer, got {obj.get('seed')!r}"[:200])
    check_depth(obj, 6, str(path), "a ledger row holds its hunt record's counts at most")
    bad = first_nonfinite(obj)
    if bad is not None:
        raise FormatError(f"{path}: {bad}", "must be finite or null (NaN and Infinity are not JSON)")
    seen: set[str] = set()
    for k, row in enumerate(obj["claims"]):
        _check_row(row, f"{path}: claims[{k}]")
        if row["id"] in seen:
            raise FormatError(f"{path}: claims[{k}].id", f"repeats the claim id {row['id']!r}")
        seen.add(row["id"])
    return obj


_COUNT, _REAL = (int,), (int, float, type(None))
#: the typed fields of a ledger row (a row may carry more: coverage, notes); "id" and "status" are required
_ROW_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "ref": (str,),
    "status": (str,),
    "examples": _COUNT,
    "premises_met": _COUNT,
    "informative": _COUNT,
    "undecided": _COUNT,
    "worst_margin": _REAL,
    "tightness": _REAL,
    "seconds": _REAL,
    "counterexample": (str, type(None)),
    "note": (str,),
    "hunt": (dict,),
}
_STATUSES = ("holds", "refuted", "vacuous", "inconclusive", "not run")


def _check_row(row: Any, where: str) -> None:
    """A ledger row is an object with a claim id, a known status and fields of their types (one line
    naming the row and the field otherwise: a malformed row is never copied into a rewritten ledger)."""
    if not isinstance(row, dict):
        raise FormatError(where, f"must be a JSON object, got {row!r}"[:200])
    for key in ("id", "status"):
        if key not in row:
            raise FormatError(f"{where}.{key}", "is required but missing")
    for key, kinds in _ROW_FIELDS.items():
        if key in row and (isinstance(row[key], bool) or not isinstance(row[key], kinds)):
            raise FormatError(f"{where}.{key}", f"has the wrong type: {row[key]!r}"[:200])
        if key in row and isinstance(row[key], float) and not math.isfinite(row[key]):
            raise FormatError(f"{where}.{key}", f"must be finite or null, got {row[key]!r}")
        if kinds is _COUNT and key in row and row[key] < 0:
            raise FormatError(f"{where}.{key}", f"must be a count ≥ 0, got {row[key]!r}")
    if row["status"] not in _STATUSES:
        raise FormatError(f"{where}.status", f"must be one of {', '.join(_STATUSES)}, got {row['status']!r}"[:200])
    _check_counts(row.get("coverage", {}), f"{where}.coverage")
    if not isinstance(row.get("uncovered", []), list) or not all(isinstance(x, str) for x in row.get("uncovered", [])):
        raise FormatError(f"{where}.uncovered", "must be a list of sub-class names")
    distribution = row.get("distribution", {})
    if not isinstance(distribution, dict) or not all(
        isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
        for v in distribution.values()
    ):
        raise FormatError(f"{where}.distribution", "must map 'margin' and 'tightness' to lists of numbers")
    hunt = row.get("hunt")
    if hunt is not None:
        for key, kinds in _HUNT_FIELDS.items():
            if key not in hunt:
                raise FormatError(f"{where}.hunt.{key}", "is required but missing")
            if isinstance(hunt[key], bool) or not isinstance(hunt[key], kinds):
                raise FormatError(f"{where}.hunt.{key}", f"has the wrong type: {hunt[key]!r}"[:200])
        for key, kinds in _HUNT_OPTIONAL.items():
            if key in hunt and (isinstance(hunt[key], bool) or not isinstance(hunt[key], kinds)):
                raise FormatError(f"{where}.hunt.{key}", f"has the wrong type: {hunt[key]!r}"[:200])
        _check_counts(hunt["evaluations"], f"{where}.hunt.evaluations")
        if hunt["status"] not in (*_STATUSES, "not found"):
            raise FormatError(f"{where}.hunt.status", f"is not a hunt status: {hunt['status']!r}"[:200])


def _check_counts(counts: Any, where: str) -> None:
    """``counts`` maps names to integers ≥ 0 (a row's coverage, a hunt's evaluations per phase)."""
    if not isinstance(counts, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts.values()
    ):
        raise FormatError(where, "must map each name to a count ≥ 0")


#: the fields of a hunt record (``mpgverify hunt --json``, and a ledger row's ``hunt``)
_HUNT_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "status": (str,),
    "evaluations": (dict,),
    "premises_met": _COUNT,
    "best_margin": _REAL,
    "best_tightness": _REAL,
    "seconds": _REAL,
    "counterexample": (str, type(None)),
}
#: fields a hunt record may lack (older ledgers), typed when present
_HUNT_OPTIONAL: dict[str, tuple[type, ...]] = {
    "informative": _COUNT,
    "undecided": _COUNT,
    "method": (str,),
    "found_in": (str, type(None)),
    "note": (str,),
    "closest": (str, type(None)),
}


def _strength(record: dict[str, Any]) -> tuple[int, int]:
    """How strong a hunt record's evidence is: a refutation first, then the evaluations spent."""
    spent = sum(int(v) for k, v in record.get("evaluations", {}).items() if k != "shrink")
    return (1 if record.get("status") == "refuted" else 0, spent)


def merge_hunts(ledger: dict[str, Any], hunts: Sequence[HuntResult]) -> dict[str, Any]:
    """The ledger with each hunted row's ``hunt`` record set — unless the row already holds stronger
    evidence (a refutation, or a search of more evaluations), which is kept; a row that was not refuted
    becomes ``refuted`` when the hunter confirmed a counterexample to it (rows of claims not in the
    ledger are appended)."""
    rows = {row["id"]: dict(row) for row in ledger["claims"]}
    order = [row["id"] for row in ledger["claims"]]
    for h in hunts:
        row = rows.get(h.id)
        if row is None:
            order.append(h.id)
            row = {"id": h.id, "ref": "", "status": "not run", "examples": 0, "premises_met": 0}
            row |= {"worst_margin": None, "tightness": None, "counterexample": None, "seconds": 0.0, "note": ""}
        record = h.to_json()
        if "hunt" in row and _strength(row["hunt"]) > _strength(record):
            rows[h.id] = row  # a shorter or weaker hunt never replaces stronger evidence
            continue
        row["hunt"] = record
        if h.status == "refuted" and row["status"] != "refuted":
            row |= {"status": "refuted", "worst_margin": h.best_margin, "counterexample": h.counterexample}
            row["note"] = f"refuted by the hunter: {h.note}"
        rows[h.id] = row
    return {**ledger, "claims": [rows[i] for i in order]}


def _num(x: float | None, fmt: str = ".3g") -> str:
    return "—" if x is None else format(x, fmt)


def _reached(r: ClaimResult) -> str:
    """Sub-classes of the premise space reached by premise-meeting examples, ``k/n``."""
    if r.coverage is None or r.status != "holds":
        return "—"
    return f"{sum(v > 0 for v in r.coverage.values())}/{len(r.coverage)}"


def _rows(results: Sequence[ClaimResult]) -> list[list[str]]:
    return [
        [
            r.id,
            r.ref,
            r.status,
            f"{r.premises_met}/{r.examples}",
            "—" if r.informative is None else str(r.informative),
            _reached(r),
            _num(r.worst_margin),
            _num(r.tightness, ".4g"),
            r.counterexample or "",
        ]
        for r in results
    ]


HEADER = [
    "claim",
    "reference",
    "verdict",
    "premises met/examples",
    "informative",
    "sub-classes reached",
    "worst margin",
    "tightness",
    "counterexample",
]


#: the terminal table's columns (of :data:`HEADER`) and their short names: it fits 100 columns
_TERMINAL = {
    "claim": "claim",
    "verdict": "verdict",
    "premises met/examples": "met/drawn",
    "informative": "informative",
    "sub-classes reached": "classes",
    "worst margin": "worst margin",
    "tightness": "tightness",
}


def render_table(results: Sequence[ClaimResult]) -> str:
    """The ledger for a terminal, at most 100 characters wide: the reference and the counterexample
    file (listed below the table) are left to the Markdown ledger."""
    keep = [HEADER.index(name) for name in _TERMINAL]
    rows = [list(_TERMINAL.values()), *([row[k] for k in keep] for row in _rows(results))]
    widths = [max(len(r[c]) for r in rows) for c in range(len(keep))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    files = [f"  {r.id}: {r.counterexample}" for r in results if r.counterexample]
    return "\n".join(lines + (["counterexample files:", *files] if files else []))


def _hunt_section(rows: Sequence[dict[str, Any]]) -> list[str]:
    hunted = [r for r in rows if "hunt" in r]
    if not hunted:
        return []
    out = [
        "",
        "Counterexample hunter (`mpgverify hunt`: generation, local search, shrinking):",
        "",
        "| claim | hunt result | evaluations (generation / local / gradient / shrink) | premises met | best margin | "
        "best tightness | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in hunted:
        h = r["hunt"]
        ev = h["evaluations"]
        out.append(
            f"| {r['id']} | {h['status']} | {ev['generation']} / {ev['local']} / {ev.get('gradient', 0)} / "
            f"{ev['shrink']} | "
            f"{h['premises_met']} | {_num(h['best_margin'])} | {_num(h['best_tightness'], '.4g')} | "
            f"{h['seconds']:.0f} |"
        )
    return out


def render_markdown_json(ledger: dict[str, Any]) -> str:
    """The Markdown ledger of a ``mpgverify.ledger/1`` object, with the hunter's records if any."""
    results = [ClaimResult.from_json(r) for r in ledger["claims"]]
    hunt = _hunt_section(ledger["claims"])
    return render_markdown(results, ledger["budget"], ledger["seed"]) + "".join(line + "\n" for line in hunt)


def render_markdown(results: Sequence[ClaimResult], budget: str, seed_value: int) -> str:
    out = [f"Budget `{budget}`, seed {seed_value}.", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in _rows(results):
        row[-1] = f"`{row[-1]}`" if row[-1] else ""
        out.append("| " + " | ".join(row) + " |")
    notes = [
        f"- `{r.id}`: {r.note}"
        for r in results
        if r.note and (r.status != "holds" or r.uncovered or "weak evidence" in r.note or r.undecided)
    ]
    return "\n".join([*out, *(["", *notes] if notes else [])]) + "\n"


def render_premise_spaces(claims: Sequence[Claim]) -> str:
    """A Markdown table of each claim's premise space and the sub-classes its coverage counts."""
    out = ["| claim | premise space searched | sub-classes counted |", "|---|---|---|"]
    for c in claims:
        classes = (
            "; ".join(f"{a.name}: {' / '.join(a.labels)}" for a in c.coverage.axes) if c.coverage is not None else "—"
        )
        out.append(f"| {c.id} | {c.premise_space or '—'} | {classes} |")
    return "\n".join(out) + "\n"
