"""Batched games through the solvers (:mod:`mpgverify.solvers.batched`) against one game at a time, in one
process, one torch thread (the claims' sizes).

    python benchmarks/batched.py [--markdown] [--json PATH] [--rounds 5]

Rows: B random MPGs of 3 agents × (2, 3, 2) actions × 3 states with one random product policy each;
the work is exact evaluation + Nash-gap + social optimum. The ratio is the loop's time ÷ the batch's
(numbers for the README, never asserted in tests).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch

from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.evaluation import evaluate
from mpgverify.solvers.nash import nash_gap
from mpgverify.solvers.welfare import social_optimum
from randomgames.generators import general_mpg_game

ACTIONS = (2, 3, 2)


def _best(fn: Any, rounds: int) -> float:
    fn()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def row(B: int, rounds: int) -> dict[str, Any]:
    games = [general_mpg_game(seed=k, n_agents=3, n_states=3, n_actions=ACTIONS, gamma=0.9) for k in range(B)]
    gen = torch.Generator().manual_seed(0)
    probs = softmax_policy([torch.randn(B, 3, n, generator=gen, dtype=torch.float64) for n in ACTIONS])
    batch = GameBatch.stack(games)

    def batched() -> None:
        evaluate(batch, probs)
        nash_gap(batch, probs)
        social_optimum(batch)

    def loop() -> None:
        for b, game in enumerate(games):
            one = tuple(p[b : b + 1] for p in probs)
            evaluate(game, one)
            nash_gap(game, one)
            social_optimum(game)

    t_batch, t_loop = _best(batched, rounds), _best(loop, rounds)
    return {"B": B, "batched_s": t_batch, "loop_s": t_loop, "ratio": t_loop / t_batch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = [row(B, args.rounds) for B in (1, 8, 64, 512)]
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    if args.markdown:
        print("| games B | batched | one at a time | one at a time ÷ batched |\n|---|---|---|---|")
        for r in rows:
            print(f"| {r['B']} | {r['batched_s'] * 1e3:.2f} ms | {r['loop_s'] * 1e3:.2f} ms | {r['ratio']:.1f}× |")


if __name__ == "__main__":
    main()
