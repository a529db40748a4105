"""Strategies built once per argument set (:mod:`randomgames.reuse`): the same object for the same plain
arguments, a new one for anything else, and the same examples as a strategy built anew."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import randomgames.reuse as reuse
import randomgames.strategies as rgs
from properties.common import mpg_games
from properties.section4_draws import smooth_games
from randomgames.reuse import reused, sampled


def _counting() -> tuple[list[tuple], object]:
    built: list[tuple] = []

    @reused
    def factory(*args, **kwargs):
        built.append((args, kwargs))
        return object()

    return built, factory


def test_the_same_plain_arguments_give_the_same_strategy() -> None:
    built, factory = _counting()
    a = factory(1, (0.0, 1.0), name="x", cap=None)
    assert factory(1, (0.0, 1.0), cap=None, name="x") is a and len(built) == 1, built  # keyword order aside


@pytest.mark.parametrize(
    "first, second",
    [(1, 1.0), (1, True), (0.0, -0.0), ((1, 2), (1, 2.0)), ("1", 1), (None, 0)],
    ids=["int-float", "int-bool", "zero-signs", "tuple-leaf", "str-int", "none-zero"],
)
def test_equal_but_differently_typed_arguments_are_different_argument_sets(first, second) -> None:
    """``1 == 1.0 == True`` and ``0.0 == −0.0`` in a dict; each is validated (and drawn from) as passed."""
    built, factory = _counting()
    assert factory(first) is not factory(second) and len(built) == 2, built


@pytest.mark.parametrize(
    "argument", [[0.0, 1.0], {"a": 1}, object(), (1, [2])], ids=["list", "dict", "object", "nested"]
)
def test_arguments_that_are_not_plain_build_anew(argument) -> None:
    built, factory = _counting()
    assert factory(argument) is not factory(argument) and len(built) == 2, built


def test_a_call_that_raises_raises_every_time() -> None:
    calls: list[int] = []

    @reused
    def strict(low: float) -> st.SearchStrategy[float]:
        calls.append(1)
        if low < 0:
            raise InvalidArgument(f"low must be ≥ 0, got {low}")
        return st.floats(low, 1.0)

    for _ in range(2):
        with pytest.raises(InvalidArgument):
            strict(-1.0)
    assert len(calls) == 2 and strict(0.5) is strict(0.5) and len(calls) == 3, calls


def test_an_argument_sweep_keeps_at_most_the_bound(monkeypatch) -> None:
    monkeypatch.setattr(reuse, "_KEEP", 4)
    built, factory = _counting()
    first = factory(0)
    for k in range(1, 10):
        factory(k)
    assert factory(9) is factory(9) and len(built) == 10, len(built)  # the latest kept
    assert factory(0) is not first and len(built) == 11, len(built)  # the oldest gone


def test_validation_still_names_the_field() -> None:
    """A strategy factory under :func:`reused` validates as before: an invalid call raises, each time."""
    for _ in range(2):
        with pytest.raises(InvalidArgument, match="max_states"):
            rgs.mpgs(max_states=0)


def _examples(strategy: st.SearchStrategy, n: int = 40) -> list[str]:
    out: list[str] = []

    @seed(20261206)
    @settings(
        max_examples=n, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck), deadline=None
    )
    @given(strategy)
    def collect(value) -> None:
        out.append(repr(value))

    collect()
    return out


@pytest.mark.parametrize(
    "build, build_anew",
    [
        (
            lambda: mpg_games(max_agents=2, max_states=2, max_actions=2, max_gamma=0.9),
            lambda: rgs.mpgs.__wrapped__(
                min_agents=1, max_agents=2, max_states=2, max_actions=2, max_gamma=0.9, mus=("uniform", "random")
            ),
        ),
        (smooth_games, smooth_games.__wrapped__),
        (lambda: rgs.mpgs(max_agents=2, max_states=2), lambda: rgs.mpgs.__wrapped__(max_agents=2, max_states=2)),
        (lambda: sampled(tuple(range(100))), lambda: st.sampled_from(list(range(100)))),
    ],
    ids=["mpg_games", "smooth_games", "mpgs", "sampled"],
)
def test_a_reused_strategy_draws_what_a_new_one_draws(build, build_anew) -> None:
    """Under one seed, the examples of the kept strategy are those of one built anew (the cache changes
    the cost of a draw, never its value), and drawing from it again gives them again."""
    kept = build()
    assert build() is kept and build_anew() is not kept
    first = _examples(kept)
    assert len(first) == 40 and first == _examples(build_anew()) and first == _examples(kept), first[:3]
