"""The Markov game ``(N, S, A = A¹ × … × Aᴺ, P, r¹..rᴺ, μ, γ)`` of Section 2, immutable.

Shapes (N agents, S states, Aⁱ = ``n_actions[i]``, A = Π Aⁱ joint actions, agent 0 slowest in
the flattened joint index):

=================  ==========================  ===========================================
field              shape                       meaning
=================  ==========================  ===========================================
``mu``             ``[S]``                     initial distribution μ
``transition``     ``[S, A¹, …, Aᴺ, S]``       P(s' | s, a), each last-axis row sums to 1
``rewards``        ``[N, S, A¹, …, Aᴺ]``       rⁱ(s, a)
``potential``      ``[S, A¹, …, Aᴺ]`` or None  φ(s, a) of Def 2.2, when known
``P``              ``[S, A, S]``               ``transition`` with joint actions flattened
``R``              ``[N, S, A]``               ``rewards`` flattened likewise
``phi``            ``[S, A]`` or None          ``potential`` flattened likewise
=================  ==========================  ===========================================
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from mpgverify.arrays import as_tensor, largest_magnitude, probability_rows
from mpgverify.errors import FormatError

__all__ = ["MAX_VALUE", "MIN_ONE_MINUS_GAMMA", "Game", "MarkovGame"]

#: the closest γ may come to 1: float64 solves lose about 2.2e-16/(1−γ) of relative accuracy
MIN_ONE_MINUS_GAMMA = 1e-9
#: the largest |value| a game may produce, max |r|/(1−γ): far from float64's 1.8e308 so that sums over
#: agents, products in Hessians and rational re-checks stay finite
MAX_VALUE = 1e150


class Game(Protocol):
    """What every game representation offers: the dense :class:`MarkovGame` and the factored
    :class:`mpgverify.factored.FactoredGame`. The solvers (``evaluate``, ``nash_gap``,
    ``social_optimum``, the gradients, ``potential_range``) accept either and dispatch on the type,
    returning the same result types."""

    @property
    def gamma(self) -> float: ...

    @property
    def mu(self) -> torch.Tensor: ...

    @property
    def name(self) -> str: ...

    @property
    def n_agents(self) -> int: ...

    @property
    def n_states(self) -> int: ...

    @property
    def n_actions(self) -> tuple[int, ...]: ...

    @property
    def rewards(self) -> torch.Tensor: ...

    @property
    def potential(self) -> torch.Tensor | None: ...

    def to(self, device: torch.device | str) -> Any: ...

    def renamed(self, name: str) -> Any: ...


def _check_gamma(gamma: Any) -> None:
    """γ is a number with 0 ≤ γ < 1 and 1 − γ ≥ :data:`MIN_ONE_MINUS_GAMMA`, else :class:`FormatError`."""
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float)):
        raise FormatError("gamma", f"must be a number, got {gamma!r}")
    if not (math.isfinite(gamma) and 0.0 <= gamma < 1.0):
        raise FormatError("gamma", f"must satisfy 0 ≤ gamma < 1, got {gamma!r}")
    if 1.0 - gamma < MIN_ONE_MINUS_GAMMA:
        raise FormatError(
            "gamma",
            f"must satisfy 1 − gamma ≥ {MIN_ONE_MINUS_GAMMA:g}: a float64 solve of (I − γP)V = r loses "
            f"about ε/(1−γ) of relative accuracy and cannot be certified closer to 1, got {gamma!r}",
        )


def _checked_action_counts(n_actions: Any) -> tuple[int, ...]:
    """The action counts as a tuple of integers ≥ 1, else :class:`FormatError` naming the entry."""
    if not isinstance(n_actions, (list, tuple)) or len(n_actions) == 0:
        raise FormatError("n_actions", f"must be a non-empty list of integers, got {n_actions!r}")
    for i, n in enumerate(n_actions):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise FormatError(f"n_actions[{i}]", f"must be an integer ≥ 1, got {n!r}")
    return tuple(int(n) for n in n_actions)


@dataclass(frozen=True, eq=False)
class MarkovGame:
    """A finite discounted Markov game, validated on construction.

    Args:
      gamma: discount factor, ``0 ≤ γ < 1``.
      n_actions: ``|Aⁱ|`` for each agent, each ≥ 1.
      mu: initial state distribution, ``[S]``.
      transition: ``[S, A¹, …, Aᴺ, S]``.
      rewards: ``[N, S, A¹, …, Aᴺ]``.
      potential: optional φ, ``[S, A¹, …, Aᴺ]``.
      name: a label carried into reports.

    Probability vectors (``mu`` and each transition row) must be nonnegative and sum to 1 within
    1e-9; rows off by more than a few ulps are divided by their sum. Raises
    :class:`~mpgverify.errors.FormatError` naming the field, index and rule on any violation.
    """

    gamma: float
    n_actions: tuple[int, ...]
    mu: torch.Tensor
    transition: torch.Tensor
    rewards: torch.Tensor
    potential: torch.Tensor | None = None
    name: str = "game"

    def __post_init__(self) -> None:
        self._validate(frozenset())

    def _validate(self, trusted: frozenset[str]) -> None:
        """Validate and normalize the fields in place; those named in ``trusted`` come unchanged from a
        validated game (:meth:`replace`) and are not checked again."""
        if "name" not in trusted and not isinstance(self.name, str):
            raise FormatError("name", f"must be a string, got {self.name!r}")
        gamma = self.gamma
        if "gamma" not in trusted:
            _check_gamma(gamma)
        n_actions = self.n_actions if "n_actions" in trusted else _checked_action_counts(self.n_actions)
        if "mu" in trusted:
            n_states = int(self.mu.shape[0])
        else:
            if isinstance(self.mu, (list, tuple)) and len(self.mu) == 0:
                raise FormatError("mu", "must list at least one state")
            n_states = len(self.mu) if hasattr(self.mu, "__len__") else -1
            if n_states < 1:
                raise FormatError("mu", f"must be a list of state probabilities, got {self.mu!r}")
        # a field carried over unchanged from a validated game (``trusted``, see :meth:`replace`) is
        # already the tensor validation returns (validation is idempotent: ``normalize_rows``), unless
        # another change moved the shape it must have
        shapes = {
            "mu": (n_states,),
            "transition": (n_states, *n_actions, n_states),
            "rewards": (len(n_actions), n_states, *n_actions),
            "potential": (n_states, *n_actions),
        }
        carried = {
            k for k in trusted & shapes.keys() if getattr(self, k) is None or tuple(getattr(self, k).shape) == shapes[k]
        }
        if self.potential is None:
            carried.add("potential")
        mu = self.mu if "mu" in carried else probability_rows(as_tensor(self.mu, shapes["mu"], "mu"), "mu")
        transition = (
            self.transition
            if "transition" in carried
            else probability_rows(as_tensor(self.transition, shapes["transition"], "transition"), "transition")
        )
        rewards = self.rewards if "rewards" in carried else as_tensor(self.rewards, shapes["rewards"], "rewards")
        potential = (
            self.potential if "potential" in carried else as_tensor(self.potential, shapes["potential"], "potential")
        )
        for field_name, table in (("rewards", rewards), ("potential", potential)):
            if field_name in carried and "gamma" in trusted:
                continue  # its bound below depends on both
            if table is not None and table.numel() and (big := largest_magnitude(table)) / (1.0 - gamma) > MAX_VALUE:
                raise FormatError(
                    field_name,
                    f"max |entry|/(1 − gamma) = {big / (1.0 - gamma):.3g} exceeds {MAX_VALUE:g}: "
                    "values, their sums over agents and their derivatives would overflow float64",
                )
        object.__setattr__(self, "gamma", float(gamma))
        object.__setattr__(self, "n_actions", n_actions)
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "transition", transition)
        object.__setattr__(self, "rewards", rewards)
        object.__setattr__(self, "potential", potential)

    # -- sizes (kept on first use: the fields never change after validation) ---------------------
    @functools.cached_property
    def n_agents(self) -> int:
        """N."""
        return len(self.n_actions)

    @functools.cached_property
    def n_states(self) -> int:
        """S = |S|."""
        return int(self.mu.shape[0])

    @functools.cached_property
    def n_joint_actions(self) -> int:
        """A = Π_i |Aⁱ|."""
        return math.prod(self.n_actions)

    # -- flattened views (free reshapes) -------------------------------------------------------
    @property
    def P(self) -> torch.Tensor:
        """Transition with joint actions flattened, ``[S, A, S]``."""
        return self.transition.reshape(self.n_states, self.n_joint_actions, self.n_states)

    @property
    def R(self) -> torch.Tensor:
        """Rewards with joint actions flattened, ``[N, S, A]``."""
        return self.rewards.reshape(self.n_agents, self.n_states, self.n_joint_actions)

    @property
    def phi(self) -> torch.Tensor | None:
        """Potential with joint actions flattened, ``[S, A]``, or None when not stated."""
        if self.potential is None:
            return None
        return self.potential.reshape(self.n_states, self.n_joint_actions)

    def replace(self, **changes: Any) -> MarkovGame:
        """A copy with some fields changed: the changed ones validated as the constructor does, the
        carried ones kept as they are (already validated)."""
        fields: dict[str, Any] = {
            "gamma": self.gamma,
            "n_actions": self.n_actions,
            "mu": self.mu,
            "transition": self.transition,
            "rewards": self.rewards,
            "potential": self.potential,
            "name": self.name,
        }
        unknown = set(changes) - set(fields)
        if unknown:
            raise TypeError(f"MarkovGame has no field {sorted(unknown)[0]!r}")
        fields.update(changes)
        # the tensors carried over unchanged were validated with this game: only the rest is checked
        # again (all of them when the action counts change; the reward bounds again when γ does)
        carried = (
            frozenset()
            if "n_actions" in changes
            else frozenset(k for k in ("gamma", "mu", "transition", "rewards", "potential", "name") if k not in changes)
            | {"n_actions"}
        )
        game = object.__new__(MarkovGame)
        for key, value in fields.items():
            object.__setattr__(game, key, value)
        game._validate(carried)
        return game

    def renamed(self, name: str) -> MarkovGame:
        """The same game under another label."""
        return self.replace(name=name)

    def to(self, device: torch.device | str) -> MarkovGame:
        """The same game with every tensor on ``device``."""
        moved = {k: getattr(self, k).to(device) for k in ("mu", "transition", "rewards")}
        if self.potential is not None:
            moved["potential"] = self.potential.to(device)
        return self.replace(**moved)

    def __repr__(self) -> str:
        return (
            f"MarkovGame(name={self.name!r}, N={self.n_agents}, S={self.n_states}, "
            f"n_actions={list(self.n_actions)}, gamma={self.gamma}, "
            f"potential={'yes' if self.potential is not None else 'no'})"
        )
