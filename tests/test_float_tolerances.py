"""The float tolerances of the identity claims (``lhs = rhs`` checked in float64, a float violation then
re-checked in rationals) against examples where float64 loses accuracy: the hunter met both of these,
and the exact re-check found the identity exact (``docs/hunt.json`` at the stop before: inconclusive).

A tolerance must cover the rounding of the quantities the check subtracts, and no more: each case
also checks that the planted violation (the claims' mutants) is still far outside it."""

from __future__ import annotations

import math

import pytest
import torch

from mpgverify.policy import softmax_policy
from mpgverify.solvers.evaluation import evaluate
from properties.section3_lemmas import check_lemma_3_1
from properties.section3_npg import check_lemma_3_7, exact_lemma_3_7
from randomgames import identical_interest_game


def _scaled(seed: int, factor: float, gamma: float, n_agents: int = 1):
    game = identical_interest_game(seed=seed, n_agents=n_agents, n_states=2, n_actions=2, gamma=gamma)
    return game.replace(rewards=game.rewards * factor, potential=game.potential * factor)


@pytest.mark.parametrize("seed", range(6))
def test_lemma_3_1_tolerance_covers_the_rounding_of_d_times_v(seed) -> None:
    """γ = 0.99 and rewards ~2000 (d ~ 100, |V| ~ 2·10⁵): the float residual between autograd and
    d π A is ~1e-9 on gradients of ~0.1, above 1e-9·(1 + max |∇|); the tolerance counts the terms'
    size d(s)·|V|, so the identity holds there, and a factor 2 still breaks it by orders of magnitude."""
    game = _scaled(seed, 2000.0, 0.99)
    witness = {"theta": [[[4.0, -2.0], [0.5, 3.0]]]}
    probs = softmax_policy(tuple(torch.tensor(t, dtype=torch.float64) for t in witness["theta"]))
    ev = evaluate(game, probs)
    terms = float(ev.d.max() * ev.V.abs().max())
    out = check_lemma_3_1(game, witness)
    assert not out.violated and out.tol >= 1e-9 * terms, (out, terms)
    planted = check_lemma_3_1(game, witness, factor=2.0)
    assert planted.violated and -planted.margin > 1e3 * planted.tol, planted


def test_lemma_3_1_tolerance_stays_tight_on_ordinary_games() -> None:
    """On a game of the drawn range (rewards in [0, 1], γ = 0.5) the tolerance is 1e-9 of quantities of
    order one: the float check keeps its power."""
    game = identical_interest_game(seed=0, n_agents=2, n_states=2, n_actions=2, gamma=0.5)
    out = check_lemma_3_1(game, {"theta": [[[0.3, -0.2], [0.0, 1.0]], [[1.0, 0.0], [0.2, 0.1]]]})
    assert not out.violated and out.tol <= 1e-8, out


def test_lemma_3_7_past_float64_range_decides_nothing() -> None:
    """Rewards ~1e13 and a logit gap of 709 (a probability of 1e-308, subnormal): the float residual was
    5e291 where the exact margin is 0. Such an example is not informative and its tolerance is
    infinite: it can be no float violation."""
    game = _scaled(0, 1e13, 0.99)
    witness = {"theta": [[[0.0, 709.0], [0.0, 1.0]]], "eta": 0.6}
    out = check_lemma_3_7(game, witness)
    assert not out.informative and math.isinf(out.tol) and not out.violated, out
    assert exact_lemma_3_7(game, witness).value == 0.0


def test_lemma_3_7_tolerance_keeps_the_planted_step() -> None:
    """On an ordinary policy the planted 2η step is far outside the tolerance, scaled or not."""
    for factor in (1.0, 1e6):
        game = _scaled(1, factor, 0.9)
        witness = {"theta": [[[0.2, -0.4], [1.0, 0.0]]], "eta": 0.5}
        held, planted = check_lemma_3_7(game, witness), check_lemma_3_7(game, witness, factor=2.0)
        assert held.informative and not held.violated, held
        assert planted.violated and -planted.margin > 1e3 * planted.tol, (factor, planted)


def _subnormal_stage_game():
    """One state, 2 × 2 actions, a joint reward r(a) = 5e-324 (subnormal): the valid β's low end is
    about 1/r(a) ≈ 1e323, beyond float64."""
    from mpgverify.game import MarkovGame

    P = torch.ones(1, 2, 2, 1, dtype=torch.float64)
    R = torch.tensor([[[[5e-324, 0.5], [0.3, 0.2]]], [[[0.0, 0.5], [0.3, 0.2]]]], dtype=torch.float64)
    return MarkovGame(n_actions=(2, 2), transition=P, rewards=R, gamma=0.5, mu=torch.ones(1, dtype=torch.float64))


def test_a_beta_beyond_float64_is_undecided_not_an_overflow() -> None:
    """def-4.2's check raised OverflowError (float(β)) on such a game, one at a time and in a population,
    which ended a 60 s hunt; the gate now says undecided, with the reason, wherever (α, β) are asked."""
    from mpgverify.verify.claims import Example
    from mpgverify.verify.population import evaluate_population
    from mpgverify.verify.registry import load_claims
    from properties.smoothness import smoothness_constants

    game = _subnormal_stage_game()
    witness = {"theta": [[[0.0, 0.0]], [[0.0, 0.0]]], "theta_prime": [[[1.0, 0.0]], [[0.0, 1.0]]], "alpha": 1.0}
    gate = smoothness_constants(game, witness | {"beta_choice": 0.5})
    assert gate.met is None and "float64" in gate.reason, gate  # type: ignore[union-attr]
    claim = {c.id: c for c in load_claims()}["def-4.2"]
    examples = [Example(game, witness | {"beta_choice": c}) for c in (0.0, 0.5)]
    for out in [claim.check(game, examples[0].witness), *evaluate_population(claim, examples, {})]:
        assert out is not None and out.undecided and not out.premises_met, out
    # the same game at a β it can take: a stated β in range is decided as before
    held = smoothness_constants(game, witness | {"beta": 1e100})
    assert isinstance(held, tuple) or held.met is not None, held
