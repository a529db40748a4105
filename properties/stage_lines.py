"""A stage's smoothness lines in exact integers, and their lower envelope (the stage arithmetic of
:mod:`properties.smoothness`).

At state s, Def 4.2's gap of a pair of pure profiles (a, a') is linear in β:

    β ↦ r(a)·β + (Σ_i rⁱ(a'ⁱ, a⁻ⁱ) − α r(a')),      r(a) = Σ_i rⁱ(s, a),

and the stage's least gap ``m_s(β) = min_{a, a'}`` of these lines is the lower envelope of the lowest
line per slope. Each stored reward is m·2ᵉ, so over one power-of-two denominator q every reward is an
integer (:func:`scaled_stage`) and every line's slope and intercept are integers over q and q·den(α):
sums and comparisons there are the rational ones, without a Fraction per operation. The A² profile
pairs are screened in floats and only the pairs within a bound on the float error are computed exactly
(:func:`_screened_lines`); only the hull's lines become Fractions.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from typing import Any, TypeVar

import numpy as np

from mpgverify.game import MarkovGame
from mpgverify.memo import per_game

__all__ = [
    "Line",
    "envelope_of",
    "hull_ints",
    "hull_value",
    "over_one_denominator",
    "per_stage",
    "profile_pairs",
    "scaled_pairs",
    "scaled_stage",
    "stage",
    "stage_bytes",
    "stage_pairs",
]

T = TypeVar("T")

Line = tuple[Fraction, Fraction]  # (slope, intercept)


def stage(game: MarkovGame, s: int = 0) -> dict[tuple[int, ...], list[Fraction]]:
    """Exact stage rewards ``rⁱ(s, a)`` of state ``s``, per pure profile a."""
    R = game.rewards[:, s]
    profiles = itertools.product(*(range(n) for n in game.n_actions))
    return {a: [Fraction(float(R[(i, *a)])) for i in range(game.n_agents)] for a in profiles}


def profile_pairs(
    r: dict[tuple[int, ...], list[Fraction]], n_agents: int
) -> Iterator[tuple[Fraction, Fraction, Fraction]]:
    """``(r(a), r(a'), Σ_i rⁱ(a'ⁱ, a⁻ⁱ))`` for every pair of pure profiles (a, a'), exact."""
    for a in r:
        for b in r:
            yield sum(r[a]), sum(r[b]), sum(r[(*a[:i], b[i], *a[i + 1 :])][i] for i in range(n_agents))


@per_game(keep=1)
def stage_bytes(game: MarkovGame) -> tuple[bytes, ...]:
    """The stored float64 numbers of each state's rewards ``rewards[:, s]`` (``[N, A¹..Aᴺ]``, C order) as
    bytes, a cache key (equal bytes: the same exact rationals), from one numpy view of the game's rewards:
    slicing a tensor per state and per ask cost more than the rest of a kept lookup."""
    R = game.rewards.detach().numpy()
    return tuple(R[:, s].tobytes() for s in range(game.n_states))


def scaled_stage(game: MarkovGame, s: int = 0) -> tuple[int, dict[tuple[int, ...], list[int]]]:
    """:func:`stage` over one common denominator: ``(q, {a: [q·rⁱ(s, a)]})`` with every entry an integer.
    Each float is m·2ᵉ, so q is a power of two and ``Fraction(k, q)`` is exactly the stored reward;
    sums and comparisons in these integers are the rational ones, without a Fraction per operation."""
    return _scaled(game.rewards[:, s].reshape(game.n_agents, -1).tolist(), game.n_actions)


def over_one_denominator(xs: Sequence[float]) -> tuple[int, list[int]]:
    """``(q, [k…])`` with every float ``x = k/q`` exactly: each float is m·2ᵉ, so q, the largest of their
    denominators (a power of two), is a multiple of every one of them. Sums and comparisons of the k are
    the rational ones, without a Fraction per operation."""
    ratios = [x.as_integer_ratio() for x in xs]
    q = max(d for _, d in ratios)
    return q, [n * (q // d) for n, d in ratios]


def _scaled(R: list[list[float]], n_actions: tuple[int, ...]) -> tuple[int, dict[tuple[int, ...], list[int]]]:
    """:func:`scaled_stage` of one stage's rewards ``R[i][a]``, per agent, the joint actions flattened in the
    order itertools.product lists them."""
    N = len(R)
    q, ints = over_one_denominator([row[k] for k in range(len(R[0])) for row in R])  # profile by profile
    profiles = itertools.product(*(range(n) for n in n_actions))
    return q, {a: ints[k * N : (k + 1) * N] for k, a in enumerate(profiles)}


def scaled_pairs(r: dict[tuple[int, ...], list[int]], n_agents: int) -> Iterator[tuple[int, int, int]]:
    """:func:`profile_pairs` on :func:`scaled_stage`'s integers (the same triples, times q)."""
    total = {a: sum(row) for a, row in r.items()}
    # deviation[a][i][x] = rⁱ(x, a⁻ⁱ): agent i alone switching to x
    sizes = _sizes(r)
    deviation = {a: [[r[(*a[:i], x, *a[i + 1 :])][i] for x in range(n)] for i, n in enumerate(sizes)] for a in r}
    for a in r:
        dev = deviation[a]
        for b in r:
            yield total[a], total[b], sum(dev[i][b[i]] for i in range(n_agents))


@per_game(keep=4)
def stage_pairs(game: MarkovGame, s: int) -> tuple[int, list[tuple[int, int, int]]]:
    """``(q, [q·(r(a), r(a'), Σ_i rⁱ(a'ⁱ, a⁻ⁱ)) for every pair (a, a')])``: :func:`scaled_pairs` of
    :func:`scaled_stage`, listed once per game (the hunter asks again on every move of the witness) and
    per content of the stage's rewards (a move of μ, Q or γ keeps them)."""
    return _stage_pairs_of(game.n_actions, stage_bytes(game)[s])


@functools.lru_cache(maxsize=64)
def _stage_pairs_of(n_actions: tuple[int, ...], rewards: bytes) -> tuple[int, list[tuple[int, int, int]]]:
    n = len(n_actions)
    q, r = _scaled(np.frombuffer(rewards, dtype=np.float64).reshape(n, -1).tolist(), n_actions)
    return q, list(scaled_pairs(r, n))


def per_stage(*, keep: int = 64) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorate ``fn(q, pairs, *args)`` of a state's :func:`stage_pairs` (``args`` hashable) into
    ``f(game, s, *args)``, kept by the content of that stage's rewards and ``args`` (the last ``keep``):
    a move of μ, Q or γ — or of another state — reuses it."""

    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        kept = functools.lru_cache(maxsize=keep)(
            lambda n_actions, rewards, *args: fn(*_stage_pairs_of(n_actions, rewards), *args)
        )

        @functools.wraps(fn)
        def of_stage(game: MarkovGame, s: int, *args: Any) -> T:
            return kept(game.n_actions, stage_bytes(game)[s], *args)

        of_stage.cache_clear = kept.cache_clear  # type: ignore[attr-defined]  # forgets every stage, as lru_cache's
        return of_stage

    return decorate


def _sizes(r: dict[tuple[int, ...], list[int]]) -> list[int]:
    """The action counts of a stage's profiles (the last profile is the largest in every coordinate)."""
    return [k + 1 for k in max(r)]


def _scaled_lines(pairs: list[tuple[int, int, int]], alpha: Fraction) -> list[tuple[int, int]]:
    """The lines ``β ↦ r(a)·β + (Σ_i rⁱ(a'ⁱ, a⁻ⁱ) − α r(a'))`` of one state from its :func:`stage_pairs`
    ``(q, pairs)``, the lowest per slope, slopes decreasing, as integers ``(K, C)``: the line
    ``(K/q, C/(q·d))`` (d: α's denominator), exactly."""
    p, d = alpha.numerator, alpha.denominator
    best: dict[int, int] = {}
    for total, total_b, lhs in pairs:
        c = lhs * d - p * total_b  # q·d·(lhs − α·r(a'))
        if total not in best or c < best[total]:
            best[total] = c
    return sorted(best.items(), key=lambda kc: -kc[0])  # slopes decreasing: left to right on the envelope


def _envelope(lines: Sequence[tuple[Any, Any]]) -> list[Any]:
    """The lower envelope (pointwise minimum) of lines sorted by strictly decreasing slope, left to right.
    The middle of three lines k₁ > k₂ > k₃ is never the lowest when the third meets the first left of where
    the second does, ``(c₃ − c₁)/(k₁ − k₃) ≤ (c₂ − c₁)/(k₁ − k₂)``, compared cross-multiplied (both
    denominators are positive): exact on Fractions and on :func:`_scaled_lines`' integers alike (a common
    scale of every slope and of every intercept leaves the comparison as it is)."""
    hull: list[Any] = []
    for line in lines:
        while len(hull) >= 2:
            (k1, c1), (k2, c2) = hull[-2], hull[-1]
            k3, c3 = line
            if (c3 - c1) * (k1 - k2) <= (c2 - c1) * (k1 - k3):  # the middle line is never the lowest
                hull.pop()
            else:
                break
        hull.append(line)
    return hull


def envelope_of(game: MarkovGame, s: int, alpha: Fraction) -> list[Line]:
    """State ``s``'s envelope of its lines, found on their integers (:func:`_screened_lines`): only the
    hull's lines become Fractions (``tests/test_premise_definitions.py`` holds it equal to the Fractions'
    hull). Kept per stage content and α: a move of μ, Q or γ — or of another state — reuses it."""
    return _envelope_kept(game.n_actions, stage_bytes(game)[s], alpha)


def hull_ints(game: MarkovGame, s: int, alpha: Fraction) -> tuple[int, list[tuple[int, int]]]:
    """:func:`envelope_of` in :func:`_screened_lines`' integers: ``(q, [(K, C)…])``, the line ``(K/q, C/(q·d))``
    (d: α's denominator), slopes decreasing. Kept as :func:`envelope_of`."""
    return _hull_kept(game.n_actions, stage_bytes(game)[s], alpha)


@functools.lru_cache(maxsize=256)
def _hull_kept(n_actions: tuple[int, ...], rewards: bytes, alpha: Fraction) -> tuple[int, list[tuple[int, int]]]:
    q, lines = _screened_lines(n_actions, rewards, alpha)
    return q, _envelope(lines)


@functools.lru_cache(maxsize=256)
def _envelope_kept(n_actions: tuple[int, ...], rewards: bytes, alpha: Fraction) -> list[Line]:
    q, hull = _hull_kept(n_actions, rewards, alpha)
    qd = q * alpha.denominator
    return [(Fraction(k, q), Fraction(c, qd)) for k, c in hull]


def _forget_envelopes() -> None:
    _envelope_kept.cache_clear()
    _hull_kept.cache_clear()


envelope_of.cache_clear = _forget_envelopes  # type: ignore[attr-defined]  # as per_stage's


@functools.lru_cache(maxsize=64)
def _deviations(n_actions: tuple[int, ...]) -> np.ndarray:
    """``[N, A, A]``: entry ``[i, a, b]`` the flat index of the profile ``(bⁱ, a⁻ⁱ)`` (profiles flattened in
    the order itertools.product lists them, as :func:`scaled_stage`)."""
    coords = np.indices(n_actions).reshape(len(n_actions), -1)  # [N, A]: each flat profile's coordinates
    out = []
    for i in range(len(n_actions)):
        swapped = np.broadcast_to(coords[:, :, None], (*coords.shape, coords.shape[1])).copy()  # [N, a, b]
        swapped[i] = coords[i][None, :]  # coordinate i from b, the others from a
        out.append(np.ravel_multi_index(tuple(swapped), n_actions))
    return np.stack(out)


#: float screening's slack per unit of the terms' magnitude (their sum's and product's rounding is below
#: ~8 units of 2⁻⁵³ ≈ 1.1e-16 each; this is ~10⁴ times that), and an absolute floor for subnormal products
_SCREEN_RTOL, _SCREEN_ATOL = 1e-12, 1e-290


def _screened_lines(n_actions: tuple[int, ...], rewards: bytes, alpha: Fraction) -> tuple[int, list[tuple[int, int]]]:
    """``(q, _scaled_lines(pairs, α))`` of one stage (its rewards' bytes, ``[N, A]``), without listing the
    A² profile pairs in Python: each slope's least intercept ``min_{(a, a') : r(a) = k} Σ_i rⁱ(a'ⁱ, a⁻ⁱ) − α
    r(a')`` is screened in floats — every pair whose float intercept is within twice a bound on the float
    error of the least — and only those pairs are computed exactly, in :func:`scaled_stage`'s integers.
    The slopes are grouped by their exact integers (distinct sums may round to one float). Where a float
    is not finite, every pair is computed exactly (:func:`_scaled_lines` of :func:`stage_pairs`)."""
    N = len(n_actions)
    R = np.frombuffer(rewards, dtype=np.float64).reshape(N, -1)
    q, ints = over_one_denominator(R.T.ravel().tolist())  # profile by profile: ints[a·N + i] = q·rⁱ(a)
    A = R.shape[1]
    p, d = alpha.numerator, alpha.denominator
    totals = [sum(ints[a * N : (a + 1) * N]) for a in range(A)]  # q·r(a), exact
    dev, where = _deviations(n_actions), _deviation_entries(n_actions)
    a_f = float(alpha)
    with np.errstate(over="ignore", invalid="ignore"):
        lhs = R[np.arange(N)[:, None, None], dev].sum(0)  # [A, A]: Σ_i rⁱ(a'ⁱ, a⁻ⁱ) at [a, a']
        c = lhs - a_f * R.sum(0)[None, :]
        scale = float(np.abs(R).max()) * N * (1.0 + abs(a_f))
    if not (np.isfinite(c).all() and np.isfinite(scale)):
        return _stage_pairs_of(n_actions, rewards)[0], _scaled_lines(_stage_pairs_of(n_actions, rewards)[1], alpha)
    slack = 2.0 * (_SCREEN_RTOL * scale + _SCREEN_ATOL)
    least: dict[int, float] = {}  # each slope's least float intercept
    for k, m in zip(totals, c.min(1).tolist(), strict=True):
        least[k] = min(least.get(k, m), m)
    rows, cols = np.nonzero(c <= (np.array([least[k] for k in totals]) + slack)[:, None])
    best: dict[int, int] = {}
    for a, b in zip(rows.tolist(), cols.tolist(), strict=True):
        exact = d * sum(ints[j] for j in where[a][b]) - p * totals[b]
        k = totals[a]
        if k not in best or exact < best[k]:
            best[k] = exact
    return q, sorted(best.items(), key=lambda kc: -kc[0])  # every slope has its least float's pair at least


@functools.lru_cache(maxsize=64)
def _deviation_entries(n_actions: tuple[int, ...]) -> list[list[list[int]]]:
    """``[a][b]``: the positions in :func:`_screened_lines`' profile-by-profile integers of the N rewards
    ``rⁱ(bⁱ, a⁻ⁱ)``, i = 1..N (:func:`_deviations`, as plain lists)."""
    dev, N = _deviations(n_actions), len(n_actions)
    return (dev * N + np.arange(N)[:, None, None]).transpose(1, 2, 0).tolist()  # type: ignore[no-any-return]


def hull_value(hull: Sequence[Line], beta: Fraction) -> Fraction:
    return min(k * beta + c for k, c in hull)
