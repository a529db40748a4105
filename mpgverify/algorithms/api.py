"""The algorithm interface: pure ``init``/``step`` functions over frozen states, and a registry.

An :class:`Algorithm` bundles

* ``init(game, *, seed, batch) -> state``: a frozen state holding a batch of ``batch`` runs
  (seeds ``seed, seed+1, …`` share one generator stream; the same seed gives the same state),
* ``step(game, state) -> state``: one iteration, a pure function (no state is mutated),
* ``policy(state) -> probs``: the current product policy, ``[batch, S, Aⁱ]`` per agent,
* ``declares``: what the algorithm promises on every MPG, checked by ``mpgverify check-algorithm``;
  ``promises(game)``, when given, is what it promises on that game (the paper's guarantees hold at
  game-dependent step sizes: PG is monotone in Φ at the Lemma C.3 step of *this* game).

Algorithms are registered by name (``register``) or through the entry-point group
``mpgverify.algorithms`` (``name = "package.module:factory"``); a factory takes keyword options
(``lr=0.1``, …) and returns an :class:`Algorithm`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import torch

from mpgverify.errors import FormatError
from mpgverify.game import Game

__all__ = [
    "ENTRY_POINT_GROUP",
    "Algorithm",
    "Declarations",
    "build_algorithm",
    "get_factory",
    "load_factory",
    "make_algorithm",
    "register",
    "registered",
]

ENTRY_POINT_GROUP = "mpgverify.algorithms"


@dataclass(frozen=True)
class Declarations:
    """What an algorithm promises on MPGs, for the generic properties of ``check-algorithm``.

    Attributes:
      nash_within: ``(ε, T)``: the policy after T iterations is ε-Nash (None: no promise).
      nash_reached: ``(ε, T)``: some iterate t ≤ T is ε-Nash (the form of Theorems 3.6 and 3.8).
      monotone_potential: Φ_θ(μ) never decreases from one iterate to the next.
      min_poa: the final POA is at least this (None: no promise).
      source: where the promise comes from (a theorem and its premises), or why nothing is promised.
    """

    nash_within: tuple[float, int] | None = None
    nash_reached: tuple[float, int] | None = None
    monotone_potential: bool = False
    min_poa: float | None = None
    source: str = ""

    @property
    def empty(self) -> bool:
        """Nothing promised."""
        return (
            self.nash_within is None
            and self.nash_reached is None
            and not self.monotone_potential
            and self.min_poa is None
        )


@dataclass(frozen=True)
class Algorithm:
    """An iterative dynamics as pure functions (see the module docstring)."""

    name: str
    init: Callable[..., Any]
    step: Callable[[Game, Any], Any]
    policy: Callable[[Any], tuple[torch.Tensor, ...]]
    declares: Declarations = field(default_factory=Declarations)
    options: dict[str, Any] = field(default_factory=dict)
    promises: Callable[[Game], Declarations] | None = None

    def declarations(self, game: Game) -> Declarations:
        """What this algorithm promises on ``game``: ``promises(game)`` when given, else ``declares``."""
        return self.declares if self.promises is None else self.promises(game)


_REGISTRY: dict[str, Callable[..., Algorithm]] = {}


def register(name: str, factory: Callable[..., Algorithm]) -> Callable[..., Algorithm]:
    """Register ``factory`` under ``name`` (returns it, so it can decorate)."""
    _REGISTRY[name] = factory
    return factory


def _entry_point_factories() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def registered() -> list[str]:
    """Names of every registered algorithm, built-in and from entry points."""
    return sorted(set(_REGISTRY) | set(_entry_point_factories()))


def load_factory(spec: str) -> Callable[..., Algorithm]:
    """Import ``package.module:factory``."""
    module_name, colon, attr = spec.partition(":")
    if not colon or not module_name or not attr:
        raise FormatError("ALGORITHM", f"must read package.module:factory, got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise FormatError("ALGORITHM", f"cannot import {module_name!r}: {e}") from None
    except Exception as e:  # a plug-in is user input: whatever its import raises is reported, not re-raised
        raise FormatError("ALGORITHM", f"importing {module_name!r} raised {e.__class__.__name__}: {e}") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise FormatError("ALGORITHM", f"{module_name!r} has no callable {attr!r}")
    return factory


def get_factory(name: str) -> Callable[..., Algorithm]:
    """The factory registered as ``name`` (built-in, entry point, or ``module:factory``)."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    eps = _entry_point_factories()
    if name in eps:
        try:
            return eps[name].load()  # type: ignore[no-any-return,unused-ignore]
        except Exception as e:
            raise FormatError("ALGORITHM", f"loading plug-in {name!r} raised {e.__class__.__name__}: {e}") from None
    if ":" in name:
        return load_factory(name)
    raise FormatError("ALGORITHM", f"unknown algorithm {name!r} (known: {', '.join(registered())})")


def build_algorithm(factory: Callable[..., Algorithm], name: str, **options: Any) -> Algorithm:
    """``factory(**options)``, checked: whatever the factory raises is reported as a bad option or a
    broken plug-in, and what it returns must be an :class:`Algorithm`."""
    try:
        alg = factory(**options)
    except FormatError:
        raise
    except TypeError as e:
        raise FormatError("--option", f"{name}: {e}") from None
    except Exception as e:
        raise FormatError("ALGORITHM", f"{name}: the factory raised {e.__class__.__name__}: {e}") from None
    if not isinstance(alg, Algorithm):
        raise FormatError("ALGORITHM", f"{name}: the factory returned a {type(alg).__name__}, not an Algorithm")
    return alg


def make_algorithm(name: str, **options: Any) -> Algorithm:
    """Build a registered algorithm with options, naming a bad option clearly."""
    return build_algorithm(get_factory(name), name, **options)
