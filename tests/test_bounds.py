"""Every printed bound of :mod:`mpgverify.bounds` pinned to its formula at hand-computed points.

A claim's mutants only tighten a bound (the meta-tests check that a violation is then found), so a
loosened constant would pass them; these pins fail on a change either way. Each value below is
worked by hand from the printed expression (the derivation is beside it), at points where every term
matters (e.g. √N > 5 for the max(5, √N) factor)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from mpgverify import bounds

# (function, arguments, expected, the hand computation)
PINS = [
    ("lemma_3_2_smoothness", (2, 0.5), 164.0, "41·2 / (4·0.5³) = 82/0.5"),
    ("lemma_3_2_own_block", (2, 0.5), 56.0, "(6 + 2·0.5)/0.5³ = 7/0.125"),
    ("lemma_3_2_cross_block", (2, 0.5), 80.0, "(−4·0.25 + 2·0.5 + 10)/0.125 = 10/0.125"),
    ("lemma_c1_smoothness", (4, 2.0), 40.0, "4·max(5, 2)·2"),
    ("lemma_c1_smoothness", (36, 1.0), 216.0, "36·max(5, 6)·1: √N wins above N = 25"),
    ("lemma_c1_own_block", (3, 2.0), 10.0, "5·2"),
    ("lemma_c1_cross_block", (4, 3.0), 6.0, "√4·3"),
    ("lemma_c3_step", (2, 0.5, 4.0), 0.0125, "0.5/(2·5·4)"),
    ("thm_3_4_step", (2, 0.5, 4.0), 0.5 / 82, "min(0.0125, 4·0.125/(41·2) = 0.5/82)"),
    ("thm_3_4_step", (2, 0.5, 0.0), 0.5 / 82, "Φ_max = Φ_min: the second term alone"),
    ("lemma_3_5_gradient_threshold", (0.4, 2, 5), 0.02, "0.4/(2·2·5)"),
    ("thm_3_6_beta", (2, 0.5, 4, 1.0), 165.0, "164 + 2·1·2/4"),
    (
        "thm_3_6_iterations",
        (2, 3.0, 2, 2, 1.0, 0.5, 0.5),
        3_025_920.0,
        "328·2·3²·2²·2²·1/(0.125·0.25) + 32·2·3·2·2²·1/0.5 = 3 022 848 + 3 072",
    ),
    ("thm_3_8_inner_steps", (0.5, 0.1), 160.0, "4/(0.25·0.1)"),
    ("thm_3_8_epsilon", (0.5, 160), 0.1, "4/(0.25·160): the inner-step count read backwards"),
    ("thm_3_8_inner_steps_from", (0.5, 0.1, 2.0), 160.0, "2(2·0.5 + 1)/(0.25·0.1)"),
    ("thm_3_8_outer_steps", (3.0, 0.5), 12.0, "2·3/0.5"),
    ("thm_4_5_bound", (Fraction(1, 2), Fraction(1), Fraction(1)), Fraction(1, 3), "(1/2)·1/(1 + (1/2)·1)"),
    ("thm_4_7_threshold", (Fraction(1), Fraction(1), Fraction(1)), Fraction(1, 4), "1/((1+1)(1+1))"),
    ("thm_4_7_bad_growth", (Fraction(1, 2), Fraction(1), 2), Fraction(3, 2), "1 + (1/2)(1+1)/2"),
    ("thm_4_7_good_growth", (Fraction(1, 2),), Fraction(2), "1/(1 − 1/2)"),
    ("cor_4_8_good_growth", (Fraction(1, 10), Fraction(1, 2)), Fraction(11, 10), "1 + (1/10)/(2·(1/2))"),
    ("thm_4_7_rho", (Fraction(3, 2), Fraction(2)), Fraction(3, 4), "(1 − 1/2)(1 + (1/2)(1+1)/2) = (3/2)/2"),
    ("thm_4_7_bad_policies", (8.0, 1.0, 1, 2.0, 4.0), 1.0, "(log 8 − 1·log 2)/log 4 = 2 log 2 / 2 log 2"),
]


def _matches(value: object, expected: object) -> bool:
    if isinstance(expected, Fraction):
        return value == expected  # Section 4 formulas are exact over Fractions
    return value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("name", "args", "expected", "how"), PINS, ids=[f"{p[0]}{p[1]}" for p in PINS])
def test_bound_equals_its_printed_formula(name, args, expected, how) -> None:
    value = getattr(bounds, name)(*args)
    assert _matches(value, expected), f"{name}{args} = {value}, hand computation {how} = {expected}"


def test_every_bound_is_pinned() -> None:
    assert set(bounds.__all__) == {p[0] for p in PINS}


@pytest.mark.parametrize("factor", [Fraction(101, 100), Fraction(99, 100)], ids=["loosened", "tightened"])
def test_the_pins_catch_a_change_either_way(factor) -> None:
    """Mutants of every bound, scaled 1 % up and down: each pin must reject them."""
    for name, args, expected, _ in PINS:
        value = getattr(bounds, name)(*args)
        changed = value * factor if isinstance(value, Fraction) else value * float(factor)
        assert not _matches(changed, expected), f"the pin of {name} misses a {factor} change"
