"""Results of pure functions of one game, kept per game object.

Games are immutable (:class:`~mpgverify.game.MarkovGame` is a frozen dataclass hashed by identity), so a
quantity computed from a game alone — an exact smoothness interval, Assumption 4.6's minima, Φ's range,
the mismatch coefficient M, the residual of the MPG membership test — is the same every time it is
asked for that game object. The hunter and the runner's target phase ask again and again: about three
of five of their moves change the witness only (the policies, ε, σ) and keep the game object, and each
neighbour goes through the claim's premise gate. :func:`per_game` keeps the answers beside the game (a
weak reference: they go when the game goes), at most ``keep`` argument tuples per game, the newest last.

Only pure computations are kept, never a gate's decision or its recorded lines
(:func:`~mpgverify.verify.claims.premise_checked`): a memoized function returns a value, and the
gate that called it still words and records its decision on every call.
"""

from __future__ import annotations

import functools
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Concatenate, ParamSpec, TypeVar

__all__ = ["per_game"]

P = ParamSpec("P")
R = TypeVar("R")


def _key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable:
    """A call's arguments after the game, as a key."""
    return args, tuple(sorted(kwargs.items()))


def per_game(*, keep: int = 8) -> Callable[[Callable[Concatenate[Any, P], R]], Callable[Concatenate[Any, P], R]]:
    """Decorate ``fn(game, *args, **kwargs)``, pure in its arguments (hashable after the game), to keep
    its last ``keep`` results per game object. The wrapper's ``cache_clear()`` forgets every game;
    ``prime(game, value, *args)`` keeps an answer computed elsewhere (a batch of games solved at once)
    and ``known(game, *args)`` says whether one is kept."""
    if keep < 1:
        raise ValueError(f"keep must be ≥ 1, got {keep!r}")

    def decorate(fn: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
        store: weakref.WeakKeyDictionary[Any, OrderedDict[Hashable, R]] = weakref.WeakKeyDictionary()

        def slot_of(game: Any) -> OrderedDict[Hashable, R]:
            slot = store.get(game)
            if slot is None:
                slot = store[game] = OrderedDict()
            return slot

        def kept(slot: OrderedDict[Hashable, R], key: Hashable, value: R) -> R:
            slot[key] = value
            if len(slot) > keep:
                slot.popitem(last=False)
            return value

        @functools.wraps(fn)
        def wrapper(game: Any, *args: P.args, **kwargs: P.kwargs) -> R:
            key, slot = _key(args, kwargs), slot_of(game)
            if key in slot:
                slot.move_to_end(key)
                return slot[key]
            return kept(slot, key, fn(game, *args, **kwargs))

        def prime(game: Any, value: R, *args: Any, **kwargs: Any) -> None:
            """Keep ``value`` as ``fn(game, *args, **kwargs)`` — computed elsewhere, e.g. for a batch of
            games at once, and equal to what ``fn`` gives — unless an answer is kept already."""
            key, slot = _key(args, kwargs), slot_of(game)
            if key not in slot:
                kept(slot, key, value)

        def known(game: Any, *args: Any, **kwargs: Any) -> bool:
            """Whether an answer for these arguments is kept."""
            slot = store.get(game)
            return slot is not None and _key(args, kwargs) in slot

        wrapper.cache_clear = store.clear  # type: ignore[attr-defined]
        wrapper.prime = prime  # type: ignore[attr-defined]
        wrapper.known = known  # type: ignore[attr-defined]
        return wrapper

    return decorate
