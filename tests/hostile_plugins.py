"""Plug-in algorithms that misbehave, one way each (issue 22): ``check-algorithm`` must fail them with
the reason, never pass them and never show a traceback."""

from __future__ import annotations

import dataclasses

import torch

from mpgverify.algorithms import Algorithm, Declarations, pg

__all__ = ["bad_declarations", "exits", "nan", "negative", "raises", "typed", "unnormalized", "wrong_shape"]

PROMISE = Declarations(nash_within=(0.5, 5))


def _with_policy(policy) -> Algorithm:
    base = pg(lr=0.1)
    return dataclasses.replace(base, name="hostile", policy=lambda state: policy(base.policy(state)), declares=PROMISE)


def nan() -> Algorithm:
    return _with_policy(lambda probs: tuple(torch.full_like(p, float("nan")) for p in probs))


def unnormalized() -> Algorithm:
    return _with_policy(lambda probs: tuple(2 * p for p in probs))


def negative() -> Algorithm:
    return _with_policy(lambda probs: tuple(-p for p in probs))


def wrong_shape() -> Algorithm:
    return _with_policy(lambda probs: tuple(p[..., :1] for p in probs))


def _with_step(step) -> Algorithm:
    return dataclasses.replace(pg(lr=0.1), name="hostile", step=step, declares=PROMISE, promises=None)


def raises() -> Algorithm:
    def step(game, state):
        raise RuntimeError("boom")

    return _with_step(step)


def exits() -> Algorithm:
    def step(game, state):
        raise SystemExit(0)

    return _with_step(step)


def typed(*, beta: float = 1.0, width: int = 2, name: str = "x") -> Algorithm:
    """Options typed by its signature: ``beta=abc`` and ``width=2.5`` are refused before it is called."""
    assert isinstance(beta, float) and isinstance(width, int) and isinstance(name, str), (beta, width, name)
    return dataclasses.replace(pg(lr=0.1 * beta), declares=Declarations(min_poa=0.0), promises=None)


def bad_declarations() -> Algorithm:
    """Declares an ε-Nash promise with a negative ε and a negative horizon."""
    return dataclasses.replace(pg(lr=0.1), declares=Declarations(nash_within=(-1.0, -5)), promises=None)
