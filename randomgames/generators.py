"""Seeded random Markov games, each a plain function of a seed (the Hypothesis strategies in
:mod:`randomgames.strategies` draw the same classes).

Every generator returns a validated :class:`~mpgverify.MarkovGame`; every MPG class carries its
potential φ, with the reason it is an MPG (Def 2.2) in the docstring.

Common keyword arguments:
  seed: integer seed; the same seed and arguments give the same game bit for bit.
  n_states, n_actions (an int for every agent, or one per agent), gamma.
  reward_range: ``(low, high)`` of the uniform draws of rewards / potentials.
  transitions: ``"random"`` (Dirichlet(1) rows), ``"sparse"`` (rows supported on ≤ 2 states),
    ``"deterministic"`` (one-hot rows), or ``"action_independent"`` (P(s'|s, a) = P(s'|s)).
  mu: ``"uniform"``, ``"random"`` (full support) or ``"point"`` (mass on state 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from mpgverify.arrays import DTYPE
from mpgverify.errors import FormatError
from mpgverify.game import MarkovGame

__all__ = [
    "MU_KINDS",
    "TRANSITION_KINDS",
    "constant_offset_game",
    "dummy_term_game",
    "general_sum_game",
    "identical_interest_game",
    "random_mu",
    "random_transition",
]

TRANSITION_KINDS = ("random", "sparse", "deterministic", "action_independent")
MU_KINDS = ("uniform", "random", "point")


def _actions(n_agents: int, n_actions: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(n_actions, int):
        acts = (n_actions,) * n_agents
    else:
        acts = tuple(int(n) for n in n_actions)
    if len(acts) != n_agents:
        raise FormatError("n_actions", f"must have {n_agents} entries (one per agent), has {len(acts)}")
    if any(n < 1 for n in acts):
        raise FormatError("n_actions", f"every entry must be ≥ 1, got {list(acts)}")
    return acts


def _check_sizes(n_agents: int, n_states: int) -> None:
    if n_agents < 1:
        raise FormatError("n_agents", f"must be ≥ 1, got {n_agents}")
    if n_states < 1:
        raise FormatError("n_states", f"must be ≥ 1, got {n_states}")


def _uniform(gen: torch.Generator, shape: Sequence[int], reward_range: tuple[float, float]) -> torch.Tensor:
    low, high = reward_range
    if not low <= high:
        raise FormatError("reward_range", f"must satisfy low ≤ high, got {reward_range}")
    return low + (high - low) * torch.rand(tuple(shape), generator=gen, dtype=DTYPE)


def random_transition(
    gen: torch.Generator, n_states: int, n_actions: Sequence[int], kind: str = "random"
) -> torch.Tensor:
    """A transition tensor ``[S, A¹..Aᴺ, S]`` of the given ``kind`` (see module docstring)."""
    if kind not in TRANSITION_KINDS:
        raise FormatError("transitions", f"must be one of {TRANSITION_KINDS}, got {kind!r}")
    lead = (n_states, *n_actions)
    if kind == "action_independent":
        base = -torch.log(torch.rand((n_states, n_states), generator=gen, dtype=DTYPE))
        base = base / base.sum(-1, keepdim=True)  # Dirichlet(1) rows via normalized exponentials
        shape = (n_states, *([1] * len(n_actions)), n_states)
        return base.reshape(shape).expand(*lead, n_states).clone()
    if kind == "deterministic":
        nxt = torch.randint(n_states, lead, generator=gen)
        return torch.nn.functional.one_hot(nxt, n_states).to(DTYPE)
    expo = -torch.log(torch.rand((*lead, n_states), generator=gen, dtype=DTYPE))
    if kind == "sparse":
        keep = torch.rand((*lead, n_states), generator=gen, dtype=DTYPE)
        kth = keep.topk(min(2, n_states), dim=-1).values[..., -1:]
        expo = torch.where(keep >= kth, expo, torch.zeros_like(expo))
    return expo / expo.sum(-1, keepdim=True)


def random_mu(gen: torch.Generator, n_states: int, kind: str = "uniform") -> torch.Tensor:
    """An initial distribution ``[S]``: uniform, random with full support, or a point mass on 0."""
    if kind not in MU_KINDS:
        raise FormatError("mu", f"must be one of {MU_KINDS}, got {kind!r}")
    if kind == "uniform":
        return torch.full((n_states,), 1.0 / n_states, dtype=DTYPE)
    if kind == "point":
        return torch.nn.functional.one_hot(torch.tensor(0), n_states).to(DTYPE)
    w = 0.1 + torch.rand(n_states, generator=gen, dtype=DTYPE)
    return w / w.sum()


def _frame(
    seed: int, n_agents: int, n_states: int, n_actions: int | Sequence[int], transitions: str, mu: str
) -> tuple[torch.Generator, tuple[int, ...], torch.Tensor, torch.Tensor]:
    _check_sizes(n_agents, n_states)
    gen = torch.Generator().manual_seed(int(seed))
    acts = _actions(n_agents, n_actions)
    P = random_transition(gen, n_states, acts, transitions)
    return gen, acts, P, random_mu(gen, n_states, mu)


def identical_interest_game(
    *,
    seed: int,
    n_agents: int = 2,
    n_states: int = 2,
    n_actions: int | Sequence[int] = 2,
    gamma: float = 0.9,
    reward_range: tuple[float, float] = (0.0, 1.0),
    transitions: str = "random",
    mu: str = "uniform",
) -> MarkovGame:
    """Fully cooperative game: ``rⁱ = φ`` for every agent, any transitions.

    MPG because ``Vⁱ_π = Φ_π`` for every i and π, so Def 2.2 holds with φ = r (Section 2).
    """
    gen, acts, P, m = _frame(seed, n_agents, n_states, n_actions, transitions, mu)
    phi = _uniform(gen, (n_states, *acts), reward_range)
    return MarkovGame(
        gamma=gamma,
        n_actions=acts,
        mu=m,
        transition=P,
        rewards=phi.expand(n_agents, *phi.shape).clone(),
        potential=phi,
        name=f"identical-interest-seed{seed}",
    )


def dummy_term_game(
    *,
    seed: int,
    n_agents: int = 2,
    n_states: int = 2,
    n_actions: int | Sequence[int] = 2,
    gamma: float = 0.9,
    reward_range: tuple[float, float] = (0.0, 1.0),
    dummy_range: tuple[float, float] = (0.0, 1.0),
    mu: str = "uniform",
) -> MarkovGame:
    """General-sum MPG ``rⁱ(s, a) = φ(s, a) + uⁱ(s, a⁻ⁱ)`` with action-independent transitions.

    MPG (Leonardos et al. 2021, Prop. 3.2, condition C1): when P(s'|s, a) = P(s'|s), the law of
    s_t does not depend on the policy, and for π, π̄ differing only in agent i,
    ``Vⁱ_π̄(s) − Vⁱ_π(s) = Σ_t γᵗ E_{s_t}[E_{a~π̄} rⁱ − E_{a~π} rⁱ]``; the dummy term uⁱ(s, a⁻ⁱ)
    has the same expectation under both (π⁻ⁱ is shared), leaving exactly ``Φ_π̄(s) − Φ_π(s)``.
    """
    gen, acts, P, m = _frame(seed, n_agents, n_states, n_actions, "action_independent", mu)
    phi = _uniform(gen, (n_states, *acts), reward_range)
    rewards = phi.expand(n_agents, *phi.shape).clone()
    for i in range(n_agents):
        shape = [n_states, *acts]
        shape[1 + i] = 1  # u^i does not depend on agent i's own action
        rewards[i] += _uniform(gen, shape, dummy_range).expand(n_states, *acts)
    return MarkovGame(
        gamma=gamma,
        n_actions=acts,
        mu=m,
        transition=P,
        rewards=rewards,
        potential=phi,
        name=f"dummy-term-seed{seed}",
    )


def constant_offset_game(
    *,
    seed: int,
    n_agents: int = 2,
    n_states: int = 2,
    n_actions: int | Sequence[int] = 2,
    gamma: float = 0.9,
    reward_range: tuple[float, float] = (0.0, 1.0),
    offset_range: tuple[float, float] = (-1.0, 1.0),
    transitions: str = "random",
    mu: str = "uniform",
) -> MarkovGame:
    """General-sum MPG ``rⁱ = φ + cⁱ`` (a constant per agent), any transitions.

    MPG because ``Vⁱ_π = Φ_π + cⁱ/(1−γ)`` for every π, so value differences equal potential
    differences (Def 2.2) whatever the transitions.
    """
    gen, acts, P, m = _frame(seed, n_agents, n_states, n_actions, transitions, mu)
    phi = _uniform(gen, (n_states, *acts), reward_range)
    offsets = _uniform(gen, (n_agents,), offset_range)
    rewards = phi.expand(n_agents, *phi.shape) + offsets.reshape(n_agents, *([1] * phi.dim()))
    return MarkovGame(
        gamma=gamma,
        n_actions=acts,
        mu=m,
        transition=P,
        rewards=rewards.clone(),
        potential=phi,
        name=f"constant-offset-seed{seed}",
    )


def general_sum_game(
    *,
    seed: int,
    n_agents: int = 2,
    n_states: int = 2,
    n_actions: int | Sequence[int] = 2,
    gamma: float = 0.9,
    reward_range: tuple[float, float] = (0.0, 1.0),
    transitions: str = "random",
    mu: str = "uniform",
) -> MarkovGame:
    """Independent random rewards per agent: a control, in general not an MPG (no potential)."""
    gen, acts, P, m = _frame(seed, n_agents, n_states, n_actions, transitions, mu)
    rewards = _uniform(gen, (n_agents, n_states, *acts), reward_range)
    return MarkovGame(
        gamma=gamma,
        n_actions=acts,
        mu=m,
        transition=P,
        rewards=rewards,
        name=f"general-sum-seed{seed}",
    )
