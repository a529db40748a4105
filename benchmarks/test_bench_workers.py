"""Local parallelism (issue 16): the same two claims on 1 and on 2 worker processes, side by side.

The speed-up is a number for the README (target ≥ 1.6× on 2 cores); the tests only assert that the
results are equal (tests/test_execution.py)."""

from __future__ import annotations

import pytest

from mpgverify.verify.ledger import run_ledger
from mpgverify.verify.registry import load_claims, select_claims

CLAIMS = ["lemma-3.2", "thm-3.8"]  # two claims (7 readings), about 5 s and 7 s at the standard budget


@pytest.mark.parametrize("workers", [1, 2])
def test_two_claims_on_workers(benchmark, workers, tmp_path) -> None:
    claims = select_claims(load_claims(), CLAIMS)

    def job():
        return run_ledger(claims, budget="standard", counterexample_dir=tmp_path, workers=workers)

    finished = benchmark.pedantic(job, rounds=3, iterations=1, warmup_rounds=0)
    assert [r.id for r in finished.done] == [c.id for c in claims]
