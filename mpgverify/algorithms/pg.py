"""Policy gradient, eq. (3), and log-barrier policy gradient on L_λ (Section 3.2).

``θⁱ_{t+1} = θⁱ_t + η ∇_{θⁱ} Vⁱ_{θ_t}(μ)``  (= ``η ∇_{θⁱ} Φ_{θ_t}(μ)`` in an MPG), every agent at once.

With ``lam > 0`` the ascent is on ``L_λ(θ) = Φ_θ(μ) + λ Σ_i (Σ_{s,a} log πⁱ(a|s)/(|S||Aⁱ|) + log|Aⁱ|)``:
each agent adds the barrier's gradient to ``∇_{θⁱ} Vⁱ`` (which equals ``∇_{θⁱ} Φ`` in an MPG).
Gradients are exact (Lemma 3.1 closed form; ``gradient="autograd"`` differentiates instead).
"""

from __future__ import annotations

import torch

from mpgverify.algorithms.api import Algorithm, register
from mpgverify.algorithms.gradients import autograd_policy_gradients, log_barrier_gradients, marginal_policy_gradients
from mpgverify.algorithms.promises import pg_promises
from mpgverify.algorithms.tabular import check_lam, check_lr, tabular_ascent
from mpgverify.errors import FormatError
from mpgverify.game import Game
from mpgverify.policy import softmax_policy

__all__ = ["log_barrier_pg", "pg", "pg_direction"]


def pg_direction(game: Game, theta: tuple[torch.Tensor, ...], lam: float, gradient: str) -> tuple[torch.Tensor, ...]:
    """``∇_{θⁱ} Vⁱ(μ)`` (+ the log-barrier gradient when λ > 0) for every agent."""
    probs = softmax_policy(theta)
    if gradient == "autograd":
        grads = autograd_policy_gradients(game, theta)
    else:
        grads = marginal_policy_gradients(game, probs)
    if lam > 0:
        grads = tuple(g + b for g, b in zip(grads, log_barrier_gradients(probs, lam), strict=True))
    return grads


def pg(
    *, lr: float = 0.1, lam: float = 0.0, gradient: str = "closed-form", init: str = "normal", init_scale: float = 1.0
) -> Algorithm:
    """Exact policy gradient (3); ``lam > 0`` gives log-barrier PG on L_λ.

    Args:
      lr: step size η (Section 5: 0.1).
      lam: log-barrier coefficient λ ≥ 0.
      gradient: ``"closed-form"`` (Lemma 3.1) or ``"autograd"``.
      init: θ₀ ~ N(0, init_scale²) (``"normal"``) or θ₀ = 0 (``"zeros"``).
    """
    lr, lam = check_lr(lr), check_lam(lam)
    if gradient not in ("closed-form", "autograd"):
        raise FormatError("gradient", f"must be 'closed-form' or 'autograd', got {gradient!r}")
    return tabular_ascent(
        "log-barrier-pg" if lam > 0 else "pg",
        lambda game, theta: pg_direction(game, theta, lam, gradient),
        lr=lr,
        init=init,
        init_scale=init_scale,
        options={"lr": lr, "lam": lam, "gradient": gradient, "init": init, "init_scale": init_scale},
        promises=pg_promises(lr, lam),
    )


def log_barrier_pg(*, lam: float = 0.1, **options: object) -> Algorithm:
    """Log-barrier PG (Section 3.2); same options as :func:`pg`."""
    if not lam > 0:
        raise FormatError("lam", f"log-barrier PG needs λ > 0, got {lam!r}")
    return pg(lam=lam, **options)  # type: ignore[arg-type]


register("pg", pg)
register("log-barrier-pg", log_barrier_pg)
