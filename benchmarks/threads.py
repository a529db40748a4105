"""The thread policy's numbers (:mod:`mpgverify.threads`), measured as ratios in one process.

    python benchmarks/threads.py [--markdown] [--json PATH] [--busy] [--rounds 5]

* per claim check (the committed counterexamples' examples, and ``thm-3.8@step-e2``'s): seconds per
  check with torch's default threads ÷ with one thread;
* exact evaluation + Nash-gap of one policy on the dense coordination game, N = 2..7: the same ratio
  against the work's entries (S·|A|·S), which places :data:`mpgverify.threads.LARGE_ENTRIES`.

``--busy`` keeps one core busy with a spinning process during the measurements (a laptop is never
idle: that is where torch's thread pool costs most). Numbers go to the README, never into tests.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from pathlib import Path
from typing import Any

import torch

from mpgverify.builtin_games import parse_game_spec
from mpgverify.policy import uniform_policy
from mpgverify.solvers.nash import nash_gap
from mpgverify.threads import work_entries
from mpgverify.verify.counterexamples import load_counterexample
from mpgverify.verify.registry import load_claims
from properties import COUNTEREXAMPLES

DEFAULT = torch.get_num_threads()


def _spin() -> None:
    while True:
        pass


def _per_call(fn: Any, rounds: int, threads: int) -> float:
    torch.set_num_threads(threads)
    fn()  # warm
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def claim_rows(rounds: int) -> list[dict[str, Any]]:
    by_id = {c.id: c for c in load_claims()}
    rows = []
    for path in sorted(Path(COUNTEREXAMPLES).glob("*.json")):
        claim_id, ex, _ = load_counterexample(path)
        claim = by_id[claim_id]

        def check(claim: Any = claim, ex: Any = ex) -> None:
            claim.check(ex.game, ex.witness)

        one, many = _per_call(check, rounds, 1), _per_call(check, rounds, DEFAULT)
        rows.append({"row": claim_id, "one_thread_s": one, "default_s": many, "ratio": many / one})
    return rows


def size_rows(rounds: int) -> list[dict[str, Any]]:
    rows = []
    for n in range(2, 8):
        game = parse_game_spec(f"coordination:n={n}", representation="dense")
        probs = uniform_policy(game)

        def solve(game: Any = game, probs: Any = probs) -> None:
            nash_gap(game, probs)

        one, many = _per_call(solve, rounds, 1), _per_call(solve, rounds, DEFAULT)
        rows.append(
            {
                "row": f"coordination:n={n}",
                "entries": work_entries(game),
                "one_thread_s": one,
                "default_s": many,
                "ratio": many / one,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--busy", action="store_true", help="keep one core busy while measuring")
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    spinner = multiprocessing.Process(target=_spin, daemon=True) if args.busy else None
    if spinner is not None:
        spinner.start()
    try:
        result = {
            "default_threads": DEFAULT,
            "busy": args.busy,
            "claims": claim_rows(args.rounds),
            "sizes": size_rows(args.rounds),
        }
    finally:
        if spinner is not None:
            spinner.terminate()
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    if args.markdown:
        print(f"torch default threads: {DEFAULT}; other core busy: {args.busy}\n")
        print("| work | entries | 1 thread | default | default ÷ 1 thread |\n|---|---|---|---|---|")
        for row in result["claims"] + result["sizes"]:
            print(
                f"| {row['row']} | {row.get('entries', '—')} | {row['one_thread_s'] * 1e3:.2f} ms | "
                f"{row['default_s'] * 1e3:.2f} ms | {row['ratio']:.1f}× |"
            )


if __name__ == "__main__":
    main()
