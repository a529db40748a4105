"""Time and peak memory against N on the coordination game, each measurement in a fresh process.

    python benchmarks/scale.py [--n 2 3 ... 12] [--json PATH] [--markdown]

Operations (one policy, softmax of N(0, 1) logits, seed 0):

* ``factored``: evaluation + exact Nash-gap + POA of the factored coordination game (no S×A×S tensor;
  certified GMRES from 1024 states on);
* ``dense``: the same public functions on the dense coordination game (N ≤ 8);
* ``naive``: a reference implementation inside this benchmark — dense tensors, a Python loop over
  agents, one unbatched policy iteration per agent — so every speed-up is a ratio measured in the
  same run (N ≤ 7);
* ``pg-factored`` / ``pg-dense``: one exact PG iteration (10 seeds batched).

Peak memory is the child process's peak resident set (``ru_maxrss``) minus its peak before the
operation (imports and game construction excluded).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

DENSE_MAX, NAIVE_MAX = 8, 7
OPS = ("factored", "dense", "naive", "pg-factored", "pg-dense")


def _child(op: str, n: int) -> dict[str, float]:

    from benchmarks.naive import naive_evaluation
    from mpgverify import coordination_game, evaluate, nash_gap, price_of_anarchy
    from mpgverify.algorithms import make_algorithm
    from mpgverify.builtin_games import factored_coordination_game
    from mpgverify.policy import random_logits, softmax_policy

    factored = op in ("factored", "pg-factored")
    game = factored_coordination_game(n) if factored else coordination_game(n)
    if op.startswith("pg"):
        alg = make_algorithm("pg", lr=0.1)
        state = alg.init(game, seed=0, batch=10)

        def work() -> Any:
            return alg.step(game, state)
    else:
        probs = softmax_policy(random_logits(game, seed=0))
        if op in ("factored", "dense"):  # the same public functions; only the representation differs

            def work() -> Any:
                ev = evaluate(game, probs)
                return nash_gap(game, probs, V_mu=ev.V_mu).gap, price_of_anarchy(game, probs, V_mu=ev.V_mu)
        else:

            def work() -> Any:
                return naive_evaluation(game, list(probs))

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    work()  # warm-up (first linalg call initializes the backend)
    repeats = 1 if n >= 10 else 3
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": min(times), "peak_mib": (peak - before) / 1024.0, "rss_mib": peak / 1024.0}


def measure(op: str, n: int) -> dict[str, float] | None:
    if (op in ("dense", "pg-dense") and n > DENSE_MAX) or (op == "naive" and n > NAIVE_MAX):
        return None
    out = subprocess.run(
        [sys.executable, __file__, "--child", op, str(n)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=list(range(2, 13)))
    parser.add_argument("--ops", nargs="+", default=list(OPS), choices=OPS)
    parser.add_argument("--json", help="write the measurements here")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--child", nargs=2, metavar=("OP", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child[0], int(args.child[1]))))
        return 0
    results: dict[str, dict[str, Any]] = {}
    for n in args.n:
        for op in args.ops:
            r = measure(op, n)
            results.setdefault(str(n), {})[op] = r
            if r is not None:
                print(
                    f"N={n:2d} {op:12s} {r['seconds']:9.4f} s  +{r['peak_mib']:8.1f} MiB", file=sys.stderr, flush=True
                )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    if args.markdown:
        print("| N | S | " + " | ".join(f"{op} time / peak" for op in args.ops) + " | naive ÷ dense |")
        print("|---|---|" + "---|" * (len(args.ops) + 1))
        for n, row in results.items():
            cells = []
            for op in args.ops:
                r = row.get(op)
                cells.append("—" if r is None else f"{r['seconds']:.3g} s / {r['peak_mib']:.0f} MiB")
            ratio = "—"
            if row.get("naive") and row.get("dense"):
                ratio = f"{row['naive']['seconds'] / row['dense']['seconds']:.1f}×"
            print(f"| {n} | {2 ** int(n)} | " + " | ".join(cells) + f" | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
