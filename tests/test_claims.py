"""The claims ledger: every catalogue id is covered, verdicts at the CI budget agree with the
committed counterexamples, those replay, every property has teeth, and runs are reproducible."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import math
import re
from pathlib import Path

import pytest
import torch

from mpgverify.cli import main
from mpgverify.solvers.evaluation import evaluate
from mpgverify.verify.claims import Outcome
from mpgverify.verify.counterexamples import load_counterexample, replay
from mpgverify.verify.ledger import ledger_json
from mpgverify.verify.registry import load_claims, select_claims
from mpgverify.verify.runner import run_claim
from properties import PENDING, all_claims, reproduced_ids

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "docs" / "CLAIMS.md"
FORMATS = ROOT / "docs" / "FORMATS.md"
COUNTEREXAMPLES = ROOT / "properties" / "counterexamples"
CLAIMS = all_claims()
BY_ID = {c.id: c for c in CLAIMS}


def catalogue_ids(text: str) -> list[str]:
    return re.findall(r"^\| `([a-z0-9.@-]+)` \|", text, flags=re.M)


def test_every_format_written_is_documented() -> None:
    """The repository is self-contained: each ``mpgverify.*/1`` format the code writes has its section
    in docs/FORMATS.md."""
    written = set()
    for path in (ROOT / "mpgverify").rglob("*.py"):
        written |= set(re.findall(r'^[A-Z_]*FORMAT = "(mpgverify\.[a-z-]+/1)"', path.read_text(encoding="utf-8"), re.M))
    documented = set(re.findall(r"^## .*`(mpgverify\.[a-z-]+/1)`", FORMATS.read_text(encoding="utf-8"), re.M))
    assert len(written) >= 8 and written <= documented, sorted(written - documented)


def test_every_catalogue_id_has_a_property_or_is_pending() -> None:
    ids = catalogue_ids(CATALOGUE.read_text(encoding="utf-8"))
    assert len(ids) >= 24, ids  # 11 ids of Sections 2–3, 6 of Section 4, 7 experiments
    registered = {c.id for c in CLAIMS}
    reproduced = set(reproduced_ids())
    assert not reproduced & registered
    uncovered = [
        i
        for i in ids
        if i not in PENDING and i not in reproduced and not any(r == i or r.startswith(i + "@") for r in registered)
    ]
    assert not uncovered, f"catalogue ids with no property: {uncovered}"
    stale = [
        i
        for i in PENDING
        if i not in ids or i in reproduced or any(r == i or r.startswith(i + "@") for r in registered)
    ]
    assert set(reproduced) <= set(ids), reproduced - set(ids)
    assert not stale, f"PENDING lists ids that are covered or not in the catalogue: {stale}"
    unknown = [r for r in registered if r.split("@")[0] not in ids]
    assert not unknown, f"registered ids not in the catalogue: {unknown}"


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_claim_is_declared_where_it_is_checked(claim) -> None:
    """A search for a claim id lands on its check: the id is in the decorators directly above the
    check function (``ClaimBook.claim``), and the check lives in a module of at most ~500 lines."""
    check = getattr(claim.check, "__wrapped__", claim.check)  # behind its premise gate
    check = check.func if isinstance(check, functools.partial) else check
    source = inspect.getsource(check)
    head = source[: source.index("def ")]
    assert f'"{claim.id}"' in head, f"{claim.id}: not declared above {check.__qualname__}:\n{head[:400]}"
    module_lines = len(inspect.getsource(inspect.getmodule(check)).splitlines())
    assert module_lines <= 520, f"{check.__module__} has {module_lines} lines"


def test_claim_book_keeps_written_order_and_rejects_loose_declarations() -> None:
    from hypothesis import strategies as st

    from mpgverify.verify.claims import ClaimBook, Premises

    book = ClaimBook(section="x")
    kw = dict(
        ref="r", statement="s", examples=lambda: st.nothing(), mutants={"m": {}}, premises=lambda g, w: Premises.hold()
    )

    @book.claim("a", **kw)
    @book.claim("a@b", options={"part": "b"}, **kw)
    def check(game, witness, *, gate, part="a"):
        return part

    assert [c.id for c in book.claims] == ["a", "a@b"]
    assert [c.check(None, {}) for c in book.claims] == ["a", "b"]
    with pytest.raises(ValueError, match="declared twice"):
        book.claim("a", **kw)
    with pytest.raises(ValueError, match="at least one mutant"):
        book.claim("c", **{**kw, "mutants": {}})
    book.claim("never attached", **kw)
    with pytest.raises(ValueError, match="never attached"):
        _ = book.claims


def test_registry_finds_the_claims_through_the_entry_point() -> None:
    assert [c.id for c in load_claims()] == [c.id for c in CLAIMS]
    assert [c.id for c in select_claims(CLAIMS, ["lemma-3.7@*"])] == [
        "lemma-3.7@unnormalized-d",
        "lemma-3.7@normalized-d",
    ]


def committed(claim_id: str) -> Path:
    return COUNTEREXAMPLES / f"{claim_id}.json"


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_claim_at_ci_budget(claim) -> None:
    # Committed counterexamples are replayed first (as the ledger does); a refutation found by the
    # search itself must already be committed.
    result = run_claim(claim, budget="quick", known_dir=COUNTEREXAMPLES)
    if committed(claim.id).exists():
        assert result.status == "refuted" and result.counterexample == str(committed(claim.id)), result
        return
    assert result.status != "refuted", (
        f"{claim.id} refuted ({result.note}) but no counterexample is committed under {COUNTEREXAMPLES}"
    )
    assert result.status in ("holds", "inconclusive", "vacuous"), result
    if result.status == "holds":
        assert result.premises_met >= claim.min_premises


FILES = sorted(COUNTEREXAMPLES.glob("*.json"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_committed_counterexample_still_violates(path) -> None:
    claim_id, example, raw = load_counterexample(path)
    outcome, exact = replay(BY_ID[claim_id], example)
    assert outcome.premises_met and outcome.violated, (claim_id, outcome)
    if raw["exact"]:
        assert exact is not None and exact.exact.startswith("-") and exact.exact == raw["exact_margin"], (exact, raw)
    assert main(["replay", str(path)]) == 1


MUTANTS = [(c, name, m) for c in CLAIMS for name, m in c.mutants.items()]


@pytest.mark.parametrize("claim,name,mutation", MUTANTS, ids=[f"{c.id}:{n}" for c, n, _ in MUTANTS])
def test_property_has_teeth(claim, name, mutation) -> None:
    result = run_claim(claim, budget="quick", mutation=mutation, max_examples=40, shrink=False)
    if result.status == "inconclusive" and result.premises_met == 0:
        pytest.skip(f"{claim.id}: premises never met in 40 examples, so no mutant can be caught (ledger: inconclusive)")
    assert result.status == "refuted", f"mutant '{name}' of {claim.id} was not caught: {result.status} ({result.note})"


def test_every_claim_has_a_mutant_or_a_vacuity_proof() -> None:
    assert all(c.mutants or c.vacuity for c in CLAIMS), [c.id for c in CLAIMS if not (c.mutants or c.vacuity)]


def test_a_claim_whose_premises_never_hold_is_vacuous_with_its_proof() -> None:
    # No claim of this paper is vacuous once rewards of either sign are drawn (Def 4.4 as printed
    # admits agents with non-positive values); the engine's verdict is checked on a synthetic claim.
    base = BY_ID["def-4.4@as-written"]
    never = dataclasses.replace(
        base,
        id="synthetic@vacuous",
        check=lambda g, w, **k: Outcome(False, 0.0, 0.0, 0.0, 0.0),
        batch=None,  # the base claim's batched check would judge the members instead of this check
        vacuity=lambda: "no policy qualifies (synthetic)",
    )
    result = run_claim(never, budget="quick", max_examples=10)
    assert result.status == "vacuous" and result.premises_met == 0, result
    assert "no policy qualifies" in result.note


def test_printed_ratio_nash_is_met_only_by_non_positive_values() -> None:
    # what made def-4.4@as-written vacuous with positive rewards, and what its premise space is now
    claim = BY_ID["def-4.4@as-written"]
    seen = []

    def check(game, witness, **kw):
        out = claim.check(game, witness, **kw)
        if out.premises_met and witness["eps"] > 1e-9:  # at ε = 0 (or within the slack) it is plain Nash
            probs = tuple(torch.tensor(p, dtype=torch.float64) for p in witness["probs"])
            seen.append(float(evaluate(game, probs).V_mu.max()))
        return out

    run_claim(dataclasses.replace(claim, check=check), budget="quick", max_examples=60)
    assert seen and max(seen) <= 1e-9, seen


def test_same_seed_and_budget_same_ledger() -> None:
    picked = select_claims(CLAIMS, ["def-2.2", "lemma-3.2@*", "lemma-3.7@*"])

    def ledger() -> dict:
        obj = ledger_json([run_claim(c, budget="quick", seed_value=3) for c in picked], "quick", 3)
        for row in obj["claims"]:
            row.pop("seconds")
        return obj

    assert ledger() == ledger()


def test_claims_cli(tmp_path, capsys) -> None:
    assert (
        main(
            [
                "claims",
                "--only",
                "def-2.2,lemma-3.1",
                "--json",
                str(tmp_path / "l.json"),
                "--markdown",
                str(tmp_path / "l.md"),
                "--counterexamples",
                str(tmp_path / "cx"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "def-2.2" in out and "holds" in out
    ledger = json.loads((tmp_path / "l.json").read_text())
    assert ledger["format"] == "mpgverify.ledger/1" and [r["id"] for r in ledger["claims"]] == ["def-2.2", "lemma-3.1"]
    assert "| claim |" in (tmp_path / "l.md").read_text()
    assert main(["claims", "--only", "no-such-claim"]) == 2


def test_prop_4_3_holds_under_the_printed_definitions() -> None:
    # Section 4.1 prints reward smoothness two-sided, λ r_π' ≤ Σ_i rⁱ(π'ⁱ, π⁻ⁱ) ≤ μ r_π; the proof's last
    # line uses exactly those sides. The one-sided (Roughgarden-form) reading is refuted under its own id.
    printed, one_sided = BY_ID["prop-4.3"], BY_ID["prop-4.3@one-sided"]
    _, example, _ = load_counterexample(committed("prop-4.3@one-sided"))
    assert one_sided.check(example.game, example.witness).violated
    out = printed.check(example.game, example.witness)
    assert out.premises_met and not out.violated, out
    result = run_claim(printed, budget="quick", known_dir=COUNTEREXAMPLES)
    assert result.status == "holds" and result.premises_met >= 10, result
    assert not committed("prop-4.3").exists()


@pytest.mark.parametrize("claim_id", ["prop-4.3", "prop-4.3@one-sided", "prop-4.3@signed"])
def test_prop_4_3_with_a_subnormal_reward_is_an_outcome_not_an_overflow(claim_id: str) -> None:
    """Found by a seed-1 hunt (issue 24): a reward of 2.2e-313 makes λ = r/r' ≈ 2.6e310, whose float()
    raised OverflowError in the note and crashed the hunt. The margin is now ±inf where the exact gap is
    beyond float64, and the note gives its order of magnitude."""
    from mpgverify.game import MarkovGame

    game = MarkovGame(
        gamma=0.9,
        n_actions=(3,),
        mu=torch.tensor([1.0], dtype=torch.float64),
        transition=torch.ones(1, 3, 1, dtype=torch.float64),
        rewards=torch.tensor([[[5.8640e-03, 2.2251e-313, 7.1673e-01]]], dtype=torch.float64),
    )
    witness = {"lambda": 1.0, "lambda_choice": 0.005864012538539875, "mu_choice": 0.0, "nu": 1.8907728254463048}
    out = BY_ID[claim_id].check(game, witness)
    assert isinstance(out, Outcome) and not math.isnan(out.margin), out
    if claim_id != "prop-4.3@one-sided":  # the one-sided reading picks μ = 0: nothing overflows there
        assert out.premises_met and "beyond float64" in out.note, out.note
