"""Meta-tests of the benchmarks' helpers: a benchmark that compares two ways of doing the same work must
start each side as a fresh process would (issue 24: the population benchmark's batched side once ran
after the one-at-a-time side on the same game objects and found their kept results)."""

from __future__ import annotations

import torch

from benchmarks.population import _cold, _fresh
from mpgverify.solvers import potential_space
from mpgverify.verify.population import draw_examples, evaluate_population
from mpgverify.verify.registry import load_claims
from properties import premises, smoothness, stage_lines

BY_ID = {c.id: c for c in load_claims()}


def test_cold_forgets_what_the_gates_and_solvers_kept() -> None:
    """After a population is judged, results are kept per game object (Def 2.2's residual), per content
    (agent-term bases, exact stage pieces) and per stage; ``_cold()`` forgets all of them."""
    claim = BY_ID["thm-4.7@per-agent"]
    population = draw_examples(claim, 12, 0)
    evaluate_population(claim, population)
    with_potential = [ex.game for ex in population if ex.game.potential is not None]
    assert any(premises._agent_term_residual.known(g) for g in with_potential), "nothing was kept per game"
    assert stage_lines._hull_kept.cache_info().currsize > 0, "no stage was kept"
    _cold()
    assert not any(premises._agent_term_residual.known(g) for g in with_potential)
    assert stage_lines._envelope_kept.cache_info().currsize == 0
    assert stage_lines._hull_kept.cache_info().currsize == 0
    assert smoothness._discount_scaled_of.cache_info().currsize == 0
    assert stage_lines._stage_pairs_of.cache_info().currsize == 0
    assert smoothness._discount_of.cache_info().currsize == 0
    assert len(potential_space._CACHE) == 0, f"{len(potential_space._CACHE)} agent-term bases still kept"


def test_fresh_copies_are_the_same_examples_on_new_game_objects() -> None:
    """``_fresh`` gives equal games (every array bit for bit) and equal witnesses, on new objects."""
    claim = BY_ID["lemma-3.5"]
    population = draw_examples(claim, 6, 0)
    for ex, copy in zip(population, _fresh(population), strict=True):
        assert copy.game is not ex.game and copy.witness is not ex.witness
        assert copy.witness == ex.witness
        for field in ("rewards", "transition", "mu"):
            assert torch.equal(getattr(copy.game, field), getattr(ex.game, field)), field
        assert copy.game.gamma == ex.game.gamma and copy.game.n_actions == ex.game.n_actions
        assert (copy.game.potential is None) == (ex.game.potential is None)
        if ex.game.potential is not None:
            assert torch.equal(copy.game.potential, ex.game.potential)


def test_since_filed_lists_neighbours_generation_by_generation() -> None:
    """``since_filed``'s hunter path lists each generation as the hunter does — λ (the hunter's OFFSPRING)
    neighbours of every parent, chain by chain — however many generations ``size`` asks for; one generation
    of ``size // parents`` each when that is fewer than λ."""
    from benchmarks.since_filed import OFFSPRING, _neighbours
    from mpgverify.verify.hunter import OFFSPRING as HUNTER_OFFSPRING

    class Moves:
        def neighbour(self, parent, rng, scale):
            return parent

    class Claim:
        moves = Moves()

    parents = ["a", "b", "c", "d"]
    assert OFFSPRING == HUNTER_OFFSPRING
    kids = _neighbours(Claim(), parents, 4 * 4 * OFFSPRING)
    want = [p for _ in range(4) for p in parents for _ in range(OFFSPRING)]
    assert kids == want, f"not 4 generations of {OFFSPRING} neighbours per parent, chain by chain"
    assert _neighbours(Claim(), parents, 32) == [p for p in parents for _ in range(8)]


def test_since_filed_table_states_each_ratio_and_its_ceiling() -> None:
    """The since-filed table: per path the filing code's time → now's (now's part that judges nothing in
    brackets), the ratio then ÷ now, and the ceiling then ÷ that part (a judge that cost nothing)."""
    from benchmarks.since_filed import _markdown

    then = [{"id": "x", "runner_s": 0.030, "draw_s": 0.010, "hunter_s": 0.0020, "moves_s": 0.0001}]
    now = [{"id": "x", "runner_s": 0.006, "draw_s": 0.005, "hunter_s": 0.0004, "moves_s": 0.00005}]
    row = _markdown(then, now, "ref").splitlines()[2]
    want = "| `x` | 30.00 → 6.00 (5.00) | 5.0× | 6.0× | 2.00 → 0.40 (0.05) | 5.0× | 40.0× |"
    assert row == want, f"got {row!r}, want {want!r}"


def test_judge_parts_times_a_function_where_it_was_imported_and_puts_it_back() -> None:
    """``timed_parts`` wraps a part in its own module and in every module that imported it by name (the
    claims call ``smoothness_constants`` through ``properties.ratio_nash``), counts its calls there, and
    restores the originals on the way out, also when the block raises."""
    import pytest

    from benchmarks.judge_parts import timed_parts
    from properties import ratio_nash

    original = smoothness.smoothness_constants
    assert ratio_nash.smoothness_constants is original
    claim = BY_ID["thm-4.5"]
    population = draw_examples(claim, 6, 0)
    with timed_parts({"smoothness": "properties.smoothness:smoothness_constants"}) as spent:
        assert ratio_nash.smoothness_constants is not original and smoothness.smoothness_constants is not original
        for ex in population:
            claim.premises(ex.game, ex.witness)
    seconds, calls = spent["smoothness"]
    assert calls == len(population) and seconds > 0, f"{calls} calls, {seconds} s for {len(population)} gates"
    assert ratio_nash.smoothness_constants is original and smoothness.smoothness_constants is original
    with pytest.raises(RuntimeError), timed_parts({"smoothness": "properties.smoothness:smoothness_constants"}):
        raise RuntimeError
    assert ratio_nash.smoothness_constants is original


def test_since_filed_pool_is_the_hunters_rule() -> None:
    """``since_filed``'s parents are the pool the hunter keeps from its draws: premises held with a finite
    margin, one per distinct score (−tightness where finite, else the margin), the lowest first; where
    none holds, the first draws with an outcome (a draw whose check raised has none)."""
    import math
    from types import SimpleNamespace as Out

    from benchmarks.since_filed import _pool
    from mpgverify.verify.claims import closeness

    def out(margin: float, met: bool = True, tightness: float | None = None) -> Out:
        return Out(margin=margin, premises_met=met, tightness=tightness)

    drawn = list("abcdefgh")
    outcomes = [
        out(0.0),  # a: score 0
        out(0.0),  # b: tied with a, dropped
        out(-5.0, met=False),  # c: premises not met
        out(math.inf),  # d: no finite margin
        out(2.0, tightness=0.9),  # e: score −0.9
        out(1.0),  # f: score 1
        out(3.0),  # g: score 3, fifth: cut
        out(0.5, tightness=math.inf),  # h: tightness not finite, score the margin 0.5
    ]
    assert _pool(drawn, outcomes, 4) == ["e", "a", "h", "f"]
    # the pool's order is the hunter's score's (``_pool`` restates it): e, a, h, f are draws 4, 0, 7, 5
    scores = [closeness(outcomes[k].tightness, outcomes[k].margin) for k in (4, 0, 7, 5)]
    assert scores == sorted(scores), f"{scores} are not the hunter's scores in increasing order"
    unmet = [None, out(0.0, met=False), out(1.0, met=False)]
    assert _pool(list("xyz"), unmet, 4) == ["y", "z"]
