"""Draws that run dynamics (issue 24, deliverable 4), measured as ratios in one process.

    python benchmarks/constructions.py [--markdown] [--json PATH] [--draws 200] [--seed 0]

For each :class:`~mpgverify.verify.construction.Construction` (Lemma 3.5's stationary points, Def 4.4's
ε-ratio-Nash policies): ``--draws`` seeds drawn by Hypothesis (mixed shapes, as the runner draws them),
then built one at a time (``construction.one``, what the one-at-a-time strategy does per draw) against
built in blocks of one shape (:func:`~mpgverify.verify.population.build_population`, what the runner's
blocks do). The seeds' own drawing time is reported apart: it is the same either way.

Numbers go to the README, never into tests. One torch thread (:mod:`mpgverify.threads`).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from mpgverify.threads import apply_thread_policy
from mpgverify.verify.construction import Construction
from mpgverify.verify.population import build_population, draw_seeds, shape_of
from properties.section4_draws import RATIO_NASH
from properties.stationary import STATIONARY

CONSTRUCTIONS = {"lemma-3.5 (stationary points of L_λ)": STATIONARY, "def-4.4, thm-4.5 (ε-ratio-Nash)": RATIO_NASH}


def measure(construction: Construction, draws: int, seed_value: int) -> dict[str, Any]:
    start = time.perf_counter()
    seeds = draw_seeds(construction, draws, seed_value)
    drawing = time.perf_counter() - start
    start = time.perf_counter()
    alone = [construction.one(s) for s in seeds]
    one = time.perf_counter() - start
    start = time.perf_counter()
    blocks = build_population(construction, seeds)
    batched = time.perf_counter() - start
    assert [b.witness for b in blocks] == [a.witness for a in alone]
    return {
        "draws": len(seeds),
        "shapes": len({shape_of(s) for s in seeds}),
        "seeds_s": drawing,
        "one_at_a_time_s": one,
        "blocks_s": batched,
        "speedup": one / batched,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    apply_thread_policy()
    rows = {name: measure(c, args.draws, args.seed) for name, c in CONSTRUCTIONS.items()}
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    if not args.markdown:
        print(json.dumps(rows, indent=1))
        return
    print("| draws | seeds drawn | shapes | built one at a time | built in blocks | ratio |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['draws']} in {r['seeds_s']:.2f} s | {r['shapes']} | {r['one_at_a_time_s']:.2f} s "
            f"| {r['blocks_s']:.2f} s | {r['speedup']:.1f}× |"
        )


if __name__ == "__main__":
    main()
