"""One validated size specification for random games, shared by the Hypothesis strategies
(:mod:`randomgames.strategies`, which draw within bounds) and the seeded generators
(:mod:`randomgames.generators`, which build one size: :meth:`GameSizes.exactly`).

A size is the number of agents N, of states |S|, of actions per agent |Aⁱ| and the discount γ.
The rules, checked once here: every count is an integer ≥ 1 (or ≥ the floor a game class needs),
``min ≤ max``, and ``0 ≤ min_gamma ≤ max_gamma < 1``. A broken rule raises :class:`SizeError`, which
names the keyword and the rule (strategies re-raise it as Hypothesis's ``InvalidArgument``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, TypedDict

from hypothesis import strategies as st

from mpgverify.errors import FormatError
from randomgames.reuse import reused

__all__ = ["GameSizes", "SizeBounds", "SizeError"]


class SizeError(FormatError):
    """A size keyword that breaks its rule (names the keyword and the rule)."""


class SizeBounds(TypedDict, total=False):
    """The size keywords every game strategy accepts (``**sizes: Unpack[SizeBounds]``)."""

    min_agents: int
    max_agents: int
    min_states: int
    max_states: int
    min_actions: int
    max_actions: int
    min_gamma: float
    max_gamma: float


_COUNTS = ("agents", "states", "actions")


@dataclass(frozen=True)
class GameSizes:
    """Bounds on N, |S|, |Aⁱ| (each agent drawn apart) and γ; validated on construction."""

    min_agents: int = 1
    max_agents: int = 3
    min_states: int = 1
    max_states: int = 3
    min_actions: int = 1
    max_actions: int = 3
    min_gamma: float = 0.0
    max_gamma: float = 0.99

    def __post_init__(self) -> None:
        for name in _COUNTS:
            low, high = getattr(self, f"min_{name}"), getattr(self, f"max_{name}")
            for key, value in ((f"min_{name}", low), (f"max_{name}", high)):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise SizeError(key, f"must be an integer, got {value!r}")
            if low < 1:
                raise SizeError(f"min_{name}", f"must be ≥ 1, got {low}")
            if high < low:
                raise SizeError(f"max_{name}", f"must be ≥ min_{name}={low}, got {high}")
        for key in ("min_gamma", "max_gamma"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise SizeError(key, f"must be a finite number, got {value!r}")
        if not 0.0 <= self.min_gamma <= self.max_gamma < 1.0:
            raise SizeError("gamma", f"need 0 ≤ min_gamma ≤ max_gamma < 1, got {self.min_gamma!r}, {self.max_gamma!r}")

    @classmethod
    def of(cls, bounds: Mapping[str, Any], **defaults: Any) -> GameSizes:
        """The sizes a strategy was called with (``bounds``) over its own ``defaults`` (over the
        class defaults); an unknown keyword is an error that names it."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(bounds) - known)
        if unknown:
            raise SizeError(unknown[0], f"is not a size keyword (those are {sorted(known)})")
        return cls(**{**defaults, **bounds})

    @classmethod
    def exactly(cls, *, n_agents: int, n_states: int, n_actions: int, gamma: float) -> GameSizes:
        """The one size a seeded generator builds (``n_actions``: the largest per-agent count)."""
        try:
            return cls(n_agents, n_agents, n_states, n_states, n_actions, n_actions, gamma, gamma)
        except SizeError as e:  # name the generator's keyword and rule, not the bounds'
            if e.field.endswith("gamma"):
                raise SizeError("gamma", f"must satisfy 0 ≤ gamma < 1, got {gamma!r}") from None
            name = e.field.removeprefix("min_").removeprefix("max_")
            raise SizeError(f"n_{name}", e.rule.replace(f"min_{name}", f"n_{name}")) from None

    def at_least(self, **floors: int) -> GameSizes:
        """These sizes with ``min_<name>`` raised to a class's floor (``agents=2``), refusing a
        ``max_<name>`` below it: controls that need two agents or two states say so this way."""
        out = self
        for name, floor in floors.items():
            if getattr(self, f"max_{name}") < floor:
                raise SizeError(f"max_{name}", f"must be ≥ {floor} for this class, got {getattr(self, f'max_{name}')}")
            out = replace(out, **{f"min_{name}": max(floor, getattr(out, f"min_{name}"))})
        return out

    def gammas(self) -> st.SearchStrategy[float]:
        """γ in range; shrinks to ``min_gamma``, and tries the paper's 0.95 and the extremes first."""
        return _gammas(self.min_gamma, self.max_gamma)

    def draw(self, draw: Any) -> tuple[int, int, tuple[int, ...], float]:
        """(N, |S|, (|A¹|, …, |Aᴺ|), γ), each shrinking to its lower bound."""
        n = draw(st.integers(self.min_agents, self.max_agents))
        s = draw(st.integers(self.min_states, self.max_states))
        acts = tuple(draw(st.integers(self.min_actions, self.max_actions)) for _ in range(n))
        return n, s, acts, draw(self.gammas())


@reused
def _gammas(low: float, high: float) -> st.SearchStrategy[float]:
    fixed = [g for g in (low, 0.5, 0.9, 0.95, 0.99, high) if low <= g <= high]
    return st.one_of(st.sampled_from(sorted(set(fixed))), st.floats(low, high))
