"""NPG-BR's inner loops, the shortcuts taken for speed (issue 24) against the long way.

* A single-action agent runs one step, not K (its move is zero in exact arithmetic).
* Agents with 2 and 3 actions run as one stack, padded by actions of θ = −∞: each agent's loop is its
  own (to round-off: the pads add exact zeros, but the products may accumulate in another order).
* The hot step :func:`~mpgverify.algorithms.npg_br._value_and_move` is
  :func:`~mpgverify.solvers.mdp.policy_evaluation`'s arithmetic, bit for bit.
* A batch of games with a K per member equals each game's outer steps alone (to round-off).
"""

from __future__ import annotations

import pytest
import torch

import randomgames as rg
from mpgverify.algorithms.npg_br import _inner, _step_views, _value_and_move, outer_step
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.mdp import policy_evaluation
from mpgverify.solvers.nash import induced_mdp
from tests.policy_kinds import POLICIES, logits_of


def _reference_inner(game, theta, K: int):
    """NPG-BR's inner loops the long way: every agent K steps of θⁱ ← θⁱ + (Qⁱ − Vⁱ) in its induced MDP,
    through the general policy_evaluation, whatever its action count; the gain V_K(μ) − V_0(μ)."""
    probs = softmax_policy(theta)
    out, gains = [], []
    for i in range(game.n_agents):
        P, r = induced_mdp(game, probs, i)
        th, V0 = theta[i], None
        for _ in range(K):
            V, Q, _ = policy_evaluation(P, r, torch.softmax(th, dim=-1), game.gamma)
            V0 = V if V0 is None else V0
            th = th + (Q - V[..., None])
        V_K, _, _ = policy_evaluation(P, r, torch.softmax(th, dim=-1), game.gamma)
        out.append(th)
        gains.append(((V_K - V0) * game.mu).sum(-1))
    return out, torch.stack(gains, dim=-1)


@pytest.mark.parametrize("kind", POLICIES)
def test_a_single_action_agents_inner_loop_keeps_theta_and_the_full_loops_gain(kind: str) -> None:
    """A single-action agent's inner loop runs one step: its θ comes back exactly θ_t (the K-step loop
    returns θ_t plus round-off) and its gain is the K-step loop's, bit for bit (the same V_0 and V_K);
    the other agents' loops equal the reference's to round-off. Dense game, alone and in a batch."""
    games = [rg.general_mpg_game(seed=s, n_agents=3, n_states=2, n_actions=[1, 3, 2], gamma=0.6) for s in range(3)]
    theta = logits_of(kind, [(3, 2, n) for n in (1, 3, 2)])
    K = 25
    batch_out, batch_gains = _inner(GameBatch.stack(games), theta, K, 1.0, 0.0)
    for b, game in enumerate(games):
        member = tuple(t[b : b + 1] for t in theta)
        out, gains = _inner(game, member, K, 1.0, 0.0)
        want, want_gains = _reference_inner(game, member, K)
        assert torch.equal(out[0], member[0]), "the single-action agent's θ is returned unchanged"
        assert torch.equal(batch_out[0][b], theta[0][b]), "… in a batch too"
        assert float(gains[0, 0]) == float(want_gains[0, 0]), (float(gains[0, 0]), float(want_gains[0, 0]))
        assert float(batch_gains[b, 0]) == float(want_gains[0, 0])
        assert float((out[0] - want[0]).abs().max()) <= 1e-12 * K, "the K-step loop moved θ by round-off only"
        for i in (1, 2):
            err = float((out[i] - want[i]).abs().max())
            assert err <= 1e-10 * (1 + float(want[i].abs().max())), f"agent {i}: inner loop off by {err:.3g}"
            assert torch.equal(batch_out[i][b], out[i][0]), f"agent {i}: batched and alone differ"


@pytest.mark.parametrize("kind", POLICIES)
@pytest.mark.parametrize("acts", [(3, 2), (2, 3, 2), (1, 3, 2), (3, 1, 2), (2, 2)])
def test_padded_inner_loops_are_each_agents_own_loop(kind: str, acts: tuple[int, ...]) -> None:
    """The agents with 2 and 3 actions take their K steps in one stack, the narrower ones padded by
    actions of θ = −∞: every agent's θ_{t,K} and gain equal its own loop in its own (unpadded) MDP, γ
    from 0 to 0.95, one to three states. In exact arithmetic a pad adds zeros; in floats the products
    over 3 actions and over 2 may accumulate in another order (bit for bit with AVX2 kernels, a few ulps
    apart with AVX-512 ones), so the check is to 1e-12 relative: far below any tolerance of a claim."""
    for S, gamma in ((1, 0.0), (2, 0.6), (3, 0.95)):
        game = rg.general_mpg_game(seed=S, n_agents=len(acts), n_states=S, n_actions=list(acts), gamma=gamma)
        theta = logits_of(kind, [(1, S, n) for n in acts], seed=S)
        out, gains = _inner(game, theta, 20, 1.0, 0.0)
        want, want_gains = _reference_inner(game, theta, 20)
        for i, n in enumerate(acts):
            if n == 1:
                continue  # one step, θ returned as it was (the test above)
            assert out[i].shape == want[i].shape, f"agent {i}: {tuple(out[i].shape)} vs {tuple(want[i].shape)}"
            err = float((out[i] - want[i]).abs().max())
            assert err <= 1e-12 * (1 + float(want[i].abs().max())), f"S={S}, agent {i}: θ off by {err:.3g}"
            g, w = float(gains[0, i]), float(want_gains[0, i])
            assert abs(g - w) <= 1e-12 * (1 + abs(w)), f"S={S}, agent {i}: gain {g!r} vs {w!r}"


def test_outer_steps_with_a_single_action_agent_batched_equal_alone() -> None:
    """NPG-BR outer steps over a batch with a single-action agent and a K per member equal each game's
    steps alone: the agent kept exactly, its gain and θ to 1e-12 relative (the batch builds the induced
    MDPs with batched products, which on some CPUs accumulate in another order than one game's)."""
    games = [rg.dummy_term_game(seed=s, n_agents=3, n_states=3, n_actions=[2, 1, 3]) for s in range(4)]
    theta = logits_of("random", [(4, 3, n) for n in (2, 1, 3)], seed=2)
    Ks = torch.tensor([1, 6, 11, 3])
    batch = GameBatch.stack(games)
    for _ in range(3):
        stacked, mover, gain = outer_step(batch, theta, Ks, 1.0)
        for b, game in enumerate(games):
            alone, m, g = outer_step(game, tuple(t[b : b + 1] for t in theta), int(Ks[b]), 1.0)
            assert int(mover[b]) == int(m[0]), (b, mover, m)
            assert abs(float(gain[b]) - float(g[0])) <= 1e-12 * (1 + abs(float(g[0]))), (b, gain, g)
            for i in range(3):
                err = float((stacked[i][b] - alone[i][0]).abs().max())
                assert err <= 1e-12 * (1 + float(alone[i].abs().max())), f"member {b}, agent {i}: θ off by {err:.3g}"
        theta = stacked


@pytest.mark.parametrize("kind", POLICIES)
@pytest.mark.parametrize("lam", [0.0, 0.3])
@pytest.mark.parametrize("shape", [(2, 5, 3, 3), (1, 5, 1, 3), (3, 5, 2, 1), (1, 5, 3, 2)])
def test_the_inner_step_is_policy_evaluation_bit_for_bit(kind: str, lam: float, shape: tuple[int, ...]) -> None:
    """_value_and_move(λ = 0) is V and Q − V of policy_evaluation exactly (torch.equal), on a stack
    of MDPs ``[G, B, S, A]`` with one discount each (one state, one action included); with λ > 0 the
    barrier's natural direction is added."""
    from mpgverify.algorithms.gradients import natural_barrier_directions

    gen = torch.Generator().manual_seed(7)
    G, B, S, A = shape
    P = torch.rand(G, B, S, A, S, generator=gen, dtype=torch.float64)
    P = P / P.sum(-1, keepdim=True)
    r = torch.randn(G, B, S, A, generator=gen, dtype=torch.float64)
    gamma = torch.tensor([0.0, 0.3, 0.6, 0.9, 0.99], dtype=torch.float64).reshape(B, 1, 1)
    mu = torch.full((S,), 1.0 / S, dtype=torch.float64)
    p = torch.softmax(logits_of(kind, [(G, B, S, A)])[0], dim=-1)
    eye = torch.eye(S, dtype=torch.float64)
    V, move = _value_and_move(P, _step_views(P), r, p, eye, gamma, mu, lam)
    V_ref, Q_ref, d = policy_evaluation(P, r, p, gamma, mu)
    want = Q_ref - V_ref[..., None]
    if lam > 0:
        assert d is not None
        want = want + natural_barrier_directions((p,), lam, d, 0.0, "unnormalized")[0]
    assert torch.equal(V, V_ref), float((V - V_ref).abs().max())
    assert torch.equal(move, want), float((move - want).abs().max())


@pytest.mark.parametrize("eps_scale", [1.0, 0.1])
def test_thm_3_8_stops_at_its_first_eps_nash_iterate_with_the_full_runs_outcome(eps_scale: float) -> None:
    """thm-3.8 asks when the first ε-Nash iterate comes; its run stops there (``until``). Its outcome —
    observed steps, margin, tightness, informative — equals the one read off the full run of the bound's
    ⌊2(Φ_max − Φ_min)/ε⌋ + 1 outer steps, alone and batched, and the stop saves steps on some draws."""
    from mpgverify.verify.population import draw_examples, evaluate_population
    from mpgverify.verify.registry import load_claims
    from properties.section3_npg import _npg_br_run, _thm_3_8_outcome

    claim = next(c for c in load_claims() if c.id == "thm-3.8")
    examples = [ex for ex in draw_examples(claim, 40, 3) if claim.premises(ex.game, ex.witness).met]
    batched = evaluate_population(claim, examples, {"eps_scale": eps_scale})
    shorter = 0
    for ex, stacked in zip(examples, batched, strict=True):
        gate = claim.premises(ex.game, ex.witness)
        K, target = int(gate.facts["K"]), eps_scale * float(ex.witness["eps"])
        full, _, eps, allowed = _npg_br_run(ex.game, ex.witness, K)
        early = _npg_br_run(ex.game, ex.witness, K, until=target)[0]
        assert early == full[: len(early)], "the stopped run is a prefix of the full run"
        shorter += len(early) < len(full)
        want = _thm_3_8_outcome(full, eps, allowed, eps_scale)
        for got in (claim.check(ex.game, ex.witness, **{"eps_scale": eps_scale}), stacked):
            assert got is not None
            assert (got.observed, got.margin, got.tightness, got.informative) == (
                want.observed,
                want.margin,
                want.tightness,
                want.informative,
            ), f"{ex.witness}: got {got}, the full run gives {want}"
    assert len(examples) >= 10 and shorter >= 5, f"{shorter} of {len(examples)} runs stopped early"
