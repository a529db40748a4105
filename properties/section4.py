"""Section 4 (with Appendix F): smoothness, price of anarchy, and the best-response dynamics.

Premises that quantify over all policy pairs are established exactly (``../shared/CLAIMS.md``, note
under Section 4) on two kinds of games:

* single-state games: ``Vⁱ_π = rⁱ_π/(1−γ)`` for every π, so (α, β)-smoothness over pure action
  profiles — decided by enumerating every pair of profiles in rational arithmetic — implies it over
  all product mixed policies (expectation over independent profiles);
* multi-state games with action-independent transitions: the law of ``s_t`` does not depend on the
  policy, so ``Σ_i Vⁱ(π'ⁱ, π⁻ⁱ)(s) = Σ_t γᵗ E_{s_t}[Σ_i rⁱ_{(π'ⁱ,π⁻ⁱ)}(s_t)]`` and smoothness of
  every state's stage game with the same (α, β) gives it for the Markov game, at every s.

For a given α the smallest valid β is computed exactly, ``β*(α) = max_s max_{a, a'}
(α r_s(a') − Σ_i rⁱ_s(a'ⁱ, a⁻ⁱ)) / r_s(a)`` with ``r_s = Σ_i rⁱ(s, ·) > 0``. Games whose
transitions depend on actions are not counted (their premises cannot be established exactly).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import torch
from hypothesis import strategies as st

import randomgames.strategies as rgs
from mpgverify.algorithms.br_dynamics import br_dynamics, is_ratio_nash
from mpgverify.algorithms.npg_br import npg_br
from mpgverify.constants import potential_range
from mpgverify.evaluation import at_mu, evaluate, state_values
from mpgverify.exact import exact_poa, rationalize_game, rationalize_policy
from mpgverify.game import MarkovGame
from mpgverify.nash import nash_gap
from mpgverify.policy import check_policy, softmax_policy
from mpgverify.verify.claims import Claim, ExactMargin, Example, Outcome
from mpgverify.welfare import social_optimum
from properties import bounds
from properties.common import lower_bound_outcome, not_met, theta_json, theta_of, upper_bound_outcome
from properties.moves import Moves
from randomgames.perturb import is_action_independent

__all__ = ["CLAIMS", "smallest_beta"]


def _profiles(game: MarkovGame) -> list[tuple[int, ...]]:
    return list(itertools.product(*(range(n) for n in game.n_actions)))


def _stage(game: MarkovGame, s: int = 0) -> dict[tuple[int, ...], list[Fraction]]:
    """Exact stage rewards ``rⁱ(s, a)`` of state ``s``."""
    R = game.rewards[:, s]
    return {a: [Fraction(float(R[(i, *a)])) for i in range(game.n_agents)] for a in _profiles(game)}


def smoothness_not_established(game: MarkovGame) -> str | None:
    """Why smoothness over all policy pairs cannot be decided exactly for ``game`` (None: it can)."""
    if game.n_states == 1 or is_action_independent(game):
        return None
    return "transitions depend on actions: smoothness over all policy pairs is not established exactly"


def smallest_beta(game: MarkovGame, alpha: Fraction) -> Fraction | None:
    """β*(α), exactly, for a single-state game or one with action-independent transitions (see the
    module docstring); None if no β works."""
    assert smoothness_not_established(game) is None
    best: Fraction | None = None
    for s in range(game.n_states):
        beta = _stage_beta(_stage(game, s), game.n_agents, alpha)
        if beta is None:
            return None
        best = beta if best is None or beta > best else best
    return best


def _profile_pairs(
    r: dict[tuple[int, ...], list[Fraction]], n_agents: int
) -> Iterator[tuple[Fraction, Fraction, Fraction]]:
    """``(r(a), r(a'), Σ_i rⁱ(a'ⁱ, a⁻ⁱ))`` for every pair of pure profiles (a, a'), ``r = Σ_i rⁱ``, exact."""
    for a in r:
        for b in r:
            yield sum(r[a]), sum(r[b]), sum(r[(*a[:i], b[i], *a[i + 1 :])][i] for i in range(n_agents))


def _stage_beta(r: dict[tuple[int, ...], list[Fraction]], n_agents: int, alpha: Fraction) -> Fraction | None:
    best: Fraction | None = None
    for total, total_b, lhs in _profile_pairs(r, n_agents):
        need = alpha * total_b - lhs
        if total <= 0:
            if need > 0:
                return None
            continue
        beta = need / total
        best = beta if best is None or beta > best else best
    return best


def _alpha(draw: Any) -> float:
    return draw(st.sampled_from([1.0, 0.5, 0.25])) if draw(st.booleans()) else draw(st.floats(0.05, 1.0))


def _section4_games(potential: bool, max_states: int = 2) -> st.SearchStrategy[MarkovGame]:
    """Games whose smoothness can be decided exactly: one state, or action-independent transitions;
    total rewards positive (rewards in [0.1, 1])."""
    kw: dict[str, Any] = dict(max_agents=3, max_states=max_states, max_actions=3, reward_range=(0.1, 1.0))
    if potential:
        return rgs.mpgs(**kw, max_gamma=0.9, transitions=("action_independent",))
    return rgs.general_sum_games(**kw, max_gamma=0.9, transitions=("action_independent",))


# -- def-4.2 and the single-state note -------------------------------------------------------------------
@st.composite
def _pair_examples(draw: Any) -> Example:
    game = draw(_section4_games(potential=False))
    pi, other = draw(rgs.logits(game)), draw(rgs.logits(game))
    return Example(game, {"theta": theta_json(pi), "theta_prime": theta_json(other), "alpha": _alpha(draw)})


def check_def_4_2(game: MarkovGame, witness: dict[str, Any], *, beta_shift: float = 0.0) -> Outcome:
    """With β = β*(α) from pure profiles: ``Σ_i Vⁱ(π'ⁱ, π⁻ⁱ)(s) ≥ α V_π'(s) − β V_π(s)`` for mixed π, π'
    at every state s (the worst state is reported)."""
    if (reason := smoothness_not_established(game)) is not None:
        return not_met(reason)
    alpha = Fraction(float(witness["alpha"]))
    beta = smallest_beta(game, alpha)
    if beta is None:
        return not_met("no β makes the game (α, β)-smooth")
    p, q = softmax_policy(theta_of(game, witness)), softmax_policy(theta_of(game, witness, "theta_prime"))
    N = game.n_agents
    # the N unilateral deviations (π'ⁱ, π⁻ⁱ), then π', then π: one batched evaluation of N + 2 policies
    batch = tuple(torch.stack([*(q[j] if j == i else p[j] for i in range(N)), q[j], p[j]]) for j in range(N))
    V = state_values(game, batch)  # [N + 2, N, S]
    lhs = sum(V[i, i] for i in range(N))
    rhs = float(alpha) * V[N].sum(0) - (float(beta) - beta_shift) * V[N + 1].sum(0)
    s = int(torch.argmin(lhs - rhs))
    lo, hi = float(lhs[s]), float(rhs[s])
    return Outcome(True, lo - hi, 1e-9 * (1 + abs(lo) + abs(hi)), lo, hi, None, f"beta* = {float(beta):.6g}, s = {s}")


# -- prop-4.3 ----------------------------------------------------------------------------------------------
@st.composite
def _prop_examples(draw: Any) -> Example:
    game = draw(_section4_games(potential=False, max_states=1))
    return Example(game, {"lambda": _alpha(draw), "nu": draw(st.floats(0.0, 2.0))})


def _smoothness_violation(game: MarkovGame, alpha: Fraction, beta: Fraction) -> Fraction:
    """``min_{a,a'} Σ_i rⁱ(a'ⁱ,a⁻ⁱ) − α r(a') + β r(a)`` (≥ 0 iff (α, β)-smooth), exact."""
    return min(
        lhs - alpha * total_b + beta * total for total, total_b, lhs in _profile_pairs(_stage(game), game.n_agents)
    )


def check_prop_4_3(game: MarkovGame, witness: dict[str, Any], *, mu_scale: float = 1.0) -> Outcome:
    """Rewards (λ, μ)-smooth with μ = β*(λ) (exact) and, with one state, transitions (κ, ν)-smooth
    exactly when κ − ν = 1 (``M_π r = r/(1−γ)`` for every π, so the condition reads r ≥ (κ − ν) r for
    every real r); the proposition then asserts the game is (κλ, μν)-smooth. Reading: the
    smoothness forms used in the proof, ``Σ_i rⁱ(π'ⁱ,π⁻ⁱ) ≥ λ r_π' − μ r_π`` and
    ``M_{π'ⁱ,π⁻ⁱ} r ≥ κ M_π' r − ν M_π r``."""
    if game.n_states != 1:
        return not_met("the transitions' (κ, ν)-smoothness is established here for one state only")
    lam = Fraction(float(witness["lambda"]))
    nu = Fraction(float(witness["nu"]))
    mu = smallest_beta(game, lam)
    if mu is None:
        return not_met("the rewards are (λ, μ)-smooth for no μ")
    kappa = 1 + nu
    gap = _smoothness_violation(game, kappa * lam, Fraction(float(mu_scale)) * mu * nu)
    return Outcome(
        True,
        float(gap),
        1e-12,
        float(gap),
        0.0,
        None,
        f"lambda={float(lam):.4g} mu={float(mu):.4g} kappa={float(kappa):.4g} nu={float(nu):.4g}",
    )


def exact_prop_4_3(game: MarkovGame, witness: dict[str, Any], *, mu_scale: float = 1.0) -> ExactMargin:
    lam, nu = Fraction(float(witness["lambda"])), Fraction(float(witness["nu"]))
    mu = smallest_beta(game, lam)
    assert mu is not None
    gap = _smoothness_violation(game, (1 + nu) * lam, Fraction(float(mu_scale)) * mu * nu)
    return ExactMargin(str(gap), float(gap))


# -- def-4.4 and thm-4.5: ε-ratio-Nash policies and their POA ------------------------------------------------
def _ratio_nash_examples(potential: bool) -> Any:
    @st.composite
    def build(draw: Any) -> Example:
        game = draw(_section4_games(potential))
        eps = draw(st.floats(0.01, 0.5))
        theta = draw(rgs.logits(game))
        alg = br_dynamics(eps=eps, reading="as-used")
        state = alg.init(game, seed=0, batch=1)._replace(probs=softmax_policy(tuple(t[None] for t in theta)))
        for _ in range(4 * game.n_agents * max(game.n_actions) + 4):
            state = alg.step(game, state)
        probs = [p[0].tolist() for p in state.probs]
        return Example(game, {"probs": probs, "eps": eps, "alpha": _alpha(draw)})

    return build()


def _probs(game: MarkovGame, witness: dict[str, Any]) -> tuple[torch.Tensor, ...]:
    return check_policy(game, witness["probs"], "witness.probs")


def _ratio_values(game: MarkovGame, probs: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """(own values ``Vⁱ_π(μ)``, best-response values ``max_π'ⁱ Vⁱ(π'ⁱ, π⁻ⁱ)(μ)``), each ``[N]``."""
    V = at_mu(game, state_values(game, probs))
    return V, nash_gap(game, probs, V_mu=V).best_values


def _ratio_nash(V: torch.Tensor, best: torch.Tensor, eps: float, reading: str) -> bool:
    """ε-ratio-Nash under ``reading``, with a round-off slack of 1e-12 relative to the values."""
    return bool(is_ratio_nash(V, best, eps, reading, tol=1e-12 * (1 + float(best.abs().max()))))


def check_def_4_4(
    game: MarkovGame, witness: dict[str, Any], *, reading: str = "as-used", eps_scale: float = 1.0
) -> Outcome:
    """An ε-ratio-Nash policy (per ``reading``) has every agent's gain at most ε times its best value."""
    eps = float(witness["eps"])
    V, best = _ratio_values(game, _probs(game, witness))
    if not _ratio_nash(V, best, eps, reading):
        return not_met(f"the policy is not {eps:.3g}-ratio-Nash ({reading})")
    excess = float((best - V - eps * eps_scale * best).max())
    return Outcome(True, -excess, 1e-9, excess, 0.0, None, "")


def _vacuity_as_written() -> str:
    return (
        "as written, ε-ratio-Nash needs max_π'ⁱ Vⁱ(π'ⁱ, π⁻ⁱ)(μ) ≤ (1−ε) Vⁱ_π(μ); the maximum is at least "
        "Vⁱ_π(μ), so with positive values (rewards ≥ 0.1 here) and ε > 0 no policy qualifies"
    )


def check_thm_4_5(
    game: MarkovGame, witness: dict[str, Any], *, reading: str = "as-used", bound_scale: float = 1.0
) -> Outcome:
    if (reason := smoothness_not_established(game)) is not None:
        return not_met(reason)
    eps, alpha = float(witness["eps"]), Fraction(float(witness["alpha"]))
    beta = smallest_beta(game, alpha)
    if beta is None:
        return not_met("no β makes the game (α, β)-smooth")
    probs = _probs(game, witness)
    if not _ratio_nash(*_ratio_values(game, probs), eps, reading):
        return not_met(f"not ε-ratio-Nash ({reading})")
    poa = float(evaluate(game, probs).V_mu.sum() / social_optimum(game).value)
    bound = bound_scale * (1 - eps) * float(alpha) / (1 + (1 - eps) * float(beta))
    return lower_bound_outcome(poa, bound, note=f"beta* = {float(beta):.4g}")


def exact_thm_4_5(
    game: MarkovGame, witness: dict[str, Any], *, reading: str = "as-used", bound_scale: float = 1.0
) -> ExactMargin:
    eps, alpha = Fraction(float(witness["eps"])), Fraction(float(witness["alpha"]))
    beta = smallest_beta(game, alpha)
    assert beta is not None
    poa = exact_poa(rationalize_game(game), rationalize_policy(_probs(game, witness)))
    bound = Fraction(float(bound_scale)) * (1 - eps) * alpha / (1 + (1 - eps) * beta)
    margin = Fraction(int(poa.p), int(poa.q)) - bound
    return ExactMargin(str(margin), float(margin))


# -- thm-4.7 and cor-4.8: POA along the dynamics -----------------------------------------------------------
@st.composite
def _dynamics_examples(draw: Any) -> Example:
    game = draw(
        rgs.mpgs(
            max_agents=3,
            max_states=2,
            max_actions=3,
            reward_range=(0.1, 1.0),
            max_gamma=0.5,
            transitions=("action_independent",),
        )
    )
    theta = draw(rgs.logits(game))
    return Example(
        game,
        {
            "theta": theta_json(theta),
            "eps": draw(st.floats(0.05, 0.5)),
            "sigma": draw(st.floats(0.01, 5.0)),
            "alpha": _alpha(draw),
        },
    )


def _assumption_4_6(game: MarkovGame) -> bool:
    """0 < Φ_π(s) ≤ V_π(s) for all π, s: Φ_min > 0 and, since Vⁱ − Φ is the dummy part, Σ_i rⁱ ≥ φ."""
    assert game.phi is not None
    return float(game.phi.min()) > 0 and bool((game.R.sum(0) >= game.phi - 1e-15).all())


def _sequence(game: MarkovGame, witness: dict[str, Any], kind: str) -> tuple[list[float], list[float], int]:
    """(V_{π_t}(μ), Φ_t) for t = 0..T and T. Reading: the sequence ends at its first
    ε-ratio-Nash policy for the best-response dynamics ("until π is ε-ratio-Nash", Section 4.3) and
    at its first ε-Nash policy for NPG-BR (where Theorem 3.8 has it converge; the growth steps of
    Appendix F hold only before that)."""
    eps = float(witness["eps"])
    theta = tuple(t[None] for t in theta_of(game, witness))
    if kind == "br":
        alg = br_dynamics(eps=eps, reading="as-used")
        state = alg.init(game, seed=0, batch=1)._replace(probs=softmax_policy(theta))
        limit = 6 * game.n_agents * max(game.n_actions) + 6
    else:
        alg = npg_br(lr=1.0, K=math.ceil(bounds.thm_3_8_inner_steps(game.gamma, eps)))
        state = alg.init(game, seed=0, batch=1)._replace(theta=theta)
        limit = 12
    values, phis = [], []
    for _ in range(limit + 1):
        probs = alg.policy(state)
        ev = evaluate(game, probs)
        values.append(float(ev.V_mu.sum()))
        phis.append(float(ev.Phi_mu[0]))  # type: ignore[index]
        if kind == "npg-br" and float(nash_gap(game, probs).gap[0]) <= eps:
            break
        new = alg.step(game, state)
        if kind == "br" and bool(new.done[0]):  # π_t was ε-ratio-Nash: the dynamics stop here
            break
        state = new
    return values, phis, len(values) - 1


def check_poa_dynamics(
    game: MarkovGame,
    witness: dict[str, Any],
    *,
    kind: str = "br",
    part: str = "count",
    slack: float = 1.0,
    require_rho_above_one: bool = False,
    allowed_sign: float = 1.0,
) -> Outcome:
    if (reason := smoothness_not_established(game)) is not None:
        return not_met(reason)
    if not _assumption_4_6(game):
        return not_met("Assumption 4.6 not established")
    eps, sigma, alpha = float(witness["eps"]), float(witness["sigma"]), Fraction(float(witness["alpha"]))
    beta_f = smallest_beta(game, alpha)
    if beta_f is None:
        return not_met("no β makes the game (α, β)-smooth")
    beta, N = float(beta_f), game.n_agents
    values, phis, T = _sequence(game, witness, kind)
    opt = float(social_optimum(game).value)
    threshold = float(alpha) / ((1 + beta) * (1 + sigma)) * opt
    bad = [v < threshold for v in values]
    grow_bad = 1 + sigma * (1 + beta) / N
    grow_good = 1 / (1 - eps) if kind == "br" else 1 + eps / (2 * (1 - game.gamma))
    if part == "count":
        rho = (1 - eps) * grow_bad if kind == "br" else grow_bad / grow_good
        if rho <= 0 or rho == 1:
            return not_met(f"ρ = {rho:.4g}: log_ρ undefined")
        if require_rho_above_one and rho <= 1:
            return not_met(f"ρ = {rho:.4g} ≤ 1 (the corrected statement needs ρ > 1)")
        phi_max = potential_range(game).high
        allowed = allowed_sign * (math.log(phi_max / phis[0], rho) - T * math.log(grow_good, rho))
        return upper_bound_outcome(sum(bad) * slack, allowed, note=f"T = {T}, ρ = {rho:.4g}")
    steps = [t for t in range(T) if bad[t] == (part == "bad-step")]
    if not steps:
        return not_met(f"no {part.replace('-step', '')} steps in the sequence")
    need = grow_bad if part == "bad-step" else grow_good
    worst = min(phis[t + 1] - slack * need * phis[t] for t in steps)
    return Outcome(True, worst, 1e-9 * (1 + abs(phis[0])), worst, 0.0, None, f"{len(steps)} steps")


#: ε-ratio-Nash examples: general games (one state or action-independent transitions), the policy, ε and α may move.
RATIO_MOVES = Moves(keep="any", ranges={"eps": (0.01, 0.5), "alpha": (0.05, 1.0)})
#: dynamics examples: MPGs as above with Assumption 4.6; γ ≤ 0.5 keeps NPG-BR's K = 4/((1−γ)²ε) small.
DYNAMICS_MOVES = Moves(ranges={"eps": (0.05, 0.5), "sigma": (0.01, 5.0), "alpha": (0.05, 1.0)}, gamma_cap=0.5)


def _claims() -> list[Claim]:
    ratio = lambda: _ratio_nash_examples(potential=False)
    return [
        Claim(
            "def-4.2",
            "Def 4.2 (with the single-state note of the catalogue)",
            "(alpha, beta)-smoothness: sum_i V^i(pi'^i, pi^-i)(s) >= alpha V_pi'(s) - beta V_pi(s) for all s and "
            "product policy pairs; with one state, smoothness over pure profiles gives it for mixed pairs",
            "4",
            _pair_examples,
            check_def_4_2,
            mutants={"beta - 1": {"beta_shift": 1.0}},
            moves=Moves(keep="any", ranges={"alpha": (0.05, 1.0)}),
        ),
        Claim(
            "prop-4.3",
            "Proposition 4.3",
            "rewards (lambda, mu)-smooth and transitions (kappa, nu)-smooth imply the game is "
            "(kappa lambda, mu nu)-smooth",
            "4",
            _prop_examples,
            check_prop_4_3,
            exact=exact_prop_4_3,
            mutants={"mu x 0": {"mu_scale": 0.0}},
            moves=Moves(keep="any", ranges={"lambda": (0.05, 1.0), "nu": (0.0, 2.0)}),
        ),
        Claim(
            "def-4.4@as-used",
            "Def 4.4, the reading of the proof of Thm 4.5",
            "eps-ratio-Nash (V^i_pi(mu) >= (1-eps) max V^i(pi'^i, pi^-i)(mu)) policies exist and each agent's gain "
            "is at most eps times its best-response value",
            "4",
            ratio,
            check_def_4_4,
            mutants={"eps / 100": {"eps_scale": 1e-2}},
            moves=RATIO_MOVES,
        ),
        Claim(
            "def-4.4@as-written",
            "Def 4.4, as printed",
            "eps-ratio-Nash as printed: max_{pi'^i} V^i(pi'^i, pi^-i)(mu) <= (1-eps) V^i_pi(mu) for all i",
            "4",
            ratio,
            lambda g, w, **k: check_def_4_4(g, w, reading="as-written", **k),
            vacuity=_vacuity_as_written,
            moves=RATIO_MOVES,
        ),
        Claim(
            "thm-4.5",
            "Theorem 4.5 (with Def 4.4 as its proof uses it)",
            "in an (alpha, beta)-smooth game every eps-ratio-Nash policy has POA >= (1-eps) alpha / (1 + (1-eps) beta)",
            "4",
            ratio,
            check_thm_4_5,
            exact=exact_thm_4_5,
            mutants={"bound x 3": {"bound_scale": 3.0}},
            moves=RATIO_MOVES,
        ),
        Claim(
            "thm-4.5@as-written",
            "Theorem 4.5 with Def 4.4 as printed",
            "the same bound for eps-ratio-Nash policies in the printed sense of Def 4.4",
            "4",
            ratio,
            lambda g, w, **k: check_thm_4_5(g, w, reading="as-written", **k),
            vacuity=_vacuity_as_written,
            moves=RATIO_MOVES,
        ),
        Claim(
            "thm-4.7",
            "Theorem 4.7 (Appendix F.1)",
            "along max-gain eps-ratio-best-response dynamics pi_0..pi_T in an (alpha, beta)-smooth MPG with "
            "Assumption 4.6, all but at most log_rho(Phi_max/Phi_0) - T log_rho(1/(1-eps)) policies satisfy "
            "V_pi_t(mu) >= alpha/((1+beta)(1+sigma)) V_pi*(mu), rho = (1-eps)(1+sigma(1+beta)/N)",
            "4",
            _dynamics_examples,
            check_poa_dynamics,
            mutants={"log_rho sign flipped": {"allowed_sign": -1.0}},
            moves=DYNAMICS_MOVES,
        ),
        Claim(
            "thm-4.7@corrected",
            "Theorem 4.7, corrected",
            "Theorem 4.7 restricted to rho > 1. Correction: the proof's Phi_0 (1+sigma(1+beta)/N)^m (1/(1-eps))^(T-m) "
            "<= Phi_max gives m log rho <= log(Phi_max/Phi_0) - T log(1/(1-eps)), and dividing by log rho keeps the "
            "direction of the inequality only when rho > 1",
            "4",
            _dynamics_examples,
            lambda g, w, **k: check_poa_dynamics(g, w, require_rho_above_one=True, **k),
            mutants={"log_rho sign flipped": {"allowed_sign": -1.0}},
            moves=DYNAMICS_MOVES,
        ),
        Claim(
            "thm-4.7@bad-step",
            "Appendix F.1, eq. (20)",
            "after a bad policy (violating (8)) Phi_{t+1} >= (1 + sigma(1+beta)/N) Phi_t",
            "4",
            _dynamics_examples,
            lambda g, w, **k: check_poa_dynamics(g, w, part="bad-step", **k),
            mutants={"growth x 100": {"slack": 100.0}},
            moves=DYNAMICS_MOVES,
        ),
        Claim(
            "thm-4.7@good-step",
            "Appendix F.1",
            "after a good policy Phi_{t+1} >= Phi_t / (1 - eps)",
            "4",
            _dynamics_examples,
            lambda g, w, **k: check_poa_dynamics(g, w, part="good-step", **k),
            mutants={"growth x 100": {"slack": 100.0}},
            moves=DYNAMICS_MOVES,
        ),
        Claim(
            "cor-4.8",
            "Corollary 4.8 (Appendix F.2)",
            "the same count for NPG-BR (5,6) with K >= 4/((1-gamma)^2 eps): all but at most log_rho(Phi_max/Phi_0) - "
            "T log_rho(1 + eps/(2(1-gamma))) policies satisfy (8), rho = (1+sigma(1+beta)/N)/(1+eps/(2(1-gamma)))",
            "4",
            _dynamics_examples,
            lambda g, w, **k: check_poa_dynamics(g, w, kind="npg-br", **k),
            mutants={"log_rho sign flipped": {"allowed_sign": -1.0}},
            moves=DYNAMICS_MOVES,
        ),
        Claim(
            "cor-4.8@corrected",
            "Corollary 4.8, corrected",
            "Corollary 4.8 restricted to rho > 1 (the same division by log rho as in Theorem 4.7)",
            "4",
            _dynamics_examples,
            lambda g, w, **k: check_poa_dynamics(g, w, kind="npg-br", require_rho_above_one=True, **k),
            mutants={"log_rho sign flipped": {"allowed_sign": -1.0}},
            moves=DYNAMICS_MOVES,
        ),
        Claim(
            "cor-4.8@good-step",
            "Appendix F.2",
            "for NPG-BR, after a good policy (Phi_{t+1} - Phi_t)/Phi_t > eps/(2(1-gamma))",
            "4",
            _dynamics_examples,
            lambda g, w, **k: check_poa_dynamics(g, w, kind="npg-br", part="good-step", **k),
            mutants={"growth x 100": {"slack": 100.0}},
            moves=DYNAMICS_MOVES,
        ),
    ]


CLAIMS = _claims()
