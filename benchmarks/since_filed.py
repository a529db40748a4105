"""Examples per second now against the code issue 24 was filed on, claim by claim (the issue's table).

    python benchmarks/since_filed.py [--markdown] [--json PATH] [--ref 1cabea4] [--only ID …] [--chains 4] [--same]

Issue 24 measured, per claim, the cost of drawing examples and of checking them one at a time, on one
core with one torch thread. This script measures that on the code of ``--ref`` (the commit the issue
was filed against, checked out in a temporary git worktree and imported in a process of its own) and,
in another process, on this tree, each side the way it evaluates examples:

* **runner**: then, ``--draws`` Hypothesis draws and ``claim.check`` one at a time; now, the same
  number drawn afresh (:func:`~mpgverify.verify.population.fresh_draw`, no memory of earlier draws) and
  judged in blocks (:func:`~mpgverify.verify.population.evaluate_population`), the draws included;
* **hunter**: ``--size`` neighbours (the claim's moves) of the hunter's pool — chosen among the runner's
  draws by the hunter's own rule (:func:`_pool`: up to ``--chains`` draws whose premises hold, one per
  distinct score, the lowest; until stop 41 the first draws whose premises held), ``--size // pool``
  neighbours each — then checked one at a time (the (1+1)-ES), now judged as the hunter's (1+λ)-ES
  judges a generation: every chain's offspring together, as one population (pool ×
  :data:`~mpgverify.verify.hunter.OFFSPRING`, 4 × 64 for a full pool), stacked by shape — the moves
  included. ``--chains 1`` judges one chain's offspring at a time (the figures of the README before
  the second stop of 7 December 2026; 4 × 16 before stop 40).

Both sides are seeded alike but draw from their own strategies, so the examples differ; a rate is
examples per second on each side's own examples. Each side also times the part of each path that judges
nothing — the runner's draws (Hypothesis and the strategies' constructions), the hunter's moves — and the
table shows now's part beside the ratio's **ceiling**: the filing code's time over that part alone, the
ratio a judge that cost nothing would give. A row whose ceiling is below a target cannot meet it by
judging faster. Each process first draws and judges two examples of the
first claim (seed 1) untimed, so the first row is not charged the process's first-call costs. The two
processes run one after the other on one machine and the ratio is now ÷ then. Numbers go to the README,
never into tests.

``--same`` measures the checks alone on **the same examples**: this tree draws them (the runner's
draws and the hunter's neighbours, as above) and writes them in the counterexample file's game and
witness encoding; each side then reads them back with its own parser and judges them its own way (then:
``claim.check`` one at a time; now: in blocks and populations of :data:`OFFSPRING` per chain), the draws and
moves excluded.
Each side also counts the examples whose premises held, so the two did the same work.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: neighbours per chain per generation (the hunter's λ, :data:`mpgverify.verify.hunter.OFFSPRING`; a number here:
#: the code the issue was filed on has no such constant)
OFFSPRING = 64
#: issue 24's table: the ten slowest claims when it was filed (families with ``@*``)
SLOWEST = (
    "thm-3.4 lemma-3.5 lemma-3.5@d1 def-4.4@as-used def-4.4@as-written thm-4.5 thm-4.5@as-used thm-4.5@corrected "
    "thm-3.8 thm-3.8@step-e2 lemma-3.2@cross-block thm-4.7 thm-4.7@corrected thm-4.7@per-agent thm-4.7@bad-step "
    "thm-4.7@good-step thm-4.7@good-step-per-agent"
).split()


def _draw(claim: Any, n: int, seed_value: int) -> list[Any]:
    """``n`` examples as the runner draws them (explicit and generate phases), none evaluated."""
    from hypothesis import HealthCheck, Phase, given, seed, settings

    drawn: list[Any] = []

    @seed(seed_value)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(claim.examples())
    def collect(x: Any) -> None:
        drawn.append(x)

    collect()
    return drawn


def _pool(drawn: list[Any], outcomes: list[Any], chains: int) -> list[Any]:
    """The hunter's pool among the draws, by its own rule (``_generate`` in :mod:`mpgverify.verify.hunter`,
    the same at the commit the issue was filed on): the draws whose premises hold with a finite margin, one
    per distinct score (within 1e-12 relative: a plateau of tied, often degenerate, examples must not fill
    every chain), the ``chains`` lowest scores — the score ``−tightness`` where the claim reports a finite
    one, else the margin; where none holds, the first ``chains`` draws with an outcome, as the hunter
    falls back to its unmet ones. Until stop 41 the pool was the first draws whose premises held: on
    most claims three or four trivial games (one agent, one action), none informative."""
    # the rule and the score (:func:`mpgverify.verify.claims.closeness`) are restated, not imported: the filing
    # code's side runs this function on its own tree, which has neither under these names
    pool: list[tuple[float, Any]] = []
    for ex, out in zip(drawn, outcomes, strict=True):
        if out is None or not out.premises_met or not math.isfinite(out.margin):
            continue
        tight = out.tightness
        score = -tight if tight is not None and math.isfinite(tight) else out.margin
        if all(abs(score - other) > 1e-12 * (1 + abs(score)) for other, _ in pool):
            pool.append((score, ex))
            pool.sort(key=lambda item: item[0])
            del pool[chains:]
    return [ex for _, ex in pool] or [ex for ex, out in zip(drawn, outcomes, strict=True) if out is not None][:chains]


def _neighbours(claim: Any, parents: list[Any], size: int) -> list[Any]:
    """``size // len(parents)`` neighbours of each parent, listed generation by generation as the hunter
    lists them: each generation :data:`OFFSPRING` (64) neighbours of every parent, chain by chain (one
    generation when ``size`` is at most 64 per parent: ``size // len(parents)`` each)."""
    import numpy as np

    rng, kids = np.random.default_rng(0), []
    per = size // len(parents)
    brood = min(per, OFFSPRING)
    for _ in range(max(per // brood, 1) if brood else 0):
        for parent in parents:
            mine: list[Any] = []
            while len(mine) < brood:
                try:
                    mine.append(claim.moves.neighbour(parent, rng, 0.1))
                except Exception:  # a move the game refuses (each tree raises its own error classes): draw another
                    continue
            kids += mine
    return kids


def _check_each(claim: Any, examples: list[Any]) -> list[Any]:
    """``claim.check`` on each example, one at a time: the outcomes (None where the example raised)."""
    out = []
    for ex in examples:
        try:
            out.append(claim.check(ex.game, ex.witness))
        except Exception:  # malformed for the claim (each tree its own error classes), as the runner skips it
            out.append(None)
    return out


def measure(ids: list[str], draws: int, size: int, chains: int) -> list[dict[str, Any]]:
    """This process's tree: per claim, seconds per example on the runner's and the hunter's path."""
    import torch

    from mpgverify.verify.registry import load_claims

    torch.set_num_threads(1)
    claims = {c.id: c for c in load_claims()}
    try:
        from mpgverify.verify.population import evaluate_population, fresh_draw
    except ImportError:  # the code the issue was filed on: one at a time
        evaluate_population = fresh_draw = None  # type: ignore[assignment]
    _warm_up(claims[ids[0]], fresh_draw is None)
    rows = []
    for cid in ids:
        claim, start = claims[cid], time.perf_counter()
        drawn = _draw(claim, draws, 0) if fresh_draw is None else fresh_draw(claim, draws, 0)
        drawing = time.perf_counter() - start
        outcomes = _check_each(claim, drawn) if evaluate_population is None else evaluate_population(claim, drawn)
        runner = (time.perf_counter() - start) / len(drawn)
        parents = _pool(drawn, outcomes, chains)
        start = time.perf_counter()
        kids = _neighbours(claim, parents, size)
        moving = time.perf_counter() - start
        if evaluate_population is None:
            _check_each(claim, kids)
        else:
            _generations(claim, kids, len(parents), evaluate_population)
        hunter = (time.perf_counter() - start) / len(kids)
        rows.append(
            {
                "id": cid,
                "runner_s": runner,
                "draw_s": drawing / len(drawn),
                "hunter_s": hunter,
                "moves_s": moving / len(kids),
                "draws": len(drawn),
            }
        )
        print(f"{cid}: runner {runner * 1e3:.2f} ms, hunter {hunter * 1e3:.2f} ms", file=sys.stderr, flush=True)
    return rows


def _warm_up(claim: Any, then: bool) -> None:
    """Two examples of ``claim`` drawn (seed 1) and judged, not timed: the process's first-call costs (lazy
    imports, the first solves) are not charged to the first row. Now, the heap alive then is frozen out of
    the collector's passes, as the ledger runner and the hunter do at their first run
    (:func:`mpgverify.collector.freeze_startup_heap`): without it, a full pass over torch's and Hypothesis's
    ~240,000 objects fell inside one claim's 20 timed draws and charged it ~6 ms an example (``thm-4.7``'s
    runner row read 10.6–11.6 ms in full runs, 5.1 ms with the collector off)."""
    if then:
        _check_each(claim, _draw(claim, 2, 1))
    else:
        from mpgverify.collector import freeze_startup_heap
        from mpgverify.verify.population import evaluate_population, fresh_draw

        evaluate_population(claim, fresh_draw(claim, 2, 1))
        freeze_startup_heap()


def _generations(claim: Any, kids: list[Any], chains: int, evaluate_population: Any) -> list[Any]:
    """``kids`` judged a generation at a time, as the hunter does: ``chains`` × :data:`OFFSPRING` offspring per
    population (the last one shorter)."""
    step = chains * OFFSPRING
    return [o for k in range(0, len(kids), step) for o in evaluate_population(claim, kids[k : k + step])]


def export(ids: list[str], draws: int, size: int, chains: int, path: Path) -> None:
    """This tree's draws and neighbours of every claim in ``ids``, written to ``path`` (JSON: per claim,
    ``runner`` and ``hunter`` lists of ``{"game", "witness"}`` in the counterexample file's encoding)."""
    import torch

    from mpgverify.formats import game_to_json, json_text
    from mpgverify.verify.population import evaluate_population, fresh_draw
    from mpgverify.verify.registry import load_claims

    torch.set_num_threads(1)
    claims, out = {c.id: c for c in load_claims()}, {}
    for cid in ids:
        claim = claims[cid]
        drawn = fresh_draw(claim, draws, 0)
        parents = _pool(drawn, evaluate_population(claim, drawn), chains)
        out[cid] = {
            part: [{"game": game_to_json(ex.game), "witness": ex.witness} for ex in examples]
            for part, examples in (("runner", drawn), ("hunter", _neighbours(claim, parents, size)))
        }
        out[cid]["chains"] = len(parents)
    path.write_text(json_text(out, indent=None))


def measure_same(ids: list[str], path: Path, chains: int) -> list[dict[str, Any]]:
    """This process's tree on the examples of ``path`` (:func:`export`): per claim, seconds per example
    of the checks alone and how many examples' premises held, on the runner's and the hunter's path."""
    import torch

    from mpgverify.formats import game_from_json
    from mpgverify.verify.registry import load_claims

    torch.set_num_threads(1)
    claims, saved = {c.id: c for c in load_claims()}, json.loads(path.read_text())
    try:
        from mpgverify.verify.population import evaluate_population
    except ImportError:  # the code the issue was filed on: one at a time
        evaluate_population = None  # type: ignore[assignment]
    _warm_up(claims[ids[0]], evaluate_population is None)
    rows = []
    for cid in ids:
        claim, row = claims[cid], {"id": cid}
        for part in ("runner", "hunter"):
            examples = [_example(game_from_json(e["game"]), e["witness"]) for e in saved[cid][part]]
            start = time.perf_counter()
            if evaluate_population is None:
                outcomes = _check_each(claim, examples)
            elif part == "runner":
                outcomes = evaluate_population(claim, examples)
            else:
                outcomes = _generations(claim, examples, saved[cid].get("chains", chains), evaluate_population)
            row[f"{part}_s"] = (time.perf_counter() - start) / len(examples)
            row[f"{part}_met"] = sum(o is not None and o.premises_met for o in outcomes)
            row[f"{part}_n"] = len(examples)
        rows.append(row)
        print(
            f"{cid}: runner {row['runner_s'] * 1e3:.2f} ms, hunter {row['hunter_s'] * 1e3:.2f} ms",
            file=sys.stderr,
            flush=True,
        )
    return rows


def _example(game: Any, witness: dict[str, Any]) -> Any:
    from mpgverify.verify.claims import Example

    return Example(game, witness)


def _side(
    tree: Path, ids: list[str], draws: int, size: int, chains: int, same: Path | None = None
) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "MPGVERIFY_THREADS": "1"}
    args = [sys.executable, str(Path(__file__).resolve()), "--measure", "--draws", str(draws), "--size", str(size)]
    args += ["--chains", str(chains)]
    args += [] if same is None else ["--same-file", str(same)]
    out = subprocess.run([*args, "--only", *ids], env=env, cwd=tree, check=True, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _markdown(then: list[dict[str, Any]], now: list[dict[str, Any]], ref: str) -> str:
    """The since-filed table: per path, the time per example on each side, now's part that judges nothing
    (the runner's draws, the hunter's moves), the ratio, and its ceiling — the filing code's time over
    that part alone, the ratio a judge that cost nothing would give."""
    lines = [
        f"| claim | runner, ms per example: {ref} → now (of which drawing) | ratio | ceiling "
        f"| hunter, ms per example: {ref} → now (of which moves) | ratio | ceiling |",
        "|---|---|---|---|---|---|---|",
    ]
    for a, b in zip(then, now, strict=True):
        cells = [f"`{a['id']}`"]
        for part, alone in (("runner", "draw"), ("hunter", "moves")):
            t, n, floor = a[part + "_s"], b[part + "_s"], b[alone + "_s"]
            cells += [f"{t * 1e3:.2f} → {n * 1e3:.2f} ({floor * 1e3:.2f})", f"{t / n:.1f}×", f"{t / floor:.1f}×"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _markdown_same(then: list[dict[str, Any]], now: list[dict[str, Any]], ref: str) -> str:
    lines = [
        f"| claim | runner draws: premises held ({ref} / now) | ms per example: {ref} → now | ratio "
        f"| hunter neighbours: premises held | ms per example: {ref} → now | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for a, b in zip(then, now, strict=True):
        cells = [f"`{a['id']}`"]
        for part in ("runner", "hunter"):
            cells += [
                f"{a[part + '_met']} / {b[part + '_met']} of {b[part + '_n']}",
                f"{a[part + '_s'] * 1e3:.2f} → {b[part + '_s'] * 1e3:.3f}",
                f"{a[part + '_s'] / b[part + '_s']:.1f}×",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--ref", default="1cabea4", help="the commit issue 24 was filed on")
    parser.add_argument("--draws", type=int, default=20, help="examples drawn per claim (issue 24: 20)")
    parser.add_argument("--size", type=int, default=256, help="neighbours judged per claim on the hunter's path")
    parser.add_argument("--chains", type=int, default=4, help="the hunter's chains (its pool), 64 offspring each")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--same", action="store_true", help="the checks alone, on the same examples (see above)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--same-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    ids = args.only or list(SLOWEST)
    if args.measure:
        rows = (
            measure(ids, args.draws, args.size, args.chains)
            if args.same_file is None
            else measure_same(ids, args.same_file, args.chains)
        )
        print(json.dumps(rows))
        return
    with tempfile.TemporaryDirectory() as tmp:
        same = None
        if args.same:
            same = Path(tmp) / "examples.json"
            export(ids, args.draws, args.size, args.chains, same)
        tree = Path(tmp) / "filed"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(tree), args.ref], check=True,
                       capture_output=True)  # fmt: skip
        try:
            then = _side(tree, ids, args.draws, args.size, args.chains, same)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
        now = _side(ROOT, ids, args.draws, args.size, args.chains, same)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"ref": args.ref, "same": args.same, "then": then, "now": now}, indent=2))
    table = _markdown_same if args.same else _markdown
    print(table(then, now, args.ref) if args.markdown else json.dumps({"then": then, "now": now}))


if __name__ == "__main__":
    main()
