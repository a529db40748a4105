"""Game constants used by the paper's bounds: ``Φ_max``, ``Φ_min`` (Assumption 2.3) and the
mismatch coefficient ``M`` (Lemma 3.5), all exact.

* ``Φ_max = max_{π, s} Φ_π(s)``, ``Φ_min = min_{π, s} Φ_π(s)``: the optima of the MDPs over joint
  actions with rewards ``+φ`` and ``−φ``; their optimal deterministic policies are product policies.
* ``M = max_{π,π'} ‖d^π_μ / d^{π'}_μ‖_∞ = max_s (max_π d^π_μ(s)) / (min_π d^π_μ(s))``, where
  ``d^π_μ(s)`` is the value at μ of the reward ``1[x = s]``, so each extreme is an MDP optimum
  (one batched policy iteration over the S indicator rewards, maximized and minimized).
  Assumption 2.1 (``d^π_μ(s) > 0`` for all π, s) holds iff every minimum is positive.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import torch

from mpgverify.errors import AssumptionError, MpgverifyError
from mpgverify.evaluation import at_mu
from mpgverify.game import Game, MarkovGame
from mpgverify.mdp import policy_iteration
from mpgverify.welfare import unravel_joint

__all__ = ["Mismatch", "PotentialRange", "extreme_visitation", "mismatch_coefficient", "potential_range"]


class PotentialRange(NamedTuple):
    """Attributes:
    low: ``Φ_min = min_{π,s} Φ_π(s)``.  high: ``Φ_max = max_{π,s} Φ_π(s)``.
    """

    low: float
    high: float


class Mismatch(NamedTuple):
    """Attributes:
    M: the mismatch coefficient.
    state: the state attaining it.
    d_max: ``[S]`` ``max_π d^π_μ(s)``.  d_min: ``[S]`` ``min_π d^π_μ(s)``.
    """

    M: float
    state: int
    d_max: torch.Tensor
    d_min: torch.Tensor


@functools.singledispatch
def potential_range(game: Game) -> PotentialRange:
    """``(Φ_min, Φ_max)`` over all product policies and states (Assumption 2.3), exactly."""
    raise TypeError(f"no exact solver for a {type(game).__name__}")


@potential_range.register
def _potential_range_dense(game: MarkovGame) -> PotentialRange:
    if game.phi is None:
        raise MpgverifyError(f"game {game.name!r} states no potential φ, so Φ_max/Φ_min are undefined")
    sol = policy_iteration(game.P, torch.stack([game.phi, -game.phi]), game.gamma)
    return PotentialRange(low=-float(sol.V[1].max()), high=float(sol.V[0].max()))


def extreme_visitation(game: MarkovGame) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(max_π d^π_μ(s), min_π d^π_μ(s), minimizing actions [S, N, S])`` for every state s."""
    S, A = game.n_states, game.n_joint_actions
    indicator = torch.eye(S, dtype=game.P.dtype, device=game.P.device)[:, :, None].expand(S, S, A)
    sol = policy_iteration(game.P, torch.cat([indicator, -indicator]), game.gamma)
    vals = at_mu(game, sol.V)
    return vals[:S], -vals[S:], unravel_joint(game, sol.policy[S:])


@functools.singledispatch
def mismatch_coefficient(game: Game) -> Mismatch:
    """``M = max_{π,π'} ‖d^π_μ / d^{π'}_μ‖_∞`` (Lemma 3.5), exactly.

    Raises:
      AssumptionError: when some state has zero visitation under some policy (Assumption 2.1
        fails, so M is infinite); the message names the state and a policy that never visits it.
    """
    raise TypeError(f"no exact solver for a {type(game).__name__}")


@mismatch_coefficient.register
def _mismatch_coefficient_dense(game: MarkovGame) -> Mismatch:
    d_max, d_min, argmin = extreme_visitation(game)
    floor = 1e-12 / (1.0 - game.gamma)
    if bool((d_min <= floor).any()):
        s = int((d_min <= floor).nonzero()[0])
        acts = argmin[s].tolist()
        raise AssumptionError(
            "Assumption 2.1 (d^π_μ(s) > 0 for all π, s)",
            f"state {s} is never visited from mu under the deterministic product policy with "
            f"actions[agent][state] = {acts} (d^π_μ({s}) = {float(d_min[s]):.3g}), so M is infinite",
        )
    ratio = d_max / d_min
    s = int(ratio.argmax())
    return Mismatch(M=float(ratio[s]), state=s, d_max=d_max, d_min=d_min)
