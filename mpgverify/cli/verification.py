"""Commands of the verification engine: ``claims``, ``hunt``, ``replay``."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from mpgverify.atomic import locked, write_text
from mpgverify.cli.arguments import (
    SEED,
    counterexample_dir,
    counterexamples_option,
    finite,
    integer,
    parallel_options,
    report_written,
)
from mpgverify.errors import FormatError
from mpgverify.formats import json_text

#: the longest time budget per claim a hunt accepts (a year): beyond it timers overflow, and no run ends
MAX_HUNT_SECONDS = 365 * 24 * 3600.0

__all__ = ["add_claims", "add_hunt", "add_replay"]


def _claims(args: argparse.Namespace) -> int:
    from mpgverify.verify.ledger import ledger_json, render_markdown, render_table, run_ledger
    from mpgverify.verify.registry import load_claims, select_claims

    only = [x.strip() for item in args.only for x in item.split(",") if x.strip()] if args.only is not None else None
    if only is not None and not only:
        raise FormatError("--only", "names no claim id (an empty --only would run every claim)")
    claims = select_claims(load_claims(), only)
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
    from mpgverify.verify.registry import load_claims, select_claims

    if not args.all and not args.claims:
        raise FormatError("CLAIM", "name at least one claim id, or pass --all")
    if args.seconds is not None and not (math.isfinite(args.seconds) and 0 < args.seconds <= MAX_HUNT_SECONDS):
        raise FormatError("--seconds", f"must be a number in (0, {MAX_HUNT_SECONDS:.0f}] (a year), got {args.seconds}")
    seconds = 30.0 if args.seconds is None and args.evaluations is None else args.seconds
    if args.ledger:
        read_ledger(args.ledger)  # a malformed ledger is refused before the work, and read again to merge
    claims = select_claims(load_claims(), None if args.all else args.claims)
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
    )
    results = [(r, new) for r, new in zip(finished.results, fresh, strict=True) if r is not None]
    for r, _ in results:
        best = "—" if r.best_margin is None else f"{r.best_margin:.3g}"
        tight = "—" if r.best_tightness is None else f"{r.best_tightness:.4g}"
        print(f"{r.id:28s} {r.status:12s} premises met {r.premises_met:6d}  best margin {best:>10s}  tightness {tight}")
        if r.counterexample:
            print(f"  counterexample: {r.counterexample}")
    written = [r.counterexample for r, _ in results]
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
    if finished.interrupted:
        print(
            f"mpgverify hunt: interrupted: {len(results)} of {len(claims)} hunts finished; their records and "
            "confirmed counterexamples are kept",
            file=sys.stderr,
        )
        return 130
    return 1 if any(r.status == "refuted" and new for r, new in results) else 0


def _replay(args: argparse.Namespace) -> int:
    from mpgverify.verify.counterexamples import load_counterexample, replay
    from mpgverify.verify.registry import load_claims
    from mpgverify.verify.runner import judge

    claim_id, example, _ = load_counterexample(args.file)
    by_id = {c.id: c for c in load_claims()}
    if claim_id not in by_id:
        raise FormatError(f"{args.file}: claim", f"unknown claim id {claim_id!r}")
    outcome, exact = replay(by_id[claim_id], example)
    if not outcome.premises_met:
        kind = "undecided" if outcome.undecided else "not met"
        print(f"{claim_id}: premises {kind} on this example ({outcome.note}); nothing to confirm")
        return 0
    if not all(math.isfinite(x) for x in (outcome.observed, outcome.bound, outcome.margin)):
        print(
            f"{claim_id}: undecided on this example (the check's value is not a finite number at this witness: "
            "float64 overflow or 0/0); nothing to confirm"
        )
        return 0
    confirmed, how = judge(outcome, exact)
    confirmed = confirmed and outcome.violated
    verdict = (
        "violation confirmed" if confirmed else "the claim holds here" if not outcome.violated else "not confirmed"
    )
    print(f"{claim_id}: {verdict} (observed {outcome.observed:.6g}, claimed {outcome.bound:.6g}; {how})")
    return 1 if confirmed else 0


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
        "--only", action="append", metavar="IDS", help="comma-separated claim ids (a base id selects its readings)"
    )
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
    p.add_argument("claims", nargs="*", metavar="CLAIM", help="claim ids (a base id selects its readings)")
    p.add_argument("--all", action="store_true", help="every registered claim")
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
    counterexamples_option(p, "where new confirmed counterexamples are written")
    parallel_options(p)
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
