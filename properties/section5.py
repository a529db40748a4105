"""Section 5: the experimental claims (``exp-*`` in docs/CLAIMS.md) as ordering statements on the
reference curves of ``mpgverify figures`` (:mod:`mpgverify.experiments.reproduction`), registered
through the entry-point group ``mpgverify.orderings``.

Measures: *final* POA / Nash-gap (mean over seeds at the last iteration), *speed* (the area under
the mean Nash-gap curve divided by T: lower converges faster; the area under the mean POA curve:
higher rises faster), *early* POA (mean POA over the first 10 % of iterations).
"""

from __future__ import annotations

from mpgverify.experiments.orderings import Ordering
from mpgverify.experiments.reproduction import Reproduction, curve_stats

__all__ = ["ORDERINGS", "PAPER_BEST_K", "PAPER_SECONDS"]

#: The paper's timing (Appendix G.3): seconds per 400-iteration run on a V100 and 32 CPU cores.
PAPER_SECONDS = {2: 30.0, 3: 50.0, 5: 200.0}
#: The paper's best K (Section 5.1).
PAPER_BEST_K = {2: 50, 3: 5, 5: 5}


def _s(rep: Reproduction, n: int, label: str) -> dict[str, float]:
    return curve_stats(rep.get(n, label))


def _npg_br(rep: Reproduction, n: int) -> str:
    return rep.picks[(n, "NPG-BR")]


def _speed(rep: Reproduction, n: int) -> tuple[bool | None, str]:
    names = ["NPG", _npg_br(rep, n), "PG"]
    gap = [_s(rep, n, x)["gap_area"] for x in names]
    poa = [_s(rep, n, x)["poa_area"] for x in names]
    ok = gap[0] < gap[1] < gap[2] and poa[0] > poa[1] > poa[2]
    text = ", ".join(f"{x}: gap area {g:.4g}, POA area {p:.4f}" for x, g, p in zip(names, gap, poa, strict=True))
    return ok, text


def _best_k(rep: Reproduction, n: int) -> tuple[bool | None, str]:
    k = rep.get(n, _npg_br(rep, n)).options["K"]
    finals = ", ".join(
        f"K={c.options['K']}: {c.final('poa'):.4f}"
        for (m, _), c in rep.curves.items()
        if m == n and c.algorithm == "npg-br" and "lam" not in c.options
    )
    paper = PAPER_BEST_K.get(n)
    if paper is None:
        return None, f"best K = {k} (final POA {finals}); the paper states none for N = {n}"
    return k == paper, f"best K = {k}, paper {paper} (final POA {finals})"


def _final_poa(rep: Reproduction, n: int) -> tuple[bool | None, str]:
    names = ["NPG", _npg_br(rep, n), "PG"]
    vals = [_s(rep, n, x)["final_poa"] for x in names]
    return vals[0] > vals[1] > vals[2], ", ".join(f"{x}: {v:.4f}" for x, v in zip(names, vals, strict=True))


def _nn_variants(rep: Reproduction, n: int) -> list[str]:
    return ["NN-PG", rep.picks[(n, "NN-PG reg")], "NN-Adam", rep.picks[(n, "NN-Adam reg")]]


def _nn(rep: Reproduction, n: int) -> tuple[bool | None, str]:
    nn, pg, npg = _s(rep, n, "NN-PG"), _s(rep, n, "PG"), _s(rep, n, "NPG")
    a = nn["gap_area"] < pg["gap_area"] and nn["final_poa"] > pg["final_poa"]
    b = nn["early_poa"] > npg["early_poa"]
    best_nn = max(_s(rep, n, x)["final_poa"] for x in _nn_variants(rep, n))
    c = npg["final_poa"] >= best_nn
    text = (
        f"NN-PG vs Softmax-PG: gap area {nn['gap_area']:.4g} vs {pg['gap_area']:.4g}, final POA "
        f"{nn['final_poa']:.4f} vs {pg['final_poa']:.4f} ({'yes' if a else 'no'}); early POA NN-PG "
        f"{nn['early_poa']:.4f} vs Softmax-NPG {npg['early_poa']:.4f} ({'yes' if b else 'no'}); final POA "
        f"Softmax-NPG {npg['final_poa']:.4f} vs best NN variant {best_nn:.4f} ({'yes' if c else 'no'})"
    )
    return a and b and c, text


def _reg_gain(rep: Reproduction, n: int, base: str) -> tuple[float, float]:
    plain, reg = _s(rep, n, base), _s(rep, n, rep.picks[(n, f"{base} reg")])
    return reg["final_poa"] - plain["final_poa"], plain["final_gap"] - reg["final_gap"]


def _reg(rep: Reproduction, n: int) -> tuple[bool | None, str]:
    parts, ok = [], True
    for base in ("NN-PG", "NN-Adam"):
        dpoa, dgap = _reg_gain(rep, n, base)
        ok = ok and dpoa > 0 and dgap > 0
        parts.append(f"{base} ({rep.picks[(n, base + ' reg')]}): POA {dpoa:+.4f}, final gap lowered by {dgap:+.4g}")
    ns = rep.setup.ns
    if n == max(ns) and len(ns) > 1:
        gains = {m: sum(_reg_gain(rep, m, b)[0] for b in ("NN-PG", "NN-Adam")) for m in ns}
        most = max(gains, key=lambda m: gains[m])
        ok = ok and most == n
        parts.append("summed POA gain by N: " + ", ".join(f"N={m}: {g:+.4f}" for m, g in gains.items()))
    return ok, "; ".join(parts)


def _opt(rep: Reproduction, n: int) -> tuple[bool | None, str]:
    variants = _nn_variants(rep, n)
    finals = {x: _s(rep, n, x)["final_poa"] for x in variants}
    best = max(finals, key=lambda x: finals[x])
    text = "final POA " + ", ".join(f"{x}: {v:.4f}" for x, v in finals.items())
    if n in (2, 3):
        return best == "NN-PG", f"{text}; best {best} (claimed NN-PG)"
    if n == 5:
        npg = _s(rep, n, "NPG")["final_poa"]
        ok = best == rep.picks[(n, "NN-Adam reg")] and finals[best] < npg
        return ok, f"{text}; best {best} (claimed regularized NN-Adam), Softmax-NPG {npg:.4f}"
    return None, f"{text}; the claim speaks of N = 2, 3 and 5 only"


def _time(rep: Reproduction, n: int) -> tuple[bool | None, str]:
    runs = [c for (m, _), c in rep.curves.items() if m == n]
    slowest = max(runs, key=lambda c: c.seconds)
    typical = sorted(c.seconds for c in runs)[len(runs) // 2]
    paper = PAPER_SECONDS.get(n)
    scale = rep.setup.iters / 400
    return None, (
        f"here ({rep.device}, {rep.setup.iters} iterations, all seeds batched): median {typical:.1f} s, slowest "
        f"{slowest.label} {slowest.seconds:.1f} s per configuration; paper {paper if paper else '—'} s per "
        f"400-iteration run{'' if scale == 1 else f' (times here are for {rep.setup.iters} iterations)'}"
    )


ORDERINGS: tuple[Ordering, ...] = (
    Ordering("exp-5.1-speed", "tabular: NPG converges fastest, NPG-BR second, PG slowest (POA and Nash-gap)", _speed),
    Ordering("exp-5.1-k", "NPG-BR: best K is 5 for N = 3, 5 and 50 for N = 2", _best_k),
    Ordering("exp-5.1-poa", "tabular: NPG has the highest POA, NPG-BR second, PG lowest", _final_poa),
    Ordering(
        "exp-5.2-nn",
        "NN-PG beats Softmax-PG in convergence and POA; NN-PG's POA beats Softmax-NPG's early; Softmax-NPG's POA "
        "is highest at the end",
        _nn,
    ),
    Ordering(
        "exp-5.2-reg",
        "under NN, the log barrier improves POA and lowers the final Nash-gap, most at N = 5",
        _reg,
    ),
    Ordering(
        "exp-5.2-opt",
        "NN-PG has the best POA among NN variants for small N; regularized NN-Adam for large N; at N = 5 the best "
        "NN variant's POA stays below Softmax-NPG's",
        _opt,
    ),
    Ordering(
        "exp-g.3-time", "one 400-iteration run took about 30, 50, 200 s for N = 2, 3, 5 (V100 GPU, 32 CPU cores)", _time
    ),
)
