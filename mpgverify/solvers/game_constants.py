"""Game constants used by the paper's bounds: ``Φ_max``, ``Φ_min`` (Assumption 2.3) and the
mismatch coefficient ``M`` (Lemma 3.5), all exact.

* ``Φ_max = max_{π, s} Φ_π(s)``, ``Φ_min = min_{π, s} Φ_π(s)``: the optima of the MDPs over joint
  actions with rewards ``+φ`` and ``−φ``; their optimal deterministic policies are product policies.
* ``M = max_{π,π'} ‖d^π_μ / d^{π'}_μ‖_∞ = max_s (max_π d^π_μ(s)) / (min_π d^π_μ(s))``, where
  ``d^π_μ(s) = μ(s) + γ U^π_s(μ)`` with ``U_s`` the value of the stage reward ``P(s | x, a)``, so each
  extreme is an MDP optimum (one batched policy iteration over the S rewards, maximized and minimized).
  Assumption 2.1 (``d^π_μ(s) > 0`` for all π, s) holds iff every minimum is positive; that sign is
  decided exactly, from the support of P and μ (:func:`assumption_2_1`), never by a float floor.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import torch

from mpgverify.cost import Cost, require_cost
from mpgverify.errors import AssumptionError, MpgverifyError
from mpgverify.game import Game, MarkovGame
from mpgverify.memo import per_game
from mpgverify.memory import memory_budget
from mpgverify.solvers.evaluation import at_mu
from mpgverify.solvers.mdp import policy_iteration
from mpgverify.solvers.welfare import unravel_joint

__all__ = [
    "Mismatch",
    "PotentialRange",
    "Unvisited",
    "assumption_2_1",
    "extreme_visitation",
    "mismatch_coefficient",
    "mismatch_cost",
    "potential_range",
]


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


@potential_range.register(MarkovGame)
@per_game(keep=1)  # a pure function of the (immutable) game: gates ask it on every witness move
def _potential_range_dense(game: MarkovGame) -> PotentialRange:
    if game.phi is None:
        raise MpgverifyError(f"game {game.name!r} states no potential φ, so Φ_max/Φ_min are undefined")
    sol = policy_iteration(game.P, torch.stack([game.phi, -game.phi]), game.gamma)
    return PotentialRange(low=-float(sol.V[1].max()), high=float(sol.V[0].max()))


def extreme_visitation(game: MarkovGame) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(max_π d^π_μ(s), min_π d^π_μ(s), minimizing actions [S, N, S])`` for every state s.

    ``d^π_μ(s) = μ(s) + γ U^π_s(μ)`` where ``U_s = P_π 1_s + γ P_π U_s`` is the value of the stage reward
    ``c_s(x, a) = P(s | x, a)``: its extremes are MDP optima (policy iteration), and being O(1) whatever γ
    they keep full relative accuracy even where d itself is tiny (γ = 1e-13: d ≈ 1e-14 off supp μ), which
    the indicator reward 1[x = s], whose value is 1 at s, does not."""
    S = game.n_states
    stage = game.P.permute(2, 0, 1)  # [s, x, a] = P(s | x, a)
    rewards = torch.cat([stage, -stage])
    # 2S MDPs, each holding its [S, S] transition under the current rule: solved in chunks that fit
    chunk = max(1, min(2 * S, memory_budget() // max(1, _mdp_bytes(game))))
    parts = [policy_iteration(game.P, rewards[k : k + chunk], game.gamma) for k in range(0, 2 * S, chunk)]
    U = at_mu(game, torch.cat([p.V for p in parts]))
    policy = torch.cat([p.policy for p in parts])
    vals = torch.cat([game.mu, game.mu]) + game.gamma * torch.cat([U[:S], -U[S:]])
    return vals[:S], vals[S:], unravel_joint(game, policy[S:])


def _mdp_bytes(game: MarkovGame) -> int:
    """Bytes one MDP of policy iteration holds: its transition under a rule ``[S, S]``, the action values
    ``[S, A]`` and the solve's workspace, with room for temporaries."""
    S, A = game.n_states, game.n_joint_actions
    return 8 * 4 * (2 * S * S + 2 * S * A)


def mismatch_cost(game: MarkovGame) -> Cost:
    """The cost of :func:`mismatch_coefficient`: 2S MDPs by policy iteration, a few rounds of an
    ``S × S`` solve each (``2S³/3`` flops) and a greedy step (``S²A``). LAPACK's batched solves run
    about ten times faster than the :data:`~mpgverify.cost.FLOPS` assumed for other work (measured: 500
    states in 17 s on one core), hence the factor 1/10."""
    S, A = game.n_states, game.n_joint_actions
    rounds = 3
    return Cost(
        0.0,
        2 * S * rounds * (2 * S**3 / 3 + S * S * A) / 10,
        _mdp_bytes(game),
        f"2S = {2 * S} MDP optima of {S} states × {A} joint actions",
        "the number of states",
    )


class Unvisited(NamedTuple):
    """A witness that Assumption 2.1 fails: ``state`` has ``d^π_μ(state) = 0`` under the deterministic
    product policy ``actions[agent][s]``."""

    state: int
    actions: list[list[int]]


@per_game(keep=1)  # a pure function of the game, asked by every Section 3 gate on every witness move
def assumption_2_1(game: MarkovGame) -> Unvisited | None:
    """Assumption 2.1, decided exactly: ``d^π_μ(s) = Σ_t γᵗ Pr^π(s_t = s | s₀ ~ μ) > 0`` for every
    product policy π and state s. Returns None when it holds, else a policy and a state it never visits.

    ``d^π_μ(s) = 0`` iff ``μ(s) = 0`` and (γ = 0 or no path of positive-probability transitions under
    π leads from supp μ to s). Some policy avoids s iff supp μ ⊆ W_s, the largest set of states ≠ s
    from each of which some joint action keeps every successor inside W_s (a greatest fixed point,
    on the support of P only: no floating-point threshold); the avoiding joint actions are
    deterministic, so the policy is a product policy."""
    support = game.P > 0  # [S, A, S]
    start = game.mu > 0
    S = game.n_states
    for s in range(S):
        if bool(start[s]):
            continue
        avoid = torch.ones(S, dtype=torch.bool, device=support.device)
        avoid[s] = False
        choice = torch.zeros(S, dtype=torch.long, device=support.device)  # γ = 0: s is never reached
        if game.gamma > 0:
            while True:
                stays = ~(support & ~avoid[None, None, :]).any(-1)  # [S, A]: every successor in W
                keep = avoid & stays.any(-1)
                if bool((keep == avoid).all()):
                    break
                avoid = keep
            choice = stays.to(torch.int8).argmax(-1)
        if bool((start <= avoid).all()):
            acts = unravel_joint(game, choice[None].to(torch.long))[0].tolist()
            return Unvisited(s, acts)
    return None


@functools.singledispatch
def mismatch_coefficient(game: Game) -> Mismatch:
    """``M = max_{π,π'} ‖d^π_μ / d^{π'}_μ‖_∞`` (Lemma 3.5), exactly.

    Raises:
      AssumptionError: when some state has zero visitation under some policy (Assumption 2.1
        fails, so M is infinite); the message names the state and a policy that never visits it.
    """
    raise TypeError(f"no exact solver for a {type(game).__name__}")


@mismatch_coefficient.register(MarkovGame)
@per_game(keep=1)  # as Φ's range (a raised AssumptionError is not kept: it is raised again)
def _mismatch_coefficient_dense(game: MarkovGame) -> Mismatch:
    require_cost(mismatch_cost(game), game, 1, f"the mismatch coefficient M of {game.name}")
    unvisited = assumption_2_1(game)
    if unvisited is not None:
        raise AssumptionError(
            "Assumption 2.1 (d^π_μ(s) > 0 for all π, s)",
            f"state {unvisited.state} is never visited from mu under the deterministic product policy with "
            f"actions[agent][state] = {unvisited.actions} (d^π_μ({unvisited.state}) = 0), so M is infinite",
        )
    d_max, d_min, _ = extreme_visitation(game)
    if not bool((d_min > 0).all()):  # positive exactly (above), yet below float64's range
        raise AssumptionError(
            "Assumption 2.1 (d^π_μ(s) > 0 for all π, s)",
            "min_π d^π_μ(s) > 0 holds exactly but underflows float64, so M cannot be represented",
        )
    ratio = d_max / d_min
    s = int(ratio.argmax())
    return Mismatch(M=float(ratio[s]), state=s, d_max=d_max, d_min=d_min)
