"""Regression-test a new algorithm in a few lines: generic properties on random MPGs.

>>> from mpgverify.algorithm_check import check_algorithm
>>> from randomgames import algorithm_test_games
>>> report = check_algorithm(my_factory, algorithm_test_games(6, seed=0))   # doctest: +SKIP
>>> assert report.ok, report.render()              # doctest: +SKIP

The properties, each run on the ``games`` given (``randomgames.algorithm_test_games`` draws
identical-interest, dummy-term and coordination games with 2 to ``max_actions`` actions, so that an
error on a higher action index shows; the CLI finds it through the entry-point group
``mpgverify.game_suites``) and ``seeds`` seeds:

* ``runs``: every ``init``/``step``/``policy`` call returns, and every policy is a batch of product
  policies (shape ``[seeds, S, Aⁱ]``, finite, non-negative, rows summing to 1); a plug-in that
  raises, calls ``sys.exit`` or diverges fails here, with the game, the step and the agent;
* ``deterministic``: two runs from the same seed give bit-identical policies;
* ``nash_within``: if the algorithm declares ``(ε, T)``, its policy after T steps is ε-Nash;
* ``nash_reached``: if declared ``(ε, T)``, some iterate t ≤ T is ε-Nash (Theorems 3.6, 3.8);
* ``monotone_potential``: if declared, Φ_θ(μ) never decreases between iterates (tolerance
  1e-9 · (1 + |Φ|));
* ``min_poa``: if declared, the POA after ``iters`` steps is at least that.

Only the last four are tests of what the algorithm computes: a check where none was promised on any
game has "nothing checked" (``AlgorithmReport.tested`` is False; the CLI exits 3). The time and memory
of the whole check are estimated before the first step (:mod:`mpgverify.cost`).

Declarations may depend on the game (``Algorithm.promises``): the built-in PG promises a monotone Φ
only where its step size is within that game's Lemma C.3 step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, TextIO

import torch

from mpgverify.algorithms.api import (
    Algorithm,
    Declarations,
    PluginFailure,
    build_algorithm,
    call_plugin,
    check_declarations,
    check_policy_output,
)
from mpgverify.cost import Cost, CostError, require_cost, time_budget
from mpgverify.errors import MpgverifyError
from mpgverify.game import Game, MarkovGame
from mpgverify.progress import Progress, format_seconds
from mpgverify.solvers.evaluation import evaluate
from mpgverify.solvers.nash import nash_gap
from mpgverify.solvers.welfare import price_of_anarchy

__all__ = [
    "GAME_SUITES_GROUP",
    "PROMISES",
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


#: the properties a user would call a test (determinism and valid policies are checked always, but
#: alone they say nothing about what the algorithm computes)
PROMISES = ("nash_within", "nash_reached", "monotone_potential", "min_poa")


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

    @property
    def tested(self) -> bool:
        """Whether a declared property (:data:`PROMISES`) was checked on at least one game."""
        return any(o.checked for o in self.outcomes if o.name in PROMISES)

    def render(self) -> str:
        lines = [f"algorithm {self.algorithm}:"]
        for o in self.outcomes:
            status = "PASS" if o.passed else "FAIL"
            status = status if o.checked else "skip"
            lines.append(f"  {status:<4} {o.name:<20} {o.detail}")
        if self.ok and not self.tested:
            lines.append(
                "  nothing checked beyond determinism: the algorithm promises none of "
                f"{', '.join(PROMISES)} on these games (see the skips)"
            )
        return "\n".join(lines)


class _Trace:
    """The iterates of one run, kept only as far as the declared properties need them (a run of 10⁶
    steps holds a few policies, not 10⁶): the first ``keep`` policies, the one at ``snapshots``, the
    best Nash-gap up to ``reach``, and the largest fall of Φ."""

    def __init__(self, game: Game, decl: Declarations, keep: int, snapshots: set[int]) -> None:
        self.game, self.decl, self.keep, self.snapshots = game, decl, keep, snapshots
        self.first: list[tuple[torch.Tensor, ...]] = []
        self.at: dict[int, tuple[torch.Tensor, ...]] = {}
        self.best_gap: torch.Tensor | None = None
        self.fall = (-math.inf, 0)
        self.last_phi: torch.Tensor | None = None

    def see(self, t: int, probs: tuple[torch.Tensor, ...]) -> None:
        if t < self.keep:
            self.first.append(probs)
        if t in self.snapshots:
            self.at[t] = probs
        if self.decl.nash_reached and t <= self.decl.nash_reached[1]:
            gap = nash_gap(self.game, probs).gap
            self.best_gap = gap if self.best_gap is None else torch.minimum(self.best_gap, gap)
        if self.decl.monotone_potential and self.game.potential is not None:
            phi = evaluate(self.game, probs).Phi_mu
            assert phi is not None
            if self.last_phi is not None:
                drop = float(((self.last_phi - phi) - 1e-9 * (1 + self.last_phi.abs())).max())
                if not drop <= self.fall[0]:
                    self.fall = (drop if math.isfinite(drop) else math.inf, t)
            self.last_phi = phi


def _run(alg: Algorithm, game: Game, seed: int, seeds: int, steps: int, trace: _Trace, bar: Progress) -> None:
    where = f"{game.name}, step 0"
    state = call_plugin("init", where, alg.init, game, seed=seed, batch=seeds)
    trace.see(0, check_policy_output(game, call_plugin("policy", where, alg.policy, state), seeds, where))
    for t in range(1, steps + 1):
        where = f"{game.name}, step {t}"
        state = call_plugin("step", where, alg.step, game, state)
        trace.see(t, check_policy_output(game, call_plugin("policy", where, alg.policy, state), seeds, where))
        bar.advance()


def _margins(game: Game, decl: Declarations, trace: _Trace, iters: int) -> list[tuple[str, float, str]]:
    """``(property, margin, where)`` for each property ``decl`` promises on ``game`` (margin > 0 or NaN: broken)."""
    out: list[tuple[str, float, str]] = []
    if decl.nash_within:
        eps, steps = decl.nash_within
        gap = float(nash_gap(game, trace.at[steps]).gap.max())
        out.append(("nash_within", gap - eps, f"Nash-gap {gap:.4g} > ε = {eps:.4g} after {steps} steps"))
    if decl.nash_reached and trace.best_gap is not None:
        eps, steps = decl.nash_reached
        best = float(trace.best_gap.max())
        out.append(("nash_reached", best - eps, f"no iterate t ≤ {steps} is {eps:.4g}-Nash (best gap {best:.4g})"))
    if decl.monotone_potential and game.potential is not None:
        d, t = trace.fall
        out.append(("monotone_potential", d, f"Φ(μ) fell by {d:.3g} at step {t}"))
    if decl.min_poa is not None:
        poa = float(price_of_anarchy(game, trace.at[iters]).min())
        out.append(("min_poa", decl.min_poa - poa, f"POA {poa:.4g} < {decl.min_poa} after {iters} steps"))
    return out


def _horizon(decl: Declarations, iters: int) -> int:
    return max([iters] + [h[1] for h in (decl.nash_within, decl.nash_reached) if h is not None])


def _require_budget(alg: Algorithm, games: Sequence[Game], plans: list[tuple[Declarations, int]], seeds: int) -> None:
    """Refuse, before any step, a check whose estimated time or memory is past the budget."""
    total, parts = 0.0, []
    for game, (decl, T) in zip(games, plans, strict=True):
        per_step = 1.0 + (1 + 3 * game.n_agents) * bool(decl.nash_reached) + bool(decl.monotone_potential)
        check = Cost(per_step, 0.0, 0, "the checks of each iterate", "--iters")
        cost = (alg.step_cost(game, seeds) + check).times(T + min(T, 3), f"{T + min(T, 3)} steps")
        total += require_cost(cost, game, seeds, f"check-algorithm {alg.name} on {game.name}")
        parts.append(cost.detail)
    if not total <= time_budget():
        raise CostError(
            f"check-algorithm {alg.name} would take about {format_seconds(total)} over {len(games)} games "
            f"({parts[0]} on the first), above the time budget of {format_seconds(time_budget())}; lower --iters "
            "or --games, or raise MPGVERIFY_TIME_LIMIT"
        )


def check_algorithm(
    factory: Callable[..., Algorithm],
    games: Sequence[MarkovGame],
    *,
    seeds: int = 2,
    iters: int = 50,
    seed: int = 0,
    progress: TextIO | None = None,
    **options: Any,
) -> AlgorithmReport:
    """Run the generic properties (module docstring) on ``factory(**options)``.

    What is checked on a game is what the algorithm declares for that game
    (:meth:`Algorithm.declarations`); a property declared on none of the games is reported as
    ``skip`` with the algorithm's stated reason. A plug-in that raises, exits, or returns what is not
    a product policy fails the property ``runs`` with where and why (the other properties are then not
    judged on that game)."""
    if not games:
        raise ValueError("check_algorithm needs at least one game")
    alg = build_algorithm(factory, getattr(factory, "__name__", "the algorithm"), **options)
    plans = []
    for game in games:
        decl = check_declarations(call_plugin("declarations", game.name, alg.declarations, game), game.name)
        plans.append((decl, _horizon(decl, iters)))
    _require_budget(alg, games, plans, seeds)
    worst: dict[str, tuple[float, str]] = {}
    promised = dict.fromkeys(PROMISES, 0)
    reasons: list[str] = []  # why nothing was promised, per game where nothing was
    det_ok, det_detail = True, f"{len(games)} games × {seeds} seeds"
    broken: str | None = None
    bar = Progress(f"check-algorithm {alg.name}", sum(T + min(T, 3) for _, T in plans), progress)
    for game, (decl, T) in zip(games, plans, strict=True):
        if decl.source and decl.empty:
            reasons.append(f"{game.name}: {decl.source}")
        snapshots = {h[1] for h in (decl.nash_within,) if h is not None} | {iters}
        first = _Trace(game, decl, 4, snapshots)
        again = _Trace(game, Declarations(), 4, set())
        try:
            _run(alg, game, seed, seeds, T, first, bar)
            if det_ok:
                _run(alg, game, seed, seeds, min(T, 3), again, bar)
        except PluginFailure as e:
            broken = broken or str(e)
            continue
        if det_ok:
            for a, b in zip(first.first, again.first, strict=False):
                if not all(torch.equal(x, y) for x, y in zip(a, b, strict=True)):
                    det_ok, det_detail = False, f"{game.name}: same seed, different policies"
                    break
        for key, margin, where in _margins(game, decl, first, iters):
            promised[key] += 1
            if not margin <= worst.get(key, (-math.inf, ""))[0]:  # NaN counts as broken
                margin = math.inf if math.isnan(margin) else margin
                worst[key] = (margin, f"{game.name}: {where}" + (f" ({decl.source})" if decl.source else ""))
    outcomes = [PropertyOutcome("runs", True, broken is None, broken or "valid product policies at every step")]
    outcomes.append(PropertyOutcome("deterministic", True, det_ok, det_detail))
    for name in PROMISES:
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
