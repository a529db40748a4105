"""Exact (α, β)-smoothness of Section 4 (Def 4.2) on games where it can be decided: shared by the
Section 4 claim modules.

Definition (Def 4.2): the game is (α, β)-smooth when, for every state s and every pair of product
policies (π, π'),

    Σ_i Vⁱ(π'ⁱ, π⁻ⁱ)(s) ≥ α V_π'(s) − β V_π(s),      V_π = Σ_i Vⁱ_π.

Decided exactly for one state and for a state-only kernel Q (P(s'|s, a) = Q(s'|s)). Then the law of
s_t does not depend on the policies, so ``LHS − RHS = Σ_{s'} D(s, s') g_{s'}(π_{s'}, π'_{s'})`` with
``D = (I − γQ)⁻¹ ≥ 0`` and the stage gap

    g_{s'}(π, π') = Σ_i rⁱ_{s'}(π'ⁱ, π⁻ⁱ) − α r_{s'}(π') + β r_{s'}(π),

which is multilinear in the 2N mixed strategies of state s', so its minimum over them is attained
at a pair of pure profiles (a, a'). Policies choose independently per state and D ≥ 0, hence

    (α, β)-smooth  ⟺  D m(β) ≥ 0 componentwise,   m_{s'}(β) = min_{a, a'} g_{s'}(a, a').

This is exact, not the state-by-state test m ≥ 0 (sufficient only: a state whose own stage game is
not smooth can be paid for by the discounted others). For a given α each ``f_s(β) = (D m(β))(s)`` is
concave and piecewise linear in β, so the valid β form an interval (possibly empty or unbounded),
found exactly from the breakpoints of the lower envelopes m_{s'}; a witness either states ``beta``,
checked as printed, or picks a point of the interval with ``beta_choice`` ∈ [0, 1) (0 = the smallest
β, the strongest premise). Kernels that depend on actions are *undecided* here (not "not met").

Each stage's lines and envelope come from :mod:`properties.stage_lines` (exact integers over one
denominator). f_s's signs at the breakpoints are integer sums over common denominators; Fractions are
formed only at the ends of the valid set.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any, TypeVar

import numpy as np

from mpgverify.game import MarkovGame
from mpgverify.memo import per_game
from mpgverify.verify.claims import Premises, premise_checked
from properties.premises import number
from properties.stage_lines import (
    Line,
    envelope_of,
    hull_ints,
    hull_value,
    over_one_denominator,
    per_stage,
    profile_pairs,
    scaled_pairs,
    scaled_stage,
    stage,
    stage_pairs,
)
from randomgames.perturb import is_action_independent

__all__ = [
    "Interval",
    "as_float",
    "beta_interval",
    "discount_inverse",
    "discount_matrix",
    "discount_scaled",
    "feasible",
    "intersect",
    "over_one_denominator",
    "per_stage",
    "pick",
    "profile_pairs",
    "scaled_pairs",
    "scaled_stage",
    "shown",
    "smoothness_constants",
    "smoothness_gap",
    "smoothness_margin",
    "smoothness_not_established",
    "stage",
    "stage_pairs",
]

T = TypeVar("T")

#: ``(low, high)`` with None for an unbounded side.
Interval = tuple[Fraction | None, Fraction | None]


def feasible(constraints: Iterable[tuple[int | Fraction, int | Fraction]]) -> Interval | None:
    """``{x : c·x ≥ b for every (c, b)}`` as an interval, or None when it is empty; c and b exact
    (integers or Fractions). For each c only the largest b binds, so one quotient is taken per
    distinct c (Prop 4.3's gate has 729 constraints and a few dozen distinct c)."""
    top: dict[int | Fraction, int | Fraction] = {}
    for c, b in constraints:
        if c not in top or b > top[c]:
            top[c] = b
    if top.get(0, 0) > 0:
        return None
    lo = max((Fraction(b, c) for c, b in top.items() if c > 0), default=None)
    hi = min((Fraction(b, c) for c, b in top.items() if c < 0), default=None)
    if lo is not None and hi is not None and lo > hi:
        return None
    return lo, hi


def pick(interval: Interval, choice: Fraction) -> Fraction:
    """A point of ``interval`` from ``choice`` ∈ [0, 1): the low end at 0, moving toward the high end
    (or out to infinity, ``t/(1−t)`` away, on an unbounded side)."""
    lo, hi = interval
    if not 0 <= choice < 1:
        raise ValueError(f"a choice must lie in [0, 1), got {choice}")
    if lo is not None and hi is not None:
        return lo + choice * (hi - lo)
    far = choice / (1 - choice)
    if lo is not None:
        return lo + far
    if hi is not None:
        return hi - far
    return far


def smoothness_not_established(game: MarkovGame) -> str | None:
    """Why smoothness over all policy pairs cannot be decided exactly for ``game`` (None: it can)."""
    if game.n_states == 1 or is_action_independent(game):
        return None
    return "transitions depend on actions: (α, β)-smoothness over all policy pairs is undecided (decided exactly "
    "for one state or a state-only kernel only)"


@per_game()
def discount_matrix(game: MarkovGame) -> list[list[Fraction]]:
    """``D = (I − γQ)⁻¹`` exactly, Q the state-only kernel as stored. Kept by content as well: a move of μ
    or of the rewards keeps γ and Q, hence D."""
    return _discount_of(float(game.gamma), game.n_states, _kernel_bytes(game), False)


@per_game()
def discount_scaled(game: MarkovGame, *, normalized_rows: bool = False) -> tuple[int, list[list[int]]]:
    """``D = (I − γQ)⁻¹`` exactly (:func:`discount_matrix`) over one common denominator: ``(L, Dn)`` with
    ``D[s][t] = Dn[s][t]/L``; with ``normalized_rows`` each row of Q is first divided by its exact sum
    (the exact path's convention, :func:`mpgverify.solvers.exact.rationalize_game`)."""
    return _discount_scaled_of(float(game.gamma), game.n_states, _kernel_bytes(game), normalized_rows)


def _kernel_bytes(game: MarkovGame) -> bytes:
    """The stored numbers of the state-only kernel ``Q = P[:, 0]`` (the first joint action's rows) as bytes,
    a cache key (as :func:`~properties.stage_lines.stage_bytes`), sliced in numpy rather than as a tensor."""
    return game.P.detach().numpy()[:, 0].tobytes()  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=256)
def _discount_scaled_of(
    gamma: float, n_states: int, kernel: bytes, normalized_rows: bool
) -> tuple[int, list[list[int]]]:
    D = _discount_of(gamma, n_states, kernel, normalized_rows)
    L = math.lcm(*(x.denominator for row in D for x in row))
    return L, [[x.numerator * (L // x.denominator) for x in row] for row in D]


@functools.lru_cache(maxsize=256)
def _discount_of(gamma: float, n_states: int, kernel: bytes, normalized_rows: bool) -> list[list[Fraction]]:
    rows = np.frombuffer(kernel, dtype=np.float64).reshape(n_states, n_states).tolist()
    Q = [[Fraction(q) for q in row] for row in rows]
    if normalized_rows:
        Q = [[q / sum(row, Fraction(0)) for q in row] for row in Q]
    return discount_inverse(Fraction(gamma), Q)


def discount_inverse(gamma: Fraction, Q: Sequence[Sequence[Fraction]]) -> list[list[Fraction]]:
    """``(I − γQ)⁻¹`` in exact rationals, by Gauss–Jordan (``I − γQ`` is strictly diagonally dominant
    for a stochastic Q and γ < 1: invertible)."""
    S = len(Q)
    a = [[(1 if s == t else 0) - gamma * Q[s][t] for t in range(S)] for s in range(S)]
    inv = [[Fraction(int(s == t)) for t in range(S)] for s in range(S)]
    for c in range(S):
        p = next(r for r in range(c, S) if a[r][c] != 0)
        a[c], a[p], inv[c], inv[p] = a[p], a[c], inv[p], inv[c]
        k = a[c][c]
        a[c] = [x / k for x in a[c]]
        inv[c] = [x / k for x in inv[c]]
        for r in range(S):
            if r != c and a[r][c] != 0:
                f = a[r][c]
                a[r] = [x - f * y for x, y in zip(a[r], a[c], strict=True)]
                inv[r] = [x - f * y for x, y in zip(inv[r], inv[c], strict=True)]
    return inv


@per_game()
def _envelopes(game: MarkovGame, alpha: Fraction) -> list[list[Line]]:
    """Each state's lower envelope of its lines (:func:`~properties.stage_lines.envelope_of`), kept per stage
    content and α as well."""
    return [envelope_of(game, s, alpha) for s in range(game.n_states)]


def _superlevel(
    signed: Sequence[int | Fraction],
    value: Callable[[int], Fraction],
    pts: Sequence[Fraction],
    left: Fraction,
    right: Fraction,
) -> Interval | None:
    """``{β : f(β) ≥ 0}`` of a concave piecewise-linear f with increasing breakpoints ``pts`` (one point when
    it has none) and ray slopes ``left`` and ``right``, from ``signed[j]``, of the sign of f at ``pts[j]``
    (f's value times a positive number, which may differ from point to point), and ``value(j)``, f's value
    there, asked only at the ends of the set. f is concave, so its nonnegative breakpoints are consecutive:
    the set's ends lie on the pieces leaving that run, or on a rising ray when no breakpoint is
    nonnegative."""
    nonneg = [k for k in range(len(pts)) if signed[k] >= 0]
    if not nonneg:
        # the maximum is on a ray only if that ray rises
        if left < 0:
            return None, pts[0] - value(0) / left
        if right > 0:
            return pts[-1] - value(len(pts) - 1) / right, None
        return None
    lo: Fraction | None
    hi: Fraction | None
    k = nonneg[0]
    if k > 0:
        (b0, v0), (b1, v1) = (pts[k - 1], value(k - 1)), (pts[k], value(k))
        lo = b0 + (0 - v0) * (b1 - b0) / (v1 - v0)
    else:
        lo = None if left <= 0 else pts[0] - value(0) / left
    k = nonneg[-1]
    if k < len(pts) - 1:
        (b0, v0), (b1, v1) = (pts[k], value(k)), (pts[k + 1], value(k + 1))
        hi = b0 + (0 - v0) * (b1 - b0) / (v1 - v0)
    else:
        hi = None if right >= 0 else pts[-1] - value(len(pts) - 1) / right
    return lo, hi


def _all_lines_nonnegative(q_hull: tuple[int, list[tuple[int, int]]], d: int) -> Interval | None:
    """``{β : k β + c ≥ 0 for every line (k, c)}`` of one state's envelope in :func:`hull_ints`' integers
    (``(K/q, C/(q·d))``), exactly: the superlevel set ``{β : min_k (k β + c) ≥ 0}``, whose ends are the roots
    ``−C/(d·K)`` of the lines that bind, compared cross-multiplied; only the two ends become Fractions
    (None: empty)."""
    lo: tuple[int, int] | None = None  # (numerator, denominator > 0)
    hi: tuple[int, int] | None = None
    for K, C in q_hull[1]:
        if K == 0:
            if C < 0:
                return None
        elif K > 0:  # β ≥ −C/(d K)
            root = (-C, d * K)
            if lo is None or root[0] * lo[1] > lo[0] * root[1]:
                lo = root
        else:  # β ≤ C/(d·(−K))
            root = (C, -d * K)
            if hi is None or root[0] * hi[1] < hi[0] * root[1]:
                hi = root
    if lo is not None and hi is not None and lo[0] * hi[1] > hi[0] * lo[1]:
        return None
    return (None if lo is None else Fraction(*lo)), (None if hi is None else Fraction(*hi))


class _Points(Sequence[Fraction]):
    """Increasing rational points kept as integer pairs ``(n, m)``, m > 0; a point becomes a Fraction
    only when asked for (:func:`_superlevel` asks at the ends of the set)."""

    def __init__(self, pairs: list[tuple[int, int]]) -> None:
        self.pairs = pairs

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, j: Any) -> Any:
        return Fraction(*self.pairs[j])


def _sorted_points(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The distinct rationals ``n/m`` (m > 0) of ``points``, increasing. Sorted by their floats (``n / m`` of
    two ints is correctly rounded, so a smaller rational never has a larger float), then each run of equal
    floats ordered exactly and its repeats dropped (cross-multiplied). Beyond float64's range: by Fractions."""
    try:
        keyed = sorted((n / m, n, m) for n, m in points)
    except OverflowError:
        return [(f.numerator, f.denominator) for f in sorted({Fraction(n, m) for n, m in points})]
    out: list[tuple[int, int]] = []
    k = 0
    while k < len(keyed):
        j = k + 1
        while j < len(keyed) and keyed[j][0] == keyed[k][0]:
            j += 1
        run = [(n, m) for _, n, m in keyed[k:j]]
        if len(run) > 1:
            run = [(f.numerator, f.denominator) for f in sorted({Fraction(n, m) for n, m in run})]
        out += run
        k = j
    return out


def _interval_in_integers(
    hulls: list[tuple[int, list[tuple[int, int]]]], d: int, L: int, Dn: list[list[int]]
) -> Interval | None:
    """``{β : f_s(β) ≥ 0 for every s}``, ``f_s = Σ_t D[s][t] m_t(β)``, from each state's envelope in
    :func:`hull_ints`' integers and ``D = Dn/L``. A break of state t's envelope between lines (K₁, C₁) and
    (K₂, C₂) is ``β = (C₂ − C₁)/(d·(K₁ − K₂))``; at a point ``n/m`` the active line's value is
    ``(K n d + C m)/(q_t d m)``, so ``L·d·m·Q·f_s(n/m) = Σ_t Dn[s][t] (K n d + C m)(Q/q_t)`` (Q the largest
    q_t, a multiple of each: powers of two) is an integer of f_s's sign. Fractions: the set's ends only."""
    S, Q = len(hulls), max(q for q, _ in hulls)
    breaks = [[(c2 - c1, d * (k1 - k2)) for (k1, c1), (k2, c2) in itertools.pairwise(hull)] for _, hull in hulls]
    pts = _sorted_points([b for bs in breaks for b in bs]) or [(0, 1)]
    w = []  # w[t][j] = (K n d + C m)(Q/q_t) of state t's active line at point j
    for (q, hull), bs in zip(hulls, breaks, strict=True):
        row, j, up = [], 0, Q // q
        for n, m in pts:
            while j < len(bs) and bs[j][0] * m < n * bs[j][1]:  # break j lies left of n/m: the next line
                j += 1
            K, C = hull[j]
            row.append((K * n * d + C * m) * up)
        w.append(row)
    first = [hull[0][0] * (Q // q) for q, hull in hulls]  # each envelope's leftmost (steepest) slope, times Q
    last = [hull[-1][0] * (Q // q) for q, hull in hulls]
    points = _Points(pts)
    out: Interval = (None, None)
    for s in range(S):
        D_s = Dn[s]
        signed = [sum(D_s[t] * w[t][j] for t in range(S)) for j in range(len(pts))]
        left = Fraction(sum(D_s[t] * first[t] for t in range(S)), L * Q)
        right = Fraction(sum(D_s[t] * last[t] for t in range(S)), L * Q)
        got = _superlevel(
            signed, lambda j, signed=signed: Fraction(signed[j], L * d * pts[j][1] * Q), points, left, right
        )
        both = None if got is None else intersect(out, got)
        if both is None:
            return None
        out = both
    return out


@per_game()
def beta_interval(game: MarkovGame, alpha: Fraction) -> Interval | None:
    """Every β for which ``game`` is (α, β)-smooth, exactly (module docstring); None when none is."""
    assert smoothness_not_established(game) is None
    hulls = [hull_ints(game, s, alpha) for s in range(game.n_states)]
    if game.n_states == 1:  # f = D m with D = 1/(1 − γ) > 0: where every line of the envelope is ≥ 0
        return _all_lines_nonnegative(hulls[0], alpha.denominator)
    return _interval_in_integers(hulls, alpha.denominator, *discount_scaled(game))


def intersect(a: Interval, b: Interval) -> Interval | None:
    """The intersection of two intervals (None: empty)."""
    lo = b[0] if a[0] is None else a[0] if b[0] is None else max(a[0], b[0])
    hi = b[1] if a[1] is None else a[1] if b[1] is None else min(a[1], b[1])
    if lo is not None and hi is not None and lo > hi:
        return None
    return lo, hi


@per_game()
def smoothness_margin(game: MarkovGame, alpha: Fraction, beta: Fraction) -> Fraction:
    """``min_s min_{π, π'} (Σ_i Vⁱ(π'ⁱ, π⁻ⁱ)(s) − α V_π'(s) + β V_π(s)) = min_s (D m(β))(s)``, exactly
    (≥ 0 iff the game is (α, β)-smooth; state-only kernels and one state)."""
    assert smoothness_not_established(game) is None
    hulls = _envelopes(game, alpha)
    D = discount_matrix(game)
    m = [hull_value(h, beta) for h in hulls]
    return min(sum((D[s][t] * m[t] for t in range(game.n_states)), Fraction(0)) for s in range(game.n_states))


def as_float(q: Fraction) -> float:
    """``q`` as a float, ±inf beyond float64's range (a subnormal reward r makes a ratio like 1/r ≈ 1e323)."""
    try:
        return float(q)
    except OverflowError:
        return math.inf if q > 0 else -math.inf


def shown(q: Fraction) -> str:
    """``q`` for a note: 4 significant digits, or its order of magnitude beyond float64's range."""
    value = as_float(q)
    if math.isfinite(value):
        return f"{value:.4g}"
    return f"{'-' if q < 0 else ''}~1e{len(str(abs(q.numerator))) - len(str(q.denominator))} (beyond float64)"


def _beyond_float64(beta: Fraction) -> Premises | None:
    """Undecided when the exact β has no float64 value: the checks that use (α, β) compute in floats
    (a subnormal joint reward r(a) puts the valid β's low end near 1/r(a) ≈ 1e323; float(β) raised
    OverflowError and ended a 60 s hunt). A stated β is a witness number, always within range."""
    if math.isfinite(as_float(beta)):
        return None
    return Premises.undecided(f"β = {shown(beta)}, from a subnormal reward: the float check cannot use it")


def smoothness_constants(game: MarkovGame, witness: dict[str, Any]) -> tuple[Fraction, Fraction] | Premises:
    """The witness's (α, β), exactly — β as stated (``beta``) or picked by ``beta_choice`` (default 0) in
    the valid interval — when the game is (α, β)-smooth; else the gate's decision (not met, or
    undecided for a kernel that depends on actions or for a β beyond float64's range, which the float
    checks that use these constants cannot evaluate)."""
    alpha = Fraction(number(witness, "alpha"))
    if (reason := smoothness_not_established(game)) is not None:
        return Premises.undecided(reason)
    if "beta" in witness:
        beta = Fraction(number(witness, "beta"))
        gap = smoothness_margin(game, alpha, beta)
        if gap < 0:
            return Premises.fail(
                f"the game is not (α, β)-smooth at α = {float(alpha):.4g}, β = {float(beta):.4g}: "
                f"min_s min_(π, π') (Σ_i Vⁱ(π'ⁱ, π⁻ⁱ) − α V_π' + β V_π)(s) = {float(gap):.4g} < 0"
            )
        premise_checked(
            lambda: (
                f"(α, β)-smooth (Def 4.2, exactly) at α = {float(alpha):.4g}, β = {float(beta):.4g}: "
                f"min_s min_(π, π') (Σ_i Vⁱ(π'ⁱ, π⁻ⁱ) − α V_π' + β V_π)(s) = {float(gap):.4g} ≥ 0"
            )
        )
        return alpha, beta
    choice = number(witness, "beta_choice", default=0.0)
    if not 0 <= choice < 1:
        return Premises.fail(f"beta_choice = {choice:.4g} must lie in [0, 1)")
    interval = beta_interval(game, alpha)
    if interval is None:
        return Premises.fail(f"no β makes the game (α, β)-smooth for α = {float(alpha):.4g}")
    beta = pick(interval, Fraction(choice))
    if (far := _beyond_float64(beta)) is not None:
        return far
    premise_checked(
        lambda: (
            f"(α, β)-smooth (Def 4.2, exactly) at α = {float(alpha):.4g}: β = {float(beta):.4g}, the point "
            f"beta_choice = {choice:.4g} of the exact interval of valid β {_interval_text(interval)}"
        )
    )
    return alpha, beta


def _interval_text(interval: Any) -> str:
    """An interval of valid β, in words."""
    try:
        lo, hi = interval
        left = "(−∞" if lo is None else f"[{shown(lo)}"
        return f"{left}, {'∞)' if hi is None else f'{shown(hi)}]'}"
    except (TypeError, ValueError):
        return str(interval)


def smoothness_gap(game: MarkovGame, alpha: Fraction, beta: Fraction, s: int = 0) -> Fraction:
    """``min_{a,a'} Σ_i rⁱ(a'ⁱ,a⁻ⁱ) − α r(a') + β r(a)`` at state s (≥ 0 iff its stage is (α, β)-smooth)."""
    q, pairs = stage_pairs(game, s)
    # over the common denominator q·den(α)·den(β): integers, exactly the rational minimum
    (pa, da), (pb, db) = (alpha.numerator, alpha.denominator), (beta.numerator, beta.denominator)
    low = min(lhs * da * db - pa * db * total_b + pb * da * total for total, total_b, lhs in pairs)
    return Fraction(low, q * da * db)
