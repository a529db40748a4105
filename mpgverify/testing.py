"""Regression-test a new algorithm in a few lines: generic properties on random MPGs.

>>> from mpgverify.testing import check_algorithm
>>> report = check_algorithm(my_factory)          # doctest: +SKIP
>>> assert report.ok, report.render()              # doctest: +SKIP

The properties (each run on ``games`` drawn MPGs — identical-interest, dummy-term and the
coordination game, rewards in [0, 1], full-support μ, agents cycling through 2 to ``max_actions``
actions so that an error on a higher action index shows — and ``seeds`` seeds):

* ``deterministic``: two runs from the same seed give bit-identical policies;
* ``nash_within``: if the algorithm declares ``(ε, T)``, its policy after T steps is ε-Nash;
* ``monotone_potential``: if declared, Φ_θ(μ) never decreases between iterates (tolerance
  1e-9 · (1 + |Φ|));
* ``min_poa``: if declared, the POA after the declared (or ``iters``) steps is at least that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from mpgverify.algorithms.api import Algorithm, build_algorithm
from mpgverify.evaluation import evaluate
from mpgverify.game import MarkovGame
from mpgverify.nash import nash_gap
from mpgverify.welfare import price_of_anarchy

__all__ = ["AlgorithmReport", "PropertyOutcome", "assert_algorithm", "check_algorithm"]


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


def _games(n: int, seed: int, max_actions: int) -> list[MarkovGame]:
    import randomgames as rg  # randomgames sits above mpgverify: import lazily

    def actions(k: int) -> int:
        return 2 + (k // 3) % (max_actions - 1)  # 2, 3, …, max_actions, in turn

    makers: list[Callable[[int], MarkovGame]] = [
        lambda k: rg.identical_interest_game(seed=seed + k, n_agents=2, n_states=2, n_actions=actions(k), gamma=0.9),
        lambda k: rg.dummy_term_game(
            seed=seed + k, n_agents=3, n_states=2, n_actions=actions(k), gamma=0.8, dummy_range=(0.0, 1.0)
        ),
        lambda k: rg.coordination_game(2, gamma=0.9),
    ]
    return [makers[k % len(makers)](k) for k in range(n)]


def _run(alg: Algorithm, game: MarkovGame, seed: int, seeds: int, iters: int) -> list[tuple[torch.Tensor, ...]]:
    state = alg.init(game, seed=seed, batch=seeds)
    policies = [tuple(p.detach() for p in alg.policy(state))]
    for _ in range(iters):
        state = alg.step(game, state)
        policies.append(tuple(p.detach() for p in alg.policy(state)))
    return policies


def check_algorithm(
    factory: Callable[..., Algorithm],
    *,
    games: int = 6,
    seeds: int = 2,
    iters: int = 50,
    seed: int = 0,
    max_actions: int = 4,
    **options: Any,
) -> AlgorithmReport:
    """Run the generic properties (module docstring) on ``factory(**options)``."""
    if max_actions < 2:
        raise ValueError(f"max_actions must be ≥ 2, got {max_actions}")
    alg = build_algorithm(factory, getattr(factory, "__name__", "the algorithm"), **options)
    decl = alg.declares
    T = decl.nash_within[1] if decl.nash_within else iters
    outcomes: list[PropertyOutcome] = []
    worst: dict[str, tuple[float, str]] = {}
    det_ok, det_detail = True, f"{games} games × {seeds} seeds"
    for game in _games(games, seed, max_actions):
        first = _run(alg, game, seed, seeds, T)
        if det_ok:
            again = _run(alg, game, seed, seeds, min(T, 3))
            for a, b in zip(first[: len(again)], again, strict=True):
                if not all(torch.equal(x, y) for x, y in zip(a, b, strict=True)):
                    det_ok, det_detail = False, f"{game.name}: same seed, different policies"
                    break
        final = first[-1]
        if decl.nash_within:
            gap = float(nash_gap(game, final).gap.max())
            if gap - decl.nash_within[0] > worst.get("nash", (-float("inf"), ""))[0]:
                worst["nash"] = (gap - decl.nash_within[0], f"{game.name}: Nash-gap {gap:.4g} after {T} steps")
        if decl.monotone_potential and game.phi is not None:
            phis = torch.stack([evaluate(game, p).Phi_mu for p in first])  # type: ignore[misc]
            drops = (phis[:-1] - phis[1:]) - 1e-9 * (1 + phis[:-1].abs())
            d = float(drops.max())
            if d > worst.get("mono", (-float("inf"), ""))[0]:
                t = int(drops.max(dim=1).values.argmax()) if drops.dim() > 1 else int(drops.argmax())
                worst["mono"] = (d, f"{game.name}: Φ(μ) fell by {d:.3g} at step {t + 1}")
        if decl.min_poa is not None:
            poa = float(price_of_anarchy(game, final).min())
            if decl.min_poa - poa > worst.get("poa", (-float("inf"), ""))[0]:
                worst["poa"] = (decl.min_poa - poa, f"{game.name}: POA {poa:.4g} < {decl.min_poa}")
    outcomes.append(PropertyOutcome("deterministic", True, det_ok, det_detail))
    for key, name, declared in (
        ("nash", "nash_within", decl.nash_within is not None),
        ("mono", "monotone_potential", decl.monotone_potential),
        ("poa", "min_poa", decl.min_poa is not None),
    ):
        if not declared:
            outcomes.append(PropertyOutcome(name, False, True, "not declared"))
            continue
        margin, where = worst.get(key, (-float("inf"), ""))
        ok = margin <= 0
        outcomes.append(PropertyOutcome(name, True, ok, where if not ok else f"held on {games} games × {seeds} seeds"))
    return AlgorithmReport(alg.name, outcomes)


def assert_algorithm(factory: Callable[..., Algorithm], **kwargs: Any) -> AlgorithmReport:
    """pytest helper: :func:`check_algorithm`, raising ``AssertionError`` with the report on failure."""
    report = check_algorithm(factory, **kwargs)
    assert report.ok, report.render()
    return report
