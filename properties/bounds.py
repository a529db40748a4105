"""The paper's constants, step sizes and iteration counts, one function each with its source.

A property and an algorithm read the same formula from here."""

from __future__ import annotations

import math

__all__ = [
    "lemma_3_2_cross_block",
    "lemma_3_2_own_block",
    "lemma_3_2_smoothness",
    "lemma_3_5_gradient_threshold",
    "lemma_c1_cross_block",
    "lemma_c1_own_block",
    "lemma_c1_smoothness",
    "lemma_c3_step",
    "thm_3_4_step",
    "thm_3_6_beta",
    "thm_3_6_iterations",
    "thm_3_8_inner_steps",
    "thm_3_8_outer_steps",
]


def lemma_3_2_smoothness(n_agents: int, gamma: float) -> float:
    """Lemma 3.2: ``41N / (4(1−γ)³)``."""
    return 41 * n_agents / (4 * (1 - gamma) ** 3)


def lemma_3_2_own_block(n_agents: int, gamma: float) -> float:
    """Appendix B: own-block bound ``(6 + 2γ)/(1−γ)³``."""
    return (6 + 2 * gamma) / (1 - gamma) ** 3


def lemma_3_2_cross_block(n_agents: int, gamma: float) -> float:
    """Appendix B: cross-block bound ``(−4γ² + 2γ + 10)/(1−γ)³``."""
    return (-4 * gamma**2 + 2 * gamma + 10) / (1 - gamma) ** 3


def lemma_c1_smoothness(n_agents: int, c_inf: float) -> float:
    """Lemma C.1: ``N · max(5, √N) · ‖c‖∞``."""
    return n_agents * max(5.0, math.sqrt(n_agents)) * c_inf


def lemma_c1_own_block(n_agents: int, c_inf: float) -> float:
    """Lemma C.1 proof: own blocks ``5‖c‖∞``."""
    return 5.0 * c_inf


def lemma_c1_cross_block(n_agents: int, c_inf: float) -> float:
    """Lemma C.1 proof: cross blocks ``√N ‖c‖∞``."""
    return math.sqrt(n_agents) * c_inf


def lemma_c3_step(n_agents: int, gamma: float, phi_range: float) -> float:
    """Lemma C.3 / Theorem 3.4: ``(1−γ) / (N max(5, √N) (Φ_max − Φ_min))``."""
    return (1 - gamma) / (n_agents * max(5.0, math.sqrt(n_agents)) * phi_range)


def thm_3_4_step(n_agents: int, gamma: float, phi_range: float) -> float:
    """Theorem 3.4: ``min((1−γ)/(N max(5,√N)(Φ_max−Φ_min)), 4(1−γ)³/(41N))`` (the first term
    is dropped when Φ_max = Φ_min)."""
    second = 4 * (1 - gamma) ** 3 / (41 * n_agents)
    return second if phi_range <= 0 else min(lemma_c3_step(n_agents, gamma, phi_range), second)


def lemma_3_5_gradient_threshold(lam: float, n_states: int, max_actions: int) -> float:
    """Lemma 3.5: ``λ / (2|S| max_i |Aⁱ|)``."""
    return lam / (2 * n_states * max_actions)


def thm_3_6_beta(n_agents: int, gamma: float, n_states: int, lam: float) -> float:
    """Theorem 3.6: ``β_λ = 41N/(4(1−γ)³) + 2λN/|S|``."""
    return lemma_3_2_smoothness(n_agents, gamma) + 2 * lam * n_agents / n_states


def thm_3_6_iterations(
    n_agents: int, M: float, n_states: int, max_actions: int, phi_range: float, gamma: float, eps: float
) -> float:
    """Theorem 3.6: ``328NM²|S|²max|A|²(Φ_max−Φ_min)/((1−γ)³ε²) + 32NM|S|max|A|²(Φ_max−Φ_min)/ε``."""
    a2 = max_actions**2
    return (
        328 * n_agents * M**2 * n_states**2 * a2 * phi_range / ((1 - gamma) ** 3 * eps**2)
        + 32 * n_agents * M * n_states * a2 * phi_range / eps
    )


def thm_3_8_inner_steps(gamma: float, eps: float) -> float:
    """Theorem 3.8: ``K ≥ 4/((1−γ)²ε)``."""
    return 4 / ((1 - gamma) ** 2 * eps)


def thm_3_8_outer_steps(phi_range: float, eps: float) -> float:
    """Appendix E.2: outer steps ``≤ 2(Φ_max − Φ_min)/ε``."""
    return 2 * phi_range / eps
