"""Figures 1, 2 and 4 and the K sweep as PNG and PDF, the raw curves as CSV and JSON, and the
reproduction report (Markdown and JSON), from a :class:`~mpgverify.experiments.reproduction.Reproduction`.

Layout as in the paper: one column per N, POA on top, Nash-gap below, mean across seeds with a
shaded band of ± one standard error (said in each figure's caption); dashed lines are the log-barrier
variants (best λ) in the same colour. Each column has its own legend (the λ and K picked differ by N);
series sharing a colour or overlapping differ in line style and markers; the Nash-gap axis is
symmetric-log with ticks at 1, 2 and 5 of each decade. A run whose setup is not the paper's says so in
every title and in the report.
matplotlib is an optional dependency (``pip install mpgverify[plots]``).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from mpgverify import __version__
from mpgverify.atomic import atomic_path, write_text
from mpgverify.errors import MpgverifyError
from mpgverify.experiments.orderings import Verdict, evaluate_orderings
from mpgverify.experiments.reproduction import CHOICES, PAPER, Reproduction, curve_stats
from mpgverify.formats import json_text

__all__ = ["FIGURES", "cut_down", "write_reproduction"]

REPORT_FORMAT = "mpgverify.reproduction/1"

#: figure name → (title, series) where a series is (picker, colour, style); a picker maps
#: (reproduction, N) to a curve label.
_Series = tuple[Any, str, str]


def _fixed(label: str) -> Any:
    return lambda rep, n: label


def _picked(key: str) -> Any:
    return lambda rep, n: rep.picks[(n, key)]


FIGURES: dict[str, tuple[str, list[_Series]]] = {
    "fig1": (
        "Figure 1: tabular softmax (dashed: log barrier, best λ)",
        [
            (_fixed("PG"), "C0", "-"),
            (_picked("PG reg"), "C0", "--"),
            (_fixed("NPG"), "C1", "-"),
            (_picked("NPG reg"), "C1", "--"),
            (_picked("NPG-BR"), "C2", "-"),
            (_picked("NPG-BR reg"), "C2", "--"),
        ],
    ),
    "fig2": (
        "Figure 2: neural-network policies (dashed: log barrier, best λ; dotted: tabular references)",
        [
            (_fixed("NN-PG"), "C3", "-"),
            (_picked("NN-PG reg"), "C3", "--"),
            (_fixed("NN-Adam"), "C4", "-"),
            (_picked("NN-Adam reg"), "C4", "--"),
            (_fixed("PG"), "C0", ":"),
            (_fixed("NPG"), "C1", ":"),
        ],
    ),
}


_STYLES = ("-", "--", "-.", ":")
_MARKERS = ("o", "s", "^", "v", "D", "x", "+", "*")


def _figure_series(rep: Reproduction, name: str) -> tuple[str, list[_Series]]:
    if name in FIGURES:
        return FIGURES[name]
    if name == "fig4":  # the λ sweep of PG
        labels = ["PG", *[f"PG λ={lam:g}" for lam in rep.setup.lams]]
        title = "Figure 4: PG with the log barrier, λ grid"
    else:
        labels = [f"NPG-BR K={k}" for k in rep.setup.ks]
        title = "K sweep of NPG-BR (Appendix H.1)"
    return title, [(_fixed(x), f"C{k}", _STYLES[k % len(_STYLES)]) for k, x in enumerate(labels)]


def cut_down(rep: Reproduction) -> str | None:
    """How this run's setup departs from the paper's (None when it is the paper's)."""
    paper, ours = vars(PAPER), vars(rep.setup)
    changed = [f"{k}={ours[k]}" for k in paper if k not in ("device",) and ours[k] != paper[k]]
    return None if not changed else "cut-down run, not the paper's setup (" + ", ".join(changed) + ")"


def _plot(rep: Reproduction, name: str, out: Path) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MpgverifyError("figures need matplotlib: pip install 'mpgverify[plots]'") from None
    from matplotlib.ticker import FuncFormatter, SymmetricalLogLocator

    title, series = _figure_series(rep, name)
    ns = rep.setup.ns
    fig, axes = plt.subplots(2, len(ns), figsize=(max(4.4 * len(ns), 7.0), 7.4), squeeze=False, sharex=True)
    linthresh = 1e-3
    for col, n in enumerate(ns):
        for k, (pick, colour, style) in enumerate(series):
            if (n, pick(rep, n)) not in rep.curves:  # diverged: listed in the report
                continue
            curve = rep.get(n, pick(rep, n))
            marks = max(1, len(curve.steps) // 8)
            for row, which in enumerate(("poa", "gap")):
                mean, se = curve.mean_se(which)
                ax = axes[row][col]
                ax.plot(
                    curve.steps,
                    mean.numpy(),
                    color=colour,
                    linestyle=style,
                    marker=_MARKERS[k % len(_MARKERS)],
                    markevery=(k % marks, marks),  # staggered, so coinciding curves still show
                    markersize=3.5,
                    label=curve.label,
                    linewidth=1.4,
                )
                ax.fill_between(curve.steps, (mean - se).numpy(), (mean + se).numpy(), color=colour, alpha=0.15)
        axes[0][col].set_title(f"N = {n}")
        axes[0][col].legend(fontsize=7, frameon=False, loc="best")  # this column's picks
        axes[1][col].set_xlabel("iteration")
        gap_axis = axes[1][col]
        gap_axis.set_yscale("symlog", linthresh=linthresh)
        gap_axis.yaxis.set_major_locator(SymmetricalLogLocator(base=10, linthresh=linthresh, subs=(1.0, 2.0, 5.0)))
        gap_axis.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))  # every tick labelled
    axes[0][0].set_ylabel("POA")
    axes[1][0].set_ylabel(f"Nash-gap (symlog, linear below {linthresh:g})")
    seeds = sorted({c.poa.shape[1] for c in rep.curves.values()})
    caption = (
        f"Lines: mean over {'/'.join(map(str, seeds))} seeds; shaded bands: ± one standard error of that mean; "
        "exact POA and Nash-gap."
    )
    fig.text(0.5, 0.01, caption, ha="center", fontsize=8)
    note = cut_down(rep)
    fig.suptitle(title + (f"\n[{note}]" if note else ""), fontsize=11 if not note else 9)
    fig.tight_layout(rect=(0, 0.03, 1, 0.95 if note else 0.97))
    paths = []
    for ext in ("png", "pdf"):
        path = out / f"{name}.{ext}"
        with atomic_path(path) as tmp:
            meta = {"CreationDate": None} if ext == "pdf" else {"Software": None}
            fig.savefig(tmp, dpi=130, format=ext, metadata=meta)
        paths.append(path)
    plt.close(fig)
    return paths


def _curves_json(rep: Reproduction) -> list[dict[str, Any]]:
    rows = []
    for (n, label), c in rep.curves.items():
        poa_m, poa_se = c.mean_se("poa")
        gap_m, gap_se = c.mean_se("gap")
        rows.append(
            {
                "n": n,
                "label": label,
                "family": c.family,
                "algorithm": c.algorithm,
                "options": c.options,
                "seeds": c.poa.shape[1],
                "steps": list(c.steps),
                "poa_mean": poa_m.tolist(),
                "poa_se": poa_se.tolist(),
                "gap_mean": gap_m.tolist(),
                "gap_se": gap_se.tolist(),
                "seconds": round(c.seconds, 3),
            }
        )
    return rows


def _write_csv(rep: Reproduction, path: Path) -> None:
    with atomic_path(path) as tmp, tmp.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["n", "label", "iter", "seed", "poa", "nash_gap"])
        for (n, label), c in rep.curves.items():
            for r, t in enumerate(c.steps):
                for b in range(c.poa.shape[1]):
                    w.writerow([n, label, t, b, repr(float(c.poa[r, b])), repr(float(c.gap[r, b]))])


def _markdown(rep: Reproduction, verdicts: list[Verdict], command: str) -> str:
    s = rep.setup
    lines = [
        "# Reproduction of Section 5 (Figures 1, 2, 4 and the K grid)",
        "",
        f"Generated by mpgverify {__version__}: `{command}`",
        *(["", f"**{cut_down(rep)}: its verdicts are not verdicts on the paper's setup.**"] if cut_down(rep) else []),
        f"on {rep.device}; {rep.seconds:.0f} s in all. Every POA and Nash-gap is exact (linear algebra and policy "
        "iteration), recorded every "
        f"{s.record_every} iterations.",
        "",
        f"Setup: coordination game N ∈ {list(s.ns)}, γ = {s.gamma}, μ uniform, learning rate {s.lr}, {s.iters} "
        f"iterations, {s.tabular_seeds} seeds (tabular) and {s.nn_seeds} (NN), λ ∈ {list(s.lams)}, "
        f"K ∈ {list(s.ks)}, seed {s.seed}.",
        "",
        "## Verdicts on the experimental claims",
        "",
        "| claim | statement | verdict |",
        "|---|---|---|",
        *[f"| `{v.id}` | {v.statement} | **{v.verdict}** |" for v in verdicts],
        "",
        "Evidence (seed means; the standard errors are in the table below):",
        "",
    ]
    for v in verdicts:
        lines.append(f"- `{v.id}`:")
        lines += [f"  - {e}" for e in v.evidence]
    if rep.diverged:
        lines += ["", "## Configurations that diverged (not plotted, never picked)", ""]
        lines += [f"- N={n} {label}: {msg}" for (n, label), msg in rep.diverged.items()]
    lines += ["", "## Picks (best final POA)", "", "| N | " + " | ".join(_pick_keys(rep)) + " |"]
    lines.append("|---|" + "---|" * len(_pick_keys(rep)))
    for n in s.ns:
        lines.append(f"| {n} | " + " | ".join(rep.picks[(n, k)] for k in _pick_keys(rep)) + " |")
    lines += [
        "",
        "## Figures",
        "",
        *[f"![{name}]({name}.png) ([PDF]({name}.pdf))" for name in ("fig1", "fig2", "fig4", "fig_k")],
        "",
        "## Final values per configuration",
        "",
        "| N | configuration | final POA ± SE | final Nash-gap ± SE | Nash-gap area | early POA | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for (n, label), c in rep.curves.items():
        st = curve_stats(c)
        lines.append(
            f"| {n} | {label} | {st['final_poa']:.4f} ± {st['final_poa_se']:.4f} | {st['final_gap']:.3g} ± "
            f"{st['final_gap_se']:.2g} | {st['gap_area']:.3g} | {st['early_poa']:.4f} | {st['seconds']:.1f} |"
        )
    lines += ["", "## Choices the paper leaves open", "", *[f"- {c}" for c in CHOICES], ""]
    return "\n".join(lines)


def _pick_keys(rep: Reproduction) -> list[str]:
    return sorted({k for (_, k) in rep.picks})


def write_reproduction(rep: Reproduction, out: str | Path, *, command: str = "mpgverify figures") -> dict[str, Any]:
    """Write every figure, the curves and the report under ``out``; returns the report object."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for name in ("fig1", "fig2", "fig4", "fig_k"):
        files += _plot(rep, name, out)
    _write_csv(rep, out / "curves.csv")
    write_text(out / "curves.json", json_text(_curves_json(rep), indent=None))
    verdicts = evaluate_orderings(rep)
    write_text(out / "report.md", _markdown(rep, verdicts, command))
    report = {
        "format": REPORT_FORMAT,
        "command": command,
        "device": rep.device,
        "seconds": round(rep.seconds, 1),
        "setup": {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(rep.setup).items()},
        "paper_setup": cut_down(rep) is None,
        "cut_down": cut_down(rep),
        "verdicts": [{"id": v.id, "verdict": v.verdict, "evidence": list(v.evidence)} for v in verdicts],
        "picks": {f"N={n} {k}": label for (n, k), label in rep.picks.items()},
        "diverged": {f"N={n} {label}": msg for (n, label), msg in rep.diverged.items()},
        "choices": list(CHOICES),
        "files": [p.name for p in files] + ["curves.csv", "curves.json", "report.md", "report.json"],
    }
    write_text(out / "report.json", json_text(report))
    return report
