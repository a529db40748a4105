"""Draws that do not simulate one at a time (issue 24, deliverable 4): a strategy that runs dynamics to
build its witness is split into seeds and a batched build, and every built example equals the seed
built alone, which equals what the dynamics give, run as the library runs them.

Oracles: the ascent's gradient is checked against autograd of ``L_λ`` as Lemma 3.5 defines it, its
output against the premise it is built for, and the ratio-Nash build against the library's
``br_dynamics`` algorithm stepped on the dense game (the code the strategy ran before the split).
"""

from __future__ import annotations

import dataclasses
import functools
import math

import pytest
import torch
from hypothesis import Phase, given, seed, settings

from mpgverify.algorithms.br_dynamics import br_dynamics
from mpgverify.algorithms.gradients import log_barrier
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.evaluation import at_mu, evaluate, state_values
from mpgverify.solvers.nash import nash_gap
from mpgverify.verify.construction import Construction
from mpgverify.verify.determinism import independent_of_local_constants
from mpgverify.verify.population import build_population, draw_examples, draw_seeds, shape_of
from mpgverify.verify.runner import run_claim
from properties import all_claims
from properties.common import theta_of
from properties.section3_log_barrier import premises_lemma_3_5
from properties.section4 import premises_def_4_4
from properties.section4_draws import RATIO_NASH
from properties.stationary import STATIONARY, _objective

CLAIMS = all_claims()
BY_ID = {c.id: c for c in CLAIMS}
#: the claims whose examples are built by dynamics, and the construction each uses
CONSTRUCTED = {
    "lemma-3.5": STATIONARY,
    "lemma-3.5@d1": STATIONARY,
    "def-4.4@as-used": RATIO_NASH,
    "def-4.4@as-written": RATIO_NASH,
    "thm-4.5": RATIO_NASH,
    "thm-4.5@as-used": RATIO_NASH,
    "thm-4.5@corrected": RATIO_NASH,
}
CONSTRUCTIONS = {"stationary": STATIONARY, "ratio-nash": RATIO_NASH}


def _seeds(construction: Construction, n: int, seed_value: int = 0) -> list:
    return draw_seeds(construction, n, seed_value)


def test_the_constructed_claims_are_the_declared_ones() -> None:
    """Every claim whose strategy is a construction is listed here (and tested below), and no other."""
    got = {c.id: c.construction for c in CLAIMS if c.construction is not None}
    assert got == CONSTRUCTED, sorted(got)


@pytest.mark.parametrize("name", sorted(CONSTRUCTIONS))
def test_a_batched_build_equals_each_seed_built_alone(name: str) -> None:
    """``build_population`` (one stack per shape) gives every seed's example exactly, bit for bit, as
    ``construction.one(seed)``; at least one shape holds 3 seeds, so the stack is exercised."""
    construction = CONSTRUCTIONS[name]
    seeds = _seeds(construction, 60)
    shapes: dict = {}
    for s in seeds:
        shapes[shape_of(s)] = shapes.get(shape_of(s), 0) + 1
    assert max(shapes.values()) >= 3, shapes
    for k, (s, built) in enumerate(zip(seeds, build_population(construction, seeds), strict=True)):
        alone = construction.one(s)
        assert built.game is s.game and built.witness == alone.witness, f"{name} seed {k}: {built!r} vs {alone!r}"


@pytest.mark.parametrize("claim_id", sorted(CONSTRUCTED))
def test_the_runners_draws_are_the_strategys_draws(claim_id: str) -> None:
    """``draw_examples`` draws a constructed claim's seeds and builds them in blocks: the examples equal
    those its one-at-a-time strategy draws under the same seed."""
    claim = BY_ID[claim_id]
    drawn: list = []

    @seed(3)
    @settings(max_examples=12, database=None, deadline=None, phases=[Phase.explicit, Phase.generate])
    @given(claim.examples())
    def collect(ex) -> None:
        drawn.append(ex)

    with independent_of_local_constants():  # as the runner draws
        collect()
    blocks = draw_examples(claim, 12, 3)
    assert [ex.witness for ex in blocks] == [ex.witness for ex in drawn]


def _L(game, theta, lam: float) -> torch.Tensor:
    """``L_λ(θ) = Φ_θ(μ) + λ Σ_i (Σ_{s,a} log πⁱ(a|s)/(|S||Aⁱ|) + log|Aⁱ|)`` (Lemma 3.5), directly."""
    probs = softmax_policy(theta)
    return evaluate(game, probs).Phi_mu + lam * log_barrier(probs)


def test_the_ascent_gradient_is_autograds() -> None:
    """The ascent's objective and step direction: ``L_λ`` as Lemma 3.5 defines it, and its gradient by
    autograd (each agent's own gradient equals ∇L_λ in an MPG), on uniform, random, near-deterministic
    (logit gaps of 100) and starting θ of drawn seeds."""
    checked = 0
    for k, s in enumerate(_seeds(STATIONARY, 30, seed_value=1)):
        game, lam = s.game, float(s.witness["lam"])
        base = theta_of(game, s.witness)
        for kind, theta in (
            ("drawn", base),
            ("uniform", tuple(torch.zeros_like(t) for t in base)),
            (
                "random",
                tuple(torch.randn(t.shape, generator=torch.Generator().manual_seed(k), dtype=t.dtype) for t in base),
            ),
            (
                "near-deterministic",
                tuple(100.0 * (torch.arange(t.shape[-1], dtype=t.dtype) == 0) + 0 * t for t in base),
            ),
        ):
            leaves = tuple(t.detach().clone().requires_grad_(True) for t in theta)
            L = _L(game, leaves, lam)
            auto = torch.autograd.grad(L, leaves)
            L = L.detach()
            value, grads = _objective(
                GameBatch.stack([game]), [t[None] for t in theta], torch.tensor([lam], dtype=torch.float64)
            )
            assert abs(float(value[0]) - L.item()) <= 1e-12 * (1 + abs(float(L))), (k, kind, float(value[0]), float(L))
            for i, (a, b) in enumerate(zip(auto, grads, strict=True)):
                err = float((a - b[0]).abs().max())
                assert err <= 1e-10, f"seed {k} ({kind}) agent {i}: |autograd − closed form| = {err:.3g}"
            checked += 1
    assert checked == 120


def test_the_ascent_climbs_to_the_premise() -> None:
    """Every built θ has ``L_λ(θ) ≥ L_λ(θ₀)`` (an ascent), and meets Lemma 3.5's premise
    ``‖∇L_λ‖₂ ≤ λ/(2|S| max|Aⁱ|)`` (the gate itself decides) in at least 95 % of 100 seeds."""
    seeds = _seeds(STATIONARY, 100, seed_value=2)
    met = 0
    for s, built in zip(seeds, build_population(STATIONARY, seeds), strict=True):
        lam = float(s.witness["lam"])
        before, after = (
            _L(s.game, theta_of(s.game, s.witness), lam),
            _L(s.game, theta_of(built.game, built.witness), lam),
        )
        assert float(after) >= float(before) - 1e-12, (float(before), float(after), s)
        met += premises_lemma_3_5(built.game, built.witness).met is True
    assert met >= 95, f"the premise holds on {met} of {len(seeds)} built θ"


def _ratio_nash_oracle(seed_example):
    """The pre-split strategy's code on one seed: ``br_dynamics`` (the library's algorithm) stepped on the
    dense game, the blend, and the constructive ε from dense best responses."""
    game, w = seed_example.game, seed_example.witness
    alg = br_dynamics(eps=float(w["eps"]), reading=w["reading"])
    theta = theta_of(game, w)
    state = alg.init(game, seed=0, batch=1)._replace(probs=softmax_policy(tuple(t[None] for t in theta)))
    for _ in range(int(w["steps"])):
        state = alg.step(game, state)
    t = float(w["t"])
    blended = tuple((1 - t) * p[0] + t / p.shape[-1] for p in state.probs)
    eps = float(w["eps"])
    if w["constructive"]:
        V = at_mu(game, state_values(game, blended))
        best = nash_gap(game, blended, V_mu=V).best_values
        ratios = [float((b - v) / b) for v, b in zip(V, best, strict=True) if b > 0]
        if ratios and all(float(b) > 0 for b in best) and 0 < max(ratios) < 0.9:
            eps = min(0.99, max(ratios) * float(w["factor"]) + 1e-9)
    return blended, eps


def test_the_ratio_nash_build_runs_the_library_dynamics() -> None:
    """Each built policy and ε equal the oracle's (policies to 1e-12, ε to 1e-9 relative), and a
    constructive ε makes the blend ε-ratio-Nash as used (the gate of def-4.4@as-used decides)."""
    seeds = _seeds(RATIO_NASH, 80, seed_value=4)
    constructive = 0
    for k, (s, built) in enumerate(zip(seeds, build_population(RATIO_NASH, seeds), strict=True)):
        probs, eps = _ratio_nash_oracle(s)
        for i, p in enumerate(probs):
            err = float((torch.tensor(built.witness["probs"][i], dtype=torch.float64) - p).abs().max())
            assert err <= 1e-12, f"seed {k} agent {i}: the built policy differs from the dynamics' by {err:.3g}"
        assert math.isclose(built.witness["eps"], eps, rel_tol=1e-9, abs_tol=1e-15), (k, built.witness["eps"], eps)
        if eps != float(s.witness["eps"]):
            constructive += 1
            gate = premises_def_4_4(built.game, built.witness, reading="as-used")
            assert gate.met is True, f"seed {k}: constructive ε = {eps} but {gate.reason}"
    assert constructive >= 5, f"only {constructive} of {len(seeds)} seeds took the constructive ε"


@pytest.mark.parametrize("claim_id", ["lemma-3.5", "def-4.4@as-used"])
def test_runner_blocks_of_a_constructed_claim(claim_id: str) -> None:
    """The runner builds a constructed claim's draws in blocks: neither it nor the one-at-a-time run
    refutes the claim as printed (both hold on Lemma 3.5; def-4.4's informative draws are too few in 80
    to hold), the block's counts are those of the built draws, and the planted mutant is refuted
    (through the fallback)."""
    claim = BY_ID[claim_id]
    blocks = run_claim(claim, max_examples=80, blocks=True)
    alone = run_claim(claim, max_examples=80, blocks=False)
    allowed = {"holds"} if claim_id == "lemma-3.5" else {"holds", "inconclusive"}
    assert {blocks.status, alone.status} <= allowed, (blocks.note, alone.note)
    drawn = draw_examples(claim, 80, 0)
    met = sum(claim.premises(ex.game, ex.witness).met is True for ex in drawn)
    assert (blocks.examples, blocks.premises_met) == (len(drawn), met), blocks.note
    name, mutation = next(iter(claim.mutants.items()))
    # the mutant bound into the claim (a mutation= would skip block mode): the blocks meet its violation
    batch = None if claim.batch is None else functools.partial(claim.batch, **mutation)
    false = dataclasses.replace(
        claim,
        check=functools.partial(claim.check, **mutation),
        after_gate=functools.partial(claim.after_gate, **mutation),
        batch=batch,
    )
    planted = run_claim(false, max_examples=120, blocks=True)
    assert planted.status == "refuted", f"{claim_id} under {name!r}: {planted.note}"
