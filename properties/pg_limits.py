"""Assumption 3.3 certified on a PG run (Theorem 3.4's premise): PG (3) from θ₀ until θ_t stops
moving, then the limit's stationarity — for one game (:func:`pg_limit`) or for a population of
same-shape games at once (:func:`pg_limits`: each member with its own η and its own stop, masked;
equal to :func:`pg_limit` member by member to round-off, and the same numbers in any stack)."""

from __future__ import annotations

from typing import Any

import torch

from mpgverify.algorithms.gradients import marginal_policy_gradients
from mpgverify.algorithms.pg import pg
from mpgverify.algorithms.tabular import TabularState
from mpgverify.game import MarkovGame
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.evaluation import evaluate
from mpgverify.solvers.game_constants import potential_range
from properties.common import largest_entries

__all__ = ["MOVED", "STATIONARY_TOL", "STEP_TOL", "pg_limit", "pg_limits"]

#: Assumption 3.3's certificate: the last step below this (relative to 1 + max |θ|) …
STEP_TOL = 1e-13
#: … and every local advantage of the limit below this (relative to 1 + Φ_max − Φ_min)
STATIONARY_TOL = 1e-9
#: an example is informative when PG moves: the initial gradient's largest entry above this
MOVED = 1e-8


def pg_limit(game: MarkovGame, theta0: tuple[torch.Tensor, ...], eta: float, steps: int) -> tuple[Any, int, str | None]:
    """Run PG (3) from θ₀ for at most ``steps`` steps and certify Assumption 3.3 (θ_t → θ*) on the way:
    (state, steps taken, None) when certified, else the reason it is not.

    The certificate has two parts, both needed. (i) θ_t stopped moving: ``max |θ_{t+1} − θ_t| ≤
    STEP_TOL·(1 + max |θ_t|)``. (ii) The limit is a stationary point: a finite limit θ* has
    ``∇Φ(θ*) = 0``, and with ``d(s) > 0`` (Assumption 2.1) and ``πⁱ(a|s) > 0`` at finite θ, eq. (2)
    forces every local advantage ``Aⁱ(s, a) = 0``; so ``max |Aⁱ(s, a)| ≤ STATIONARY_TOL·(1 + Φ_max −
    Φ_min)``. Part (ii) is what a float step cannot fake: at logits of 40 the gradient
    ``d π A`` underflows below the spacing of θ and θ stops moving, while A stays of order one."""
    alg = pg(lr=eta)  # PG (3) as the library runs it
    state = alg.init(game, seed=0, batch=1)._replace(theta=tuple(t[None] for t in theta0))
    low, high = potential_range(game)
    k = 0
    for k in range(1, steps + 1):  # noqa: B007 (k is the step count reported below)
        new = alg.step(game, state)
        last, size = _step_and_size(state.theta, new.theta)
        state = new
        if float(last[0]) <= STEP_TOL * (1.0 + float(size[0])):
            break
    else:
        return state, steps, f"θ_t did not stop moving in {steps} steps (Assumption 3.3 not established)"
    return state, k, _stationary_reason(game, state, k, high - low)


def _step_and_size(old: tuple[torch.Tensor, ...], new: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """``max |θ_{t+1} − θ_t|`` and ``max |θ_{t+1}|`` of every member ``[B]``, over all agents' entries at
    once (θⁱ ``[B, S, Aⁱ]``): the step test of :func:`pg_limit`'s certificate, part (i)."""
    a = torch.cat([t.flatten(1) for t in old], dim=1)
    b = torch.cat([t.flatten(1) for t in new], dim=1)
    return (b - a).abs().amax(1), b.abs().amax(1)


def _stationary_reason(game: MarkovGame, state: Any, k: int, spread: float) -> str | None:
    """Part (ii) of :func:`pg_limit`'s certificate on a stopped run (``spread``: Φ_max − Φ_min)."""
    adv = max(float(a.abs().max()) for a in evaluate(game, softmax_policy(state.theta)).advantages)
    return _stationary_text(adv, k, spread)


def _stationary_text(adv: float, k: int, spread: float) -> str | None:
    """Part (ii)'s decision from the limit's largest ``|Aⁱ(s, a)|``: None when stationary, else why not."""
    if adv > STATIONARY_TOL * (1.0 + spread):
        return (
            f"θ_t stopped moving in floats after {k} steps, but the limit is not stationary (max |Aⁱ(s, a)| = "
            f"{adv:.3g}; the step underflowed): Assumption 3.3 not established"
        )
    return None


def _largest_advantages(batch: GameBatch, theta: tuple[torch.Tensor, ...]) -> list[float]:
    """Each member's ``max |Aⁱ(s, a)|`` at θ ``[B, S, Aⁱ]``, from one stacked evaluation: the same number in
    any stack, and :func:`_stationary_reason`'s from the member's own evaluation to round-off
    (``tests/test_pg_limit_paths.py``)."""
    return largest_entries(evaluate(batch, softmax_policy(theta)).advantages)


def pg_limits(
    batch: GameBatch,
    theta0: tuple[torch.Tensor, ...],
    etas: list[float],
    steps: list[int],
    spreads: list[float],
) -> list[tuple[Any, int, str | None]]:
    """:func:`pg_limit` for a batch of games at once (``theta0``: the members' θ₀ stacked, ``[B, S, Aⁱ]`` per
    agent; ``spreads``: each member's Φ_max − Φ_min): one stacked PG step ``θ_b ← θ_b + η_b ∇Vⁱ_b`` (the
    gradients d π A of the batched evaluation) for every member still moving; a member leaves the batch
    when θ stops moving or its ``steps`` run out, and the stationarity of the members that stopped at a
    step is certified in one stacked evaluation."""
    theta = theta0
    eta = torch.tensor(etas, dtype=theta[0].dtype)[:, None, None]
    alive = list(range(batch.size))
    out: list[tuple[Any, int, str | None]] = [None] * batch.size  # type: ignore[list-item]
    for k in range(1, max(steps) + 1):
        probs = softmax_policy(theta)
        grads = marginal_policy_gradients(batch, probs)
        new = tuple(t + eta * g for t, g in zip(theta, grads, strict=True))
        last, size = _step_and_size(theta, new)
        theta = new
        stopped = (last <= STEP_TOL * (1.0 + size)).tolist()
        done = [j for j in range(len(alive)) if stopped[j]]
        adv: dict[int, float] = {}
        if done:  # the members that stopped at this step: their stationarity in one stacked evaluation
            largest = _largest_advantages(batch.select(done), tuple(t[done] for t in theta))
            adv = dict(zip(done, largest, strict=True))
        keep = []
        for j, b in enumerate(alive):
            if stopped[j] or k == steps[b]:
                state = TabularState(theta=tuple(t[j : j + 1] for t in theta), t=k)
                reason = (
                    _stationary_text(adv[j], k, spreads[b])
                    if stopped[j]
                    else f"θ_t did not stop moving in {steps[b]} steps (Assumption 3.3 not established)"
                )
                out[b] = (state, k, reason)
            else:
                keep.append(j)
        if not keep:
            break
        if len(keep) < len(alive):
            batch, alive, eta = batch.select(keep), [alive[j] for j in keep], eta[keep]
            theta = tuple(t[keep] for t in theta)
    return out
