"""Strict conversion of nested lists to float64 tensors, naming the first offending index.

Used by the game and policy constructors and by the JSON loaders, so that a ragged array, a
string or a NaN in a user's file is reported as ``field[i][j]: rule`` and never reaches a solver.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from mpgverify.errors import FormatError

__all__ = [
    "DTYPE",
    "PROB_TOL",
    "all_finite",
    "as_tensor",
    "broadcast_shape",
    "check_probability_rows",
    "index_name",
    "largest_magnitude",
    "normalize_rows",
    "probability_rows",
    "same_along",
]

#: Every solver works in this dtype.
DTYPE = torch.float64
#: A probability vector may miss a sum of 1 by this much before it is rejected (FORMATS.md).
PROB_TOL = 1e-9
_EPS = float(np.finfo(np.float64).eps)


def _renormalize_above(n: int) -> float:
    """Rows whose float sum is within this of 1 are left bit-for-bit as they are (so save → load
    is the identity); rows further off are divided by their sum, which then lands well inside it
    (pairwise summation of n terms errs by at most about log2(n) ulps)."""
    return 4 * _EPS * (1 + math.ceil(math.log2(max(n, 2))))


def index_name(field: str, index: Sequence[int]) -> str:
    """``index_name("mu", (3,)) == "mu[3]"``."""
    return field + "".join(f"[{int(i)}]" for i in index)


def _walk(value: Any, shape: Sequence[int], field: str, index: tuple[int, ...]) -> None:
    """Find the first place where ``value`` breaks ``shape`` or holds a non-finite number."""
    if not shape:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FormatError(index_name(field, index), f"must be a number, got {value!r}")
        if isinstance(value, int) and abs(value) >= 2**1024:  # math.isfinite would overflow on it
            digits = len(str(abs(value)))
            raise FormatError(index_name(field, index), f"must be finite, got an integer of {digits} digits")
        if not math.isfinite(value):
            raise FormatError(index_name(field, index), f"must be finite, got {value!r}")
        return
    if not isinstance(value, (list, tuple)):
        raise FormatError(index_name(field, index), f"must be a list of {shape[0]} entries, got {value!r}")
    if len(value) != shape[0]:
        raise FormatError(index_name(field, index), f"must have {shape[0]} entries, has {len(value)}")
    for k, item in enumerate(value):
        _walk(item, shape[1:], field, (*index, k))


def as_tensor(value: Any, shape: Sequence[int], field: str) -> torch.Tensor:
    """Return ``value`` as a float64 tensor of exactly ``shape``, or raise :class:`FormatError`.

    Accepts tensors, numpy arrays and nested lists. Non-finite entries are rejected.
    """
    shape = tuple(map(int, shape))
    if isinstance(value, torch.Tensor):
        t = value.detach().to(dtype=DTYPE) if value.dtype != DTYPE else value
        if tuple(t.shape) == shape and all_finite(t):
            return t  # the common case, decided in numpy as below
    else:
        if isinstance(value, (str, bytes, bool)) or value is None:
            _walk(value, shape, field, ())
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (ValueError, TypeError, OverflowError):
            _walk(value, shape, field, ())
            raise  # pragma: no cover - _walk always raises for an irregular value
        if arr.shape != shape:
            _walk(value, shape, field, ())
        # a list's array is numpy's own (nothing else refers to it): only an array passed in is copied
        t = torch.from_numpy(arr if isinstance(value, (list, tuple)) else arr.copy())
        if isinstance(value, (list, tuple)) and not _plain_numbers(value, arr.ndim):
            # np.asarray turns True into 1.0 and " 0.5 " into 0.5: the walk rejects both by name.
            _walk(value, shape, field, ())
        if arr.shape == shape and bool(np.isfinite(arr).all()):
            return t  # the common case, decided in numpy (a torch reduction costs ~5× as much on a few numbers)
    if tuple(t.shape) != shape:
        raise FormatError(field, f"must have shape {list(shape)}, has {list(t.shape)}")
    bad = ~torch.isfinite(t)
    if bool(bad.any()):
        where = tuple(int(i) for i in bad.nonzero()[0])
        raise FormatError(index_name(field, where), f"must be finite, got {float(t[where])}")
    return t


_FLOAT, _LIST = {float}, {list}


def _plain_numbers(value: list[Any] | tuple[Any, ...], ndim: int) -> bool:
    """Whether every leaf of the nested list ``value`` (``ndim`` levels, as numpy found) is an int or a
    float and not a bool; a list of floats (the common case: one ``tolist()``) is decided by type alone."""
    if ndim == 1 and set(map(type, value)) == _FLOAT:
        return True
    if ndim == 2 and set(map(type, value)) == _LIST and set(map(type, itertools.chain.from_iterable(value))) == _FLOAT:
        return True
    return not any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in _flat_leaves(value))


def _flat_leaves(value: Any) -> list[Any]:
    out: list[Any] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        else:
            out.append(v)
    return out


def _numbers(t: torch.Tensor) -> np.ndarray | None:
    """``t``'s entries as a numpy array sharing its memory (a CPU tensor), else None. The fast paths
    below decide the common case on it: a torch reduction costs ~5× a numpy one on a few numbers."""
    return t.detach().numpy() if t.device.type == "cpu" and t.numel() else None


def all_finite(t: torch.Tensor) -> bool:
    """Whether every entry of ``t`` is finite (in numpy for a CPU tensor, the common case)."""
    a = _numbers(t)
    return bool(np.isfinite(a).all()) if a is not None else bool(torch.isfinite(t).all())


def _rows_clearly_within(t: torch.Tensor, bound: float, *, nonnegative: bool) -> bool:
    """Whether every last-axis row of ``t`` sums to 1 within *half* ``bound`` (and, with ``nonnegative``,
    has no negative entry), decided in numpy; False where numpy does not decide (not a CPU tensor, or
    empty). Half: numpy's and torch's float sums may differ by a few ulps, so a row nearer the bound is
    left to the torch tests below, which decide it as they always did."""
    a = _numbers(t)
    if a is None or (nonnegative and not a.min() >= 0):
        return False
    return bool(np.abs(a.sum(-1) - 1.0).max() <= 0.5 * bound)


def same_along(t: torch.Tensor, dim: int) -> bool:
    """Whether every slice of ``t`` along ``dim`` equals the first, entry for entry (in numpy for a CPU
    tensor: a kernel's action-independence is asked of every new game, and torch's test costs twice as much)."""
    a = _numbers(t)
    if a is not None:
        return bool((a == a.take([0], axis=dim)).all())
    return bool((t == t.narrow(dim, 0, 1)).all())


def largest_magnitude(t: torch.Tensor) -> float:
    """``max |t|`` of a non-empty tensor."""
    a = _numbers(t)
    return float(np.abs(a).max()) if a is not None else float(t.abs().max())


def check_probability_rows(t: torch.Tensor, field: str, tol: float = PROB_TOL) -> None:
    """Every last-axis row of ``t`` is nonnegative and sums to 1 within ``tol``."""
    if _rows_clearly_within(t, tol, nonnegative=True):
        return
    neg = t < 0
    if bool(neg.any()):
        where = tuple(int(i) for i in neg.nonzero()[0])
        raise FormatError(index_name(field, where), f"probabilities must be nonnegative, got {float(t[where])}")
    sums = t.sum(dim=-1)
    off = (sums - 1.0).abs() > tol
    if bool(off.any()):
        where = tuple(int(i) for i in off.nonzero()[0])
        raise FormatError(
            index_name(field, where),
            f"must be a probability vector (sum 1 within {tol:g}), sums to {float(sums[where])!r}",
        )


def normalize_rows(t: torch.Tensor) -> torch.Tensor:
    """Divide each last-axis row by its sum, leaving rows already within 4 ulps of 1 untouched.

    Idempotent: a normalized row sums to 1 within a few ulps, so normalizing again changes no bit.
    """
    above = _renormalize_above(t.shape[-1])
    if _rows_clearly_within(t, above, nonnegative=False):
        return t
    sums = t.sum(dim=-1, keepdim=True)
    needs = (sums - 1.0).abs() > above
    if not bool(needs.any()):
        return t
    return torch.where(needs, t / sums, t)


def probability_rows(t: torch.Tensor, field: str, tol: float = PROB_TOL) -> torch.Tensor:
    """:func:`check_probability_rows`, then :func:`normalize_rows`: the rows a constructor keeps
    (rows clearly fine for both returned as they are, from one numpy pass)."""
    if _rows_clearly_within(t, min(tol, _renormalize_above(t.shape[-1])), nonnegative=True):
        return t
    check_probability_rows(t, field, tol)
    return normalize_rows(t)


def broadcast_shape(*shapes: Sequence[int]) -> tuple[int, ...]:
    """The shape ``shapes`` broadcast to, by NumPy's rule (``torch.broadcast_shapes``'s answer, without its
    first call's import of torch.fx's symbolic shapes and sympy, ~0.3 s, or its ~8 µs a call). Raises
    ValueError when they do not broadcast."""
    out = [1] * max((len(s) for s in shapes), default=0)
    for shape in shapes:
        for k, d in enumerate(shape, start=len(out) - len(shape)):
            if d != 1:
                if out[k] not in (1, d):
                    raise ValueError(f"shapes {[tuple(s) for s in shapes]} do not broadcast")
                out[k] = d
    return tuple(out)
