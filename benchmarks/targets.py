"""The speed targets of the README table, each measured as a ratio against the naive reference
(:mod:`benchmarks.naive`) run in the same process, or as an absolute time where none exists.

    python benchmarks/targets.py [--markdown] [--json PATH] [--rounds 3]

Rows (coordination game, PG with η = 0.1, float64, the CPU):

* training alone, N = 5, 10 seeds, 400 iterations: naive ÷ library (target ≥ 20×);
* ``run pg`` N = 5, 10 seeds, 400 iterations, exact Nash-gap + POA recorded every iteration:
  naive *training alone* ÷ the run (target ≥ 2×);
* exact evaluation + Nash-gap + POA of one policy at N = 12, 13, 14 (factored; target ≤ 5 s at 12);
* one 10-seed PG iteration at N = 12, 13, 14 with its peak memory (target ≤ 5 s and ≤ 1 GiB at 12).

Large-N rows run in a fresh process each (peak resident memory is per process); a row whose work
does not fit this machine's memory budget says so instead of a number.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

TARGETS = {"training": 20.0, "run-recording": 2.0, "gap-poa-12": 5.0, "pg-iteration-12": 5.0}


def _best(fn: Any, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def small_n(rounds: int) -> dict[str, Any]:
    """Training and recorded runs at N = 5 against the naive training, all in this process."""
    from benchmarks.naive import naive_training
    from mpgverify import coordination_game
    from mpgverify.algorithms import make_algorithm
    from mpgverify.experiments.run import run

    game = coordination_game(5)
    alg = make_algorithm("pg", lr=0.1)
    start = alg.init(game, seed=0, batch=10)
    theta = [[t[b] for t in start.theta] for b in range(10)]

    def train() -> Any:
        state = start
        for _ in range(400):
            state = alg.step(game, state)
        return state

    naive_out, lib_out = naive_training(game, theta, 0.1, 400), train()
    agree = max(float((naive_out[b][i] - lib_out.theta[i][b]).abs().max()) for b in range(10) for i in range(5))
    naive = _best(lambda: naive_training(game, theta, 0.1, 400), rounds)
    lib = _best(train, 3 * rounds)
    recorded = _best(lambda: run(alg, game, seeds=10, iters=400, every=1), rounds)
    return {
        "naive_training_s": naive,
        "training_s": lib,
        "training_ratio": naive / lib,
        "run_recording_s": recorded,
        "run_recording_ratio": naive / recorded,
        "max_theta_difference": agree,
    }


def _child(op: str, n: int) -> dict[str, float]:
    from mpgverify import evaluate, nash_gap, price_of_anarchy, random_logits, softmax_policy
    from mpgverify.algorithms import make_algorithm
    from mpgverify.builtin_games import factored_coordination_game
    from mpgverify.memory import recording_bytes, require_memory

    game = factored_coordination_game(n)
    require_memory(recording_bytes(game, 10), f"N = {n}")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if op == "gap-poa":
        probs = softmax_policy(random_logits(game, seed=0))
        start = time.perf_counter()
        ev = evaluate(game, probs)
        nash_gap(game, probs, V_mu=ev.V_mu)
        price_of_anarchy(game, probs, V_mu=ev.V_mu)
    else:
        alg = make_algorithm("pg", lr=0.1)
        state = alg.init(game, seed=0, batch=10)
        start = time.perf_counter()
        alg.step(game, state)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_mib": (peak - before) / 1024.0}


def large_n(op: str, n: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", op, str(n)], capture_output=True, text=True)
    if out.returncode != 0:
        return {"skipped": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print the README table")
    parser.add_argument("--json", help="write the measurements here")
    parser.add_argument("--rounds", type=int, default=3, help="repetitions; the best is kept (default 3)")
    parser.add_argument("--n", type=int, nargs="+", default=[12, 13, 14], help="large N (default 12 13 14)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child[0], int(args.child[1]))))
        return 0
    results: dict[str, Any] = {"small_n": small_n(args.rounds)}
    for op in ("gap-poa", "pg-iteration"):
        for n in args.n:
            results[f"{op}-{n}"] = large_n(op, n)
            print(f"{op} N={n}: {results[f'{op}-{n}']}", file=sys.stderr, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    if args.markdown:
        s = results["small_n"]
        print("| work | measured | reference (same process) | target |")
        print("|---|---|---|---|")
        print(
            f"| PG training, N=5, 10 seeds, 400 iterations | {s['training_s']:.3f} s "
            f"| naive {s['naive_training_s']:.2f} s: **{s['training_ratio']:.1f}×** | ≥ 20× |"
        )
        print(
            "| `run pg` N=5, 10 seeds, 400 iterations, exact Nash-gap + POA every iteration "
            f"| {s['run_recording_s']:.3f} s | naive training alone {s['naive_training_s']:.2f} s: "
            f"**{s['run_recording_ratio']:.2f}×** | ≥ 2× |"
        )
        for op, what, target in (
            ("gap-poa", "exact evaluation + Nash-gap + POA, one policy", "≤ 5 s at N = 12"),
            ("pg-iteration", "one PG iteration, 10 seeds", "≤ 5 s, ≤ 1 GiB at N = 12"),
        ):
            for n in args.n:
                r = results[f"{op}-{n}"]
                cell = r["skipped"] if "skipped" in r else f"{r['seconds']:.2f} s, +{r['peak_mib']:.0f} MiB peak"
                print(f"| {what}, N = {n} (factored, {2**n} states) | {cell} | — | {target} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
