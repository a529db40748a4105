"""``mpgverify``: a thin command line over the library.

Every command reads games as ``mpgverify.game/1`` files or built-in specs (``coordination:n=5``),
prints a table or JSON, and on bad input prints one ``mpgverify: error: …`` line and exits 2.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from mpgverify import __version__
from mpgverify.constants import mismatch_coefficient, potential_range
from mpgverify.errors import FormatError, MpgverifyError
from mpgverify.formats import json_text, load_game, load_policy, save_game
from mpgverify.game import MarkovGame
from mpgverify.games import BUILTIN_GAMES, parse_game_spec
from mpgverify.policy import Policy, random_logits, softmax_policy, uniform_policy
from mpgverify.report import evaluation_report, render_evaluation

__all__ = ["build_parser", "main", "resolve_game", "resolve_policy"]

GAME_HELP = (
    "a mpgverify.game/1 JSON file, or a built-in game spec NAME[:key=value,...]; built-ins: "
    "coordination (options n, gamma, eps; e.g. coordination:n=5,gamma=0.9)"
)
POLICY_HELP = "a mpgverify.policy/1 JSON file, 'uniform', or 'random:SEED' (softmax of N(0,1) logits)"


def resolve_game(text: str) -> MarkovGame:
    """A game from a file path or a built-in spec."""
    name = text.partition(":")[0]
    if name in BUILTIN_GAMES and not Path(text).exists():
        return parse_game_spec(text)
    if not Path(text).exists():
        raise FormatError("GAME", f"{text!r} is neither a file nor a built-in game ({', '.join(BUILTIN_GAMES)})")
    return load_game(text)


def resolve_policy(text: str, game: MarkovGame) -> Policy:
    """A product policy from a file path, ``uniform`` or ``random:SEED``."""
    if text == "uniform":
        return uniform_policy(game)
    if text.startswith("random:"):
        seed = text.partition(":")[2]
        if not seed.isdigit() or int(seed) >= 2**63:
            raise FormatError("--policy", f"random:SEED needs an integer seed in [0, 2^63), got {seed!r}")
        return softmax_policy(random_logits(game, seed=int(seed)))
    if not Path(text).exists():
        raise FormatError("--policy", f"{text!r} is neither a file nor 'uniform' nor 'random:SEED'")
    return load_policy(text, game)


def _evaluate(args: argparse.Namespace) -> int:
    game = resolve_game(args.game)
    report = evaluation_report(game, resolve_policy(args.policy, game))
    print(json_text(report) if args.json else render_evaluation(report), end="" if args.json else "\n")
    return 0


def _export(args: argparse.Namespace) -> int:
    game = resolve_game(args.game)
    save_game(game, args.out)
    print(f"wrote {args.out} ({game!r})")
    return 0


def _constants(args: argparse.Namespace) -> int:
    game = resolve_game(args.game)
    out: dict[str, object] = {"game": game.name}
    if game.phi is not None:
        low, high = potential_range(game)
        out.update(phi_min=low, phi_max=high)
    else:
        out.update(phi_min=None, phi_max=None)
    mm = mismatch_coefficient(game)
    out.update(M=mm.M, M_state=mm.state)
    if args.json:
        print(json_text(out), end="")
    else:
        for k, v in out.items():
            print(f"{k:<8} {v}")
    return 0


def _check_mpg(args: argparse.Namespace) -> int:
    from mpgverify.mpg_check import check_mpg

    if args.policies < 0:
        raise FormatError("--policies", f"must be ≥ 0, got {args.policies}")
    game = resolve_game(args.game)
    result = check_mpg(game, n_policies=args.policies, seed=args.seed)
    summary: dict[str, object] = {
        "game": game.name,
        "verdict": "MPG" if result.is_mpg else "not an MPG",
        "basis": result.basis,
        "worst_residual": result.worst_residual,
        "pair_states_checked": result.pairs,
        "stated_potential_ok": result.stated_potential_ok,
    }
    if result.is_mpg and result.potential is not None and args.potential_out:
        save_game(game.replace(potential=result.potential), args.potential_out)
        summary["potential_file"] = args.potential_out
    if result.certificate is not None:
        if args.certificate:
            Path(args.certificate).write_text(json_text(result.certificate))
            summary["certificate_file"] = args.certificate
        else:
            summary["certificate"] = result.certificate
    if args.json:
        print(json_text(summary), end="")
    else:
        print(
            f"{summary['verdict']} ({result.basis}); worst residual {result.worst_residual:.3g} "
            f"over {result.pairs} policy-pair states"
        )
        if result.stated_potential_ok is False:
            print("note: the stated potential violates Def 2.2")
        if "potential_file" in summary:
            print(f"wrote the game with its potential to {summary['potential_file']}")
        if result.certificate is not None:
            where = summary.get("certificate_file")
            print(f"certificate: {where}" if where else json_text(result.certificate).rstrip())
    return 0 if result.is_mpg else 1


def _parse_options(pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in pairs:
        key, eq, text = item.partition("=")
        if not eq or not key:
            raise FormatError("--option", f"must read key=value, got {item!r}")
        value: object = text
        for kind in (int, float):
            try:
                value = kind(text)
                break
            except ValueError:
                continue
        if text in ("true", "false"):
            value = text == "true"
        if isinstance(value, float) and not math.isfinite(value):
            raise FormatError(f"--option {key}", f"must be a finite number, got {text!r}")
        out[key.replace("-", "_")] = value
    return out


def _run(args: argparse.Namespace) -> int:
    from mpgverify.algorithms import make_algorithm
    from mpgverify.experiments.run import run, run_report, summarize, write_curves

    game = resolve_game(args.game)
    options = _parse_options(args.option)
    if args.lr is not None:
        options["lr"] = args.lr
    algorithm = make_algorithm(args.algorithm, **options)
    result = run(algorithm, game, seeds=args.seeds, iters=args.iters, seed=args.seed, device=args.device, progress=True)
    out_dir = Path(args.out)
    curves = write_curves(result, out_dir / f"{result.algorithm}-{_slug(game.name)}-curves.csv")
    report = run_report(result, str(curves))
    report_path = out_dir / f"{result.algorithm}-{_slug(game.name)}-run.json"
    report_path.write_text(json_text(report))
    if args.json:
        print(json_text(report), end="")
    else:
        f = summarize(result)
        print(
            f"{result.algorithm} on {result.game}: {result.seeds} seeds × {result.iters} iterations "
            f"on {result.device} in {result.seconds:.2f} s"
        )
        print(f"final POA       {f['poa_mean']:.4f} ± {f['poa_se']:.4f} (standard error)")
        print(f"final Nash-gap  {f['nash_gap_mean']:.4g} ± {f['nash_gap_se']:.2g}")
    _report_written([str(curves), str(report_path)])
    return 0


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def _check_algorithm(args: argparse.Namespace) -> int:
    from mpgverify.algorithms import get_factory
    from mpgverify.testing import check_algorithm, game_suite

    games = game_suite()(args.games, seed=args.seed, max_actions=args.max_actions)
    report = check_algorithm(
        get_factory(args.algorithm),
        games,
        seeds=args.seeds,
        iters=args.iters,
        seed=args.seed,
        **_parse_options(args.option),
    )
    print(report.render())
    return 0 if report.ok else 1


def _counterexamples_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--counterexamples",
        metavar="DIR",
        help=f"{what}, and looked up before the claims' shipped ones (default: $MPGVERIFY_HOME/counterexamples, "
        "else ~/.local/share/mpgverify/counterexamples; shipped counterexamples are replayed from the "
        "installed package whatever the working directory)",
    )


def _parallel_options(p: argparse.ArgumentParser) -> None:
    from mpgverify.verify.execution import default_workers

    cores = default_workers()
    p.add_argument(
        "--workers",
        type=_integer(1, 1024),
        default=cores,
        help=f"local processes, one claim each (default: the cores, here {cores}); same seed and budget, same "
        "results whatever the number",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a Dask distributed scheduler (tcp://host:8786) to run the claims on instead "
        "(pip install 'mpgverify[cluster]')",
    )


def _counterexample_dir(args: argparse.Namespace) -> Path:
    from mpgverify.verify.counterexamples import user_counterexample_dir

    return Path(args.counterexamples) if args.counterexamples else user_counterexample_dir()


#: the largest counts the commands accept: beyond them a run would not end in any sensible time
MAX_ITERS = 10**6
MAX_SEEDS = 10**6
MAX_SEED = 2**62  # seeds + batch offsets stay inside torch's 64-bit generator


def _integer(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer in [{low}, {high}], got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be an integer in [{low}, {high}], got {text!r}")
        return value

    return parse


def _finite(text: str) -> float:
    """An argparse type: a finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


SEED = _integer(0, MAX_SEED)


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``PROG: error: …`` line and exit 2 (``--help`` shows the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _OneLineParser(
        prog="mpgverify",
        description=(
            "Exact verification of the claims of 'Convergence and Price of Anarchy Guarantees "
            "of the Softmax Policy Gradient in Markov Potential Games'. Bad input exits with "
            "status 2 and one error line."
        ),
    )
    parser.add_argument("--version", action="version", version=f"mpgverify {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "evaluate",
        help="exact values, Φ, Nash-gap, social optimum and POA of a policy",
        description=(
            "Evaluate a product policy exactly: each agent's V^i(mu), the total potential "
            "Phi(mu) when the game states one, the Nash-gap (Def 2.4) with every agent's "
            "best-response gain, the social optimum and the POA (Def 4.1)."
        ),
    )
    p.add_argument("game", metavar="GAME", help=GAME_HELP)
    p.add_argument("--policy", required=True, metavar="POLICY", help=POLICY_HELP)
    p.add_argument("--json", action="store_true", help="print a mpgverify.evaluation/1 object")
    p.set_defaults(handler=_evaluate)

    p = sub.add_parser(
        "export",
        help="write any game (built-ins included) as mpgverify.game/1",
        description="Write GAME as a mpgverify.game/1 JSON file (floats exact under repr).",
    )
    p.add_argument("game", metavar="GAME", help=GAME_HELP)
    p.add_argument("--out", required=True, metavar="FILE", help="path of the JSON file to write")
    p.set_defaults(handler=_export)

    p = sub.add_parser(
        "constants",
        help="Φ_max, Φ_min and the mismatch coefficient M of a game",
        description=(
            "Print Phi_min/Phi_max (Assumption 2.3; exact MDP optima with reward ±phi) and "
            "M = max_{pi,pi'} ||d^pi_mu / d^pi'_mu||_inf (Lemma 3.5; exact). Fails with status 2 "
            "when Assumption 2.1 does not hold."
        ),
    )
    p.add_argument("game", metavar="GAME", help=GAME_HELP)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_constants)

    p = sub.add_parser(
        "check-mpg",
        help="decide on evidence whether a game is an MPG (exit 0 MPG, 1 not an MPG)",
        description=(
            "Check Def 2.2 on many policy pairs: with a stated potential, directly; otherwise "
            "search 4-cycles of unilateral deviations (a nonzero cycle sum, re-checked in exact "
            "rational arithmetic, proves no potential exists) and fit phi by least squares. "
            "Exit 0 for 'MPG', 1 for 'not an MPG' (with a certificate), 2 for bad input."
        ),
    )
    p.add_argument("game", metavar="GAME", help=GAME_HELP)
    p.add_argument(
        "--policies",
        type=_integer(0, MAX_SEEDS),
        default=48,
        metavar="K",
        help="random mixed policies sampled (default 48)",
    )
    p.add_argument("--seed", type=SEED, default=0, help="seed of the policy sample (default 0)")
    p.add_argument("--certificate", metavar="FILE", help="write the non-MPG certificate here instead of printing it")
    p.add_argument("--potential-out", metavar="FILE", help="write the game with its (fitted) potential here")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_check_mpg)

    p = sub.add_parser(
        "run",
        help="run an algorithm on a game over several seeds, recording exact curves",
        description=(
            "Run ALGO for --iters steps on a batch of --seeds runs and record, every step, Phi(mu), "
            "each V^i(mu), the Nash-gap and the POA (exact). Prints the final mean ± standard "
            "error and writes the curves (CSV) and a mpgverify.run/1 report under --out. "
            f"Built-in algorithms: {', '.join(_algorithm_names())}; or package.module:factory."
        ),
    )
    p.add_argument("algorithm", metavar="ALGO", help="registered algorithm name or package.module:factory")
    p.add_argument("--game", required=True, metavar="GAME", help=GAME_HELP)
    p.add_argument(
        "--seeds", type=_integer(1, MAX_SEEDS), default=10, help="number of seeds, run as one batch (default 10)"
    )
    p.add_argument("--iters", type=_integer(0, MAX_ITERS), default=400, help="iterations (default 400)")
    p.add_argument("--seed", type=SEED, default=0, help="first seed (default 0)")
    p.add_argument("--lr", type=_finite, help="step size (the algorithm's default when omitted)")
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="algorithm option, repeatable (e.g. --option lam=0.1 --option K=5)",
    )
    p.add_argument("--device", default="cpu", help="auto, cpu or cuda (default cpu)")
    p.add_argument("--out", default="runs", metavar="DIR", help="folder for curves and report (default runs/)")
    p.add_argument("--json", action="store_true", help="print the mpgverify.run/1 report")
    p.set_defaults(handler=_run)

    p = sub.add_parser(
        "check-algorithm",
        help="run the generic properties on a plug-in algorithm (exit 0 all pass, 1 otherwise)",
        description=(
            "Check a registered algorithm or package.module:factory on random MPGs: deterministic "
            "under a seed, and whatever it declares (epsilon-Nash within T steps, monotone potential, "
            "a minimum POA)."
        ),
    )
    p.add_argument("algorithm", metavar="ALGO", help="registered algorithm name or package.module:factory")
    p.add_argument("--games", type=_integer(1, 10**4), default=6, help="games drawn (default 6)")
    p.add_argument("--seeds", type=_integer(1, 10**4), default=2, help="seeds per game (default 2)")
    p.add_argument(
        "--iters", type=_integer(1, MAX_ITERS), default=50, help="steps when nothing is declared (default 50)"
    )
    p.add_argument("--seed", type=SEED, default=0, help="seed of the drawn games and of the runs (default 0)")
    p.add_argument(
        "--max-actions",
        type=_integer(2, 16),
        default=4,
        help="games cycle through 2..MAX actions per agent (default 4)",
    )
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="factory option, repeatable")
    p.set_defaults(handler=_check_algorithm)

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
    _counterexamples_option(p, "where refutations are saved")
    _parallel_options(p)
    p.set_defaults(handler=_claims)

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
    p.add_argument("--seconds", type=_finite, help="time budget per claim (default 30 when --evaluations is not given)")
    p.add_argument("--evaluations", type=_integer(1, 10**8), help="budget per claim in evaluations (reproducible)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the generation and the local search (default 0)")
    p.add_argument(
        "--method",
        choices=("hunt", "es", "random"),
        default="hunt",
        help="hunt: local search with gradient moves where a claim offers them (default); es: the (1+1)-ES "
        "alone; random: plain Hypothesis draws (the baselines)",
    )
    _counterexamples_option(p, "where new confirmed counterexamples are written")
    _parallel_options(p)
    p.add_argument("--ledger", metavar="PATH", help="a mpgverify.ledger/1 JSON file to update with the findings")
    p.add_argument("--markdown", metavar="PATH", help="rewrite this Markdown ledger from the updated JSON")
    p.add_argument("--json", metavar="PATH", help="write the hunt results as JSON here")
    p.set_defaults(handler=_hunt)

    p = sub.add_parser(
        "figures",
        help="reproduce Figures 1, 2, 4 and the K sweep of Section 5, with a reproduction report",
        description=(
            "Run the paper's reference configurations on the coordination game (tabular PG, NPG, NPG-BR with "
            "and without the log barrier over the lambda grid, the K grid, NN-PG and NN-Adam and their "
            "log-barrier variants), evaluate POA and Nash-gap exactly, and write fig1/fig2/fig4/fig_k as PNG "
            "and PDF, curves.csv/json, and report.md/json judging each exp-* claim."
        ),
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda (default auto)")
    p.add_argument(
        "--n", type=_integer(1, 64), nargs="+", default=[2, 3, 5], metavar="N", help="agent counts (default 2 3 5)"
    )
    p.add_argument("--iters", type=_integer(1, MAX_ITERS), default=400, help="iterations per run (default 400)")
    p.add_argument(
        "--seeds",
        type=_integer(1, 10**4),
        nargs="+",
        default=[10, 20],
        metavar="S",
        help="seeds for tabular and NN runs (default 10 20; one value sets both)",
    )
    p.add_argument("--lams", type=_finite, nargs="+", default=[0.01, 0.1, 1.0, 10.0, 100.0], help="log-barrier λ grid")
    p.add_argument("--ks", type=_integer(1, MAX_ITERS), nargs="+", default=[1, 5, 10, 20, 50], help="NPG-BR K grid")
    p.add_argument(
        "--record-every", type=_integer(1, MAX_ITERS), default=5, help="record the exact metrics every k iterations (5)"
    )
    p.add_argument("--seed", type=SEED, default=0, help="base seed (default 0)")
    p.set_defaults(handler=_figures)

    p = sub.add_parser(
        "replay",
        help="re-check a counterexample file (exit 1 violation confirmed, 0 the claim holds there)",
        description="Re-check the claim of a mpgverify.counterexample/1 file on its embedded game and witness.",
    )
    p.add_argument("file", metavar="FILE", help="a mpgverify.counterexample/1 JSON file")
    p.set_defaults(handler=_replay)
    return parser


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
        counterexample_dir=_counterexample_dir(args),
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
        Path(args.json).write_text(json_text(ledger_json(results, args.budget, args.seed)))
        written.append(args.json)
    if args.markdown:
        Path(args.markdown).write_text(render_markdown(results, args.budget, args.seed))
        written.append(args.markdown)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    print(", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    _report_written(written + [r.counterexample for r in results if r.wrote])
    return 0


def _report_written(paths: Sequence[str | None]) -> None:
    for path in dict.fromkeys(p for p in paths if p):
        print(f"wrote {path}", file=sys.stderr)


def _hunt(args: argparse.Namespace) -> int:
    from mpgverify.verify.execution import run_hunts
    from mpgverify.verify.ledger import merge_hunts, read_ledger, render_markdown_json
    from mpgverify.verify.registry import load_claims, select_claims

    if not args.all and not args.claims:
        raise FormatError("CLAIM", "name at least one claim id, or pass --all")
    if args.seconds is not None and not (math.isfinite(args.seconds) and args.seconds > 0):
        raise FormatError("--seconds", f"must be a finite number > 0, got {args.seconds}")
    if args.evaluations is not None and args.evaluations < 1:
        raise FormatError("--evaluations", f"must be ≥ 1, got {args.evaluations}")
    seconds = 30.0 if args.seconds is None and args.evaluations is None else args.seconds
    ledger = read_ledger(args.ledger) if args.ledger else None
    claims = select_claims(load_claims(), None if args.all else args.claims)
    finished, fresh = run_hunts(
        claims,
        seconds=seconds,
        evaluations=args.evaluations,
        seed_value=args.seed,
        method=args.method,
        counterexample_dir=_counterexample_dir(args),
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
        Path(args.json).write_text(json_text([r.to_json() for r, _ in results]))
        written.append(args.json)
    if ledger is not None:
        merged = merge_hunts(ledger, [r for r, _ in results])  # keeps the stronger evidence of each row
        Path(args.ledger).write_text(json_text(merged))
        written.append(args.ledger)
        if args.markdown:
            Path(args.markdown).write_text(render_markdown_json(merged))
            written.append(args.markdown)
    _report_written(written)
    if finished.interrupted:
        print(
            f"mpgverify hunt: interrupted: {len(results)} of {len(claims)} hunts finished; their records and "
            "confirmed counterexamples are kept",
            file=sys.stderr,
        )
        return 130
    return 1 if any(r.status == "refuted" and new for r, new in results) else 0


def _figures(args: argparse.Namespace) -> int:
    from mpgverify.experiments.figures import write_reproduction
    from mpgverify.experiments.reproduction import Setup, reproduce

    if not 1 <= len(args.seeds) <= 2:
        raise FormatError("--seeds", f"give one or two counts, got {args.seeds}")
    try:  # the plots need the optional extra: say so before minutes of runs, not after
        import matplotlib  # noqa: F401
    except ImportError:
        raise FormatError("figures", "needs matplotlib: pip install 'mpgverify[plots]'") from None
    setup = Setup(
        ns=tuple(args.n),
        iters=args.iters,
        tabular_seeds=args.seeds[0],
        nn_seeds=args.seeds[-1],
        lams=tuple(args.lams),
        ks=tuple(args.ks),
        record_every=args.record_every,
        seed=args.seed,
        device=args.device,
    ).validate()
    rep = reproduce(setup, progress=sys.stderr)
    command = "mpgverify " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["figures"] else "mpgverify figures"
    report = write_reproduction(rep, args.out, command=command)
    print(f"{len(rep.curves)} configurations on {rep.device} in {rep.seconds:.1f} s; written to {args.out}")
    _report_written([str(p) for p in sorted(Path(args.out).iterdir()) if p.is_file()])
    for v in report["verdicts"]:
        print(f"{v['id']:15s} {v['verdict']}")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from mpgverify.verify.counterexamples import load_counterexample, replay
    from mpgverify.verify.registry import load_claims

    claim_id, example, _ = load_counterexample(args.file)
    by_id = {c.id: c for c in load_claims()}
    if claim_id not in by_id:
        raise FormatError(f"{args.file}: claim", f"unknown claim id {claim_id!r}")
    outcome, exact = replay(by_id[claim_id], example)
    if not outcome.premises_met:
        print(f"{claim_id}: premises not met on this example ({outcome.note}); nothing to confirm")
        return 0
    confirmed = outcome.violated and (exact is None or exact.exact.startswith("-"))
    how = (
        f"exact margin {exact.exact}"
        if exact is not None
        else f"margin {outcome.margin:.6g} (tolerance {outcome.tol:.2g})"
    )
    print(
        f"{claim_id}: {'violation confirmed' if confirmed else 'the claim holds here'} "
        f"(observed {outcome.observed:.6g}, claimed {outcome.bound:.6g}; {how})"
    )
    return 1 if confirmed else 0


def _algorithm_names() -> list[str]:
    from mpgverify.algorithms import registered

    return registered()


#: per command, the output arguments and whether each names a file or a folder (checked before any work)
_OUTPUTS: dict[str, dict[str, str]] = {
    "export": {"out": "file"},
    "run": {"out": "folder"},
    "figures": {"out": "folder"},
    "check-mpg": {"potential_out": "file", "certificate": "file"},
    "claims": {"json": "file", "markdown": "file"},
    "hunt": {"json": "file", "ledger": "file", "markdown": "file"},
}


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output path that cannot be written as the kind it must be."""
    for name, kind in _OUTPUTS.get(args.command, {}).items():
        value = getattr(args, name, None)
        if not isinstance(value, str):
            continue
        path, flag = Path(value), f"--{name.replace('_', '-')}"
        if kind == "file" and path.is_dir():
            raise FormatError(flag, f"{value!r} is a folder; a file path is needed")
        if kind == "file" and not path.parent.is_dir():
            raise FormatError(flag, f"{value!r}: its folder {str(path.parent)!r} does not exist")
        if kind == "folder" and path.exists() and not path.is_dir():
            raise FormatError(flag, f"{value!r} is a file; a folder is needed")


_LINE_BREAKS = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # every break str.splitlines knows


def _one_line(message: str) -> str:
    """A message on one line (user text may hold line breaks)."""
    return _LINE_BREAKS.sub(lambda m: repr(m.group())[1:-1], message)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mpgverify`` console script; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # usage errors (one line, status 2) and --help/--version (status 0)
        return stop.code if isinstance(stop.code, int) else 2
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        _check_outputs(args)
        return handler(args)
    except MpgverifyError as e:
        print(f"mpgverify {args.command}: error: {_one_line(str(e))}", file=sys.stderr)
        return 2
