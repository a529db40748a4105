"""Regression-test a new algorithm in a few lines: generic properties on random MPGs.

>>> from mpgverify.algorithm_check import check_algorithm
>>> from randomgames import algorithm_test_games
>>> report = check_algorithm(my_factory, algorithm_test_games(6, seed=0))   # doctest: +SKIP
>>> assert report.ok, report.render()              # doctest: +SKIP

The properties, each run on the ``games`` given (``randomgames.algorithm_test_games`` draws
identical-interest, dummy-term and coordination games with 2 to ``max_actions`` actions, so that an
error on a higher action index shows; the CLI finds it through the entry-point group
``mpgverify.game_suites``) and ``seeds`` seeds:

* ``deterministic``: two runs from the same seed give bit-identical policies;
* ``nash_within``: if the algorithm declares ``(ε, T)``, its policy after T steps is ε-Nash;
* ``nash_reached``: if declared ``(ε, T)``, some iterate t ≤ T is ε-Nash (Theorems 3.6, 3.8);
* ``monotone_potential``: if declared, Φ_θ(μ) never decreases between iterates (tolerance
  1e-9 · (1 + |Φ|));
* ``min_poa``: if declared, the POA after ``iters`` steps is at least that.

Declarations may depend on the game (``Algorithm.promises``): the built-in PG promises a monotone Φ
only where its step size is within that game's Lemma C.3 step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import torch

from mpgverify.algorithms.api import Algorithm, Declarations, build_algorithm
from mpgverify.errors import MpgverifyError
from mpgverify.evaluation import evaluate
from mpgverify.game import Game, MarkovGame
from mpgverify.nash import nash_gap
from mpgverify.welfare import price_of_anarchy

__all__ = [
    "GAME_SUITES_GROUP",
    "AlgorithmReport",
    "PropertyOutcome",
    "assert_algorithm",
    "check_algorithm",
    "game_suite",
]

#: entry-point group of the game suites ``check-algorithm`` draws from (``count, *, seed, max_actions``)
GAME_SUITES_GROUP = "mpgverify.game_suites"


def game_suite(name: str = "default") -> Callable[..., list[MarkovGame]]:
    """The game suite registered as ``name`` in :data:`GAME_SUITES_GROUP` (``randomgames`` registers
    ``default``); found by entry point so that this layer never imports the generators."""
    found = {ep.name: ep for ep in entry_points(group=GAME_SUITES_GROUP)}
    if name not in found:
        raise MpgverifyError(f"no game suite {name!r} is registered under {GAME_SUITES_GROUP!r}")
    suite: Callable[..., list[MarkovGame]] = found[name].load()
    return suite


@dataclass(frozen=True)
class PropertyOutcome:
    """One generic property: whether it held and, if not, on which game and by how much."""

    name: str
    checked: bool
    passed: bool
    detail: str


@dataclass(frozen=True)
class AlgorithmReport:
    algorithm: str
    outcomes: list[PropertyOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.passed for o in self.outcomes)

    def render(self) -> str:
        lines = [f"algorithm {self.algorithm}:"]
        for o in self.outcomes:
            status = "PASS" if o.passed else "FAIL"
            status = status if o.checked else "skip"
            lines.append(f"  {status:<4} {o.name:<20} {o.detail}")
        return "\n".join(lines)


def _run(alg: Algorithm, game: Game, seed: int, seeds: int, iters: int) -> list[tuple[torch.Tensor, ...]]:
    state = alg.init(game, seed=seed, batch=seeds)
    policies = [tuple(p.detach() for p in alg.policy(state))]
    for _ in range(iters):
        state = alg.step(game, state)
        policies.append(tuple(p.detach() for p in alg.policy(state)))
    return policies


def _margins(
    game: Game, decl: Declarations, run: list[tuple[torch.Tensor, ...]], iters: int
) -> list[tuple[str, float, str]]:
    """``(property, margin, where)`` for each property ``decl`` promises on ``game`` (margin > 0: broken)."""
    out: list[tuple[str, float, str]] = []
    if decl.nash_within:
        eps, steps = decl.nash_within
        gap = float(nash_gap(game, run[steps]).gap.max())
        out.append(("nash_within", gap - eps, f"Nash-gap {gap:.4g} > ε = {eps:.4g} after {steps} steps"))
    if decl.nash_reached:
        eps, steps = decl.nash_reached
        best = float(torch.stack([nash_gap(game, p).gap for p in run[: steps + 1]]).min(dim=0).values.max())
        out.append(("nash_reached", best - eps, f"no iterate t ≤ {steps} is {eps:.4g}-Nash (best gap {best:.4g})"))
    if decl.monotone_potential and game.potential is not None:
        phis = torch.stack([evaluate(game, p).Phi_mu for p in run])  # type: ignore[misc]
        drops = (phis[:-1] - phis[1:]) - 1e-9 * (1 + phis[:-1].abs())
        d = float(drops.max())
        t = int(drops.max(dim=1).values.argmax()) if drops.dim() > 1 else int(drops.argmax())
        out.append(("monotone_potential", d, f"Φ(μ) fell by {d:.3g} at step {t + 1}"))
    if decl.min_poa is not None:
        poa = float(price_of_anarchy(game, run[iters]).min())
        out.append(("min_poa", decl.min_poa - poa, f"POA {poa:.4g} < {decl.min_poa} after {iters} steps"))
    return out


def check_algorithm(
    factory: Callable[..., Algorithm],
    games: Sequence[MarkovGame],
    *,
    seeds: int = 2,
    iters: int = 50,
    seed: int = 0,
    **options: Any,
) -> AlgorithmReport:
    """Run the generic properties (module docstring) on ``factory(**options)``.

    What is checked on a game is what the algorithm declares for that game
    (:meth:`Algorithm.declarations`); a property declared on none of the games is reported as
    ``skip`` with the algorithm's stated reason."""
    if not games:
        raise ValueError("check_algorithm needs at least one game")
    alg = build_algorithm(factory, getattr(factory, "__name__", "the algorithm"), **options)
    names = ("nash_within", "nash_reached", "monotone_potential", "min_poa")
    worst: dict[str, tuple[float, str]] = {}
    promised = dict.fromkeys(names, 0)
    reasons: list[str] = []  # why nothing was promised, per game where nothing was
    det_ok, det_detail = True, f"{len(games)} games × {seeds} seeds"
    for game in games:
        decl = alg.declarations(game)
        if decl.source and decl.empty:
            reasons.append(f"{game.name}: {decl.source}")
        horizons = [T for T in (decl.nash_within, decl.nash_reached) if T is not None]
        T = max([iters] + [h[1] for h in horizons])
        first = _run(alg, game, seed, seeds, T)
        if det_ok:
            again = _run(alg, game, seed, seeds, min(T, 3))
            for a, b in zip(first[: len(again)], again, strict=True):
                if not all(torch.equal(x, y) for x, y in zip(a, b, strict=True)):
                    det_ok, det_detail = False, f"{game.name}: same seed, different policies"
                    break

        for key, margin, where in _margins(game, decl, first, iters):
            promised[key] += 1
            if margin > worst.get(key, (-float("inf"), ""))[0]:
                worst[key] = (margin, f"{game.name}: {where}" + (f" ({decl.source})" if decl.source else ""))
    outcomes = [PropertyOutcome("deterministic", True, det_ok, det_detail)]
    for name in names:
        if not promised[name]:
            more = f" (and {len(reasons) - 1} more games)" if len(reasons) > 1 else ""
            why = f"not promised; {reasons[0]}{more}" if reasons else "not declared"
            outcomes.append(PropertyOutcome(name, False, True, why))
            continue
        margin, where = worst[name]
        detail = where if margin > 0 else f"held on {promised[name]} of {len(games)} games × {seeds} seeds"
        outcomes.append(PropertyOutcome(name, True, margin <= 0, detail))
    return AlgorithmReport(alg.name, outcomes)


def assert_algorithm(factory: Callable[..., Algorithm], games: Sequence[MarkovGame], **kwargs: Any) -> AlgorithmReport:
    """pytest helper: :func:`check_algorithm`, raising ``AssertionError`` with the report on failure."""
    report = check_algorithm(factory, games, **kwargs)
    assert report.ok, report.render()
    return report
