"""Strategies built once per argument set.

Hypothesis works out a strategy's properties (whether it can be empty, whether its values can be
reused, its label) on the first draw from each new strategy object, through every branch of a
``one_of``. A composite that builds its sub-strategies inside the draw (``draw(mpg_games(…))``,
``draw(st.one_of(…))``) pays that at every example: a ``one_of`` of the four MPG classes cost more
than the draws from it, and such rebuilt strategies were a twentieth of the standard ledger.
:func:`reused` keeps the strategy a factory returns for each distinct argument set; an argument
set with anything but numbers, strings, None and tuples of them (a game, a list) is built anew, as
are calls that raise (an invalid argument raises on every call).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import strategies as st

__all__ = ["reused", "sampled"]

F = TypeVar("F", bound=Callable[..., Any])

_PLAIN = (bool, int, float, str, type(None))
#: argument sets kept per factory
_KEEP = 256


def _key(value: Any) -> Any:
    """A value's cache key: its type and ``repr`` (so 1 ≠ 1.0 ≠ True and −0.0 ≠ 0.0, each validated as
    passed), tuples element by element; None when the value is not plain (the call is not cached)."""
    if isinstance(value, tuple):
        keys = tuple(_key(v) for v in value)
        return None if any(k is None for k in keys) else ("tuple", keys)
    if type(value) in _PLAIN:
        return (type(value).__name__, repr(value))
    return None


def reused(factory: F) -> F:
    """``factory`` (a strategy factory) returning one strategy object per distinct plain argument set."""
    cache: dict[Any, Any] = {}

    @functools.wraps(factory)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = _key((args, tuple(sorted(kwargs.items()))))
        if key is None:
            return factory(*args, **kwargs)
        if key not in cache:
            if len(cache) >= _KEEP:  # a caller sweeping argument values: the oldest go
                del cache[next(iter(cache))]
            cache[key] = factory(*args, **kwargs)
        return cache[key]

    return wrapper  # type: ignore[return-value]


@reused
def sampled(values: tuple[Any, ...]) -> Any:
    """``st.sampled_from(values)``, one strategy per tuple of plain values (Hypothesis keeps no cache of
    ``sampled_from`` strategies: a draw of a kind from ``st.sampled_from(list(kinds))`` built one)."""
    return st.sampled_from(values)
