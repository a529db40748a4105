"""Exact quantities on games small enough to work out by hand (the derivation is beside each number)."""

from __future__ import annotations

import pytest
import torch

from mpgverify import (
    best_response,
    coordination_game,
    evaluate,
    mismatch_coefficient,
    nash_gap,
    potential_range,
    price_of_anarchy,
    social_optimum,
    uniform_policy,
)
from tests.handgames import matrix_coordination, switch_mdp


def close(x: torch.Tensor | float, y: float, tol: float = 1e-12) -> bool:
    return abs(float(x) - y) <= tol


def test_switch_mdp_uniform_policy_by_hand() -> None:
    g = switch_mdp(gamma=0.5)
    ev = evaluate(g, uniform_policy(g))
    # Uniform policy: P_π = [[.5, .5], [.5, .5]], r_π = (0, 1). With m = (V0 + V1)/2:
    # V0 = γ m, V1 = 1 + γ m, so m = 1/2 + γ m = 0.5/(1 − γ) = 1 → V = (0.5, 1.5).
    assert close(ev.V[0, 0], 0.5) and close(ev.V[0, 1], 1.5), ev.V
    assert close(ev.V_mu[0], 1.0), ev.V_mu
    # Q(0, stay) = γ V0 = 0.25, Q(0, switch) = γ V1 = 0.75 → A(0, ·) = ∓0.25.
    assert close(ev.Q[0, 0, 0], 0.25) and close(ev.Q[0, 0, 1], 0.75), ev.Q
    assert close(ev.advantages[0][0, 0], -0.25) and close(ev.advantages[0][0, 1], 0.25)
    # After one step the state is uniform whatever s0: d = μ + γ/(1 − γ)·(½, ½) = (1, 1); Σ d = 1/(1 − γ).
    assert torch.allclose(ev.d, torch.tensor([1.0, 1.0], dtype=torch.float64), atol=1e-12), ev.d
    # Φ = V for the potential φ = r.
    assert close(ev.Phi_mu, 1.0)


def test_switch_mdp_optimum_by_hand() -> None:
    g = switch_mdp(gamma=0.5)
    br = best_response(g, uniform_policy(g), 0)
    # Optimal: stay in 1 (V*(1) = 1/(1 − γ) = 2), switch from 0 (V*(0) = γ·2 = 1); V*(μ) = 1.5.
    assert close(br.V[0], 1.0) and close(br.V[1], 2.0), br.V
    assert br.policy.tolist() == [[0.0, 1.0], [1.0, 0.0]]
    # Nash-gap of a single agent = optimality gap = 1.5 − 1.0.
    assert close(nash_gap(g, uniform_policy(g)).gap, 0.5)
    # Φ_max = V*(1) = 2; Φ_min = 0 (stay in 0 forever).
    assert potential_range(g) == pytest.approx((0.0, 2.0), abs=1e-12)
    # Visitation of state 1 from μ = (½, ½): max when staying in 1 and switching 0 → 1:
    # d(1) = ½·2 + ½·γ·2 = 1.5; min when staying in 0 and switching 1 → 0: d(1) = ½·1 = 0.5.
    # By symmetry the same holds for state 0, so M = 1.5 / 0.5 = 3.
    assert close(mismatch_coefficient(g).M, 3.0, 1e-10)


def test_matrix_coordination_by_hand() -> None:
    g = matrix_coordination(gamma=0.5)
    probs = (
        torch.tensor([[0.5, 0.5]], dtype=torch.float64),
        torch.tensor([[0.25, 0.75]], dtype=torch.float64),
    )
    ev = evaluate(g, probs)
    # Expected payoff 0.5·0.25·2 + 0.5·0.75·1 = 0.625; one state, so V = 0.625/(1 − γ) = 1.25.
    assert close(ev.V_mu[0], 1.25) and close(ev.V_mu[1], 1.25)
    # Agent 0 vs (¼, ¾): action 0 pays 0.5, action 1 pays 0.75 → best 0.75/(1 − γ) = 1.5, gain 0.25.
    # Agent 1 vs (½, ½): action 0 pays 1.0, action 1 pays 0.5 → best 2.0, gain 0.75.
    gap = nash_gap(g, probs)
    assert close(gap.gains[0], 0.25) and close(gap.gains[1], 0.75) and close(gap.gap, 0.75)
    # Local advantage of agent 0: Q(a) = r(a) + γ V; E_{a¹}Q(0, a¹) = 0.5 + 0.625 → A = −0.125, +0.125.
    assert close(ev.advantages[0][0, 0], -0.125) and close(ev.advantages[0][0, 1], 0.125)
    # Social optimum (0, 0): 2 + 2 per step → 4/(1 − γ) = 8; POA = 2.5/8 = 0.3125.
    assert close(social_optimum(g).value, 8.0)
    assert close(price_of_anarchy(g, probs), 0.3125)


def test_coordination_n2_by_hand() -> None:
    g = coordination_game(2)
    ev = evaluate(g, uniform_policy(g))
    # Algorithm 1, N = 2: r(00) = 3, r(01) = r(10) = 0, r(11) = 2. Uniform actions make the next
    # state uniform, mean reward 5/4, so V(μ) = 1.25/(1 − 0.95) = 25 for each agent.
    assert torch.allclose(ev.V_mu, torch.tensor([25.0, 25.0], dtype=torch.float64), atol=1e-10)
    # Social optimum: both always play 0 → next state 00 w.p. 0.81 (3), 11 w.p. 0.01 (2), mean 2.45:
    # per agent 1.25 + 0.95·2.45/0.05 = 47.8, summed 95.6 (the example of FORMATS.md).
    assert close(social_optimum(g).value, 95.6, 1e-9)
    assert close(price_of_anarchy(g, uniform_policy(g)), 50 / 95.6, 1e-12)


def test_nash_policy_has_zero_gap() -> None:
    g = matrix_coordination()
    pure = (torch.tensor([[1.0, 0.0]], dtype=torch.float64), torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    assert float(nash_gap(g, pure).gap) == 0.0
    # (1, 1) is also a Nash equilibrium (payoff 1 beats 0), with POA 1/2.
    worse = (torch.tensor([[0.0, 1.0]], dtype=torch.float64),) * 2
    assert float(nash_gap(g, worse).gap) == 0.0
    assert close(price_of_anarchy(g, worse), 0.5)
