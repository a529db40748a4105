"""Section 4.1–4.2: smooth Markov games (Def 4.2, Prop 4.3), ε-ratio-Nash (Def 4.4) and the POA of
ε-ratio-Nash policies (Thm 4.5). The dynamics of Section 4.3 are in :mod:`properties.section4_dynamics`.

Premise spaces. Rewards may take either sign (Section 2: ``rⁱ : S × A → ℝ``), and so may the
smoothness constants α, β where the text restricts neither; (α, β)-smoothness is decided exactly on
games with one state or a state-only kernel (:mod:`properties.smoothness`) — games whose kernel
depends on actions are "premises not met", never counted, and the coverage report says so.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import sympy
import torch
from hypothesis import strategies as st

import randomgames.strategies as rgs
from mpgverify import bounds
from mpgverify.game import MarkovGame
from mpgverify.memo import per_game
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch, stack_members
from mpgverify.solvers.evaluation import at_mu, state_values, values_and_potential
from mpgverify.solvers.exact import exact_evaluate, exact_social_optimum, rationalize_game, rationalize_policy
from mpgverify.verify.claims import Axis, ClaimBook, ExactMargin, Example, Outcome, Premises
from properties.common import lower_bound_outcome, theta_json, theta_of
from properties.coverage import ACTIONS, AGENTS, EXACT_KERNEL, REWARD_SIGN, coverage, witness_sign
from properties.moves import Moves
from properties.premises import at_least, decide, number, within
from properties.ratio_nash import (
    batch_premises_def_4_4,
    batch_premises_thm_4_5,
    premises_def_4_4,
    premises_thm_4_5,
    ratio_eps_reason,
)
from properties.section4_draws import RATIO_NASH, alphas, choices, smooth_games
from properties.smoothness import (
    Interval,
    as_float,
    feasible,
    per_stage,
    pick,
    shown,
    smoothness_constants,
    smoothness_gap,
    stage_pairs,
)

__all__ = [
    "BOOK",
    "CLAIMS",
    "premises_def_4_2",
    "premises_def_4_4",
    "premises_prop_4_3",
    "premises_thm_4_5",
    "ratio_eps_reason",
]

BOOK = ClaimBook(section="4")

#: ε's closed end as a sub-class of its own
EPS_ZERO = Axis("eps", ("0 (closed end)", "> 0"), lambda ex: "0 (closed end)" if ex.witness.get("eps") == 0 else "> 0")


_COVER = coverage(AGENTS, EXACT_KERNEL, ACTIONS, REWARD_SIGN, witness_sign("alpha"))
_SPACE = (
    "games with one state or a state-only kernel (smoothness decided exactly), ≤ 3 agents × 3 actions, "
    "≤ 2 states, γ ≤ 0.9, rewards in [−1, 1] of either sign; α ∈ [−1, 2]; β anywhere in its valid interval"
)
_RATIO_SPACE = _SPACE + "; the policy ε-ratio-Nash under the reading (ε ∈ [0, 0.5], ε = 0 drawn apart)"
#: ε-ratio-Nash examples: general games (one state or state-only kernels), the policy, ε, α and the β choice move.
RATIO_MOVES = Moves(keep="any", ranges={"eps": (0.0, 0.5), "alpha": (-1.0, 2.0), "beta_choice": (0.0, 0.99)})


# -- def-4.2 and the single-state note -------------------------------------------------------------------
@st.composite
def _pair_examples(draw: Any) -> Example:
    game = draw(smooth_games())
    pi, other = draw(rgs.logits(game)), draw(rgs.logits(game))
    witness = {"theta": theta_json(pi), "theta_prime": theta_json(other), "alpha": alphas(draw)}
    return Example(game, witness | {"beta_choice": choices(draw)})


def premises_def_4_2(game: MarkovGame, witness: dict[str, Any]) -> Premises:
    """def-4.2: the game is (α, β)-smooth (Def 4.2, decided exactly: :mod:`properties.smoothness`) for the
    witness's α and its β (stated, or picked in the valid interval); π, π' any. Facts: ``alpha``, ``beta``."""
    theta_of(game, witness), theta_of(game, witness, "theta_prime")
    constants = smoothness_constants(game, witness)
    if isinstance(constants, Premises):
        return constants
    return Premises.hold(alpha=constants[0], beta=constants[1])


def _deviations(game: MarkovGame, witness: dict[str, Any]) -> tuple[torch.Tensor, ...]:
    """The N unilateral deviations (π'ⁱ, π⁻ⁱ), then π', then π: ``[N + 2, S, Aʲ]`` per agent j."""
    p, q = softmax_policy(theta_of(game, witness)), softmax_policy(theta_of(game, witness, "theta_prime"))
    N = game.n_agents
    return tuple(torch.stack([*(q[j] if j == i else p[j] for i in range(N)), q[j], p[j]]) for j in range(N))


def _def_4_2_outcomes(V: torch.Tensor, gates: list[Premises], beta_shift: float) -> list[Outcome]:
    """def-4.2's outcome per member from the values ``[B, N + 2, N, S]`` of :func:`_deviations`' policies:
    ``Σ_i Vⁱ(π'ⁱ, π⁻ⁱ)(s)`` against ``α V_π'(s) − β V_π(s)`` at the worst state s."""
    N = V.shape[2]
    alpha = torch.tensor([float(g.facts["alpha"]) for g in gates], dtype=V.dtype)[:, None]
    beta = torch.tensor([float(g.facts["beta"]) - beta_shift for g in gates], dtype=V.dtype)[:, None]
    lhs = sum(V[:, i, i] for i in range(N))
    rhs = alpha * V[:, N].sum(1) - beta * V[:, N + 1].sum(1)
    worst = torch.argmin(lhs - rhs, dim=1, keepdim=True)  # type: ignore[operator]
    states = worst[:, 0].tolist()
    los, his = lhs.gather(1, worst)[:, 0].tolist(), rhs.gather(1, worst)[:, 0].tolist()  # type: ignore[union-attr]
    out = []
    for gate, s, lo, hi in zip(gates, states, los, his, strict=True):
        note = f"alpha = {float(gate.facts['alpha']):.4g}, beta = {float(gate.facts['beta']):.6g}, s = {s}"
        out.append(Outcome(True, lo - hi, 1e-9 * (1 + abs(lo) + abs(hi)), lo, hi, None, note))
    return out


def batch_def_4_2(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], *, gates: list[Premises], beta_shift: float = 0.0
) -> list[Outcome]:
    """:func:`check_def_4_2` over same-shape games: every member's N + 2 policies in one stacked solve
    (each game repeated once per policy)."""
    N = games[0].n_agents
    policies = [_deviations(g, w) for g, w in zip(games, witnesses, strict=True)]
    batch = GameBatch.stack([g for g in games for _ in range(N + 2)])
    V = state_values(batch, tuple(torch.cat([p[j] for p in policies]) for j in range(N)))  # type: ignore[arg-type]
    return _def_4_2_outcomes(V.reshape(len(games), N + 2, N, -1), gates, beta_shift)


@BOOK.claim(
    "def-4.2",
    ref="Def 4.2 (with the single-state note of the catalogue)",
    statement="(alpha, beta)-smoothness: sum_i V^i(pi'^i, pi^-i)(s) >= alpha V_pi'(s) - beta V_pi(s) for all s and "
    "product policy pairs; with one state, smoothness over pure profiles gives it for mixed pairs",
    examples=_pair_examples,
    premises=premises_def_4_2,
    mutants={"beta - 1": {"beta_shift": 1.0}},
    moves=Moves(keep="any", ranges={"alpha": (-1.0, 2.0), "beta_choice": (0.0, 0.99)}),
    coverage=_COVER,
    premise_space=_SPACE + "; π, π' softmax with logits in [−3, 3]",
    batch=batch_def_4_2,
)
def check_def_4_2(game: MarkovGame, witness: dict[str, Any], *, gate: Premises, beta_shift: float = 0.0) -> Outcome:
    """def-4.2: with (α, β) valid by the exact test, ``Σ_i Vⁱ(π'ⁱ, π⁻ⁱ)(s) ≥ α V_π'(s) − β V_π(s)`` for
    mixed π, π' at every state s (the worst state is reported): one batched evaluation of N + 2 policies."""
    return _def_4_2_outcomes(state_values(game, _deviations(game, witness))[None], [gate], beta_shift)[0]


# -- prop-4.3 ----------------------------------------------------------------------------------------------
@st.composite
def _prop_examples(draw: Any, nu_range: tuple[float, float]) -> Example:
    game = draw(smooth_games(max_states=1))
    witness = {"lambda": alphas(draw), "lambda_choice": choices(draw), "mu_choice": choices(draw)}
    return Example(game, witness | {"nu": draw(st.floats(*nu_range))})


def _reward_constants(game: MarkovGame, witness: dict[str, Any], reading: str) -> tuple[Fraction, Fraction] | str:
    """(λ, μ) making the rewards (λ, μ)-smooth under ``reading``, exactly, or why none do.

    * ``"printed"`` (Section 4.1): ``λ r_π'(s) ≤ Σ_i rⁱ(π'ⁱ, π⁻ⁱ)(s) ≤ μ r_π(s)``; both sides are
      multilinear in the policies, so pure pairs decide them; λ and μ are picked in their intervals;
    * ``"one-sided"`` (Roughgarden's form, not printed): ``Σ_i rⁱ(π'ⁱ, π⁻ⁱ)(s) ≥ λ r_π'(s) − μ r_π(s)``
      with the witness's λ and μ picked in its valid interval."""
    mu_c = number(witness, "mu_choice", default=0.0)
    lam_c = number(witness, "lambda_choice", default=0.0)
    if (reason := within("mu_choice", mu_c, 0.0, 1.0, high_open=True)) is not None:
        return reason
    mu_choice = Fraction(mu_c)
    if reading == "printed":
        if (reason := within("lambda_choice", lam_c, 0.0, 1.0, high_open=True)) is not None:
            return reason
        lam_iv, mu_iv = _printed_intervals(game)
        if lam_iv is None or mu_iv is None:
            return "no (λ, μ) makes the rewards smooth in the printed two-sided sense"
        return pick(lam_iv, Fraction(lam_c)), pick(mu_iv, mu_choice)
    lam = Fraction(number(witness, "lambda"))
    # μ·r(a) ≥ λ·r(a') − Σ_i rⁱ(a'ⁱ, a⁻ⁱ), times q·den(λ): integers (stage_pairs), the same interval
    p, d = lam.numerator, lam.denominator
    mu_iv = feasible((d * total, p * total_b - d * lhs) for total, total_b, lhs in stage_pairs(game, 0)[1])
    if mu_iv is None:
        return f"the rewards are (λ, μ)-smooth (one-sided) for no μ at λ = {shown(lam)}"
    return lam, pick(mu_iv, mu_choice)


@per_game()
def _printed_intervals(game: MarkovGame) -> tuple[Interval | None, Interval | None]:
    """The printed reading's intervals of λ (``λ r(a') ≤ Σ_i rⁱ(a'ⁱ, a⁻ⁱ)``) and of μ (``Σ_i rⁱ(a'ⁱ, a⁻ⁱ)
    ≤ μ r(a)``) over every pure pair, kept per game and per stage content (:func:`_printed_of_stage`)."""
    return _printed_of_stage(game, 0)


@per_stage()
def _printed_of_stage(q: int, pairs: list[tuple[int, int, int]]) -> tuple[Interval | None, Interval | None]:
    """:func:`_printed_intervals` from one stage's :func:`stage_pairs` integers (times q: the same intervals)."""
    return (
        feasible((-total_b, -lhs) for _, total_b, lhs in pairs),
        feasible((total, lhs) for total, _, lhs in pairs),
    )


def premises_prop_4_3(game: MarkovGame, witness: dict[str, Any], *, reading: str = "printed") -> Premises:
    """Proposition 4.3: rewards (λ, μ)-smooth under ``reading`` (λ, μ stated or picked in their exact
    intervals), transitions (κ, ν)-smooth — decided for one state, where ``M_π r = r/(1−γ)`` for every π
    makes it ``r ≥ (κ − ν) r`` for all real r, i.e. κ = 1 + ν (more states: undecided) — with κ, ν ≥ 0
    (the signs under which the proof multiplies the inequalities; ``reading="signed"`` drops them).
    Facts: ``lam``, ``mu``, ``kappa``, ``nu``."""
    nu = number(witness, "nu")
    if game.n_states != 1:
        return Premises.undecided("the transitions' (κ, ν)-smoothness is decided here for one state only")
    constants = _reward_constants(game, witness, "printed" if reading == "signed" else reading)
    if isinstance(constants, str):
        return Premises.fail(constants)
    kappa = 1 + nu
    signs = None if reading == "signed" else at_least("ν", nu, 0.0) or at_least("κ", kappa, 0.0)
    return decide([signs], lam=constants[0], mu=constants[1], kappa=Fraction(kappa), nu=Fraction(nu))


def prop_4_3_gap(
    game: MarkovGame, witness: dict[str, Any], *, gate: Premises, alpha_shift: float = 0.0, reading: str = "printed"
) -> tuple[Fraction, str]:
    """The exact smoothness gap of the conclusion, ``min_{a,a'} Σ_i rⁱ(a'ⁱ,a⁻ⁱ) − κλ r(a') + μν r(a)``
    (≥ 0: the proposition holds here), with a note."""
    lam, mu, kappa, nu = (gate.facts[k] for k in ("lam", "mu", "kappa", "nu"))
    gap = smoothness_gap(game, kappa * lam + Fraction(float(alpha_shift)), mu * nu)
    return gap, f"lambda={shown(lam)} mu={shown(mu)} kappa={shown(kappa)} nu={shown(nu)}"


def exact_prop_4_3(game: MarkovGame, witness: dict[str, Any], **kw: Any) -> ExactMargin:
    gap, _ = prop_4_3_gap(game, witness, **kw)
    return ExactMargin(str(gap), as_float(gap), observed=str(gap), bound="0")


@BOOK.claim(
    "prop-4.3",
    ref="Proposition 4.3",
    statement="rewards (lambda, mu)-smooth as printed (lambda r_pi'(s) <= sum_i r^i(pi'^i, pi^-i)(s) <= mu r_pi(s)) "
    "and transitions (kappa, nu)-smooth (kappa, nu >= 0, the signs under which the proof multiplies the "
    "inequalities) imply the game is (kappa lambda, mu nu)-smooth",
    examples=lambda: _prop_examples((0.0, 2.0)),
    premises=premises_prop_4_3,
    exact=exact_prop_4_3,
    mutants={"alpha + 1": {"alpha_shift": 1.0}},
    moves=Moves(keep="any", ranges={"lambda_choice": (0.0, 0.99), "mu_choice": (0.0, 0.99), "nu": (0.0, 2.0)}),
    coverage=coverage(AGENTS, ACTIONS, REWARD_SIGN),
    premise_space="one-state games (transition smoothness decided exactly: κ − ν = 1), rewards of either "
    "sign, λ and μ anywhere in their valid intervals, ν ∈ [0, 2]",
)
@BOOK.claim(
    "prop-4.3@one-sided",
    ref="Proposition 4.3, reward smoothness in Roughgarden's one-sided form",
    statement="reading not printed: rewards smooth as sum_i r^i(pi'^i, pi^-i) >= lambda r_pi' - mu r_pi (the form of "
    "Def 4.2); the proof's last step needs the printed upper side, which this form does not give",
    examples=lambda: _prop_examples((0.0, 2.0)),
    premises=premises_prop_4_3,
    premise_options={"reading": "one-sided"},
    options={"reading": "one-sided"},
    exact=exact_prop_4_3,
    mutants={"alpha + 1": {"alpha_shift": 1.0}},
    moves=Moves(keep="any", ranges={"lambda": (-1.0, 2.0), "mu_choice": (0.0, 0.99), "nu": (0.0, 2.0)}),
    coverage=coverage(AGENTS, ACTIONS, REWARD_SIGN, witness_sign("lambda")),
    premise_space="as prop-4.3, with λ ∈ [−1, 2]",
)
@BOOK.claim(
    "prop-4.3@signed",
    ref="Proposition 4.3 with smoothness constants of either sign",
    statement="reading not printed as such: the printed definitions with kappa, nu of any sign (the text states no "
    "sign; the proof multiplies by kappa and -nu, valid only for kappa, nu >= 0)",
    examples=lambda: _prop_examples((-2.0, 2.0)),
    premises=premises_prop_4_3,
    premise_options={"reading": "signed"},
    options={"reading": "signed"},
    exact=exact_prop_4_3,
    mutants={"alpha + 1": {"alpha_shift": 1.0}},
    moves=Moves(keep="any", ranges={"lambda_choice": (0.0, 0.99), "mu_choice": (0.0, 0.99), "nu": (-2.0, 2.0)}),
    coverage=coverage(AGENTS, ACTIONS, REWARD_SIGN, witness_sign("nu")),
    premise_space="as prop-4.3, with ν ∈ [−2, 2] (κ = 1 + ν)",
)
def check_prop_4_3(game: MarkovGame, witness: dict[str, Any], **kw: Any) -> Outcome:
    """prop-4.3: rewards (λ, μ)-smooth and, with one state, transitions (κ, ν)-smooth — exactly when
    κ − ν = 1, since ``M_π r = r/(1−γ)`` for every π makes the condition ``r ≥ (κ − ν) r`` for every
    real r — imply the game is (κλ, μν)-smooth. Decided in rational arithmetic."""
    gap, note = prop_4_3_gap(game, witness, **kw)
    return Outcome(True, as_float(gap), 1e-12, as_float(gap), 0.0, None, note)


# -- def-4.4 and thm-4.5: ε-ratio-Nash policies and their POA ------------------------------------------------
def batch_def_4_4(
    games: list[MarkovGame],
    witnesses: list[dict[str, Any]],
    *,
    gates: list[Premises],
    reading: str = "as-used",
    eps_scale: float = 1.0,
) -> list[Outcome]:
    """:func:`check_def_4_4` over same-shape games: its arithmetic on the gates' values, which the batched
    gate (:func:`properties.ratio_nash.batch_premises_def_4_4`) solved for the stack at once, stacked
    ``[B, N]`` (elementwise, each member's float operations alone)."""
    V = torch.stack([gate.facts["V"] for gate in gates])
    best = torch.stack([gate.facts["best"] for gate in gates])
    eps = torch.tensor([float(w["eps"]) for w in witnesses], dtype=V.dtype)[:, None]
    excess, tol, moved = _def_4_4_arithmetic(V, best, eps * eps_scale)
    return [
        Outcome(True, -x, t, x, 0.0, None, "", informative=m)
        for x, t, m in zip(excess.tolist(), tol.tolist(), moved.tolist(), strict=True)
    ]


def _def_4_4_arithmetic(
    V: torch.Tensor, best: torch.Tensor, eps: torch.Tensor | float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per member (``[*B, N]``; ε, already scaled, a number or ``[*B, 1]``): the excess
    ``maxᵢ (bestⁱ − Vⁱ − ε bestⁱ)``, the tolerance ``1e-9 (1 + maxᵢ |bestⁱ|)``, and whether some agent has a
    gain ``bestⁱ − Vⁱ`` above it."""
    excess = (best - V - eps * best).amax(-1)
    tol = 1e-9 * (1 + best.abs().amax(-1))
    return excess, tol, (best - V).amax(-1) > tol


@BOOK.claim(
    "def-4.4@as-used",
    ref="Def 4.4, the reading of the proof of Thm 4.5",
    statement="an eps-ratio-Nash policy (V^i_pi(mu) >= (1-eps) max V^i(pi'^i, pi^-i)(mu)) leaves each agent a gain of "
    "at most eps times its best-response value",
    examples=RATIO_NASH,
    premises=premises_def_4_4,
    mutants={"eps / 100": {"eps_scale": 1e-2}},
    moves=RATIO_MOVES,
    coverage=coverage(AGENTS, EXACT_KERNEL, ACTIONS, REWARD_SIGN, EPS_ZERO),
    premise_space=_RATIO_SPACE,
    informative="some agent has a positive best-response gain (the policy is not an exact Nash policy)",
    batch=batch_def_4_4,
    batch_premises=batch_premises_def_4_4,
)
@BOOK.claim(
    "def-4.4@as-written",
    ref="Def 4.4, as printed",
    statement="an eps-ratio-Nash policy as printed (max_{pi'^i} V^i(pi'^i, pi^-i)(mu) <= (1-eps) V^i_pi(mu) for all i) "
    "leaves each agent a gain of at most eps times its best-response value",
    examples=RATIO_NASH,
    premises=premises_def_4_4,
    premise_options={"reading": "as-written"},
    options={"reading": "as-written"},
    mutants={"eps / 100": {"eps_scale": 1e-2}},
    moves=RATIO_MOVES,
    coverage=coverage(AGENTS, EXACT_KERNEL, ACTIONS, REWARD_SIGN, EPS_ZERO),
    premise_space=_RATIO_SPACE,
    informative="some agent has a positive best-response gain (the policy is not an exact Nash policy)",
    batch=batch_def_4_4,
    batch_premises=batch_premises_def_4_4,
)
def check_def_4_4(
    game: MarkovGame, witness: dict[str, Any], *, gate: Premises, reading: str = "as-used", eps_scale: float = 1.0
) -> Outcome:
    """An ε-ratio-Nash policy (per ``reading``) leaves every agent a gain of at most ε times its
    best-response value: ``max_π'ⁱ Vⁱ − Vⁱ_π ≤ ε max_π'ⁱ Vⁱ`` (a relative ε-Nash, the role Def 4.4
    plays in Theorem 4.5)."""
    excess, tol, moved = _def_4_4_arithmetic(gate.facts["V"], gate.facts["best"], float(witness["eps"]) * eps_scale)
    return Outcome(True, -float(excess), float(tol), float(excess), 0.0, None, "", informative=bool(moved))


def _thm_4_5_outcome(gate: Premises, social: float, bound_scale: float) -> Outcome:
    """thm-4.5's outcome from the policy's social value ``Σ_i Vⁱ_π(μ)``."""
    eps, alpha, beta = (gate.facts[k] for k in ("eps", "alpha", "beta"))
    poa = social / gate.facts["optimum"]
    bound = bound_scale * float(bounds.thm_4_5_bound(Fraction(eps), alpha, beta))  # exact: 1 + (1−ε)β may round to 0
    out = lower_bound_outcome(poa, bound, note=f"alpha = {float(alpha):.4g}, beta = {float(beta):.4g}")
    return dataclasses.replace(out, informative=abs(poa - 1.0) > 1e-12)


def batch_thm_4_5(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], *, gates: list[Premises], bound_scale: float = 1.0
) -> list[Outcome]:
    """:func:`check_thm_4_5` over same-shape games: the policies' social values in one stacked evaluation."""
    batch = GameBatch.stack(games)
    V = values_and_potential(batch, stack_members([g.facts["probs"] for g in gates]))[0]  # type: ignore[arg-type]
    social = batch.at_mu(V).sum(-1).tolist()  # evaluate's V_mu, without its Q, advantages and d
    return [_thm_4_5_outcome(g, v, bound_scale) for g, v in zip(gates, social, strict=True)]


def exact_thm_4_5(
    game: MarkovGame, witness: dict[str, Any], *, gate: Premises, bound_scale: float = 1.0
) -> ExactMargin:
    """The margin of :func:`check_thm_4_5` in rational arithmetic (POA and bound)."""
    alpha, beta, probs = gate.facts["alpha"], gate.facts["beta"], gate.facts["probs"]
    rat = lambda f: sympy.Rational(f.numerator, f.denominator)
    eg = rationalize_game(game)
    poa = sum(exact_evaluate(eg, rationalize_policy(probs)).V_mu, sympy.Rational(0)) / exact_social_optimum(eg)
    eps = rat(Fraction(float(witness["eps"])))
    bound = rat(Fraction(float(bound_scale))) * bounds.thm_4_5_bound(eps, rat(alpha), rat(beta))
    margin = poa - bound
    return ExactMargin(str(margin), float(margin), observed=str(poa), bound=str(bound))


@BOOK.claim(
    "thm-4.5",
    ref="Theorem 4.5 (Def 4.4 as printed)",
    statement="in an (alpha, beta)-smooth game every eps-ratio-Nash policy (Def 4.4 as printed) has POA >= "
    "(1-eps) alpha / (1 + (1-eps) beta)",
    examples=RATIO_NASH,
    premises=premises_thm_4_5,
    exact=exact_thm_4_5,
    mutants={"bound x 3": {"bound_scale": 3.0}},
    moves=RATIO_MOVES,
    coverage=coverage(AGENTS, EXACT_KERNEL, ACTIONS, witness_sign("alpha")),
    premise_space=_RATIO_SPACE + " (as printed: every Vⁱ_π(μ) ≤ 0, so rewards negative somewhere unless the "
    "values vanish); POA defined (optimal social value ≠ 0)",
    batch=batch_thm_4_5,
    batch_premises=batch_premises_thm_4_5,
)
@BOOK.claim(
    "thm-4.5@as-used",
    ref="Theorem 4.5 with Def 4.4 as its proof uses it",
    statement="reading of the proof (its first inequality): the same bound for policies with "
    "V^i_pi(mu) >= (1-eps) max V^i(pi'^i, pi^-i)(mu) for all i",
    examples=RATIO_NASH,
    premises=premises_thm_4_5,
    premise_options={"reading": "as-used"},
    exact=exact_thm_4_5,
    mutants={"bound x 3": {"bound_scale": 3.0}},
    moves=RATIO_MOVES,
    coverage=_COVER,
    premise_space=_RATIO_SPACE + " (as used); POA defined",
    batch=batch_thm_4_5,
    batch_premises=batch_premises_thm_4_5,
)
@BOOK.claim(
    "thm-4.5@corrected",
    ref="Theorem 4.5, corrected",
    statement="Def 4.4 as used, alpha > 0 and V_pi*(mu) > 0. Derivation: the proof gives V_pi (1 + (1-eps) beta) >= "
    "(1-eps) alpha V_pi*; smoothness at pi = pi' = pi* gives (1 - alpha + beta) V_pi* >= 0, so with V_pi* > 0, "
    "beta >= alpha - 1 > -1 and 1 + (1-eps) beta > 0: both divisions of 'rearranging' keep the inequality's "
    "direction. V_pi* > 0 is the hypothesis the correction adds: for eps > 0 it follows (as-used ratio-Nash forces "
    "every V^i_pi(mu) >= 0, else (1-eps) max > max >= V^i, so V_pi* >= V_pi >= 0, and V_pi* != 0 where the POA is "
    "defined), but at the closed end eps = 0 the policy is plain Nash, values may be negative, and one agent "
    "with rewards -1, -2, alpha = 2, beta = 1/2 has POA 1 < 4/3",
    examples=RATIO_NASH,
    premises=premises_thm_4_5,
    premise_options={"reading": "as-used", "positive_alpha": True},
    exact=exact_thm_4_5,
    mutants={"bound x 3": {"bound_scale": 3.0}},
    moves=RATIO_MOVES,
    coverage=coverage(AGENTS, EXACT_KERNEL, ACTIONS, REWARD_SIGN),
    premise_space=_RATIO_SPACE + " (as used); α ∈ (0, 2], V_π*(μ) > 0",
    batch=batch_thm_4_5,
    batch_premises=batch_premises_thm_4_5,
)
def check_thm_4_5(game: MarkovGame, witness: dict[str, Any], *, gate: Premises, bound_scale: float = 1.0) -> Outcome:
    """thm-4.5: in an (α, β)-smooth game every ε-ratio-Nash policy (Def 4.4 under the reading) has
    POA ≥ (1−ε)α/(1 + (1−ε)β), POA = Σ_i Vⁱ_π(μ) / max_π̄ Σ_i Vⁱ_π̄(μ) (Def 4.1)."""
    V = values_and_potential(game, gate.facts["probs"])[0]  # evaluate's V, without its Q, advantages and d
    return _thm_4_5_outcome(gate, float(at_mu(game, V).sum()), bound_scale)


CLAIMS = BOOK.claims
