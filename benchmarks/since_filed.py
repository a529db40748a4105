"""Examples per second now against the code issue 24 was filed on, claim by claim (the issue's table).

    python benchmarks/since_filed.py [--markdown] [--json PATH] [--ref 1cabea4] [--only ID …]

Issue 24 measured, per claim, the cost of drawing examples and of checking them one at a time, on one
core with one torch thread. This script measures that on the code of ``--ref`` (the commit the issue
was filed against, checked out in a temporary git worktree and imported in a process of its own) and,
in another process, on this tree, each side the way it evaluates examples:

* **runner**: then, ``--draws`` Hypothesis draws and ``claim.check`` one at a time; now, the same
  number drawn afresh (:func:`~mpgverify.verify.population.fresh_draw`, no memory of earlier draws) and
  judged in blocks (:func:`~mpgverify.verify.population.evaluate_population`), the draws included;
* **hunter**: a drawn example's ``--size`` neighbours (the claim's moves) — then checked one at a time
  (the (1+1)-ES), now judged as populations of 16, as the hunter's (1+λ)-ES does — the moves included.

Both sides are seeded alike but draw from their own strategies, so the examples differ; a rate is
examples per second on each side's own examples. The two processes run one after the other on one
machine and the ratio is now ÷ then. Numbers go to the README, never into tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
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


def _neighbours(claim: Any, parent: Any, size: int) -> list[Any]:
    import numpy as np

    rng, kids = np.random.default_rng(0), []
    while len(kids) < size:
        try:
            kids.append(claim.moves.neighbour(parent, rng, 0.1))
        except Exception:  # a move the game refuses (each tree raises its own error classes): draw another
            continue
    return kids


def _check_each(claim: Any, examples: list[Any]) -> None:
    for ex in examples:
        try:
            claim.check(ex.game, ex.witness)
        except Exception:  # malformed for the claim (each tree its own error classes), as the runner skips it
            pass


def measure(ids: list[str], draws: int, size: int) -> list[dict[str, Any]]:
    """This process's tree: per claim, seconds per example on the runner's and the hunter's path."""
    import torch

    from mpgverify.verify.registry import load_claims

    torch.set_num_threads(1)
    claims = {c.id: c for c in load_claims()}
    try:
        from mpgverify.verify.population import evaluate_population, fresh_draw
    except ImportError:  # the code the issue was filed on: one at a time
        evaluate_population = fresh_draw = None  # type: ignore[assignment]
    rows = []
    for cid in ids:
        claim, start = claims[cid], time.perf_counter()
        if fresh_draw is None:
            drawn = _draw(claim, draws, 0)
            _check_each(claim, drawn)
        else:
            drawn = fresh_draw(claim, draws, 0)
            evaluate_population(claim, drawn)
        runner = (time.perf_counter() - start) / len(drawn)
        parent = next((ex for ex in drawn if claim.premises(ex.game, ex.witness).met is True), drawn[0])
        start = time.perf_counter()
        kids = _neighbours(claim, parent, size)
        if evaluate_population is None:
            _check_each(claim, kids)
        else:
            for k in range(0, len(kids), 16):
                evaluate_population(claim, kids[k : k + 16])
        hunter = (time.perf_counter() - start) / len(kids)
        rows.append({"id": cid, "runner_s": runner, "hunter_s": hunter, "draws": len(drawn)})
        print(f"{cid}: runner {runner * 1e3:.2f} ms, hunter {hunter * 1e3:.2f} ms", file=sys.stderr, flush=True)
    return rows


def _side(tree: Path, ids: list[str], draws: int, size: int) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "MPGVERIFY_THREADS": "1"}
    args = [sys.executable, str(Path(__file__).resolve()), "--measure", "--draws", str(draws), "--size", str(size)]
    out = subprocess.run([*args, "--only", *ids], env=env, cwd=tree, check=True, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _markdown(then: list[dict[str, Any]], now: list[dict[str, Any]], ref: str) -> str:
    lines = [
        f"| claim | runner, ms per example: {ref} → now | ratio | hunter, ms per example: {ref} → now | ratio |",
        "|---|---|---|---|---|",
    ]
    for a, b in zip(then, now, strict=True):
        r, h = a["runner_s"] / b["runner_s"], a["hunter_s"] / b["hunter_s"]
        lines.append(
            f"| `{a['id']}` | {a['runner_s'] * 1e3:.2f} → {b['runner_s'] * 1e3:.2f} | {r:.1f}× "
            f"| {a['hunter_s'] * 1e3:.2f} → {b['hunter_s'] * 1e3:.2f} | {h:.1f}× |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--ref", default="1cabea4", help="the commit issue 24 was filed on")
    parser.add_argument("--draws", type=int, default=20, help="examples drawn per claim (issue 24: 20)")
    parser.add_argument("--size", type=int, default=64, help="neighbours judged per claim on the hunter's path")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    ids = args.only or list(SLOWEST)
    if args.measure:
        print(json.dumps(measure(ids, args.draws, args.size)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "filed"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(tree), args.ref], check=True,
                       capture_output=True)  # fmt: skip
        try:
            then = _side(tree, ids, args.draws, args.size)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
    now = _side(ROOT, ids, args.draws, args.size)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"ref": args.ref, "then": then, "now": now}, indent=2))
    print(_markdown(then, now, args.ref) if args.markdown else json.dumps({"then": then, "now": now}))


if __name__ == "__main__":
    main()
