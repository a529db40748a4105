"""Where the hunter's judging time goes, claim by claim: the premise gate against the check, and inside the
gate the parts that a target's budget has to pay for.

    python benchmarks/judge_parts.py [--markdown] [--json PATH] [--only ID …] [--reps 4] [--part NAME=MODULE:FN …]

The population is the one ``since_filed.py`` judges on the hunter's path: the hunter's pool among 20 draws
(up to four), 64 neighbours of each (the claim's moves), judged as one population of 4 × 64 as the
hunter's (1+λ)-ES judges a generation once λ has grown: ``--reps`` generations of one random stream
(no two alike, so no kept result is found again by chance), drawn before the clock starts. The whole
judging is timed, and so is each **part**: a module-level function wrapped with a timer wherever a loaded
module holds it (its own module and every module that imported it by name), so the claims' code runs
unchanged. A part's time is inclusive (what it calls is in it); parts may nest
(``gate`` holds ``smoothness``). The default parts:

* ``gate``: the premise gate of every member (:func:`mpgverify.verify.population._gates`); the rest of the
  judging is the check;
* ``smoothness``: Def 4.2's (α, β) decided exactly (:func:`properties.smoothness.smoothness_constants`);
* ``assumption 4.6``: its minima, exactly (:func:`properties.section4_dynamics.assumption_4_6`);
* ``Def 2.2``: the MPG membership residual (:func:`properties.premises.mpg_reason`);
* ``NPG-BR``: Theorem 3.8's runs (:func:`properties.section3_npg._npg_br_runs`).

A target's budget per example is the filing code's time over the target (``since_filed.py``'s hunter
column); a part larger than that budget cannot meet the target by judging the rest faster. One core, one
torch thread; numbers go to the README, never into tests.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks.since_filed import OFFSPRING, SLOWEST, _generations, _neighbours, _pool, _warm_up  # noqa: E402

#: name → "module:function" (see the module docstring)
PARTS = {
    "gate": "mpgverify.verify.population:_gates",
    "smoothness": "properties.smoothness:smoothness_constants",
    "assumption 4.6": "properties.section4_dynamics:assumption_4_6",
    "Def 2.2": "properties.premises:mpg_reason",
    "NPG-BR": "properties.section3_npg:_npg_br_runs",
}


@contextlib.contextmanager
def timed_parts(parts: dict[str, str]) -> Iterator[dict[str, list[float]]]:
    """Within the block, each part's function is replaced, in every loaded module that holds it, by a
    wrapper adding its inclusive seconds and its call count to ``spent[name]`` (``[seconds, calls]``);
    the originals are put back on the way out, whatever happens inside."""
    spent: dict[str, list[float]] = {name: [0.0, 0] for name in parts}
    patched: list[tuple[Any, str, Callable[..., Any]]] = []
    try:
        for name, spec in parts.items():
            module_name, attribute = spec.split(":")
            original = getattr(importlib.import_module(module_name), attribute)
            wrapper = _timer(original, spent[name])
            for module in list(sys.modules.values()):
                if getattr(module, attribute, None) is original:
                    patched.append((module, attribute, original))
                    setattr(module, attribute, wrapper)
        yield spent
    finally:
        for module, attribute, original in reversed(patched):
            setattr(module, attribute, original)


def _timer(fn: Callable[..., Any], into: list[float]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            into[0] += time.perf_counter() - start
            into[1] += 1

    return timed


def measure(ids: list[str], reps: int, chains: int, parts: dict[str, str]) -> list[dict[str, Any]]:
    """Per claim: µs per neighbour of the whole judging and of each part (with its calls per neighbour)."""
    import torch

    from mpgverify.verify.population import evaluate_population, fresh_draw
    from mpgverify.verify.registry import load_claims

    torch.set_num_threads(1)
    claims = {c.id: c for c in load_claims()}
    _warm_up(claims[ids[0]], then=False)  # first-call costs untimed, the heap then frozen, as since_filed's
    rows = []
    for cid in ids:
        claim = claims[cid]
        drawn = fresh_draw(claim, 20, 0)
        parents = _pool(drawn, evaluate_population(claim, drawn), chains)
        kids = _neighbours(claim, parents, reps * len(parents) * OFFSPRING)  # reps generations: none repeated
        with timed_parts(parts) as spent:
            start = time.perf_counter()
            _generations(claim, kids, len(parents), evaluate_population)  # one generation of the pool at a time
            total = time.perf_counter() - start
        n = len(kids)
        row: dict[str, Any] = {"id": cid, "judge_us": total / n * 1e6, "neighbours": n}
        row["parts"] = {name: {"us": s / n * 1e6, "calls": c / n} for name, (s, c) in spent.items()}
        rows.append(row)
        print(f"{cid}: judge {row['judge_us']:.0f} µs a neighbour", file=sys.stderr, flush=True)
    return rows


def _markdown(rows: list[dict[str, Any]], parts: dict[str, str]) -> str:
    names = list(parts)
    lines = [
        "| claim | judging, µs per neighbour | " + " | ".join(f"{n} (share)" for n in names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for row in rows:
        cells = [f"`{row['id']}`", f"{row['judge_us']:.0f}"]
        for name in names:
            us = row["parts"][name]["us"]
            cells.append("—" if us == 0 else f"{us:.0f} ({us / row['judge_us']:.0%})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _parse_parts(specs: list[str]) -> dict[str, str]:
    """``NAME=MODULE:FN`` pairs, or the defaults when none are given."""
    if not specs:
        return dict(PARTS)
    out = {}
    for spec in specs:
        name, sep, target = spec.partition("=")
        if not sep or ":" not in target:
            raise SystemExit(f"judge_parts: --part {spec!r}: expected NAME=MODULE:FUNCTION")
        out[name] = target
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--reps", type=int, default=4, help="populations of 4 × 64 judged per claim")
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--part", action="append", default=[], help="NAME=MODULE:FUNCTION (repeat; default: PARTS)")
    args = parser.parse_args()
    parts = _parse_parts(args.part)
    rows = measure(args.only or list(SLOWEST), args.reps, args.chains, parts)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"parts": parts, "rows": rows}, indent=2))
    print(_markdown(rows, parts) if args.markdown else json.dumps(rows))


if __name__ == "__main__":
    main()
