"""Runs that depend on the seed and the budget alone.

Hypothesis (≥ 6.13x) sometimes draws "local constants": numbers it harvests from the source of every
imported module outside site-packages. Which modules those are depends on how the package was
installed (editable or wheel) and on what the process imported before, so the same seed and budget
could give different examples — and a different ledger. The engine runs its searches with that pool
held empty (Hypothesis's global constants, part of the library, still apply).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["independent_of_local_constants"]


@contextlib.contextmanager
def independent_of_local_constants() -> Iterator[None]:
    """Within the block, Hypothesis draws no constants harvested from local modules."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis without the mechanism
        yield
        return
    getter = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if getter is None or not hasattr(providers, "Constants"):
        yield
        return
    empty = providers.Constants()

    def _clear() -> None:
        inner = getattr(cache, "cache", None)
        if inner is not None and hasattr(inner, "clear"):
            inner.clear()

    _clear()  # permitted-constant tuples computed with local constants must not survive
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = getter
        _clear()
