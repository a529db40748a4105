"""Python's cyclic garbage collector during long runs: the heap alive at the start is frozen out of its passes.

A hunt or a ledger makes millions of short-lived containers (tuples, lists, dicts of witnesses, Fractions),
so the collector runs often, and each pass of its oldest generation walks every tracked object — the module
state of torch, Hypothesis, sympy and numpy, about a million objects that live as long as the process.
Hypothesis also times every pass with a Python callback. :func:`freeze_startup_heap` collects once, then moves
every object alive at that moment to the permanent generation (``gc.freeze()``), which later passes skip;
garbage made afterwards is collected as before, and nothing a check computes depends on when a collection
runs. Measured beside the same code without it, on the other core and then with the cores swapped (issue
24): the standard ledger on one core took 18.8 and 19.8 s against 20.1 and 21.1 s; hunts of a fixed
number of evaluations of seven claims ran 0.96–1.08× as fast (2% faster in sum).

It acts once per process — the first hunt or claim run of a process (a pool worker's included) pays
the one collection, about 0.1 s — and not at all when the collector is disabled (``gc.disable()``: the
caller's choice is kept).
"""

from __future__ import annotations

import gc
import threading

__all__ = ["freeze_startup_heap", "heap_frozen"]

_LOCK = threading.Lock()
_FROZEN = False


def freeze_startup_heap() -> bool:
    """Collect once and freeze every object alive now out of the collector's later passes (module
    docstring); once per process. Returns whether this call froze the heap."""
    global _FROZEN
    with _LOCK:
        if _FROZEN or not gc.isenabled():
            return False
        gc.collect()
        gc.freeze()
        _FROZEN = True
        return True


def heap_frozen() -> bool:
    """Whether :func:`freeze_startup_heap` has acted in this process."""
    return _FROZEN
