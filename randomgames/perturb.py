"""Structure-preserving moves on a game: the neighbourhoods the counterexample hunter searches.

A random perturbation of a Markov potential game is, in general, no longer a potential game, and
a property whose premise "the game is an MPG" was established by construction would then report
a false counterexample. The moves here keep that premise, and keep every number inside the range
the original game already used (so reward-range premises such as ``r ∈ [0, 1]`` or Assumption
4.6's ``r > 0`` survive too):

* **common reward** ``rⁱ ← rⁱ + δ(s, a)`` for every agent i and ``φ ← φ + δ``: the differences
  ``rⁱ − φ`` do not change, so whatever made the game a potential game still does (Def 2.2 is
  linear in the rewards and ``Vⁱ − Φ`` is unchanged for every policy);
* **agent terms** (``agent_terms=True``): ``rⁱ ← rⁱ + δⁱ`` with δⁱ a random element of the agent
  terms Def 2.2 admits under the game's kernel and γ (:mod:`mpgverify.solvers.potential_space`; dummy
  terms δⁱ(s, a⁻ⁱ) under a state-only kernel, shaping terms under a generic one), φ unchanged: the
  game stays an MPG with the same potential while its agent terms move, of either sign. Ranges of
  the rewards may change (premises on them are re-checked by the claims, never assumed);
* **independent rewards** (``keep="any"``, for claims about general games only);
* **initial distribution** μ: log-space noise on its support (full support stays full);
* **transitions and γ**, only where the potential structure cannot depend on them: when each
  agent's ``rⁱ − φ`` is a constant (identical interest, constant offsets: ``Vⁱ_π = Φ_π + cⁱ/(1−γ)``
  for every P and γ), any transition move; when P is action-independent (the dummy-term and
  congestion classes, Leonardos et al. 2021, Prop. 3.2 C1, whose argument holds for every γ and
  every action-independent P), transition moves that stay action-independent; or anything with
  ``keep="any"``. An action-independent kernel always stays action-independent. Rows get
  log-space noise on their support, so a deterministic kernel stays deterministic.

And the shrinking moves: dropping an action of an agent (a restriction of an MPG is an MPG with the
restricted potential), and dropping an agent left with a single action.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import torch

from mpgverify.arrays import DTYPE, same_along
from mpgverify.game import MarkovGame
from mpgverify.memo import per_game
from mpgverify.solvers.potential_space import agent_term_bases

__all__ = [
    "drop_action",
    "drop_agent",
    "has_constant_offsets",
    "is_action_independent",
    "is_identical_interest",
    "perturb_game",
]

Keep = Literal["mpg", "any"]


@per_game(keep=1)
def is_identical_interest(game: MarkovGame) -> bool:
    """Whether every agent's reward equals agent 0's and the stated potential, if any, is that reward
    (exactly): then the game is a potential game for every transition kernel and γ."""
    same = torch.equal(game.rewards, game.rewards[:1].expand_as(game.rewards))
    return bool(same and (game.potential is None or torch.equal(game.potential, game.rewards[0])))


@per_game(keep=1)
def has_constant_offsets(game: MarkovGame) -> bool:
    """Whether each agent's ``rⁱ − φ`` is one number (φ the stated potential, or agent 0's reward when
    none is stated and all rewards are equal): then the game is an MPG for every P and γ."""
    if game.potential is None:
        return is_identical_interest(game)
    diff = (game.rewards - game.potential).reshape(game.n_agents, -1)
    return bool((diff == diff[:, :1]).all())


@per_game(keep=1)
def is_action_independent(game: MarkovGame) -> bool:
    """Whether ``P(s'|s, a)`` does not depend on the joint action a."""
    return same_along(game.P, 1)


class _RewardSpan(NamedTuple):
    """A game's reward range and, per state and joint action, the room a common-reward move δ(s, a) has."""

    low: float  # min over agents, states and joint actions of rⁱ(s, a)
    high: float
    width: float  # max(high − low, 10⁻³): the unit of reward moves
    lower: torch.Tensor  # [S, A¹..Aᴺ]: δ ≥ lower keeps every rⁱ ≥ low (and φ ≥ min φ)
    upper: torch.Tensor  # δ ≤ upper keeps every rⁱ ≤ high (and φ ≤ max φ)


@per_game(keep=1)
def _reward_span(game: MarkovGame) -> _RewardSpan:
    """:class:`_RewardSpan` of ``game``, kept per game: the hunter draws many neighbours of one parent."""
    low, high = float(game.rewards.min()), float(game.rewards.max())
    lower, upper = low - game.rewards.min(0).values, high - game.rewards.max(0).values
    if game.potential is not None:
        phi_low, phi_high = float(game.potential.min()), float(game.potential.max())
        lower = torch.maximum(lower, phi_low - game.potential)
        upper = torch.minimum(upper, phi_high - game.potential)
    return _RewardSpan(low, high, max(high - low, 1e-3), lower, upper)


@per_game(keep=1)
def _bases(game: MarkovGame) -> tuple[torch.Tensor, ...]:
    """The agents' admissible-term bases under ``game``'s kernel and γ, kept per game (read only here)."""
    return agent_term_bases(game.transition, game.gamma)


def _log_noise(p: torch.Tensor, rng: np.random.Generator, scale: float) -> torch.Tensor:
    """Rows of ``p`` (last axis) times ``exp(scale·ξ)``, renormalized: zeros stay zero."""
    xi = torch.from_numpy(rng.standard_normal(tuple(p.shape))).to(DTYPE)
    q = p * torch.exp(scale * xi)
    return q / q.sum(-1, keepdim=True)


def perturb_game(
    game: MarkovGame,
    rng: np.random.Generator,
    scale: float,
    *,
    keep: Keep = "mpg",
    gamma_cap: float | None = 0.9,
    agent_terms: bool = False,
) -> MarkovGame:
    """A random neighbour of ``game`` that keeps its class (see the module docstring).

    Args:
      game: the game.
      rng: the random generator (seeded by the caller).
      scale: the move size (reward noise is ``scale × (range width)``).
      keep: ``"mpg"`` keeps the potential structure; ``"any"`` moves every number independently.
      gamma_cap: γ moves stay in ``[0, gamma_cap]``; None: γ never moves.
      agent_terms: with ``keep="mpg"`` and a stated potential, also move agent terms (see above).

    Returns:
      A new game; one kind of move (rewards, μ, transitions or γ) is chosen at random per call.
    """
    free = keep == "any" or game.n_states == 1 or has_constant_offsets(game)
    # an action-independent kernel stays one (premises such as Section 4's exact smoothness need it)
    action_free = game.n_states > 1 and is_action_independent(game)
    kinds = ["rewards", "rewards", "mu"]
    if agent_terms and keep == "mpg" and game.potential is not None:
        kinds += ["agent terms", "agent terms"]
    if game.n_states > 1 and (action_free or free):
        kinds.append("transition")
    if gamma_cap is not None and (free or (action_free and game.potential is not None)):
        kinds.append("gamma")
    kind = kinds[int(rng.integers(len(kinds)))]
    if kind == "mu":
        return game.replace(mu=_log_noise(game.mu, rng, scale))
    if kind == "agent terms":
        return game.replace(rewards=game.rewards + _agent_term_noise(game, rng, scale))
    if kind == "transition" and action_free:
        rows = _log_noise(game.P[:, :1], rng, scale)  # [S, 1, S]: one row per state, for every action
        return game.replace(transition=rows.expand_as(game.P).reshape(game.transition.shape).clone())
    if kind == "transition":
        return game.replace(transition=_log_noise(game.transition, rng, scale))
    if kind == "gamma":
        assert gamma_cap is not None
        gamma = min(max(game.gamma + scale * 0.2 * rng.standard_normal(), 0.0), gamma_cap)  # np.clip's, on one float
        return game.replace(gamma=gamma)
    span = _reward_span(game)
    if keep == "any" and game.potential is None:
        noise = torch.from_numpy(rng.standard_normal(tuple(game.rewards.shape))).to(DTYPE)
        return game.replace(rewards=(game.rewards + scale * span.width * noise).clamp(span.low, span.high))
    # one δ(s, a) for all agents, cut so that every agent stays inside [low, high] and φ inside its range
    delta = scale * span.width * torch.from_numpy(rng.standard_normal(tuple(game.rewards.shape[1:]))).to(DTYPE)
    delta = torch.minimum(torch.maximum(delta, span.lower), span.upper)
    potential = None if game.potential is None else game.potential + delta
    return game.replace(rewards=game.rewards + delta, potential=potential)


def _agent_term_noise(game: MarkovGame, rng: np.random.Generator, scale: float) -> torch.Tensor:
    """``[N, S, A¹..Aᴺ]``: for each agent a random admissible agent term, ``scale × (reward width)`` in size."""
    width = _reward_span(game).width  # max(r_max − r_min, 10⁻³): the same subtraction of the same floats
    shape = game.rewards.shape[1:]
    out = []
    for B in _bases(game):
        z = torch.from_numpy(rng.standard_normal(B.shape[1])).to(DTYPE)
        u = B @ z
        out.append((u / max(float(u.abs().max()), 1e-12)).reshape(shape))
    return scale * width * torch.stack(out)


def drop_action(game: MarkovGame, agent: int, action: int) -> MarkovGame:
    """The restriction of ``game`` where ``agent`` never plays ``action`` (needs ≥ 2 actions)."""
    if game.n_actions[agent] < 2:
        raise ValueError(f"agent {agent} has a single action")
    keep = [a for a in range(game.n_actions[agent]) if a != action]
    idx = torch.tensor(keep)
    n_actions = tuple(n - 1 if j == agent else n for j, n in enumerate(game.n_actions))
    return game.replace(
        n_actions=n_actions,
        transition=game.transition.index_select(1 + agent, idx),
        rewards=game.rewards.index_select(2 + agent, idx),
        potential=None if game.potential is None else game.potential.index_select(1 + agent, idx),
    )


def drop_agent(game: MarkovGame, agent: int) -> MarkovGame:
    """The game without ``agent``, which must have a single action (so nothing else changes)."""
    if game.n_actions[agent] != 1 or game.n_agents < 2:
        raise ValueError(f"agent {agent} cannot be dropped")
    keep = [j for j in range(game.n_agents) if j != agent]
    return game.replace(
        n_actions=tuple(game.n_actions[j] for j in keep),
        transition=game.transition.squeeze(1 + agent),
        rewards=game.rewards[keep].squeeze(2 + agent),
        potential=None if game.potential is None else game.potential.squeeze(1 + agent),
    )
