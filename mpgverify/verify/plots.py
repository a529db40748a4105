"""The pictures of certificates and ledger reports (PNG, matplotlib's Agg backend).

matplotlib is an optional dependency (``pip install mpgverify[plots]``): :func:`available` says
whether it is installed, and callers leave figures out (saying so) when it is not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mpgverify.atomic import atomic_path
from mpgverify.verify.claims import Trace

__all__ = ["available", "coverage_figure", "histogram_figure", "trace_figure"]


def available() -> bool:
    """Whether matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return path


def trace_figure(trace: Trace, path: Path, *, title: str = "") -> Path:
    """The plotted columns of ``trace`` against its first (the step t), with its marks as dashed
    horizontal lines; steps whose last column reads ``bad`` shaded."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    t = trace.column(trace.columns[0])
    for name in trace.plot:
        ys = [math.nan if y is None else float(y) for y in trace.column(name)]
        ax.plot(t, ys, marker="o", label=name)
    for label, value in trace.marks.items():
        if math.isfinite(value):
            ax.axhline(value, linestyle="--", color="grey", label=label)
    last = trace.column(trace.columns[-1])
    for x, flag in zip(t, last, strict=True):
        if flag == "bad":
            ax.axvspan(x - 0.5, x + 0.5, color="tab:red", alpha=0.08, lw=0)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(trace.columns[0])
    ax.set_title(title or trace.title, fontsize=9)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def coverage_figure(coverage: Mapping[str, int], path: Path, *, title: str) -> Path:
    """Premise-meeting examples per declared sub-class, horizontal bars; unreached classes in red."""
    plt = _pyplot()
    names = list(coverage)
    counts = [coverage[n] for n in names]
    fig, ax = plt.subplots(figsize=(6.4, 0.26 * len(names) + 0.9))
    colours = ["tab:red" if c == 0 else "tab:blue" for c in counts]
    ax.barh(range(len(names)), counts, color=colours)
    ax.set_yticks(range(len(names)), [n if len(n) <= 60 else n[:57] + "…" for n in names], fontsize=7)
    ax.invert_yaxis()
    for k, c in enumerate(counts):
        ax.text(c, k, f" {c}" if c else " not reached", va="center", fontsize=7, color=colours[k])
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("examples meeting the premises")
    ax.set_title(title, fontsize=9)
    return _save(fig, path)


def histogram_figure(values: Sequence[float], path: Path, *, title: str, xlabel: str, mark: float | None) -> Path:
    """A histogram of ``values`` (finite ones), with ``mark`` (the bound: 1.0 for tightness, 0 for a
    margin) as a red line."""
    plt = _pyplot()
    finite = [v for v in values if math.isfinite(v)]
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    if finite:
        ax.hist(finite, bins=min(40, max(5, len(finite) // 5)), color="tab:blue", alpha=0.8)
    else:
        ax.text(0.5, 0.5, "no finite values", ha="center", transform=ax.transAxes)
    if mark is not None:
        ax.axvline(mark, color="tab:red", label="bound")
        ax.legend(fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("informative examples")
    ax.set_title(title, fontsize=9)
    return _save(fig, path)
