"""Commands that run dynamics: ``run``, ``check-algorithm``, ``figures``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mpgverify.atomic import write_text
from mpgverify.builtin_games import MAX_FACTORED_COORDINATION_N, REPRESENTATIONS
from mpgverify.cli.arguments import (
    MAX_ITERS,
    MAX_SEEDS,
    REPR_HELP,
    SEED,
    finite,
    game_argument,
    integer,
    report_written,
    resolve_game,
    slug,
)
from mpgverify.errors import FormatError
from mpgverify.formats import json_text, policy_to_json

__all__ = ["add_check_algorithm", "add_figures", "add_run"]


def _run(args: argparse.Namespace) -> int:
    from mpgverify.algorithms.api import build_algorithm, get_factory, typed_options
    from mpgverify.experiments.run import run, run_report, summarize, write_curves

    game = resolve_game(args.game, args.representation)
    factory = get_factory(args.algorithm)
    options = typed_options(factory, args.algorithm, args.option)
    if args.lr is not None:
        options["lr"] = args.lr
    algorithm = build_algorithm(factory, args.algorithm, **options)
    result = run(
        algorithm,
        game,
        seeds=args.seeds,
        iters=args.iters,
        seed=args.seed,
        device=args.device,
        progress=True,
        every=args.record_every,
    )
    out_dir = Path(args.out)
    curves = write_curves(result, out_dir / f"{result.algorithm}-{slug(game.name)}-curves.csv")
    policy_path = out_dir / f"{result.algorithm}-{slug(game.name)}-final-policy.json"
    write_text(policy_path, json_text(policy_to_json([p[0] for p in result.final_policy])))
    report = run_report(result, str(curves)) | {"final_policy": {"file": str(policy_path), "seed": result.first_seed}}
    report_path = out_dir / f"{result.algorithm}-{slug(game.name)}-run.json"
    write_text(report_path, json_text(report))
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
        print(f"final policy of seed {result.first_seed} (for evaluate --policy): {policy_path}")
    report_written([str(curves), str(policy_path), str(report_path)])
    return 0


def _check_algorithm(args: argparse.Namespace) -> int:
    from mpgverify.algorithm_check import check_algorithm, game_suite
    from mpgverify.algorithms.api import get_factory, typed_options

    factory = get_factory(args.algorithm)
    options = typed_options(factory, args.algorithm, args.option)
    games = game_suite()(args.games, seed=args.seed, max_actions=args.max_actions)
    report = check_algorithm(
        factory, games, seeds=args.seeds, iters=args.iters, seed=args.seed, progress=sys.stderr, **options
    )
    print(report.render())
    if not report.ok:
        return 1
    if not report.tested:
        print(
            f"mpgverify check-algorithm: nothing checked: {args.algorithm} promises no property on these games "
            "(exit 3; declare one, or choose games and options where it promises one)",
            file=sys.stderr,
        )
        return 3
    return 0


def _figures(args: argparse.Namespace) -> int:
    from mpgverify.experiments.figures import cut_down, write_reproduction
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
        representation=args.representation,
    ).validate()
    rep = reproduce(setup, progress=sys.stderr)
    command = "mpgverify " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["figures"] else "mpgverify figures"
    report = write_reproduction(rep, args.out, command=command)
    print(f"{len(rep.curves)} configurations on {rep.device} in {rep.seconds:.1f} s; written to {args.out}")
    report_written([str(p) for p in sorted(Path(args.out).iterdir()) if p.is_file()])
    caveat = cut_down(rep)
    if caveat:
        print(f"caveat: {caveat}: the verdicts below are not verdicts on the paper's setup")
    for v in report["verdicts"]:
        print(f"{v['id']:15s} {v['verdict']}{' (cut-down run)' if caveat else ''}")
    return 0


def _algorithm_names() -> list[str]:
    from mpgverify.algorithms import registered

    return registered()


def add_run(sub: Any) -> None:
    """The ``run`` subcommand."""
    p = sub.add_parser(
        "run",
        help="run an algorithm on a game over several seeds, recording exact curves",
        description=(
            "Run ALGO for --iters steps on a batch of --seeds runs and record, every --record-every steps, "
            "Phi(mu), each V^i(mu), the Nash-gap and the POA (exact; all seeds' and agents' best responses in one "
            "batched policy iteration, warm-started from the previous record). Prints the final mean ± standard "
            "error and writes the curves (CSV) and a mpgverify.run/1 report under --out. "
            f"Built-in algorithms: {', '.join(_algorithm_names())}; or package.module:factory."
        ),
    )
    p.add_argument("algorithm", metavar="ALGO", help="registered algorithm name or package.module:factory")
    game_argument(p, flag=True)
    p.add_argument(
        "--seeds", type=integer(1, MAX_SEEDS), default=10, help="number of seeds, run as one batch (default 10)"
    )
    p.add_argument(
        "--record-every",
        type=integer(1, MAX_ITERS),
        default=1,
        metavar="K",
        help="record the exact metrics at iterations 0, K, 2K, … and the last (default 1: every iteration)",
    )
    p.add_argument("--iters", type=integer(0, MAX_ITERS), default=400, help="iterations (default 400)")
    p.add_argument("--seed", type=SEED, default=0, help="first seed (default 0)")
    p.add_argument("--lr", type=finite, help="step size (the algorithm's default when omitted)")
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


def add_check_algorithm(sub: Any) -> None:
    """The ``check-algorithm`` subcommand."""
    p = sub.add_parser(
        "check-algorithm",
        help="run the generic properties on a plug-in algorithm (exit 0 all pass, 1 a property failed, "
        "3 nothing checked)",
        description=(
            "Check a registered algorithm or package.module:factory on random MPGs: deterministic "
            "under a seed, and whatever it declares (epsilon-Nash within T steps, monotone potential, "
            "a minimum POA). A plug-in that raises, exits or returns what is not a product policy fails the "
            "property 'runs'. Exit 0: every property checked passed and at least one promise was checked; 1: a "
            "property failed; 2: bad input; 3: nothing but determinism could be checked (the algorithm promised "
            "nothing on these games). Modules in the working directory are found, as with python -m."
        ),
    )
    p.add_argument("algorithm", metavar="ALGO", help="registered algorithm name or package.module:factory")
    p.add_argument("--games", type=integer(1, 10**4), default=6, help="games drawn (default 6)")
    p.add_argument("--seeds", type=integer(1, 10**4), default=2, help="seeds per game (default 2)")
    p.add_argument(
        "--iters", type=integer(1, MAX_ITERS), default=50, help="steps when nothing is declared (default 50)"
    )
    p.add_argument("--seed", type=SEED, default=0, help="seed of the drawn games and of the runs (default 0)")
    p.add_argument(
        "--max-actions",
        type=integer(2, 16),
        default=4,
        help="games cycle through 2..MAX actions per agent (default 4)",
    )
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="factory option, repeatable")
    p.set_defaults(handler=_check_algorithm)


def add_figures(sub: Any) -> None:
    """The ``figures`` subcommand."""
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
        "--n",
        type=integer(1, MAX_FACTORED_COORDINATION_N),
        nargs="+",
        default=[2, 3, 5],
        metavar="N",
        help="agent counts (default 2 3 5; factored past 8)",
    )
    p.add_argument("--iters", type=integer(1, MAX_ITERS), default=400, help="iterations per run (default 400)")
    p.add_argument(
        "--seeds",
        type=integer(1, 10**4),
        nargs="+",
        default=[10, 20],
        metavar="S",
        help="seeds for tabular and NN runs (default 10 20; one value sets both)",
    )
    p.add_argument("--lams", type=finite, nargs="+", default=[0.01, 0.1, 1.0, 10.0, 100.0], help="log-barrier λ grid")
    p.add_argument("--ks", type=integer(1, MAX_ITERS), nargs="+", default=[1, 5, 10, 20, 50], help="NPG-BR K grid")
    p.add_argument(
        "--record-every", type=integer(1, MAX_ITERS), default=5, help="record the exact metrics every k iterations (5)"
    )
    p.add_argument("--seed", type=SEED, default=0, help="base seed (default 0)")
    p.add_argument("--repr", choices=REPRESENTATIONS, default="auto", dest="representation", help=REPR_HELP)
    p.set_defaults(handler=_figures)
