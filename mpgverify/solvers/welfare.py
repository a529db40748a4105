"""Social optimum and the price of anarchy (Def 4.1), exactly.

``POA(π) = Σ_i Vⁱ_π(μ) / max_{π̄} Σ_i Vⁱ_{π̄}(μ)``                        (Def 4.1, p. 4)

The maximum over product policies equals the optimum of the single-agent MDP over joint actions
with reward ``Σ_i rⁱ``: that MDP has an optimal deterministic policy, and a deterministic joint
policy is a product policy (each agent plays its component of the joint action).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import torch

from mpgverify.errors import AssumptionError
from mpgverify.game import Game, MarkovGame
from mpgverify.solvers.evaluation import at_mu, state_values
from mpgverify.solvers.mdp import policy_iteration

__all__ = ["SocialOptimum", "price_of_anarchy", "social_optimum", "social_value", "unravel_joint"]


class SocialOptimum(NamedTuple):
    """Attributes:
    value: ``max_π̄ Σ_i Vⁱ_π̄(μ)`` (0-d tensor).
    V: ``[S]`` optimal summed values per state.
    actions: ``[N, S]`` a deterministic product policy attaining it (agent i's action in s).
    """

    value: torch.Tensor
    V: torch.Tensor
    actions: torch.Tensor


def unravel_joint(game: MarkovGame, joint: torch.Tensor) -> torch.Tensor:
    """Split flattened joint actions ``[*B, S]`` into per-agent actions ``[*B, N, S]``."""
    out = []
    rest = joint
    for n in reversed(game.n_actions):
        out.append(rest % n)
        rest = torch.div(rest, n, rounding_mode="floor")
    return torch.stack(out[::-1], dim=-2)


@functools.singledispatch
def social_optimum(game: Game) -> SocialOptimum:
    """``max_π̄ Σ_i Vⁱ_π̄(μ)`` over product policies, by policy iteration on joint actions."""
    raise TypeError(f"no exact solver for a {type(game).__name__}")


@social_optimum.register
def _social_optimum_dense(game: MarkovGame) -> SocialOptimum:
    sol = policy_iteration(game.P, game.R.sum(dim=0), game.gamma)
    return SocialOptimum(value=at_mu(game, sol.V), V=sol.V, actions=unravel_joint(game, sol.policy))


def social_value(game: Game, probs: Sequence[torch.Tensor]) -> torch.Tensor:
    """``Σ_i Vⁱ_π(μ)``, ``[*B]``."""
    return at_mu(game, state_values(game, probs)).sum(dim=-1)


def price_of_anarchy(
    game: Game,
    probs: Sequence[torch.Tensor],
    *,
    optimum: torch.Tensor | None = None,
    V_mu: torch.Tensor | None = None,
) -> torch.Tensor:
    """``POA(π) = Σ_i Vⁱ_π(μ) / max_π̄ Σ_i Vⁱ_π̄(μ)`` (Def 4.1), ``[*B]``.

    Args:
      game: the Markov game.
      probs: product policy.
      optimum: the social optimum value, when already computed.
      V_mu: ``[*B, N]`` values at μ, when already computed.

    Raises:
      AssumptionError: when the social optimum is not positive (the ratio is then meaningless).
    """
    if optimum is None:
        optimum = social_optimum(game).value
    if float(optimum) <= 0.0:
        raise AssumptionError(
            "Def 4.1 (POA) needs a positive social optimum",
            f"max_π Σ_i V^i_π(μ) = {float(optimum)!r} ≤ 0, so the ratio is undefined",
        )
    total = social_value(game, probs) if V_mu is None else V_mu.sum(dim=-1)
    return total / optimum
