"""Batched checks (issue 24): a claim's check over a population of same-shape examples equals its
one-at-a-time check member by member, and the hunter and the runner that use it keep their contracts.

The one-at-a-time check is the oracle: it runs the dense single-game solvers and the library's
algorithms on one game, while a batched check stacks the games (:class:`GameBatch`) and runs masked
dynamics — different code. Populations are built the way the hunter builds them (a drawn example
and its neighbours, which share its shape) and the way the runner does (Hypothesis draws of mixed
shapes), plus the committed counterexamples, whose verdicts must not move.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from mpgverify.errors import MpgverifyError
from mpgverify.verify.claims import Example, Outcome
from mpgverify.verify.counterexamples import load_counterexample
from mpgverify.verify.hunter import hunt
from mpgverify.verify.population import draw_examples, evaluate_population, fresh_draw, shape_of
from mpgverify.verify.runner import run_claim
from properties import COUNTEREXAMPLES, all_claims

CLAIMS = all_claims()
BY_ID = {c.id: c for c in CLAIMS}
#: the claims that declare a batched check (slowest first, issue 24's table), and those with a batched gate
BATCHED = (
    "def-2.2",
    "lemma-3.1",
    "lemma-c.2",
    "lemma-3.2",
    "lemma-3.2@own-block",
    "lemma-3.2@cross-block",
    "lemma-c.1",
    "lemma-c.1@own-block",
    "lemma-c.1@cross-block",
    "lemma-c.3",
    "thm-3.4",
    "lemma-3.5",
    "lemma-3.5@d1",
    "thm-3.6",
    "thm-3.6@smoothness",
    "lemma-3.7@unnormalized-d",
    "lemma-3.7@normalized-d",
    "thm-3.8",
    "thm-3.8@step-e2",
    "thm-3.8@inner-br",
    "thm-3.8@inner-br-corrected",
    "thm-4.7",
    "thm-4.7@corrected",
    "thm-4.7@per-agent",
    "thm-4.7@bad-step",
    "thm-4.7@good-step",
    "thm-4.7@good-step-per-agent",
    "cor-4.8",
    "cor-4.8@corrected",
    "cor-4.8@good-step",
    "def-4.2",
    "def-4.4@as-used",
    "def-4.4@as-written",
    "thm-4.5",
    "thm-4.5@as-used",
    "thm-4.5@corrected",
)
BATCHED_GATES = (
    "lemma-c.3",
    "thm-3.4",
    "lemma-3.5",
    "lemma-3.5@d1",
    "thm-3.6",
    "def-4.4@as-used",
    "def-4.4@as-written",
    "thm-4.5",
    "thm-4.5@as-used",
    "thm-4.5@corrected",
)


#: claims whose premises are rare among the first draws (an optimal social value > 0 and α > 0) draw more
DRAWS = {"thm-4.5@corrected": 40}


def test_the_batched_claims_are_the_declared_ones() -> None:
    """Every claim with a batched check is tested below, and no other claim claims one."""
    assert sorted(c.id for c in CLAIMS if c.batch is not None) == sorted(BATCHED)
    assert sorted(c.id for c in CLAIMS if c.batch_premises is not None) == sorted(BATCHED_GATES)


def _population(claim_id: str, *, draws: int, parents: int, offspring: int, seed_value: int = 0) -> list[Example]:
    """``draws`` Hypothesis draws (mixed shapes) and ``offspring`` neighbours of each of the first
    ``parents`` that meet the premises (one shape per family, as the hunter's generations have)."""
    claim = BY_ID[claim_id]
    drawn = draw_examples(claim, draws, seed_value)
    rng = np.random.default_rng(seed_value)
    fertile = [ex for ex in drawn if claim.premises(ex.game, ex.witness)][:parents]
    kids = []
    for parent in fertile:
        for _ in range(offspring):
            try:
                kids.append(claim.moves.neighbour(parent, rng, 0.1))
            except (ValueError, MpgverifyError):
                continue
    return drawn + kids


def _same(one: Outcome | None, batched: Outcome | None, where: str) -> None:
    assert (one is None) == (batched is None), f"{where}: alone {one!r}, batched {batched!r}"
    if one is None or batched is None:
        return
    flags = ("premises_met", "informative", "undecided", "violated")
    for name in flags:
        a, b = getattr(one, name), getattr(batched, name)
        assert a == b, f"{where}: {name} alone {a}, batched {b} ({one.note} | {batched.note})"
    for name in ("margin", "observed", "bound", "tightness", "tol"):
        a, b = getattr(one, name), getattr(batched, name)
        if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
            assert (a is None and b is None) or (a == b) or (math.isnan(a) and math.isnan(b)), (
                f"{where}: {name} {a} vs {b}"
            )
            continue
        assert abs(a - b) <= 1e-12 * (1 + abs(a)), (
            f"{where}: {name} alone {a!r}, batched {b!r} (differ by {abs(a - b):.3g})"
        )


@pytest.mark.parametrize("claim_id", BATCHED)
def test_batched_check_equals_one_at_a_time(claim_id: str) -> None:
    """Margins (to 1e-12 relative), sides, tolerances, premises met, informative and verdict, member by
    member, on mixed-shape draws and on same-shape families."""
    claim = BY_ID[claim_id]
    population = _population(claim_id, draws=DRAWS.get(claim_id, 6), parents=2, offspring=3)
    groups = {}
    for ex in population:
        groups[shape_of(ex)] = groups.get(shape_of(ex), 0) + 1
    assert max(groups.values()) >= 3, f"no shape with 3 members among {len(population)}: the stack is not exercised"
    batched = evaluate_population(claim, population)
    for k, ex in enumerate(population):
        _same(claim.check(ex.game, ex.witness), batched[k], f"{claim_id} member {k} ({ex!r})")


#: thm-3.6's mutant (ε/1000) runs every member its full T iterations, one at a time as batched: its
#: mutant population keeps the members with T ≤ 3000 (from a seed whose families have such members)
MUTANT_T_CAP = {"thm-3.6": 3000}
MUTANT_SEED = {"thm-3.6": 3}


def _T(claim, ex: Example) -> float:
    gate = claim.premises(ex.game, ex.witness)
    return gate.facts["T"] if gate.met is True else 0.0


@pytest.mark.parametrize("claim_id", BATCHED)
def test_batched_check_catches_the_claims_mutants(claim_id: str) -> None:
    """The mutants (a wrong constant, a dropped factor) reach the batched check as they reach the single
    one: the same margins, and a violation wherever one at a time finds one."""
    claim = BY_ID[claim_id]
    population = _population(claim_id, draws=4, parents=1, offspring=4, seed_value=MUTANT_SEED.get(claim_id, 1))
    if claim_id in MUTANT_T_CAP:
        population = [ex for ex in population if _T(claim, ex) <= MUTANT_T_CAP[claim_id]]
        assert len(population) >= 3, len(population)
    for name, mutation in claim.mutants.items():
        batched = evaluate_population(claim, population, mutation)
        for k, ex in enumerate(population):
            _same(claim.check(ex.game, ex.witness, **mutation), batched[k], f"{claim_id} mutant {name!r} member {k}")


COMMITTED = sorted(
    (p for p in COUNTEREXAMPLES.glob("*.json") if load_counterexample(p)[0] in BATCHED), key=lambda p: p.name
)


def test_committed_counterexamples_of_batched_claims_exist() -> None:
    assert len(COMMITTED) >= 4, [p.name for p in COMMITTED]


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.stem)
def test_committed_counterexample_keeps_its_verdict_in_a_population(path) -> None:
    """A committed counterexample stacked with its neighbours: the same violation, the same margin."""
    claim_id, ex, _ = load_counterexample(path)
    claim = BY_ID[claim_id]
    rng = np.random.default_rng(0)
    population = [ex] + [claim.moves.neighbour(ex, rng, 0.05) for _ in range(3)]
    batched = evaluate_population(claim, population)
    alone = claim.check(ex.game, ex.witness)
    assert alone.violated and batched[0] is not None and batched[0].violated, f"{path.name}: {batched[0]!r}"
    for k, member in enumerate(population):
        _same(claim.check(member.game, member.witness), batched[k], f"{path.name} member {k}")


@pytest.mark.parametrize("claim_id", BATCHED_GATES)
def test_batched_premise_gate_equals_the_gate(claim_id: str) -> None:
    """The batched gate's decision, reason and facts equal the gate's, member by member."""
    claim = BY_ID[claim_id]
    population = _population(claim_id, draws=8, parents=2, offspring=5, seed_value=2)
    groups: dict = {}
    for ex in population:
        groups.setdefault(shape_of(ex), []).append(ex)
    for members in groups.values():
        wants = [claim.premises(ex.game, ex.witness) for ex in members]
        _forget_game_constants()  # the batched gate solves them afresh (and keeps them for the gate)
        got = claim.batch_premises([m.game for m in members], [m.witness for m in members])
        for k, (want, gate) in enumerate(zip(wants, got, strict=True)):
            assert (gate.met, gate.reason) == (want.met, want.reason), f"member {k}: {gate} vs {want}"
            assert gate.facts.keys() == want.facts.keys(), (
                f"member {k}: facts {gate.facts.keys()} vs {want.facts.keys()}"
            )
            for key, value in want.facts.items():
                _same_fact(gate.facts[key], value, f"{claim_id} member {k} fact {key}")


def _forget_game_constants() -> None:
    """Drop the kept M and Φ ranges of every game, so the next ask solves them."""
    from mpgverify.solvers.game_constants import _mismatch_coefficient_dense, _potential_range_dense

    _mismatch_coefficient_dense.cache_clear()
    _potential_range_dense.cache_clear()


def _same_fact(got, want, where: str) -> None:
    """A gate's fact, batched and alone: numbers and tensors to 1e-12 relative, exact rationals equal."""
    import torch

    if isinstance(want, (tuple, list)) and want and isinstance(want[0], torch.Tensor):
        for g, w in zip(got, want, strict=True):
            _same_fact(g, w, where)
    elif isinstance(want, torch.Tensor):
        assert torch.allclose(got, want, rtol=1e-12, atol=1e-12), f"{where}: {got} vs {want}"
    elif isinstance(want, Fraction):
        assert got == want, f"{where}: {got} vs {want}"
    elif isinstance(want, (int, float)):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12), f"{where}: {got} vs {want}"
    # anything else (a PG run's state) is compared through the outcomes it leads to


def test_a_malformed_member_does_not_spoil_its_population() -> None:
    """A member the gate refuses as malformed is None, as the hunter's one-at-a-time evaluation has it;
    the others keep their outcomes."""
    claim = BY_ID["thm-3.8@inner-br"]
    population = _population("thm-3.8@inner-br", draws=2, parents=1, offspring=3)
    bad = Example(population[-1].game, population[-1].witness | {"eps": "0.5"})
    outs = evaluate_population(claim, [*population, bad])
    assert outs[-1] is None
    for k, ex in enumerate(population):
        _same(claim.check(ex.game, ex.witness), outs[k], f"member {k}")


def test_a_claim_without_a_batch_goes_one_at_a_time() -> None:
    claim = BY_ID["lemma-3.1"]
    population = draw_examples(claim, 5, 0)
    for k, (ex, out) in enumerate(zip(population, evaluate_population(claim, population), strict=True)):
        _same(claim.check(ex.game, ex.witness), out, f"member {k}")


def test_population_hunt_is_reproducible_and_keeps_its_record_format() -> None:
    """Same seed and evaluation budget, same hunt, with the (1+λ)-ES generations of a batched claim; the
    record has the one-at-a-time hunt's keys."""
    claim = BY_ID["thm-3.8@inner-br-corrected"]
    runs = [hunt(claim, evaluations=60, seed_value=3).to_json() for _ in range(2)]
    single = hunt(claim, evaluations=20, seed_value=3, offspring=1).to_json()
    for r in [*runs, single]:
        r.pop("seconds")
    assert runs[0] == runs[1]
    assert runs[0]["evaluations"]["local"] > 0, runs[0]["evaluations"]
    assert sum(runs[0]["evaluations"].values()) == 60, runs[0]["evaluations"]
    assert set(runs[0]) == set(single), sorted(set(runs[0]) ^ set(single))


@pytest.mark.parametrize("claim_id", ["thm-3.8@inner-br-corrected", "lemma-3.2@cross-block", "lemma-3.5"])
def test_hunt_generation_in_blocks_judges_the_same_draws(claim_id) -> None:
    """The generation phase in blocks (population mode) judges what one draw at a time judges: with
    plain draws (``method="random"``, no ``target()``) and one evaluation budget both see the same
    Hypothesis examples — lemma-3.5's seeds built in blocks — and report the same counts and margins."""
    claim = BY_ID[claim_id]
    blocks, alone = (hunt(claim, evaluations=40, seed_value=5, method="random", offspring=k).to_json() for k in (16, 1))
    for key in ("evaluations", "premises_met", "informative", "status"):
        assert blocks[key] == alone[key], (key, blocks[key], alone[key])
    a, b = blocks["best_margin"], alone["best_margin"]
    assert (a is None and b is None) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), (a, b)


def test_population_hunt_finds_a_planted_violation() -> None:
    """The planted mutant (ε/1000 in the inner-loop claim's bound) is found by the population hunt."""
    claim = BY_ID["thm-3.8@inner-br-corrected"]
    result = hunt(claim, evaluations=200, seed_value=0, mutation={"eps_scale": 1e-3})
    assert result.status == "refuted", result.note


def test_a_violation_the_blocks_meet_is_kept_when_the_rerun_misses_it(monkeypatch) -> None:
    """The blocks' target phase may reach a violation that the one-at-a-time rerun (other draws past the
    first, Hypothesis's own target phase) does not: the row is then judged on the blocks' violation —
    confirmed, refuted — instead of reading "holds" (``cor-4.8@good-step`` met one in its blocks and
    held on the rerun, 93 s). The block run here meets the previous hunt's counterexample of
    ``thm-4.7@good-step``; 4 draws one at a time meet nothing."""
    import dataclasses
    from pathlib import Path

    import mpgverify.verify.runner as runner

    claim = dataclasses.replace(BY_ID["thm-4.7@good-step"], shipped_counterexample=None)
    _, example, _ = load_counterexample(Path(__file__).parent / "fixtures" / "block-violation-thm-4.7@good-step.json")
    out = claim.check(example.game, example.witness)
    assert out.violated, out

    def blocks_meet_it(claim, n, seed_value, mutation, stats) -> bool:
        stats.record(example, out, claim.coverage)
        return False

    monkeypatch.setattr(runner, "_in_blocks", blocks_meet_it)
    row = run_claim(claim, max_examples=4)
    assert row.status == "refuted", row.note
    assert "met by the block run" in row.note, row.note
    assert row.detail["example"] is example


def test_runner_blocks_reach_the_same_verdicts() -> None:
    """The runner's blocks and its one-at-a-time run agree: holds on the claim as printed (each past the
    claim's minimum of informative examples; block mode's target phase picks its own neighbours, so
    the examples differ past the draws), refuted when the planted mutant is the claim (the blocks meet
    a violation and fall back to one at a time)."""
    claim = BY_ID["thm-3.8@inner-br-corrected"]
    blocks = run_claim(claim, max_examples=24, blocks=True)
    alone = run_claim(claim, max_examples=24, blocks=False)
    assert (blocks.status, alone.status) == ("holds", "holds"), (blocks.note, alone.note)
    assert blocks.examples == 24 and blocks.premises_met == 24, blocks.note
    # the planted mutant bound into the claim itself (a mutation= would skip block mode): a false claim
    # whose violation the blocks meet, and the fallback refutes
    import dataclasses
    import functools

    false = dataclasses.replace(
        claim,
        check=functools.partial(claim.check, eps_scale=1e-3),
        after_gate=functools.partial(claim.after_gate, eps_scale=1e-3),
        batch=functools.partial(claim.batch, eps_scale=1e-3),
    )
    planted = run_claim(false, max_examples=24, blocks=True)
    assert planted.status == "refuted", planted.note


def test_a_lone_member_is_gated_once_and_checked_as_alone() -> None:
    """A population member alone in its shape runs the check behind the gate already established
    (``Claim.after_gate``): one gate run per member, and the check's own outcome."""
    import dataclasses

    claim = BY_ID["thm-3.8@inner-br"]
    drawn = draw_examples(claim, 12, 4)
    lone, seen = [], set()
    for ex in drawn:
        if shape_of(ex) not in seen and claim.premises(ex.game, ex.witness):
            seen.add(shape_of(ex))
            lone.append(ex)
    assert len(lone) >= 2, f"only {len(lone)} shapes among 12 draws"
    calls = []

    def counting(game, witness):
        calls.append(1)
        return claim.premises(game, witness)

    def gated_again(game, witness, **mutation):
        raise AssertionError("claim.check ran: the gate ran a second time")

    outs = evaluate_population(dataclasses.replace(claim, premises=counting, check=gated_again), lone)
    assert len(calls) == len(lone), f"{len(calls)} gate runs for {len(lone)} members"
    for k, (ex, out) in enumerate(zip(lone, outs, strict=True)):
        _same(claim.check(ex.game, ex.witness), out, f"lone member {k}")


def test_hunt_offspring_option(capsys, monkeypatch, tmp_path) -> None:
    """``mpgverify hunt --offspring N`` reaches the hunt (absent: the library's default, which the help
    states); a bad value is one line with exit 2."""
    import contextlib

    import mpgverify.verify.execution as execution
    from mpgverify.cli import main
    from mpgverify.verify.hunter import OFFSPRING

    with contextlib.suppress(SystemExit):
        main(["hunt", "--help"])
    assert f"(default {OFFSPRING}, the hunter's OFFSPRING" in " ".join(capsys.readouterr().out.split())
    seen = []
    real = execution.hunt
    monkeypatch.setattr(execution, "hunt", lambda claim, **kw: seen.append(kw["offspring"]) or real(claim, **kw))
    base = ["hunt", "thm-3.8@inner-br", "--evaluations", "5", "--workers", "1", "--counterexamples", str(tmp_path)]
    assert main([*base, "--offspring", "1"]) == 0 and main(base) == 0
    assert seen == [1, OFFSPRING], seen
    capsys.readouterr()
    code = None
    try:
        code = main([*base, "--offspring", "0"])
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code == 2 and "--offspring" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_runner_block_mode_has_a_target_phase() -> None:
    """Block mode spends half its budget on Hypothesis's draws and half on a target phase of the
    claim's moves (what ``target()`` does one at a time): the same row under the same seed, exactly the
    budget's examples, and more informative examples than the same budget of draws alone — here on a
    step claim whose draws rarely hold a bad step (the ledger measured 7 of 169 without the phase)."""
    import mpgverify.verify.runner as runner

    claim = BY_ID["thm-4.7@bad-step"]
    rows = [run_claim(claim, max_examples=60, blocks=True) for _ in range(2)]
    keys = ("status", "examples", "premises_met", "informative", "worst_margin", "distribution")
    assert [getattr(rows[0], k) for k in keys] == [getattr(rows[1], k) for k in keys]
    assert rows[0].examples == 60, rows[0].note
    share = runner.DRAWN_SHARE
    try:
        runner.DRAWN_SHARE = 1.0  # every example a draw: no target phase
        drawn_only = run_claim(claim, max_examples=60, blocks=True)
    finally:
        runner.DRAWN_SHARE = share
    assert drawn_only.examples == 60
    assert rows[0].informative > drawn_only.informative, (rows[0].informative, drawn_only.informative)


def test_an_ulp_of_huge_values_is_not_a_violation_of_the_inner_loop_claim() -> None:
    """A hunt met a one-agent game with potential in [0, 1e-5] and, through a dummy term, rewards of
    1.8e14: its inner loop fell short of ε/2 = 0.025 by exactly one ulp of its values (2⁻⁵), and an
    absolute tolerance of 2e-9 called that a violation. The tolerance now grows with the rewards'
    magnitude, alone and batched alike."""
    from pathlib import Path

    claim = BY_ID["thm-3.8@inner-br-corrected"]
    _, example, _ = load_counterexample(
        Path(__file__).parent / "fixtures" / "round-off-thm-3.8@inner-br-corrected.json"
    )
    out = claim.check(example.game, example.witness)
    assert out.premises_met and not out.violated, (out.margin, out.tol)
    assert out.observed == pytest.approx(0.03125) and out.tol > 1e5, (out.observed, out.tol)
    stacked = evaluate_population(claim, [example, example])
    assert all(o is not None and not o.violated for o in stacked), stacked


def _same_example(a: Example, b: Example) -> bool:
    """The same game (every stored tensor, γ) and the same witness, value for value."""
    ga, gb = a.game, b.game
    tensors = ("transition", "rewards", "mu")
    if ga.gamma != gb.gamma or any(not torch.equal(getattr(ga, t), getattr(gb, t)) for t in tensors):
        return False
    if (ga.potential is None) != (gb.potential is None) or (
        ga.potential is not None and not torch.equal(ga.potential, gb.potential)
    ):
        return False
    return repr(a.witness) == repr(b.witness)


@pytest.mark.parametrize(
    ("first", "second"),
    [("lemma-3.5", "lemma-3.5@d1"), ("lemma-3.2", "lemma-3.2@own-block"), ("def-4.4@as-used", "thm-4.5@corrected")],
)
def test_a_draw_served_again_equals_a_fresh_draw(first: str, second: str) -> None:
    """Claims declared with one draw source (an ``examples`` factory or a construction) draw once per seed,
    budget and block (draw_examples keeps the last few): what the second claim is served equals what
    Hypothesis draws (and the construction builds) anew, example for example, and a served witness is a
    copy that the next caller does not see changed."""
    claim_a, claim_b = BY_ID[first], BY_ID[second]
    assert (claim_a.construction or claim_a.examples) == (claim_b.construction or claim_b.examples)
    served_a = draw_examples(claim_a, 10, 11)
    served_b = draw_examples(claim_b, 10, 11)
    fresh = fresh_draw(claim_b, 10, 11)
    assert len(served_a) == len(served_b) == len(fresh) == 10
    differ = [k for k, (x, y) in enumerate(zip(served_b, fresh, strict=True)) if not _same_example(x, y)]
    assert not differ, f"served draws {differ} differ from a fresh draw"
    assert all(_same_example(x, y) for x, y in zip(served_a, served_b, strict=True))
    served_b[0].witness["poisoned"] = True
    assert "poisoned" not in draw_examples(claim_a, 10, 11)[0].witness, "a served witness was shared"
