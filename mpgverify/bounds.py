"""The paper's constants, step sizes and iteration counts, one function each with its source.

A property and an algorithm read the same formula from here (the algorithms' declared promises,
:mod:`mpgverify.algorithms`, and the claims of :mod:`properties`)."""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "cor_4_8_good_growth",
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
    "thm_3_8_epsilon",
    "thm_3_8_inner_steps",
    "thm_3_8_inner_steps_from",
    "thm_3_8_outer_steps",
    "thm_4_5_bound",
    "thm_4_7_bad_growth",
    "thm_4_7_bad_policies",
    "thm_4_7_good_growth",
    "thm_4_7_rho",
    "thm_4_7_threshold",
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
    if (1 - gamma) ** 3 * eps**2 == 0:  # a subnormal ε: the denominator underflows, the bound does not exist
        return math.inf
    return (
        328 * n_agents * M**2 * n_states**2 * a2 * phi_range / ((1 - gamma) ** 3 * eps**2)
        + 32 * n_agents * M * n_states * a2 * phi_range / eps
    )


def thm_3_8_inner_steps(gamma: float, eps: float) -> float:
    """Theorem 3.8: ``K ≥ 4/((1−γ)²ε)``."""
    den = (1 - gamma) ** 2 * eps
    return 4 / den if den != 0 else math.inf  # a subnormal ε underflows the denominator: no finite K


def thm_3_8_epsilon(gamma: float, K: int) -> float:
    """Theorem 3.8 read backwards: the smallest ε that ``K`` inner steps meet, ``ε_K = 4/((1−γ)²K)``."""
    return 4 / ((1 - gamma) ** 2 * K)


def thm_3_8_inner_steps_from(gamma: float, eps: float, surprise: float) -> float:
    """A corrected inner-loop length: ``K ≥ 2(L(1−γ) + 1)/((1−γ)²ε)`` with
    ``L = max_{s,a} log(1/π₀ⁱ(a|s))`` for the inner loop's starting policy π₀ⁱ.

    Derivation (the NPG theorem of Agarwal et al. 2019, Section 5.3, that the paper cites for K; one MDP,
    rewards in [0, 1], before its step ``KL ≤ log|A|`` for the uniform start): the update
    ``π_{k+1} ∝ π_k exp(η' A_k/(1−γ))`` gives ``V*(ρ) − V^{(K)}(ρ) ≤ E_{s~d*_ρ} KL(π*_s‖π₀_s)/(η'K) +
    1/((1−γ)²K)``. The inner loop (5) is that update with η'/(1−γ) = 1, i.e. η' = 1 − γ, in agent i's
    induced MDP (others fixed; in an MPG its value gaps are those of φ ∈ [0, 1]). With π* deterministic,
    ``KL(π*_s‖π₀_s) = log(1/π₀(a*(s)|s)) ≤ L``; so K ≥ 2(L/(1−γ) + 1/(1−γ)²)/ε makes the gap ≤ ε/2. From
    the uniform start L = log|Aⁱ|; the printed 4/((1−γ)²ε) drops the dependence on π₀ altogether."""
    den = (1 - gamma) ** 2 * eps
    return 2 * (surprise * (1 - gamma) + 1) / den if den != 0 else math.inf


def thm_3_8_outer_steps(phi_range: float, eps: float) -> float:
    """Appendix E.2: outer steps ``≤ 2(Φ_max − Φ_min)/ε``."""
    return 2 * phi_range / eps


# -- Section 4: every formula is written once over numbers (floats or Fractions alike) ---------------
def thm_4_5_bound(eps: Any, alpha: Any, beta: Any) -> Any:
    """Theorem 4.5: POA ≥ ``(1−ε)α / (1 + (1−ε)β)``."""
    return (1 - eps) * alpha / (1 + (1 - eps) * beta)


def thm_4_7_threshold(alpha: Any, beta: Any, sigma: Any) -> Any:
    """Theorem 4.7, eq. (8): a policy is good when ``V_π(μ) ≥ α/((1+β)(1+σ)) · V_π*(μ)``; the factor."""
    return alpha / ((1 + beta) * (1 + sigma))


def thm_4_7_bad_growth(sigma: Any, beta: Any, n_agents: int) -> Any:
    """Appendix F.1, eq. (20): after a bad policy ``Φ_{t+1} ≥ (1 + σ(1+β)/N) Φ_t``; the factor."""
    return 1 + sigma * (1 + beta) / n_agents


def thm_4_7_good_growth(eps: Any) -> Any:
    """Appendix F.1: after a good policy ``Φ_{t+1} ≥ Φ_t/(1−ε)``; the factor. ρ = (1−ε)·bad growth."""
    return 1 / (1 - eps)


def cor_4_8_good_growth(eps: Any, gamma: Any) -> Any:
    """Appendix F.2: for NPG-BR, ``Φ_{t+1} ≥ (1 + ε/(2(1−γ))) Φ_t``; ρ = bad growth / this factor."""
    return 1 + eps / (2 * (1 - gamma))


def thm_4_7_rho(bad_growth: Any, good_growth: Any) -> Any:
    """Theorem 4.7: ``ρ = (1−ε)(1 + σ(1+β)/N)``, i.e. bad-step growth ÷ good-step growth; Corollary 4.8:
    ``ρ = (1 + σ(1+β)/N)/(1 + ε/(2(1−γ)))``, the same quotient with its good-step growth."""
    return bad_growth / good_growth


def thm_4_7_bad_policies(phi_max: float, phi_0: float, T: int, good_growth: float, rho: float) -> float:
    """Theorem 4.7 / Corollary 4.8: at most ``log_ρ(Φ_max/Φ₀) − T·log_ρ(good growth)`` policies of the
    sequence π₀..π_T violate (8)."""
    return (math.log(phi_max / phi_0) - T * math.log(good_growth)) / math.log(rho)
