"""Every premise predicate against a direct evaluation of the definition it decides.

The oracle is :mod:`tests.definitions`, written blind to the project's solvers from the paper's
definitions alone (numpy, linear solves on the joint-action MDP, enumeration of deterministic
product policies, graph reachability). Each test draws ``GAMES`` seeded games of the predicate's
class and, where the predicate speaks about policies, the oracle's policy menu (uniform,
deterministic, near-deterministic with logit gaps up to 100, Dirichlet), and asserts agreement
— decision by decision, with the values in the message.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from mpgverify.game import MarkovGame
from mpgverify.policy import softmax_policy
from mpgverify.solvers.evaluation import visitation
from mpgverify.solvers.game_constants import assumption_2_1, mismatch_coefficient, potential_range
from mpgverify.solvers.nash import nash_gap
from properties import section3_log_barrier as s35
from properties.premises import mpg_reason, unit_potential_reason
from properties.section4 import premises_def_4_2, premises_def_4_4
from properties.section4_dynamics import assumption_4_6
from properties.smoothness import beta_interval, smoothness_gap, smoothness_margin, smoothness_not_established
from randomgames import generators as gen
from randomgames.perturb import is_action_independent
from tests import definitions as D
from tests.handgames import smooth_only_as_a_whole

#: games per predicate class (the issue's floor)
GAMES = 500


def _t(pi: tuple[np.ndarray, ...]) -> tuple[torch.Tensor, ...]:
    return tuple(torch.tensor(p, dtype=torch.float64) for p in pi)


def _small(rng: np.random.Generator, seed: int, **kw: object) -> MarkovGame:
    """A general MPG of ≤ 2 agents × 2 actions × 2 states, drawn kernel, μ and γ from ``rng``."""
    return gen.general_mpg_game(
        seed=seed,
        n_agents=int(rng.integers(1, 3)),
        n_states=int(rng.integers(1, 3)),
        n_actions=int(rng.integers(1, 3)),
        gamma=float(rng.choice([0.0, 1e-13, 0.3, 0.9])),
        reward_range=(-1.0, 1.0),
        **kw,  # type: ignore[arg-type]
    )


def test_assumption_2_1_and_m_against_reachability_and_enumeration() -> None:
    """Assumption 2.1 (d^π_μ(s) > 0 ∀π, s) and M against the oracle's reachability over every
    deterministic product policy; where it holds, d > 0 on the policy menu and M equals the ratio of
    enumerated extremes (γ = 1e-13 included: no absolute floor)."""
    rng = np.random.default_rng(0)
    fails = 0
    for k in range(GAMES):
        game = _small(
            rng,
            k,
            transitions=str(rng.choice(["sparse", "deterministic", "random"])),
            mu=str(rng.choice(["point", "uniform"])),
        )
        ours = assumption_2_1(game) is None
        theirs, _ = D.assumption_2_1(game)
        assert ours == theirs, f"game {k}: predicate {ours}, definition {theirs} (γ = {game.gamma})"
        if not ours:
            fails += 1
            with pytest.raises(Exception, match=r"Assumption 2\.1"):
                mismatch_coefficient(game)
            continue
        for pi in D.policy_menu(game, rng, 6):
            assert bool((visitation(game, _t(pi)) > 0).all()), f"game {k}: d = 0 somewhere under a menu policy"
        M, M_def = mismatch_coefficient(game).M, D.mismatch_coefficient(game)
        assert math.isclose(M, M_def, rel_tol=1e-6), f"game {k}: M = {M}, enumeration {M_def}"
    assert 0.1 * GAMES < fails < 0.9 * GAMES, f"both outcomes must be exercised: {fails} of {GAMES} fail"


def test_phi_range_against_enumeration() -> None:
    """Assumption 2.3's Φ_min, Φ_max against enumeration of deterministic product policies, and never
    exceeded by a menu policy."""
    rng = np.random.default_rng(1)
    for k in range(GAMES):
        game = _small(rng, k, transitions=str(rng.choice(["random", "sparse", "action_independent"])))
        low, high = potential_range(game)
        lo_d, hi_d = D.potential_extremes(game)
        assert math.isclose(low, lo_d, abs_tol=1e-9) and math.isclose(high, hi_d, abs_tol=1e-9), (
            f"game {k}: ({low}, {high}) against enumeration ({lo_d}, {hi_d})"
        )
        for pi in D.policy_menu(game, rng, 4):
            phi = D.potential_values(game, pi)
            assert phi.min() >= low - 1e-9 and phi.max() <= high + 1e-9


def test_eps_nash_against_enumerated_best_responses() -> None:
    """The Nash-gap (Def 2.4) behind every ε-Nash premise against enumeration of each agent's
    deterministic deviations, on the whole menu."""
    rng = np.random.default_rng(2)
    for k in range(GAMES):
        game = _small(rng, k, transitions="random")
        for pi in D.policy_menu(game, rng, 4):
            ours, theirs = float(nash_gap(game, _t(pi)).gap), D.nash_gap(game, pi)
            assert math.isclose(ours, theirs, abs_tol=1e-9), f"game {k}: gap {ours}, enumeration {theirs}"


@pytest.mark.parametrize("reading", ["as-used", "as-written"])
def test_ratio_nash_gate_against_definition(reading: str) -> None:
    """Def 4.4's premise (def-4.4's gate) under each reading against the oracle's direct test; the
    decisions agree wherever the definition is not within 1e-9 of its boundary."""
    rng = np.random.default_rng(3)
    agreed = {True: 0, False: 0}
    for k in range(GAMES):
        game = _small(rng, k, transitions="action_independent")
        eps = float(rng.choice([0.0, 0.1, 0.5, 0.9]))
        for pi in D.policy_menu(game, rng, 3):
            witness = {"probs": [p.tolist() for p in pi], "eps": eps}
            ours = premises_def_4_4(game, witness, reading=reading).met is True
            test = D.is_ratio_nash_as_used if reading == "as-used" else D.is_ratio_nash_as_written
            strict, loose = test(game, pi, eps, tol=-1e-9), test(game, pi, eps, tol=1e-9)
            if strict == loose:
                assert ours == strict, f"game {k}, ε = {eps}: gate {ours}, definition {strict}"
                agreed[ours] += 1
    assert min(agreed.values()) > 50, f"both decisions must be exercised: {agreed}"


def _state_only(rng: np.random.Generator, seed: int) -> MarkovGame:
    return gen.general_sum_game(
        seed=seed,
        n_agents=int(rng.integers(1, 3)),
        n_states=int(rng.integers(1, 3)),
        n_actions=int(rng.integers(1, 3)),
        gamma=float(rng.choice([0.0, 0.5, 0.9])),
        reward_range=(float(rng.choice([-1.0, -0.3, 0.1])), 1.0),
        transitions="action_independent",
    )


def _stage_game(rng: np.random.Generator, k: int) -> MarkovGame:
    """The stage-arithmetic tests' k-th game: a small state-only game (odd k), else three agents of three
    actions on two states (27 profiles, 729 pairs a state)."""
    if k % 2:
        return _state_only(rng, k)
    return gen.general_sum_game(
        seed=k, n_agents=3, n_states=2, n_actions=3, gamma=0.5, transitions="action_independent"
    )


def test_smoothness_gate_against_enumeration() -> None:
    """(α, β)-smoothness (Def 4.2, def-4.2's gate with a stated β) against the oracle's enumeration
    of every pair of deterministic product policies, and its value against mixed menu pairs; β drawn
    at the exact least β, just below it, and anywhere."""
    rng = np.random.default_rng(4)
    agreed = {True: 0, False: 0}
    for k in range(GAMES):
        game = _state_only(rng, k)
        alpha = Fraction(float(rng.choice([1.0, 0.5, -0.5, rng.uniform(-1, 2)])))
        interval = beta_interval(game, alpha)
        betas = [Fraction(float(rng.uniform(-3, 30)))]
        if interval is not None and interval[0] is not None:
            betas += [interval[0], interval[0] - Fraction(1, 1000)]
        for beta in betas:
            witness = {"theta": [[[0.0] * n] * game.n_states for n in game.n_actions], "alpha": float(alpha)}
            witness |= {"theta_prime": witness["theta"], "beta": float(beta)}
            ours = premises_def_4_2(game, witness).met is True
            smooth, low = D.smooth_by_enumeration(game, float(alpha), float(beta), tol=1e-12)
            gap = float(smoothness_margin(game, alpha, Fraction(float(beta))))
            assert math.isclose(gap, low, abs_tol=1e-9), f"game {k}: exact min {gap}, enumeration {low}"
            if abs(low) > 1e-9:
                assert ours == smooth, f"game {k}, α = {float(alpha)}, β = {float(beta)}: gate {ours}, def {smooth}"
                agreed[ours] += 1
            pairs = [(p, q) for p, q in zip(D.policy_menu(game, rng, 4), D.policy_menu(game, rng, 4), strict=True)]
            assert D.smoothness_violation_on_pairs(game, float(alpha), float(beta), pairs) >= low - 1e-9
    assert min(agreed.values()) > 50, f"both decisions must be exercised: {agreed}"


@pytest.mark.parametrize("scale", [1.0, 1e-300, 3.0e10])
def test_smoothness_integer_arithmetic_is_the_rational_one(scale) -> None:
    """The gate's stage arithmetic over one power-of-two denominator (:func:`scaled_stage`) gives exactly
    what Fractions give: every profile pair's triple, each state's lines, and the stage gap — on seeded
    games whose rewards reach tiny (denominators near 2¹⁰⁷⁴) and large magnitudes."""
    from properties.stage_lines import _scaled_lines, profile_pairs, scaled_pairs, scaled_stage, stage, stage_pairs

    rng = np.random.default_rng(11)
    for k in range(40):
        game = _stage_game(rng, k)
        game = game.replace(rewards=game.rewards * scale)
        alpha = Fraction(float(rng.uniform(-1, 2)))
        beta = Fraction(float(rng.uniform(-3, 30)))
        for s in range(game.n_states):
            q, r = scaled_stage(game, s)
            exact = list(profile_pairs(stage(game, s), game.n_agents))
            scaled = [tuple(Fraction(x, q) for x in t) for t in scaled_pairs(r, game.n_agents)]
            assert scaled == exact, f"game {k}, state {s}: the integer triples differ"
            q, pairs = stage_pairs(game, s)
            lines = [(Fraction(K, q), Fraction(C, q * alpha.denominator)) for K, C in _scaled_lines(pairs, alpha)]
            assert lines == _fraction_lines(exact, alpha), f"game {k}, state {s}: lines differ"
            gap = min(lhs - alpha * total_b + beta * total for total, total_b, lhs in exact)
            assert smoothness_gap(game, alpha, beta, s) == gap, f"game {k}, state {s}: gap differs"


def _fraction_lines(
    exact: list[tuple[Fraction, Fraction, Fraction]], alpha: Fraction
) -> list[tuple[Fraction, Fraction]]:
    """The oracle's lines of a stage from its Fraction triples ``(r(a), r(a'), Σ_i rⁱ(a'ⁱ, a⁻ⁱ))`` over every
    profile pair (:func:`profile_pairs`): β ↦ r(a)·β + (Σ_i rⁱ(a'ⁱ, a⁻ⁱ) − α r(a')), the lowest per slope,
    slopes decreasing."""
    best: dict[Fraction, Fraction] = {}
    for total, total_b, lhs in exact:
        c = lhs - alpha * total_b
        best[total] = min(best.get(total, c), c)
    return sorted(best.items(), key=lambda kc: -kc[0])


def _near_ties(game: MarkovGame, rng: np.random.Generator) -> MarkovGame:
    """``game`` with its rewards rounded to quarters and nudged by a few ulps here and there: profile pairs
    whose intercepts tie exactly or differ by round-off, where a float screen could pick the wrong one."""
    r = game.rewards.mul(4).round().div(4)
    nudge = torch.from_numpy(rng.integers(-3, 4, size=tuple(r.shape))).to(r.dtype)
    return game.replace(rewards=torch.where(nudge != 0, r + nudge * torch.finfo(r.dtype).eps * r.abs(), r))


@pytest.mark.parametrize("scale", [1.0, 1e-300, 3.0e10, 2.0**-1060])
def test_envelope_in_integers_is_the_fractions_envelope(scale) -> None:
    """Each state's lines as the gate finds them (:func:`_screened_lines`: every slope's least intercept
    screened in floats, then exact on the pairs within the float error) are exactly those of every profile
    pair in integers (:func:`_scaled_lines` of :func:`stage_pairs`); the envelope made of them (only the
    hull made Fractions) is exactly the hull of the Fraction lines, and it is their pointwise minimum: at
    every break, between and beyond them, the least line of all equals the least hull line. Seeded games
    with three agents of three actions and smaller ones; exact ties (integer and quarter rewards, α = 1),
    near-ties a few ulps apart, α with a long binary expansion; tiny, subnormal and large rewards."""
    from properties.stage_lines import (
        _envelope,
        _scaled_lines,
        _screened_lines,
        envelope_of,
        hull_value,
        profile_pairs,
        stage,
        stage_bytes,
        stage_pairs,
    )

    rng = np.random.default_rng(13)
    hulls = screened = 0
    for k in range(48):
        game = _stage_game(rng, k)
        if k % 4 == 1:
            game = game.replace(rewards=game.rewards.mul(2).round())
        if k % 4 == 2:
            game = _near_ties(game, rng)
        game = game.replace(rewards=game.rewards * scale)
        exact = [list(profile_pairs(stage(game, s), game.n_agents)) for s in range(game.n_states)]
        for alpha in (Fraction(1), Fraction(float(rng.uniform(-1, 2))), Fraction(1, 3) + Fraction(1, 2**60)):
            alpha = Fraction(float(alpha))  # a witness number: a float
            for s in range(game.n_states):
                q, pairs = stage_pairs(game, s)
                got_lines = _screened_lines(game.n_actions, stage_bytes(game)[s], alpha)
                assert got_lines == (q, _scaled_lines(pairs, alpha)), f"game {k}, state {s}, α = {alpha}: lines differ"
                screened += len(got_lines[1])
                lines = _fraction_lines(exact[s], alpha)
                got, want = envelope_of(game, s, alpha), _envelope(lines)
                assert got == want, f"game {k}, state {s}, α = {alpha}: {got} vs {want}"
                breaks = _breaks(got)
                for b in {*breaks, *(x + Fraction(1, 3) for x in breaks), Fraction(-50), Fraction(50)}:
                    least = min(kk * b + c for kk, c in lines)
                    at = hull_value(got, b)
                    assert at == least, f"game {k}, state {s}, β = {b}: hull {at} vs {least}"
                hulls += len(got) > 2
    assert hulls > 20 and screened > 500, f"only {hulls} envelopes with more than two lines, {screened} lines"


def test_screened_lines_fall_back_to_every_pair_beyond_float64() -> None:
    """Where the float screen overflows (rewards of 1e149, within a game's bound, and α = 1e300: their
    product is beyond float64), the lines are every pair's, computed exactly — the same as
    :func:`_scaled_lines` of :func:`stage_pairs`."""
    from properties.stage_lines import _scaled_lines, _screened_lines, stage_bytes, stage_pairs

    game = gen.general_sum_game(seed=3, n_agents=2, n_states=1, n_actions=3, gamma=0.0)
    game = game.replace(rewards=game.rewards * 1e149)
    alpha = Fraction(1e300)
    q, pairs = stage_pairs(game, 0)
    assert _screened_lines(game.n_actions, stage_bytes(game)[0], alpha) == (q, _scaled_lines(pairs, alpha))


def _breaks(hull: list[tuple[Fraction, Fraction]]) -> list[Fraction]:
    """Where consecutive lines of an envelope (slopes decreasing) meet, left to right."""
    return [(c2 - c1) / (k1 - k2) for (k1, c1), (k2, c2) in itertools.pairwise(hull)]


def _nonnegative_set(vals: list[Fraction], pts: list[Fraction], left: Fraction, right: Fraction):
    """The oracle's ``{β : f(β) ≥ 0}`` of a piecewise-linear f given by its values at increasing points and
    its ray slopes: piece by piece (each ray and segment, where its line is ≥ 0 on it), then the hull of
    the pieces' sets, which is their union since f is concave. None: empty."""
    parts = []
    for (b0, v0), (b1, v1) in itertools.pairwise(zip(pts, vals, strict=True)):
        if v0 >= 0 and v1 >= 0:
            parts.append((b0, b1))
        elif v0 >= 0 or v1 >= 0:
            root = b0 - v0 * (b1 - b0) / (v1 - v0)
            parts.append((b0, root) if v0 >= 0 else (root, b1))
    for b, v, slope, side in ((pts[0], vals[0], left, -1), (pts[-1], vals[-1], right, 1)):
        # the ray β = b + side·t, t ≥ 0, where f = v + slope·(β − b)
        far = None if slope * side >= 0 else b - v / slope  # where a falling ray crosses 0
        if v >= 0:
            parts.append((None, b) if side < 0 and far is None else (far, b) if side < 0 else (b, far))
        elif slope * side > 0:  # a rising ray from below 0
            root = b - v / slope
            parts.append((None, root) if side < 0 else (root, None))
    if not parts:
        return None
    lows, highs = [p[0] for p in parts], [p[1] for p in parts]
    return (None if None in lows else min(lows)), (None if None in highs else max(highs))


def test_one_state_interval_is_where_every_line_is_nonnegative() -> None:
    """A single state's valid β (:func:`_all_lines_nonnegative`: the binding roots of its envelope's lines in
    integers, cross-multiplied) is the oracle's set where the least line is ≥ 0, found piece by piece on the
    Fraction envelope's values at its breaks (:func:`hull_value`), ties included (α = 1 on integer-valued
    rewards); empty sets, rays and bounded intervals."""
    from properties.smoothness import _all_lines_nonnegative, _envelopes
    from properties.stage_lines import hull_ints, hull_value

    rng = np.random.default_rng(12)
    kinds = {"empty": 0, "ray": 0, "bounded": 0}
    for k in range(60):
        game = _state_only(rng, k)
        if k % 3 == 0:
            game = game.replace(rewards=game.rewards.mul(2).round())
        for alpha in (Fraction(1), Fraction(float(rng.uniform(-1, 2)))):
            for s, hull in enumerate(_envelopes(game, alpha)):
                ends = _breaks(hull) or [Fraction(0)]
                want = _nonnegative_set([hull_value(hull, b) for b in ends], ends, hull[0][0], hull[-1][0])
                got = _all_lines_nonnegative(hull_ints(game, s, alpha), alpha.denominator)
                assert got == want, f"game {k}, state {s}, α = {alpha}: {got} vs {want}"
                kinds["empty" if got is None else "ray" if None in got else "bounded"] += 1
    assert min(kinds.values()) >= 5, f"too few of some kind of interval: {kinds}"


def test_points_sorted_exactly() -> None:
    """The breakpoints' order (:func:`_sorted_points`: by correctly rounded floats, runs of equal floats
    ordered exactly) is the Fractions' order with repeats dropped: equal rationals in other terms, distinct
    rationals one ulp apart or closer (the same float), zero, and points beyond float64's range."""
    from properties.smoothness import _sorted_points

    rng = np.random.default_rng(15)
    big = 2**80
    for k in range(300):
        pts = []
        for _ in range(int(rng.integers(1, 12))):
            n, m = int(rng.integers(-50, 50)), int(rng.integers(1, 20))
            pts.append((n, m))
            if rng.random() < 0.3:
                f = int(rng.integers(2, 5))
                pts.append((n * f, m * f))  # the same rational
            if rng.random() < 0.3:
                pts.append((n * big + 1, m * big))  # a rational a hair above n/m: the same float
            if rng.random() < 0.3:
                pts.append((n * big - 1, m * big))
        if k % 50 == 0:
            pts.append((10**400 * (1 if k % 100 else -1), 3))  # beyond float64: the Fractions' sort
        want = sorted({Fraction(n, m) for n, m in pts})
        got = [Fraction(n, m) for n, m in _sorted_points(pts)]
        assert got == want, f"case {k}: {got} vs {want}"


def test_beta_interval_in_integers_is_the_fractions_interval() -> None:
    """The valid β of a game with several states (:func:`beta_interval`: each envelope's breaks and
    f_s's signs at them in integers over common denominators, Fractions only at the set's ends) is
    exactly the oracle's set where ``f_s = Σ_t D[s][t] · m_t`` is ≥ 0 for every s, from f_s's Fraction values
    (the least Fraction hull line, :func:`hull_value`) at every breakpoint — on state-only games with 2–3
    states, γ = 0 to 0.9, ties (rewards in halves, α = 1), empty sets, rays and bounded intervals, several
    breakpoints inside the set."""
    from properties.smoothness import _envelopes, discount_matrix, intersect
    from properties.stage_lines import hull_value

    def by_fractions(game: MarkovGame, alpha: Fraction):
        hulls, D, S = _envelopes(game, alpha), discount_matrix(game), game.n_states
        pts = sorted({b for h in hulls for b in _breaks(h)}) or [Fraction(0)]
        at = [[hull_value(h, b) for b in pts] for h in hulls]
        out = (None, None)
        for s in range(S):
            vals = [sum((D[s][t] * at[t][j] for t in range(S)), Fraction(0)) for j in range(len(pts))]
            left = sum((D[s][t] * hulls[t][0][0] for t in range(S)), Fraction(0))
            right = sum((D[s][t] * hulls[t][-1][0] for t in range(S)), Fraction(0))
            got = _nonnegative_set(vals, pts, left, right)
            out = None if got is None else intersect(out, got)
            if out is None:
                return None
        return out

    rng = np.random.default_rng(14)
    kinds: dict[str, int] = {"empty": 0, "ray": 0, "bounded": 0, "a run of nonnegative breakpoints": 0}
    for k in range(90):
        game = gen.general_sum_game(
            seed=100 + k,
            n_agents=int(rng.integers(1, 4)),
            n_states=int(rng.integers(2, 4)),
            n_actions=int(rng.integers(2, 4)),
            gamma=float(rng.choice([0.0, 0.3, 0.9])),
            reward_range=(float(rng.choice([-1.0, -0.2, 0.1])), 1.0),
            transitions="action_independent",
        )
        if k % 3 == 0:
            game = game.replace(rewards=game.rewards.mul(2).round().div(2))
        for alpha in (Fraction(1), Fraction(float(rng.uniform(-1, 2))), Fraction(float(rng.uniform(0, 0.2)))):
            got, want = beta_interval(game, alpha), by_fractions(game, alpha)
            assert got == want, f"game {k}, α = {alpha}: {got} vs {want}"
            kinds["empty" if got is None else "ray" if None in got else "bounded"] += 1
            pts = {b for h in _envelopes(game, alpha) for b in _breaks(h)}
            kinds["a run of nonnegative breakpoints"] += got is not None and (
                sum((got[0] is None or got[0] <= b) and (got[1] is None or b <= got[1]) for b in pts) > 1
            )
    assert min(kinds.values()) >= 5, f"too few of some kind of interval: {kinds}"


def test_statewise_smoothness_is_only_sufficient() -> None:
    """The counterexample to the state-by-state test, named: one agent, two states, a state-only kernel,
    α = 2. Stage gaps: m₀(β) = −1 + 0.5β and m₁(β) = −0.2 − 0.1β (β ≥ 0), so no β makes every stage
    smooth (state 1 needs β ≤ −2, state 0 then β ≥ 1); but state 1 hands most of its discounted
    weight to state 0, so D m(β) ≥ 0 for β large enough — exactly what Def 4.2 asks. The exact
    decision accepts the least such β; the definition (enumeration) agrees."""
    game = smooth_only_as_a_whole()
    alpha = Fraction(2)
    interval = beta_interval(game, alpha)
    assert interval is not None and interval[0] is not None
    lo = interval[0]
    statewise = [smoothness_gap(game, alpha, lo, s) for s in range(2)]
    assert min(statewise) < 0 == smoothness_margin(game, alpha, lo), (float(lo), statewise)
    smooth, low = D.smooth_by_enumeration(game, 2.0, float(lo), tol=1e-12)
    assert smooth and abs(low) < 1e-9, f"the definition agrees the game is (2, {float(lo):.4g})-smooth: min {low}"
    assert not D.smooth_by_enumeration(game, 2.0, float(lo) - 1e-3, tol=0.0)[0]


def test_assumption_4_6_against_enumeration() -> None:
    """Assumption 4.6 in sum (V = Σ_i Vⁱ, as printed) and per agent against the oracle's enumeration of
    deterministic product policies, on the positive-potential class and on general state-only MPGs."""
    rng = np.random.default_rng(5)
    agreed = {True: 0, False: 0}
    for k in range(GAMES):
        kw = dict(n_agents=int(rng.integers(1, 4)), n_states=int(rng.integers(1, 3)), n_actions=int(rng.integers(1, 3)))
        if k % 2:
            game = gen.positive_potential_mpg_game(seed=k, gamma=float(rng.choice([0.0, 0.5])), **kw)  # type: ignore[arg-type]
        else:
            game = gen.general_mpg_game(seed=k, transitions="action_independent", reward_range=(-0.2, 1.0), **kw)  # type: ignore[arg-type]
        for per_agent, oracle in ((False, D.assumption_4_6), (True, D.assumption_4_6_per_agent)):
            ours = assumption_4_6(game, per_agent=per_agent)
            holds, phi_min, gap_min = oracle(game, tol=0.0)
            if min(abs(phi_min), abs(gap_min)) > 1e-9:
                assert (ours.met is True) == holds, (
                    f"game {k} (per agent {per_agent}): gate {ours.met} ({ours.reason}); enumeration min Φ = "
                    f"{phi_min:.6g}, min surplus = {gap_min:.6g}"
                )
                agreed[holds] += 1
    assert min(agreed.values()) > 50, f"both decisions must be exercised: {agreed}"


def test_state_only_kernel_and_unit_potential_against_definition() -> None:
    """ "State-only kernel" (P(·|s, a) the same for every a) and φ ∈ [0, 1] against direct evaluation."""
    rng = np.random.default_rng(6)
    for k in range(GAMES):
        game = _small(rng, k, transitions=str(rng.choice(["random", "action_independent", "deterministic"])))
        assert is_action_independent(game) == D.state_only_kernel(game), f"game {k}"
        assert (smoothness_not_established(game) is None) == (game.n_states == 1 or D.state_only_kernel(game))
        phi = game.potential.numpy()  # type: ignore[union-attr]
        assert (unit_potential_reason(game) is None) == bool(phi.min() >= 0 and phi.max() <= 1), f"game {k}"


def test_lemma_3_5_stationarity_against_finite_differences() -> None:
    """Lemma 3.5's premise ‖∇L_λ(θ)‖₂ ≤ λ/(2|S| max|Aⁱ|): the gate's norm (closed form, the stacked path the
    gate and its batched form share) against central finite differences of the oracle's L_λ, on uniform
    (θ = 0), random, large, near-deterministic (logit gaps ~30) and deterministic-like (~100) policies."""
    rng = np.random.default_rng(7)
    for k in range(GAMES):
        game = _small(rng, k, transitions="random", mu="uniform")
        scale = float([0.0, 0.1, 1.0, 3.0, 8.0, 30.0, 100.0][k % 7])
        theta = tuple(rng.uniform(-scale, scale, (game.n_states, n)) for n in game.n_actions)
        lam = float(rng.choice([1e-3, 0.1, 1.0]))
        ours = s35._stationarity_norms([game], [_t(theta)], [lam])[0]  # the gate's norm, alone or stacked
        theirs = D.log_barrier_grad_norm(game, theta, lam)
        assert math.isclose(ours, theirs, rel_tol=1e-5, abs_tol=1e-7), f"game {k}: {ours} vs {theirs}"


@pytest.mark.parametrize("kernel", ["random", "action_independent"])
def test_mpg_membership_against_the_potential_identity(kernel: str) -> None:
    """ "An MPG with the stated potential" (Def 2.2) against the identity itself on menu policy pairs:
    met ⇒ residual at float level on every pair; a perturbed game (one reward entry moved by 1e-3) ⇒ not
    met unless still an MPG, and the identity fails on some pair — under an action-dependent kernel (the
    admissible terms from their basis) and an action-independent one (the mean over the agent's action)."""
    rng = np.random.default_rng(8)
    rejected = 0
    for k in range(GAMES):
        game = _small(rng, k, transitions=kernel)
        perturb = k % 2 == 1 and game.n_agents == 2 and max(game.n_actions) > 1
        if perturb:
            r = game.rewards.clone()
            r[0].view(-1)[int(rng.integers(r[0].numel()))] += 1e-3
            game = game.replace(rewards=r)
        ours = mpg_reason(game) is None
        worst = 0.0
        menu = D.policy_menu(game, rng, 4)
        for pi in menu:
            for i in range(game.n_agents):
                for bar in D.policy_menu(game, rng, 2):
                    worst = max(worst, D.potential_identity_residual(game, pi, bar[i], i))
        if ours:
            assert worst < 1e-8, f"game {k}: gate says MPG, identity residual {worst}"
        else:
            rejected += 1
            assert perturb, f"game {k}: an MPG by construction was rejected: {mpg_reason(game)}"
    assert rejected > 20, f"perturbed games must be rejected: {rejected}"


def test_dummy_term_residual_is_the_basis_residual() -> None:
    """Under an action-independent kernel, Def 2.2's admissible terms are those not depending on the
    agent's own action, and the gate's residual (the distance to the mean over that action) is the
    projection residual onto the agent-term basis (:func:`agent_term_basis`, the null space of the
    conditions) to round-off: on MPGs (residual at float level), on games whose agent terms were moved
    off the space (residual ≥ 1e-4, rejected by both), one state or several, γ from 0 to 0.9, one-action
    agents included."""
    from mpgverify.solvers.potential_space import agent_term_basis
    from properties.premises import _agent_term_residual

    rng = np.random.default_rng(15)
    compared = off = 0
    for k in range(120):
        game = gen.general_mpg_game(
            seed=200 + k,
            n_agents=int(rng.integers(1, 4)),
            n_states=int(rng.integers(1, 3)),
            n_actions=int(rng.integers(1, 4)),
            gamma=float(rng.choice([0.0, 0.5, 0.9])),
            transitions="action_independent",
        )
        if k % 2:
            r = game.rewards.clone()
            r[int(rng.integers(game.n_agents))].view(-1)[int(rng.integers(r[0].numel()))] += 1e-3
            game = game.replace(rewards=r)
        assert is_action_independent(game)
        terms = game.rewards - game.potential
        worst_basis, first_out = 0.0, None
        for i in range(game.n_agents):
            u = terms[i].reshape(-1)
            B = agent_term_basis(game.transition, game.gamma, i)
            basis = float((u - B @ (B.T @ u)).abs().max())
            dummy = float((terms[i] - terms[i].mean(dim=1 + i, keepdim=True)).abs().max())
            assert abs(basis - dummy) <= 1e-12 * (1 + float(u.abs().max())), f"game {k}, agent {i}: {basis} vs {dummy}"
            if basis > 1e-9 * (1 + float(u.abs().max())) and first_out is None:
                first_out = i
            worst_basis = max(worst_basis, basis) if first_out is None else worst_basis
            compared += 1
        outside, worst = _agent_term_residual(game)
        assert outside == first_out, f"game {k}: the gate says agent {outside} is outside, the basis {first_out}"
        off += outside is not None
        if outside is None:
            assert abs(worst - worst_basis) <= 1e-12, f"game {k}: largest residual {worst} vs {worst_basis}"
    assert compared > 200 and off > 20, f"compared {compared} agents, {off} games off the space"


def test_softmax_menu_policies_are_valid() -> None:
    """Meta-test of the oracle's menu: every policy is a distribution, near-deterministic ones included."""
    rng = np.random.default_rng(9)
    game = _small(rng, 0, transitions="random")
    for pi in D.policy_menu(game, rng, 12):
        for p in pi:
            assert np.all(p >= 0) and np.allclose(p.sum(-1), 1.0)
    assert softmax_policy(_t(tuple(np.zeros((game.n_states, n)) for n in game.n_actions)))


def test_assumption_3_3_certificate_against_the_definition() -> None:
    """Assumption 3.3's certificate (thm-3.4's gate) against what convergence implies by definition: a
    finite limit θ* of PG has ∇Φ(θ*) = 0, i.e. (d > 0, π > 0) every local advantage zero, so Nash-gap 0.
    Whenever the gate certifies, the oracle finds the limit's Nash-gap and its gradient formula at
    float level; games whose potential ties every action (every point stationary) are certified, and
    games with a strictly better action at logits up to 100 never are."""
    from properties.section3_pg import pg, premises_thm_3_4

    rng = np.random.default_rng(10)
    certified = rejected = 0
    for k in range(GAMES):
        game = _small(rng, k, transitions="random", mu="uniform")
        tied = k % 3 == 0
        if tied:  # φ = rⁱ one constant: every value ties, every θ is stationary
            phi = torch.full_like(game.potential, float(rng.uniform(-1, 1)))  # type: ignore[arg-type]
            game = game.replace(potential=phi, rewards=phi[None].expand_as(game.rewards).clone())
        gap = float(rng.choice([0.5, 5.0, 40.0, 100.0]))
        theta = [
            (rng.uniform(-1, 1, (game.n_states, n)) + gap * np.eye(n)[rng.integers(n, size=game.n_states)]).tolist()
            for n in game.n_actions
        ]
        gate = premises_thm_3_4(game, {"theta": theta, "steps": 30})
        if gate.met:
            certified += 1
            limit = tuple(p[0].numpy() for p in pg(lr=gate.facts["eta"]).policy(gate.facts["state"]))
            assert D.nash_gap(game, limit) <= 1e-7, f"game {k}: certified limit has Nash-gap {D.nash_gap(game, limit)}"
        else:
            rejected += 1
            assert not tied, f"game {k}: every point is stationary, yet: {gate.reason}"
    assert certified > 100 and rejected > 100, (certified, rejected)
