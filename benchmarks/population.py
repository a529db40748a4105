"""Batched checks against one at a time (issue 24), measured as ratios in one process.

    python benchmarks/population.py [--markdown] [--json PATH] [--size 32] [--seconds 20] [--seeds 3] [--only ID …]
                                    [--no-hunts]

For every claim with a batched check (:attr:`mpgverify.verify.claims.Claim.batch`):

* **examples per second**, one at a time (``claim.check``) against batched
  (:func:`mpgverify.verify.population.evaluate_population`), on two populations of ``--size``:
  a hunter's (the costliest of 12 drawn examples and its neighbours: one shape) and a runner's
  (Hypothesis draws: mixed shapes), each side cold on its own copy (:func:`_cold`, :func:`_fresh`);
* **hunt evaluations per second**: a ``--seconds`` hunt with the (1+1)-ES (``offspring=1``, the hunt as
  it was) against the (1+λ)-ES over populations (``offspring=``:data:`~mpgverify.verify.hunter.OFFSPRING`);
* **planted-violation find rate** at equal wall time: the claim's first mutant, ``--seeds`` hunts of
  ``--seconds`` each, found how often and how fast, before and after.

Numbers go to the README, never into tests. One torch thread (:mod:`mpgverify.threads`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mpgverify.errors import MpgverifyError
from mpgverify.formats import game_from_json, game_to_json
from mpgverify.verify.claims import Claim, Example
from mpgverify.verify.hunter import OFFSPRING, hunt
from mpgverify.verify.population import draw_examples, evaluate_population
from mpgverify.verify.registry import load_claims


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _one_at_a_time(claim: Claim, population: list[Example]) -> None:
    for ex in population:
        try:
            claim.check(ex.game, ex.witness)
        except (MpgverifyError, ValueError, RuntimeError, IndexError):
            pass


def _family(claim: Claim, size: int) -> list[Example]:
    """The costliest of 6 draws whose premises hold, and ``size − 1`` of its neighbours."""
    drawn = [ex for ex in draw_examples(claim, 12, 0) if claim.premises(ex.game, ex.witness)][:6]
    parent = max(drawn, key=lambda ex: _timed(lambda: claim.check(ex.game, ex.witness)))
    rng = np.random.default_rng(0)
    kids = [parent]
    while len(kids) < size:
        try:
            kids.append(claim.moves.neighbour(parent, rng, 0.1))  # type: ignore[union-attr]
        except (MpgverifyError, ValueError):
            continue
    return kids


def _fresh(population: list[Example]) -> list[Example]:
    """The same examples on new game objects (read back from their JSON, exactly): nothing kept per game
    object by an earlier evaluation carries over."""
    return [Example(game_from_json(game_to_json(ex.game)), dict(ex.witness)) for ex in population]


#: the packages whose kept results (``cache_clear``: per game, per content, per stage) :func:`_cold` forgets
_PACKAGES = ("mpgverify.solvers", "mpgverify.algorithms", "properties", "randomgames.perturb")


def _cold() -> None:
    """Forget every result kept by the solvers and the claims' gates (agent-term bases, exact stage
    pieces, D = (I − γQ)⁻¹, M, Φ's range, …), so that the side timed next starts as a fresh process."""
    for name, module in list(sys.modules.items()):
        if name.startswith(_PACKAGES):
            for value in list(vars(module).values()):
                clear = getattr(value, "cache_clear", None)
                if callable(clear) and not isinstance(value, type):
                    clear()


def throughput(claim: Claim, size: int) -> dict[str, Any]:
    """Examples per second one at a time and batched, each side cold (:func:`_cold`) on its own copy of
    the population (:func:`_fresh`): neither finds what the other computed."""
    row: dict[str, Any] = {"id": claim.id}
    for name, population in (("hunter", _family(claim, size)), ("runner", draw_examples(claim, size, 1))):
        mine, theirs = _fresh(population), _fresh(population)
        _cold()
        one = _timed(lambda p=mine: _one_at_a_time(claim, p))
        _cold()
        batched = _timed(lambda p=theirs: evaluate_population(claim, p))
        row[name] = {
            "size": len(population),
            "one_per_s": len(population) / one,
            "batched_per_s": len(population) / batched,
            "ratio": one / batched,
        }
    return row


def hunting(claim: Claim, seconds: float, seeds: int) -> dict[str, Any]:
    row: dict[str, Any] = {"id": claim.id}
    for label, offspring in (("before", 1), ("after", OFFSPRING)):
        r = hunt(claim, seconds=seconds, seed_value=0, offspring=offspring)
        row[label] = {"evaluations": sum(r.evaluations.values()), "per_s": sum(r.evaluations.values()) / r.seconds}
        mutation = dict(next(iter(claim.mutants.values())))
        finds = [
            hunt(claim, seconds=seconds, seed_value=s, offspring=offspring, mutation=mutation) for s in range(seeds)
        ]
        found = [f.seconds for f in finds if f.status == "refuted"]
        row[label] |= {"found": len(found), "of": seeds, "median_s": statistics.median(found) if found else None}
    row["ratio"] = row["after"]["evaluations"] / max(1, row["before"]["evaluations"])
    return row


def _markdown(rows: list[dict[str, Any]], hunts: list[dict[str, Any]], seconds: float) -> str:
    lines = [
        "| claim | hunter population: one / batched (examples/s) | ratio | runner draws: one / batched | ratio |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        h, d = r["hunter"], r["runner"]
        lines.append(
            f"| `{r['id']}` | {h['one_per_s']:.3g} / {h['batched_per_s']:.3g} | {h['ratio']:.1f}× "
            f"| {d['one_per_s']:.3g} / {d['batched_per_s']:.3g} | {d['ratio']:.1f}× |"
        )
    lines += [
        "",
        f"| claim | {seconds:g} s hunt, evaluations before → after | ratio "
        "| planted mutant found (median s), before → after |",
        "|---|---|---|---|",
    ]
    for h in hunts:
        b, a = h["before"], h["after"]

        def found(x: dict[str, Any]) -> str:
            return f"{x['found']}/{x['of']}" + (f" ({x['median_s']:.1f} s)" if x["median_s"] is not None else "")

        lines.append(
            f"| `{h['id']}` | {b['evaluations']} → {a['evaluations']} | {h['ratio']:.1f}× | {found(b)} → {found(a)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--no-hunts", action="store_true", help="examples per second only")
    args = parser.parse_args()
    torch.set_num_threads(1)
    claims = [c for c in load_claims() if c.batch is not None and (not args.only or c.id in args.only)]
    rows, hunts = [], []
    for c in claims:
        rows.append(throughput(c, args.size))
        print(f"{c.id}: {json.dumps(rows[-1])}", file=sys.stderr, flush=True)
    for c in claims if not args.no_hunts else []:
        hunts.append(hunting(c, args.seconds, args.seeds))
        print(f"{c.id}: {json.dumps(hunts[-1])}", file=sys.stderr, flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"throughput": rows, "hunts": hunts}, indent=2))
    print(_markdown(rows, hunts, args.seconds) if args.markdown else json.dumps({"throughput": rows, "hunts": hunts}))


if __name__ == "__main__":
    main()
