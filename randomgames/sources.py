"""Where a generator's numbers come from: a seeded torch RNG, or Hypothesis draws.

Each game class in :mod:`randomgames.generators` is written once against this small interface, so
the plain seeded functions and the Hypothesis strategies build the same classes, and Hypothesis
shrinks every number toward the low end of its range (uniform rows, the first state, low rewards).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mpgverify.arrays import DTYPE

__all__ = ["HypothesisSource", "Source", "TorchSource"]


class Source(Protocol):
    """Draws arrays; the low end of each range is the 'simplest' value."""

    def uniform(self, shape: Sequence[int], low: float, high: float) -> torch.Tensor:
        """Float64 entries in ``[low, high]``."""
        ...

    def integers(self, shape: Sequence[int], n: int) -> torch.Tensor:
        """Int64 entries in ``[0, n)``."""
        ...


class TorchSource:
    """Seeded draws from ``torch.Generator`` (plain functions: same seed, same game)."""

    def __init__(self, seed: int) -> None:
        self.gen = torch.Generator().manual_seed(int(seed))

    def uniform(self, shape: Sequence[int], low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(tuple(shape), generator=self.gen, dtype=DTYPE)

    def integers(self, shape: Sequence[int], n: int) -> torch.Tensor:
        return torch.randint(n, tuple(shape), generator=self.gen)


class HypothesisSource:
    """Draws through Hypothesis inside a ``@st.composite`` strategy, so examples shrink."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.draw = draw

    def uniform(self, shape: Sequence[int], low: float, high: float) -> torch.Tensor:
        if low == high:
            return torch.full(tuple(shape), float(low), dtype=DTYPE)
        arr = self.draw(_float_arrays(tuple(shape), float(low), float(high)))
        return torch.from_numpy(np.array(arr, dtype=np.float64))

    def integers(self, shape: Sequence[int], n: int) -> torch.Tensor:
        arr = self.draw(_int_arrays(tuple(shape), int(n)))
        return torch.from_numpy(np.array(arr, dtype=np.int64))


# The array strategies, built once per (shape, range): building and validating one is most of a small
# draw's cost, and the draws (the choice sequences) are the same either way.
@functools.lru_cache(maxsize=4096)
def _float_arrays(shape: tuple[int, ...], low: float, high: float) -> st.SearchStrategy[Any]:
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    return arrays(np.float64, shape, elements=elements, fill=st.nothing())


@functools.lru_cache(maxsize=4096)
def _int_arrays(shape: tuple[int, ...], n: int) -> st.SearchStrategy[Any]:
    return arrays(np.int64, shape, elements=st.integers(0, n - 1), fill=st.nothing())
