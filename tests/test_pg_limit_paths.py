"""Theorem 3.4's gate in stacks (issue 24) against each game alone.

The gate fixes η from Φ's range, reads ``moved`` from the initial gradient, runs PG and certifies the
limit's stationarity from its local advantages. The batched gate takes all three from stacked solves;
η then drives the PG run, so each number must be the member's own, bit for bit, not merely close:

* Φ's range, the evaluation's local advantages and ``d π A`` of a stack equal each game's dense solve
  exactly, on MPGs of 1–3 agents and states and every policy kind;
* the batched gate's η, ``moved``, steps taken and limit θ equal the gate's exactly, on drawn
  examples and their hunter neighbours.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import randomgames as rg
from mpgverify.algorithms.gradients import policy_gradients
from mpgverify.errors import MpgverifyError
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.evaluation import evaluate
from mpgverify.solvers.game_constants import potential_range
from mpgverify.verify.population import draw_examples, shape_of
from mpgverify.verify.registry import load_claims
from properties.section3_pg import batch_premises_thm_3_4, premises_thm_3_4
from tests.policy_kinds import POLICIES, logits_of

SHAPES = [(1, 1), (1, 2), (2, 1), (2, 2), (3, 2), (2, 3), (3, 3)]


@pytest.mark.parametrize("kind", POLICIES)
@pytest.mark.parametrize(("n_agents", "n_states"), SHAPES)
def test_stacked_range_advantages_and_gradient_are_each_games_own(kind: str, n_agents: int, n_states: int) -> None:
    acts = [(3, 2, 1)[k] for k in range(n_agents)]
    games = [
        rg.dummy_term_game(seed=7 * b + n_states, n_agents=n_agents, n_states=n_states, n_actions=acts)
        for b in range(5)
    ]
    batch = GameBatch.stack(games)
    probs = softmax_policy(logits_of(kind, [(5, n_states, n) for n in acts], seed=n_agents))
    stacked, extremes = evaluate(batch, probs), potential_range(batch)
    grads = policy_gradients(probs, stacked)
    for b, game in enumerate(games):
        mine = tuple(p[b : b + 1] for p in probs)
        alone = evaluate(game, mine)
        low, high = potential_range(game)
        assert (float(extremes.low[b]), float(extremes.high[b])) == (float(low), float(high)), f"member {b}: Φ range"
        for i, (a, s) in enumerate(zip(alone.advantages, stacked.advantages, strict=True)):
            assert torch.equal(a[0], s[b]), f"member {b}, agent {i}: advantages differ by {(a[0] - s[b]).abs().max()}"
        for i, (a, s) in enumerate(zip(policy_gradients(mine, alone), grads, strict=True)):
            assert torch.equal(a[0], s[b]), f"member {b}, agent {i}: d π A differs by {(a[0] - s[b]).abs().max()}"


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
def test_batched_gate_reads_each_members_own_numbers_bit_for_bit(seed_value: int) -> None:
    population = _population(seed_value)
    groups: dict = {}
    for ex in population:
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
