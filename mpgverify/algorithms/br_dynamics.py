"""Maximum-gain ε-ratio-best-response dynamics (Section 4.3), with exact best responses.

Until π is ε-ratio-Nash, the agent whose exact best response raises its own value the most
switches to that best response (Roughgarden 2015). Def 4.4 has two readings:

* ``reading="as-used"`` (the proof of Thm 4.5): ε-ratio-Nash iff ``Vⁱ_π(μ) ≥ (1−ε) max_π'ⁱ Vⁱ(π'ⁱ, π⁻ⁱ)(μ)``;
* ``reading="as-written"``: iff ``max_π'ⁱ Vⁱ(π'ⁱ, π⁻ⁱ)(μ) ≤ (1−ε) Vⁱ_π(μ)`` (with positive
  values and ε > 0 this never holds, so the dynamics never stop).

Once a run is ε-ratio-Nash its policy stays fixed (``done``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import torch

from mpgverify.algorithms.api import Algorithm, register
from mpgverify.algorithms.promises import br_dynamics_promises
from mpgverify.algorithms.tabular import init_theta
from mpgverify.errors import FormatError
from mpgverify.game import Game
from mpgverify.policy import softmax_policy
from mpgverify.solvers.evaluation import at_mu, state_values
from mpgverify.solvers.nash import best_responses

__all__ = ["BRState", "br_dynamics", "is_ratio_nash", "max_gain_step"]


class BRState(NamedTuple):
    """Attributes:
    probs: the product policy ``[B, S, Aⁱ]`` per agent.  t: steps done.
    done: ``[B]`` ε-ratio-Nash reached.  last_agent: ``[B]`` the agent moved last (−1: none).
    """

    probs: tuple[torch.Tensor, ...]
    t: int
    done: torch.Tensor
    last_agent: torch.Tensor


def is_ratio_nash(
    V: torch.Tensor, best: torch.Tensor, eps: float | torch.Tensor, reading: str, *, tol: float | torch.Tensor = 0.0
) -> torch.Tensor:
    """ε-ratio-Nash test of Def 4.4 from own values ``V`` and best-response values ``best`` ``[*B, N]``,
    each inequality allowed a slack of ``tol`` (``eps`` and ``tol``: a number, or ``[*B, 1]``, one per member)."""
    if reading == "as-used":
        return (V >= (1 - eps) * best - tol).all(dim=-1)
    return (best <= (1 - eps) * V + tol).all(dim=-1)


def max_gain_step(
    game: Game,
    probs: Sequence[torch.Tensor],
    done: torch.Tensor,
    ratio_nash: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    V: torch.Tensor | None = None,
) -> tuple[tuple[torch.Tensor, ...], torch.Tensor, torch.Tensor]:
    """One step of the dynamics for a batch ``[B]`` of policies (of one game, or one per game of a
    :class:`~mpgverify.solvers.batched.GameBatch`): ``(probs, done, mover)``. ``ratio_nash(V, best)``
    decides ε-ratio-Nash from own and best-response values ``[B, N]``; a member done, or ratio-Nash now,
    keeps its policy, and otherwise the agent of largest gain ``bestⁱ − Vⁱ`` switches to its best response.
    ``V``: the policies' values at μ ``[B, N]`` when the caller has them."""
    if V is None:
        V = at_mu(game, state_values(game, probs))  # [B, N]
    best, responses = best_responses(game, probs)
    done = done | ratio_nash(V, best)
    mover = (best - V).argmax(dim=-1)
    moved = tuple(torch.where(((mover == i) & ~done)[:, None, None], responses[i], p) for i, p in enumerate(probs))
    return moved, done, mover


def br_dynamics(
    *, eps: float = 0.1, reading: str = "as-used", init: str = "normal", init_scale: float = 1.0
) -> Algorithm:
    """Maximum-gain ε-ratio-best-response dynamics from π₀ = softmax(θ₀)."""
    if not 0 <= eps < 1:
        raise FormatError("eps", f"must lie in [0, 1), got {eps!r}")
    if reading not in ("as-used", "as-written"):
        raise FormatError("reading", f"must be 'as-used' or 'as-written', got {reading!r}")

    def init_fn(game: Game, *, seed: int, batch: int) -> BRState:
        theta = init_theta(game, seed=seed, batch=batch, init=init, scale=init_scale).theta
        return BRState(softmax_policy(theta), 0, torch.zeros(batch, dtype=torch.bool), torch.full((batch,), -1))

    def step(game: Game, state: BRState) -> BRState:
        probs, done, mover = max_gain_step(
            game, state.probs, state.done, lambda V, best: is_ratio_nash(V, best, eps, reading)
        )
        return BRState(probs, state.t + 1, done, torch.where(done, torch.full_like(mover, -1), mover))

    return Algorithm(
        name="br-dynamics",
        init=init_fn,
        step=step,
        policy=lambda state: state.probs,
        options={"eps": eps, "reading": reading, "init": init, "init_scale": init_scale},
        promises=br_dynamics_promises(),
    )


register("br-dynamics", br_dynamics)
