"""Theorem 3.4's gate in stacks (issue 24): one computation alone and in a population.

The gate fixes η from Φ's range, reads ``moved`` from the initial gradient, runs PG and certifies the
limit's stationarity from its local advantages, all in stacked solves; the gate on one example is a
stack of one. η then drives the PG run, so a member's numbers must not depend on its stack, bit for
bit, and they must be the one-game solvers' and the library's PG run's to round-off:

* Φ's range, the local advantages and ``d π A`` of a member are the same in a stack of one and of
  five, on MPGs of 1–3 agents and states and every policy kind, and equal the dense solvers' to 1e-12;
* the batched gate's decisions, η, ``moved``, steps taken and limit θ equal the gate's (stacks of one)
  exactly, on drawn examples and their hunter neighbours;
* the gate's decisions equal :func:`~properties.pg_limits.pg_limit`'s, the library's PG on the game
  alone with the one-game solvers, and its numbers agree to round-off.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import randomgames as rg
from mpgverify import bounds
from mpgverify.algorithms.gradients import policy_gradients
from mpgverify.errors import MpgverifyError
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.evaluation import evaluate
from mpgverify.solvers.game_constants import potential_range
from mpgverify.verify.population import draw_examples, shape_of
from mpgverify.verify.registry import load_claims
from properties.common import theta_of
from properties.pg_limits import pg_limit
from properties.section3_pg import batch_premises_thm_3_4, premises_thm_3_4
from tests.policy_kinds import POLICIES, logits_of

SHAPES = [(1, 1), (1, 2), (2, 1), (2, 2), (3, 2), (2, 3), (3, 3)]


@pytest.mark.parametrize("kind", POLICIES)
@pytest.mark.parametrize(("n_agents", "n_states"), SHAPES)
def test_a_members_range_advantages_and_gradient_do_not_depend_on_its_stack(
    kind: str, n_agents: int, n_states: int
) -> None:
    acts = [(3, 2, 1)[k] for k in range(n_agents)]
    games = [
        rg.dummy_term_game(seed=7 * b + n_states, n_agents=n_agents, n_states=n_states, n_actions=acts)
        for b in range(5)
    ]
    probs = softmax_policy(logits_of(kind, [(5, n_states, n) for n in acts], seed=n_agents))
    stacked, extremes = evaluate(GameBatch.stack(games), probs), potential_range(GameBatch.stack(games))
    grads = policy_gradients(probs, stacked)
    for b, game in enumerate(games):
        mine = tuple(p[b : b + 1] for p in probs)
        one, alone = GameBatch.stack([game]), evaluate(game, mine)
        ev, rng = evaluate(one, mine), potential_range(one)
        assert (float(rng.low[0]), float(rng.high[0])) == (float(extremes.low[b]), float(extremes.high[b]))
        low, high = potential_range(game)
        assert float(rng.low[0]) == pytest.approx(float(low), rel=1e-12, abs=1e-12), f"member {b}: Φ_min"
        assert float(rng.high[0]) == pytest.approx(float(high), rel=1e-12, abs=1e-12), f"member {b}: Φ_max"
        pairs = (
            (ev.advantages, stacked.advantages, alone.advantages, "advantages"),
            (policy_gradients(mine, ev), grads, policy_gradients(mine, alone), "d π A"),
        )
        for ones, many, dense, what in pairs:
            for i, (a, s, d) in enumerate(zip(ones, many, dense, strict=True)):
                assert torch.equal(a[0], s[b]), f"member {b}, agent {i}: {what} differ by {(a[0] - s[b]).abs().max()}"
                err = float((a[0] - d[0]).abs().max())
                assert err <= 1e-12 * (1 + float(d.abs().max())), f"member {b}, agent {i}: {what} vs dense {err:.3g}"


def _population(seed_value: int) -> list:
    """Draws of thm-3.4 and 6 neighbours of each of the first 3 whose premises hold (one shape each)."""
    claim = next(c for c in load_claims() if c.id == "thm-3.4")
    drawn = draw_examples(claim, 16, seed_value)
    rng, kids = np.random.default_rng(seed_value), []
    for parent in [ex for ex in drawn if claim.premises(ex.game, ex.witness)][:3]:
        for _ in range(6):
            try:
                kids.append(claim.moves.neighbour(parent, rng, 0.3))  # type: ignore[union-attr]
            except (ValueError, MpgverifyError):
                continue
    return drawn + kids


@pytest.mark.parametrize("seed_value", [0, 5])
def test_batched_gate_equals_the_gate_bit_for_bit(seed_value: int) -> None:
    """The population's gate and each member's own (a stack of one): decisions, η, ``moved``, steps and
    the limit θ, exactly."""
    groups: dict = {}
    for ex in _population(seed_value):
        groups.setdefault(shape_of(ex), []).append(ex)
    compared = 0
    for members in groups.values():
        got = batch_premises_thm_3_4([m.game for m in members], [m.witness for m in members])
        for k, (ex, gate) in enumerate(zip(members, got, strict=True)):
            want = premises_thm_3_4(ex.game, ex.witness)
            assert (gate.met, gate.reason) == (want.met, want.reason), f"member {k}: {gate} vs {want}"
            if want.met is not True:
                continue
            compared += 1
            for fact in ("eta", "moved", "steps"):
                assert gate.facts[fact] == want.facts[fact], (
                    f"member {k}: {fact} {gate.facts[fact]!r} vs {want.facts[fact]!r}"
                )
            for a, b in zip(gate.facts["state"].theta, want.facts["state"].theta, strict=True):
                assert torch.equal(a, b), f"member {k}: the limit θ differs by {(a - b).abs().max()}"
    assert compared >= 10, f"only {compared} members met the premises: the test compared too little"


def test_the_gate_agrees_with_the_librarys_pg_run_on_the_game_alone() -> None:
    """The oracle: η from the one-game Φ range, ``moved`` from the dense evaluation, and
    :func:`~properties.pg_limits.pg_limit` (PG as the library runs it, the certificate read from the
    game's own evaluation). Same decisions and reasons; η, ``moved`` and the limit θ to round-off."""
    met = 0
    for ex in _population(1):
        gate = premises_thm_3_4(ex.game, ex.witness)
        if gate.met is not True and "θ_t" not in (gate.reason or ""):
            continue  # a rule before the PG run failed: nothing of the run to compare
        game, theta0 = ex.game, theta_of(ex.game, ex.witness)
        low, high = potential_range(game)
        eta = float(ex.witness.get("eta_fraction", 1.0)) * bounds.thm_3_4_step(game.n_agents, game.gamma, high - low)
        state, steps, reason = pg_limit(game, theta0, eta, int(ex.witness["steps"]))
        assert (gate.met is True) == (reason is None), f"{ex.witness}: gate {gate.reason!r}, alone {reason!r}"
        if reason is not None:
            continue
        met += 1
        probs = softmax_policy(theta0)
        moved = max(float(g.abs().max()) for g in policy_gradients(probs, evaluate(game, probs)))
        assert gate.facts["eta"] == pytest.approx(eta, rel=1e-12) and gate.facts["steps"] == steps
        assert gate.facts["moved"] == pytest.approx(moved, rel=1e-12, abs=1e-300)
        for a, b in zip(gate.facts["state"].theta, state.theta, strict=True):
            assert float((a - b).abs().max()) <= 1e-10 * (1 + float(b.abs().max())), "the limits differ"
    assert met >= 10, f"only {met} examples met the premises"
