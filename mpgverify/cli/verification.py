"""Commands of the verification engine: ``claims``, ``hunt``, ``replay``."""

from __future__ import annotations

import argparse
import math
import sys
import traceback
from pathlib import Path
from typing import Any

from mpgverify.atomic import locked, write_text
from mpgverify.cli.arguments import (
    SEED,
    counterexample_dir,
    counterexamples_option,
    debugging,
    failure_line,
    finite,
    integer,
    one_line,
    parallel_options,
    report_written,
)
from mpgverify.errors import FormatError
from mpgverify.formats import json_text

#: the longest time budget per claim a hunt accepts (a year): beyond it timers overflow, and no run ends
MAX_HUNT_SECONDS = 365 * 24 * 3600.0

__all__ = ["add_claims", "add_explain", "add_hunt", "add_replay", "add_report"]


def _claims(args: argparse.Namespace) -> int:
    from mpgverify.verify.ledger import ledger_json, render_markdown, render_table, run_ledger
    from mpgverify.verify.registry import describe_selection, load_claims, select_claims

    only = [x.strip() for item in args.only for x in item.split(",") if x.strip()] if args.only is not None else None
    if only is not None and not only:
        raise FormatError("--only", "names no claim id (an empty --only would run every claim)")
    claims = select_claims(load_claims(), only, family=args.family)
    if only is not None:
        print(f"mpgverify claims: {describe_selection(claims, only, family=args.family)}", file=sys.stderr)
    finished = run_ledger(
        claims,
        budget=args.budget,
        seed_value=args.seed,
        counterexample_dir=counterexample_dir(args),
        progress=sys.stderr,
        workers=args.workers,
        scheduler=args.scheduler,
    )
    results = finished.done
    print(render_table(results))
    if finished.interrupted:
        print(
            f"mpgverify claims: interrupted: {len(results)} of {len(claims)} claims finished; no ledger file "
            "written (a partial ledger would replace a whole one); confirmed counterexamples are kept",
            file=sys.stderr,
        )
        return 130
    written = []
    if args.json:
        write_text(args.json, json_text(ledger_json(results, args.budget, args.seed)))
        written.append(args.json)
    if args.markdown:
        write_text(args.markdown, render_markdown(results, args.budget, args.seed))
        written.append(args.markdown)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    print(", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    report_written(written + [r.counterexample for r in results if r.wrote])
    return 0


def _hunt(args: argparse.Namespace) -> int:
    from mpgverify.verify.execution import run_hunts
    from mpgverify.verify.ledger import merge_hunts, read_ledger, render_markdown_json
    from mpgverify.verify.registry import describe_selection, load_claims, select_claims

    if not args.all and not args.claims:
        raise FormatError("CLAIM", "name at least one claim id, or pass --all")
    if args.seconds is not None and not (math.isfinite(args.seconds) and 0 < args.seconds <= MAX_HUNT_SECONDS):
        raise FormatError("--seconds", f"must be a number in (0, {MAX_HUNT_SECONDS:.0f}] (a year), got {args.seconds}")
    seconds = 30.0 if args.seconds is None and args.evaluations is None else args.seconds
    if args.ledger:
        read_ledger(args.ledger)  # a malformed ledger is refused before the work, and read again to merge
    only = None if args.all else args.claims
    claims = select_claims(load_claims(), only, family=args.family, field="CLAIM")
    print(f"mpgverify hunt: {describe_selection(claims, only, family=args.family)}", file=sys.stderr)
    finished, fresh = run_hunts(
        claims,
        seconds=seconds,
        evaluations=args.evaluations,
        seed_value=args.seed,
        method=args.method,
        counterexample_dir=counterexample_dir(args),
        progress=sys.stderr,
        workers=args.workers,
        scheduler=args.scheduler,
        closest_dir=Path(args.closest) if args.closest else counterexample_dir(args) / "closest",
        **({} if args.offspring is None else {"offspring": args.offspring}),
    )
    results = [(r, new) for r, new in zip(finished.results, fresh, strict=True) if r is not None]
    for r, _ in results:
        best = "—" if r.best_margin is None else f"{r.best_margin:.3g}"
        tight = "—" if r.best_tightness is None else f"{r.best_tightness:.4g}"
        print(f"{r.id:28s} {r.status:12s} premises met {r.premises_met:6d}  best margin {best:>10s}  tightness {tight}")
        if r.counterexample:
            print(f"  counterexample: {r.counterexample}")
        if r.closest:
            print(f"  closest call: {r.closest} (mpgverify explain reads it)")
    written = [r.counterexample for r, _ in results] + [r.closest for r, _ in results]
    if args.json:
        write_text(args.json, json_text([r.to_json() for r, _ in results]))
        written.append(args.json)
    if args.ledger:
        # under the ledger's lock, merged into what is there now: a concurrent hunt's rows are kept
        with locked(args.ledger):
            merged = merge_hunts(read_ledger(args.ledger), [r for r, _ in results])  # the stronger evidence wins
            write_text(args.ledger, json_text(merged))
            written.append(args.ledger)
            if args.markdown:
                write_text(args.markdown, render_markdown_json(merged))
                written.append(args.markdown)
    report_written(written)
    for cid, error in finished.failed:  # after the others' records are written
        print(f"mpgverify hunt: {cid}: error: {one_line(failure_line(error))}", file=sys.stderr)
        if debugging():
            traceback.print_exception(error, file=sys.stderr)
    if finished.interrupted:
        print(
            f"mpgverify hunt: interrupted: {len(results)} of {len(claims)} hunts finished; their records and "
            "confirmed counterexamples are kept",
            file=sys.stderr,
        )
        return 130
    if finished.failed:
        print(
            f"mpgverify hunt: {len(finished.failed)} of {len(claims)} hunts failed; the other {len(results)} "
            "hunts' records and confirmed counterexamples are kept",
            file=sys.stderr,
        )
        return 2
    return 1 if any(r.status == "refuted" and new for r, new in results) else 0


def _replay(args: argparse.Namespace) -> int:
    from mpgverify.verify.certificate import certify_file
    from mpgverify.verify.registry import load_claims

    cert = certify_file(args.file, load_claims())
    claim, out = cert.claim, cert.outcome
    print(f"{claim.id} ({claim.ref}): {claim.statement}")
    verdict, how, status = cert.decision
    if not out.premises_met:
        print(f"{claim.id}: {verdict} on this example ({how}); nothing to confirm")
    elif verdict == "undecided":
        print(f"{claim.id}: undecided on this example ({how}); nothing to confirm")
    else:
        print(f"{claim.id}: {verdict}: {cert.sides_line()}; {how}")
    return status


def _explain(args: argparse.Namespace) -> int:
    from mpgverify.verify.certificate import certify_file
    from mpgverify.verify.registry import load_claims

    cert = certify_file(args.file, load_claims())
    if args.out is None:
        print({"md": cert.markdown, "tex": cert.latex, "html": cert.html}[args.format](), end="")
    else:
        from mpgverify.verify import plots

        written = cert.write(Path(args.out), formats=(args.format,), stem=Path(args.file).stem)
        if cert.outcome.trace is not None and not plots.available():
            print("mpgverify explain: figures left out: matplotlib is not installed", file=sys.stderr)
        print(cert.summary)
        report_written([str(p) for p in written])
    return 0


def _report(args: argparse.Namespace) -> int:

    from mpgverify.verify import plots
    from mpgverify.verify.ledger import read_ledger
    from mpgverify.verify.ledger_report import write_report
    from mpgverify.verify.registry import load_claims

    ledger = read_ledger(args.ledger)
    written = write_report(ledger, load_claims(), Path(args.out), ledger_path=Path(args.ledger))
    if not plots.available():
        print("mpgverify report: figures left out: matplotlib is not installed", file=sys.stderr)
    print(f"wrote {len(written)} files; open {Path(args.out) / 'index.html'}")
    return 0


def add_report(sub: Any) -> None:
    """The ``report`` subcommand."""
    p = sub.add_parser(
        "report",
        help="a ledger as a self-contained report: Markdown, PNG and HTML pages with certificates",
        description=(
            "Write a report of a mpgverify.ledger/1 file into a folder: a one-screen verdict summary "
            "(index.md, index.html) and, per claim, its statement, verdict, premises met and informative "
            "counts, a coverage picture with the unreached sub-classes marked, a histogram of margins or "
            "tightness, its closest call, and for refuted claims the explain certificate of the counterexample."
        ),
    )
    p.add_argument("ledger", metavar="LEDGER", help="a mpgverify.ledger/1 JSON file")
    p.add_argument("--out", metavar="DIR", required=True, help="the folder to write the report into")
    p.set_defaults(handler=_report)


def add_claims(sub: Any) -> None:
    """The ``claims`` subcommand."""
    p = sub.add_parser(
        "claims",
        help="run the claims ledger (verdict per claim: holds / refuted / vacuous / inconclusive)",
        description=(
            "Search each registered claim for counterexamples with Hypothesis under a budget, print "
            "the ledger (verdict, examples meeting the premises, worst margin, tightness, counterexample "
            "file) and optionally write it as mpgverify.ledger/1 JSON and Markdown. Refutations are "
            "re-checked exactly (or by a margin far above float error) and saved."
        ),
    )
    p.add_argument(
        "--budget",
        choices=["quick", "standard", "thorough"],
        default="quick",
        help="examples per claim: quick 25, standard 200, thorough 1000 (default quick)",
    )
    p.add_argument(
        "--only",
        action="append",
        metavar="IDS",
        help="comma-separated claim ids: a bare id is that claim alone, ID@* the id and its readings ID@…",
    )
    p.add_argument("--family", action="store_true", help="every id given selects its family, as ID@* does")
    p.add_argument(
        "--seed", type=SEED, default=0, help="Hypothesis seed (default 0): same seed and budget, same ledger"
    )
    p.add_argument("--json", metavar="PATH", help="write the mpgverify.ledger/1 JSON here")
    p.add_argument("--markdown", metavar="PATH", help="write the Markdown ledger here")
    counterexamples_option(p, "where refutations are saved")
    parallel_options(p)
    p.set_defaults(handler=_claims)


def add_hunt(sub: Any) -> None:
    """The ``hunt`` subcommand."""
    p = sub.add_parser(
        "hunt",
        help="search claims for counterexamples beyond random draws (exit 1: a new one was confirmed)",
        description=(
            "Hypothesis generation steered by the margin, then local search over the game's numbers, the "
            "policies and the constants with structure-preserving moves, then shrinking. A violation is "
            "re-checked exactly (or by a margin far above float error) and written as "
            "mpgverify.counterexample/1; with --ledger the ledger JSON (and --markdown) is updated."
        ),
    )
    p.add_argument(
        "claims",
        nargs="*",
        metavar="CLAIM",
        help="claim ids: a bare id is that claim alone (thm-3.8), ID@* the id and its readings (thm-3.8@*)",
    )
    p.add_argument("--all", action="store_true", help="every registered claim")
    p.add_argument("--family", action="store_true", help="every CLAIM given selects its family, as ID@* does")
    p.add_argument("--seconds", type=finite, help="time budget per claim (default 30 when --evaluations is not given)")
    p.add_argument("--evaluations", type=integer(1, 10**8), help="budget per claim in evaluations (reproducible)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the generation and the local search (default 0)")
    p.add_argument(
        "--method",
        choices=("hunt", "es", "random"),
        default="hunt",
        help="hunt: local search with gradient moves where a claim offers them (default); es: the (1+1)-ES "
        "alone; random: plain Hypothesis draws (the baselines)",
    )
    p.add_argument(
        "--offspring",
        type=integer(1, 4096),
        help="for a claim with a batched check, the most neighbours per chain per generation, judged as one "
        "population: 16, doubling every 4 generations up to this (default 64, the hunter's OFFSPRING; 1: the "
        "one-at-a-time (1+1)-ES)",
    )
    counterexamples_option(p, "where new confirmed counterexamples are written")
    parallel_options(p)
    p.add_argument(
        "--closest",
        metavar="DIR",
        help="where a hunt that finds no violation saves its closest call as CLAIM.json (a closer one there "
        "is kept; default: the counterexample folder's closest/)",
    )
    p.add_argument("--ledger", metavar="PATH", help="a mpgverify.ledger/1 JSON file to update with the findings")
    p.add_argument("--markdown", metavar="PATH", help="rewrite this Markdown ledger from the updated JSON")
    p.add_argument("--json", metavar="PATH", help="write the hunt results as JSON here")
    p.set_defaults(handler=_hunt)


def add_replay(sub: Any) -> None:
    """The ``replay`` subcommand."""
    p = sub.add_parser(
        "replay",
        help="re-check a counterexample file (exit 1 violation confirmed, 0 the claim holds there)",
        description="Re-check the claim of a mpgverify.counterexample/1 file on its embedded game and witness.",
    )
    p.add_argument("file", metavar="FILE", help="a mpgverify.counterexample/1 JSON file")
    p.set_defaults(handler=_replay)


def add_explain(sub: Any) -> None:
    """The ``explain`` subcommand."""
    p = sub.add_parser(
        "explain",
        help="a certificate of one counterexample or closest call: Markdown, LaTeX or HTML (with figures)",
        description=(
            "Re-check the example of a mpgverify.counterexample/1 file (a counterexample, or a closest call "
            "saved by hunt) and lay it out for a review: the claim and its reference, the game as tables, the "
            "witness, both sides and the margin (rationals beside decimals where the re-check is exact), each "
            "premise established with its value, the dynamics' sequence with a plot, and a one-line summary. "
            "Without --out the certificate is printed; with --out DIR it is written there with its figures."
        ),
    )
    p.add_argument("file", metavar="FILE", help="a mpgverify.counterexample/1 JSON file")
    p.add_argument(
        "--format",
        choices=("md", "tex", "html"),
        default="md",
        help="md (default), tex (a LaTeX fragment: booktabs, graphicx) or html",
    )
    p.add_argument("--out", metavar="DIR", help="write FILE's stem .md/.tex/.html and its figures into this folder")
    p.set_defaults(handler=_explain)
