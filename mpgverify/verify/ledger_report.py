"""``mpgverify report``: a self-contained report of a ledger in Markdown, PNG and HTML.

Layout of the output folder (flat, so every link is a file name)::

    index.md / index.html           the verdict summary (fits one screen): the ids per verdict
    claims.md / .html               every row in one table
    claim-ID.md / .html             per claim: statement, verdict, premises met and informative
                                    counts, coverage picture, margin/tightness histogram, closest call
    certificate-ID.md / .html       the explain certificate of a refuted claim's counterexample
    closest-ID.md / .html           the certificate of a hunt's saved closest call
    figures/*.png                   the pictures (with matplotlib; without it the pages say so)

Every page is built once as a :class:`~mpgverify.verify.document.Document` and rendered twice, its
links ending in ``.md`` or ``.html``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mpgverify.atomic import write_text
from mpgverify.errors import MpgverifyError
from mpgverify.verify import plots
from mpgverify.verify.certificate import Certificate, certify_file
from mpgverify.verify.claims import Claim
from mpgverify.verify.document import Document, Figure, Heading, Para, Table, render_html, render_markdown

__all__ = ["STATUS_ORDER", "write_report"]

STATUS_ORDER = ("refuted", "holds", "inconclusive", "vacuous", "not run")
Page = Callable[[str], Document]  # a page, given the link extension ("md" or "html")


def _resolve(path: str | None, ledger_path: Path) -> Path | None:
    """A file a ledger row names: as given (the working folder), else beside the ledger's folder."""
    if not path:
        return None
    for candidate in (Path(path), ledger_path.parent / path, ledger_path.parent.parent / path):
        if candidate.is_file():
            return candidate
    return None


def _num(x: Any, fmt: str = ".3g") -> str:
    return "—" if x is None else format(x, fmt)


def write_report(
    ledger: dict[str, Any], claims: Sequence[Claim], out: Path, *, ledger_path: Path, progress: Any = None
) -> list[Path]:
    """Write the report of ``ledger`` (a validated ``mpgverify.ledger/1`` object) into ``out``; returns
    every file written. ``claims`` supply statements and shipped counterexamples."""
    out.mkdir(parents=True, exist_ok=True)
    figures = plots.available()
    if figures:
        (out / "figures").mkdir(exist_ok=True)
    by_id = {c.id: c for c in claims}
    rows = ledger["claims"]
    written: list[Path] = []
    pages: dict[str, Page] = {}
    for row in rows:
        claim = by_id.get(row["id"])
        certs: dict[str, Certificate] = {}
        for kind, path in (
            ("certificate", _counterexample(row, claim, ledger_path)),
            ("closest", _closest(row, ledger_path)),
        ):
            if path is not None:
                try:
                    certs[kind] = certify_file(path, list(claims))
                except MpgverifyError as e:  # a file that no longer loads is reported, not fatal
                    row = {**row, "note": f"{row.get('note', '')} ({kind} {path} could not be read: {e})"}
        for kind, cert in certs.items():
            written += cert.write(out, formats=("md", "html"), stem=f"{kind}-{row['id']}")
        pics = _claim_figures(row, out, figures)
        written += [out / p for p in pics.values()]
        pages[f"claim-{row['id']}"] = _claim_page(row, claim, certs, pics, figures)
        if progress is not None:
            print(f"report: {row['id']}", file=progress)
    summary = _verdict_figure(rows, out) if figures else None
    if summary is not None:
        written.append(out / summary)
    pages["index"] = _index_page(ledger, summary, figures)
    pages["claims"] = _table_page(ledger)
    for name, page in pages.items():
        written.append(write_text(out / f"{name}.md", render_markdown(page("md"))))
        written.append(write_text(out / f"{name}.html", render_html(page("html"))))
    return written


def _counterexample(row: dict[str, Any], claim: Claim | None, ledger_path: Path) -> Path | None:
    if row["status"] != "refuted":
        return None
    found = _resolve(row.get("counterexample"), ledger_path)
    if found is None and claim is not None and claim.shipped_counterexample is not None:
        found = claim.shipped_counterexample if claim.shipped_counterexample.is_file() else None
    return found


def _closest(row: dict[str, Any], ledger_path: Path) -> Path | None:
    hunt = row.get("hunt") or {}
    return _resolve(hunt.get("closest"), ledger_path) if row["status"] != "refuted" else None


def _claim_figures(row: dict[str, Any], out: Path, figures: bool) -> dict[str, str]:
    """The coverage picture and the margin or tightness histogram of one row (file names under ``out``)."""
    if not figures:
        return {}
    pics: dict[str, str] = {}
    if row.get("coverage"):
        name = f"figures/{row['id']}-coverage.png"
        plots.coverage_figure(row["coverage"], out / name, title=f"{row['id']}: premise-meeting examples per sub-class")
        pics["coverage"] = name
    dist = row.get("distribution") or {}
    tight, margins = dist.get("tightness") or [], dist.get("margin") or []
    if tight or margins:
        name = f"figures/{row['id']}-{'tightness' if tight else 'margin'}.png"
        label = "tightness (observed ÷ bound; 1 = tight)" if tight else "margin (≥ 0: the claim holds)"
        plots.histogram_figure(
            tight or margins, out / name, title=f"{row['id']}: {label}", xlabel=label, mark=1.0 if tight else 0.0
        )
        pics["histogram"] = name
    return pics


def _verdict_figure(rows: Sequence[dict[str, Any]], out: Path) -> str:
    counts = Counter(r["status"] for r in rows)
    name = "figures/verdicts.png"
    plots.coverage_figure(
        {s: counts.get(s, 0) for s in STATUS_ORDER if counts.get(s, 0) or s in ("refuted", "holds")},
        out / name,
        title="claims per verdict",
    )
    return name


def _index_page(ledger: dict[str, Any], summary: str | None, figures: bool) -> Page:
    rows = ledger["claims"]
    counts = Counter(r["status"] for r in rows)

    def page(ext: str) -> Document:
        blocks: list[Any] = [
            Para(
                f"Ledger of {len(rows)} claims, budget {ledger['budget']}, seed {ledger['seed']}: "
                + ", ".join(f"{counts[s]} {s}" for s in STATUS_ORDER if counts.get(s))
                + "."
            )
        ]
        for status in STATUS_ORDER:
            ids = [r["id"] for r in rows if r["status"] == status]
            if ids:
                blocks.append(Para(f"{status} ({len(ids)}):", tuple((i, f"claim-{i}.{ext}") for i in ids)))
        if summary is not None:
            blocks.append(Figure(summary, "claims per verdict"))
        elif not figures:
            blocks.append(Para("Figures left out: matplotlib is not installed (pip install 'mpgverify[plots]')."))
        blocks.append(Para("Every claim in one table:", (("all claims", f"claims.{ext}"),)))
        return Document("mpgverify ledger report", tuple(blocks))

    return page


def _table_page(ledger: dict[str, Any]) -> Page:
    """Every row in one table, each id linked to its page."""

    def page(ext: str) -> Document:
        table = tuple(
            (
                r["id"],
                r["status"],
                f"{r.get('premises_met', 0)}/{r.get('examples', 0)}",
                _num(r.get("informative"), "d"),
                _num(r.get("worst_margin")),
                _num(r.get("tightness"), ".4g"),
            )
            for r in ledger["claims"]
        )
        links = tuple((r["id"], f"claim-{r['id']}.{ext}") for r in ledger["claims"])
        return Document(
            "All claims",
            (
                Para("Back to the summary:", (("summary", f"index.{ext}"),)),
                Table(("claim", "verdict", "met/drawn", "informative", "worst margin", "tightness"), table),
                Para("Claim pages:", links),
            ),
        )

    return page


def _claim_page(
    row: dict[str, Any], claim: Claim | None, certs: dict[str, Certificate], pics: dict[str, str], figures: bool
) -> Page:
    def page(ext: str) -> Document:
        blocks: list[Any] = [Para("Back to the summary:", (("summary", f"index.{ext}"),))]
        if claim is not None:
            blocks.append(Para(f"{claim.ref} — {claim.statement}"))
            if claim.premise_space:
                blocks.append(Para(f"Premise space: {claim.premise_space}."))
        blocks += [
            Heading("Verdict"),
            Para(
                f"{row['status']}: premises met in {row.get('premises_met', 0)} of {row.get('examples', 0)} drawn "
                f"examples, {_num(row.get('informative'), 'd')} informative"
                + (f" ({claim.informative})" if claim is not None else "")
                + f"; worst margin {_num(row.get('worst_margin'))}, tightness {_num(row.get('tightness'), '.4g')}."
            ),
        ]
        if row.get("note"):
            blocks.append(Para(f"Note: {row['note']}"))
        if "certificate" in certs:
            cert = certs["certificate"]
            blocks += [
                Heading("Counterexample"),
                Para(cert.summary, (("certificate", f"certificate-{row['id']}.{ext}"),)),
            ]
        blocks += _coverage_blocks(row, pics, figures)
        if "histogram" in pics:
            blocks += [Heading("Margins"), Figure(pics["histogram"], "over the informative examples of the ledger run")]
        blocks += _closest_blocks(row, certs, ext)
        return Document(f"{row['id']}: {row['status']}", tuple(blocks))

    return page


def _coverage_blocks(row: dict[str, Any], pics: dict[str, str], figures: bool) -> list[Any]:
    coverage = row.get("coverage")
    if not coverage:
        return []
    blocks: list[Any] = [Heading("Coverage")]
    if "coverage" in pics:
        blocks.append(
            Figure(pics["coverage"], "premise-meeting examples per sub-class of the premise space (red: none)")
        )
    elif not figures:
        blocks.append(Para("Figures left out: matplotlib is not installed."))
    unreached = [k for k, v in coverage.items() if v == 0]
    blocks.append(Table(("sub-class", "examples meeting the premises"), tuple(coverage.items())))
    if unreached:
        blocks.append(Para(f"Not reached: {', '.join(unreached)}."))
    return blocks


def _closest_blocks(row: dict[str, Any], certs: dict[str, Certificate], ext: str) -> list[Any]:
    hunt = row.get("hunt")
    blocks: list[Any] = [Heading("Closest call")]
    lines = [f"ledger run: worst margin {_num(row.get('worst_margin'))}, tightness {_num(row.get('tightness'), '.4g')}"]
    if hunt:
        spent = sum(hunt["evaluations"].values())
        lines.append(
            f"hunt ({hunt['status']}, {spent} evaluations, {hunt['seconds']:.0f} s): best margin "
            f"{_num(hunt.get('best_margin'))}, best tightness {_num(hunt.get('best_tightness'), '.4g')}"
        )
    blocks.append(Para("; ".join(lines) + "."))
    if "closest" in certs:
        blocks.append(Para(certs["closest"].summary, (("closest-call certificate", f"closest-{row['id']}.{ext}"),)))
    elif row["status"] != "refuted":
        blocks.append(Para("No closest-call file was saved for this claim."))
    return blocks
