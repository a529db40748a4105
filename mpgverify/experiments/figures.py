"""Figures 1, 2 and 4 and the K sweep as PNG and PDF, the raw curves as CSV and JSON, and the
reproduction report (Markdown and JSON), from a :class:`~mpgverify.experiments.reproduction.Reproduction`.

Layout as in the paper: one column per N, POA on top, Nash-gap below, mean ± standard error
across seeds (shaded); dashed lines are the log-barrier variants (best λ) in the same colour.
matplotlib is an optional dependency (``pip install mpgverify[plots]``).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from mpgverify import __version__
from mpgverify.errors import MpgverifyError
from mpgverify.experiments.orderings import Verdict, evaluate_orderings
from mpgverify.experiments.reproduction import CHOICES, Reproduction, curve_stats
from mpgverify.formats import json_text

__all__ = ["FIGURES", "write_reproduction"]

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


def _figure_series(rep: Reproduction, name: str) -> tuple[str, list[_Series]]:
    if name in FIGURES:
        return FIGURES[name]
    if name == "fig4":  # the λ sweep of PG
        labels = ["PG", *[f"PG λ={lam:g}" for lam in rep.setup.lams]]
        return "Figure 4: PG with the log barrier, λ grid", [(_fixed(x), f"C{k}", "-") for k, x in enumerate(labels)]
    labels = [f"NPG-BR K={k}" for k in rep.setup.ks]
    return "K sweep of NPG-BR (Appendix H.1)", [(_fixed(x), f"C{k}", "-") for k, x in enumerate(labels)]


def _plot(rep: Reproduction, name: str, out: Path) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MpgverifyError("figures need matplotlib: pip install 'mpgverify[plots]'") from None
    title, series = _figure_series(rep, name)
    ns = rep.setup.ns
    fig, axes = plt.subplots(2, len(ns), figsize=(max(4.2 * len(ns), 7.0), 6.6), squeeze=False, sharex=True)
    for col, n in enumerate(ns):
        for pick, colour, style in series:
            if (n, pick(rep, n)) not in rep.curves:  # diverged: listed in the report
                continue
            curve = rep.get(n, pick(rep, n))
            for row, which in enumerate(("poa", "gap")):
                mean, se = curve.mean_se(which)
                ax = axes[row][col]
                ax.plot(curve.steps, mean.numpy(), color=colour, linestyle=style, label=curve.label, linewidth=1.4)
                ax.fill_between(curve.steps, (mean - se).numpy(), (mean + se).numpy(), color=colour, alpha=0.15)
        axes[0][col].set_title(f"N = {n}")
        axes[1][col].set_xlabel("iteration")
        axes[1][col].set_yscale("symlog", linthresh=1e-3)
    axes[0][0].set_ylabel("POA")
    axes[1][0].set_ylabel("Nash-gap")
    handles, labels = axes[0][-1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 3 * len(ns)), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.08 if len(ns) > 1 else 0.11, 1, 0.97))
    paths = []
    for ext in ("png", "pdf"):
        path = out / f"{name}.{ext}"
        fig.savefig(path, dpi=130, metadata={"CreationDate": None} if ext == "pdf" else {"Software": None})
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
    with path.open("w", newline="") as f:
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
    (out / "curves.json").write_text(json_text(_curves_json(rep), indent=None))
    verdicts = evaluate_orderings(rep)
    (out / "report.md").write_text(_markdown(rep, verdicts, command))
    report = {
        "format": REPORT_FORMAT,
        "command": command,
        "device": rep.device,
        "seconds": round(rep.seconds, 1),
        "setup": {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(rep.setup).items()},
        "verdicts": [{"id": v.id, "verdict": v.verdict, "evidence": list(v.evidence)} for v in verdicts],
        "picks": {f"N={n} {k}": label for (n, k), label in rep.picks.items()},
        "diverged": {f"N={n} {label}": msg for (n, label), msg in rep.diverged.items()},
        "choices": list(CHOICES),
        "files": [p.name for p in files] + ["curves.csv", "curves.json", "report.md", "report.json"],
    }
    (out / "report.json").write_text(json_text(report))
    return report
