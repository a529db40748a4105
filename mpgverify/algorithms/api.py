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
import inspect
import math
import os
import sys
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import torch

from mpgverify.cost import Cost
from mpgverify.errors import FormatError, MpgverifyError
from mpgverify.game import Game
from mpgverify.interrupts import caused_by_ctrl_c
from mpgverify.literals import DECIMAL, INTEGER
from mpgverify.memory import recording_bytes

__all__ = [
    "ENTRY_POINT_GROUP",
    "Algorithm",
    "Declarations",
    "PluginFailure",
    "build_algorithm",
    "call_plugin",
    "check_declarations",
    "check_policy_output",
    "get_factory",
    "load_factory",
    "make_algorithm",
    "register",
    "registered",
    "typed_options",
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
    cost: Callable[[Game, int], Cost] | None = None

    def declarations(self, game: Game) -> Declarations:
        """What this algorithm promises on ``game``: ``promises(game)`` when given, else ``declares``."""
        return self.declares if self.promises is None else self.promises(game)

    def step_cost(self, game: Game, batch: int) -> Cost:
        """The estimated cost of one step on a batch of ``batch`` runs (:mod:`mpgverify.cost`): ``cost``
        when given, else two exact evaluations (a value and its gradient) and the recording's memory."""
        if self.cost is not None:
            return self.cost(game, batch)
        return Cost(2.0, 0.0, recording_bytes(game, batch), "about 2 exact evaluations per step", "--iters")


class PluginFailure(MpgverifyError):
    """The plug-in raised, exited, or returned something that is not a product policy."""


def check_policy_output(game: Game, probs: Any, batch: int, where: str) -> tuple[torch.Tensor, ...]:
    """What a plug-in's ``policy(state)`` returned, checked to be a batch of product policies: one
    ``[batch, S, Aⁱ]`` tensor per agent, finite, non-negative, each row summing to 1 within 1e-6.
    Raises :class:`PluginFailure` naming ``where`` (the game and step) and the agent."""
    if not isinstance(probs, (tuple, list)) or len(probs) != game.n_agents:
        count = f" of {len(probs)}" if isinstance(probs, (tuple, list)) else ""
        raise PluginFailure(
            f"{where}: policy(state) must return {game.n_agents} tensors (one per agent), "
            f"got {type(probs).__name__}{count}"
        )
    out = []
    for i, (p, n) in enumerate(zip(probs, game.n_actions, strict=True)):
        shape = (batch, game.n_states, n)
        if not isinstance(p, torch.Tensor) or tuple(p.shape) != shape:
            got = list(p.shape) if isinstance(p, torch.Tensor) else type(p).__name__
            raise PluginFailure(f"{where}: agent {i}'s policy must have shape {list(shape)}, got {got}")
        p = p.detach().to(torch.float64)
        if not bool(torch.isfinite(p).all()):
            raise PluginFailure(f"{where}: agent {i}'s policy is not finite (the dynamics diverged)")
        if float(p.min()) < 0:
            raise PluginFailure(f"{where}: agent {i}'s policy has a negative probability {float(p.min()):.3g}")
        off = float((p.sum(-1) - 1).abs().max())
        if off > 1e-6:
            raise PluginFailure(f"{where}: agent {i}'s policy rows do not sum to 1 (off by {off:.3g})")
        out.append(p)
    return tuple(out)


def check_declarations(decl: Any, where: str) -> Declarations:
    """What a plug-in declared, checked: a :class:`Declarations` whose ``(ε, T)`` pairs are a finite
    ε ≥ 0 and an integer T ≥ 0 (at most 10⁶ steps), and ``min_poa`` a finite number or None."""
    if not isinstance(decl, Declarations):
        raise PluginFailure(f"{where}: declarations must be a Declarations, got {type(decl).__name__}")
    for name in ("nash_within", "nash_reached"):
        pair = getattr(decl, name)
        if pair is None:
            continue
        ok = isinstance(pair, tuple) and len(pair) == 2
        eps, steps = pair if ok else (None, None)
        ok = ok and isinstance(eps, (int, float)) and not isinstance(eps, bool) and math.isfinite(eps) and eps >= 0
        ok = ok and isinstance(steps, int) and not isinstance(steps, bool) and 0 <= steps <= 10**6
        if not ok:
            raise PluginFailure(f"{where}: {name} must be (ε ≥ 0, T an integer in [0, 10⁶]), got {pair!r}"[:200])
    poa = decl.min_poa
    if poa is not None and (isinstance(poa, bool) or not isinstance(poa, (int, float)) or not math.isfinite(poa)):
        raise PluginFailure(f"{where}: min_poa must be a finite number or None, got {poa!r}"[:200])
    return decl


def call_plugin(what: str, where: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args)`` with whatever the plug-in raises (or a sys.exit) turned into a PluginFailure, except
    a Ctrl-C Python wrapped in another exception, which stays a KeyboardInterrupt."""
    try:
        return fn(*args, **kwargs)
    except MpgverifyError:
        raise
    except (Exception, SystemExit) as e:
        if caused_by_ctrl_c(e):  # a Ctrl-C Python wrapped (in __set_name__): the user's, not the plug-in's
            raise KeyboardInterrupt from e
        kind = "called sys.exit" if isinstance(e, SystemExit) else f"raised {e.__class__.__name__}"
        raise PluginFailure(f"{where}: {what} {kind}: {e}"[:400]) from None


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
    if os.getcwd() not in sys.path and "" not in sys.path:  # as `python -m` does: a module beside the user
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise FormatError("ALGORITHM", f"cannot import {module_name!r}: {e}") from None
    except (Exception, SystemExit) as e:  # a plug-in is user input: whatever its import raises is reported
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


def build_algorithm(factory: Callable[..., Algorithm], name: str, /, **options: Any) -> Algorithm:
    """``factory(**options)``, checked: whatever the factory raises is reported as a bad option or a
    broken plug-in, and what it returns must be an :class:`Algorithm`."""
    try:
        alg = factory(**options)
    except FormatError:
        raise
    except TypeError as e:
        raise FormatError("--option", f"{name}: {e}") from None
    except SystemExit as e:
        raise FormatError("ALGORITHM", f"{name}: the factory called sys.exit({e.code!r})") from None
    except Exception as e:
        raise FormatError("ALGORITHM", f"{name}: the factory raised {e.__class__.__name__}: {e}") from None
    if not isinstance(alg, Algorithm):
        raise FormatError("ALGORITHM", f"{name}: the factory returned a {type(alg).__name__}, not an Algorithm")
    return alg


_TYPE_NAMES = {int: "an integer", float: "a finite number", bool: "true or false", str: "a string"}


def _typed(key: str, text: str, kinds: tuple[Any, ...]) -> Any:
    """``text`` as the first of ``kinds`` (int, float, bool, str, None) it reads as; one line else."""
    flag = f"--option {key}"
    if len(text) > 100:
        raise FormatError(flag, f"must be at most 100 characters, got {len(text)}")
    for kind in kinds:
        if kind is type(None) and text.lower() in ("none", "null"):
            return None
        if kind is bool and text in ("true", "false"):
            return text == "true"
        if kind is int and INTEGER.fullmatch(text) and len(text.lstrip("+-")) <= 19:
            return int(text)
        if kind is float and DECIMAL.fullmatch(text):
            value = float(text)
            if math.isfinite(value):
                return value
        if kind is str:
            return text
    names = " or ".join("none" if k is type(None) else _TYPE_NAMES.get(k, k.__name__) for k in kinds)
    raise FormatError(flag, f"must be {names}, got {text!r}")


def _kinds(annotation: Any) -> tuple[Any, ...] | None:
    """The plain types an annotation allows (``int | None`` → (int, None)); None when it says nothing."""
    if annotation in (int, float, bool, str):
        return (annotation,)
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and args:
        kinds = tuple(a for a in args if a in (int, float, bool, str, type(None)))
        return kinds if len(kinds) == len(args) else None
    return None


def typed_options(factory: Callable[..., Algorithm], name: str, pairs: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings as the keyword arguments of ``factory``, each typed as its signature
    declares (``K: int`` takes ``5``, not ``abc`` nor ``5.5``; ``lr: float`` takes ``0.1``); an option
    the factory does not take is refused, unless it accepts ``**options``, where an undeclared value is
    read as an integer, a number, true/false or else a string. One line per mistake, naming the option."""
    try:
        sig = inspect.signature(factory)
        hints = typing.get_type_hints(factory)
    except (TypeError, ValueError, NameError):
        sig, hints = None, {}
    params = sig.parameters if sig is not None else {}
    open_ended = sig is None or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    out: dict[str, Any] = {}
    for item in pairs:
        key, eq, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not eq or not key:
            raise FormatError("--option", f"must read key=value, got {item!r}"[:200])
        if key in out:
            raise FormatError(f"--option {key}", "is given twice")
        if key not in params and not open_ended:
            named = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            known = ", ".join(p for p, v in params.items() if v.kind in named)
            raise FormatError(f"--option {key}", f"is not an option of {name} (options: {known or 'none'})")
        kinds = _kinds(hints.get(key)) if key in params else None
        out[key] = _typed(key, text, kinds or (int, float, bool, str))
    return out


def make_algorithm(name: str, /, **options: Any) -> Algorithm:
    """Build a registered algorithm with options, naming a bad option clearly."""
    return build_algorithm(get_factory(name), name, **options)
