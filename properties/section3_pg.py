"""Section 3.1 with Appendix C: PG's monotone step (Lemma C.3) and the Nash limit of PG (Theorem 3.4);
the gradient and smoothness lemmas before them live in :mod:`properties.section3_lemmas`. Every
quantity is exact (linear algebra + autograd); the paper's constants come from :mod:`mpgverify.bounds`."""

from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

from mpgverify import bounds
from mpgverify.algorithms.gradients import policy_gradients
from mpgverify.algorithms.pg import pg
from mpgverify.game import MarkovGame
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch, stack_members
from mpgverify.solvers.evaluation import evaluate, potential_values, state_values
from mpgverify.solvers.game_constants import potential_range
from mpgverify.solvers.nash import nash_gap
from mpgverify.verify.claims import ClaimBook, Outcome, Premises
from properties.common import (
    largest_entries,
    mpg_games,
    stacked_theta,
    theta_of,
    with_theta,
)
from properties.coverage import (
    MPG_COVERAGE_TAILS,
    THETA_TAILS,
    UNIT_POTENTIAL_TAILS,
    mpg_space,
)
from properties.moves import Moves
from properties.pg_limits import MOVED, pg_limits
from properties.premises import (
    at_least,
    decide,
    integer,
    number,
    primed_gate,
    section_3_reason,
    within,
)

__all__ = [
    "BOOK",
    "CLAIMS",
    "premises_lemma_c3",
    "premises_thm_3_4",
]

BOOK = ClaimBook(section="3")

_FULL = "≤ 3 agents × 3 actions, ≤ 3 states, γ ≤ 0.99"
_TINY = "≤ 3 agents × 3 actions, ≤ 2 states, γ ≤ 0.5 (iteration counts grow like (1−γ)⁻³)"


# -- premise gates ---------------------------------------------------------------------------------------
def premises_lemma_c3(game: MarkovGame, witness: dict[str, Any]) -> Premises:
    """Lemma C.3: Section 3's hypotheses, Φ_max > Φ_min (else the bound is infinite and every η > 0
    qualifies: then ``eta_fraction`` is read as η itself), and the step
    ``0 < η = eta_fraction · (1−γ)/(N max(5, √N)(Φ_max − Φ_min)) ≤`` that bound, i.e.
    ``eta_fraction ∈ (0, 1]``."""
    theta_of(game, witness)
    fraction = number(witness, "eta_fraction")
    if (reason := section_3_reason(game)) is not None:
        return Premises.fail(reason)
    low, high = potential_range(game)
    if high - low <= 0:
        return decide([within("eta", fraction, 0.0, None, low_open=True)], eta=fraction)
    return decide(
        [within("eta_fraction", fraction, 0.0, 1.0, low_open=True)],
        eta=fraction * bounds.lemma_c3_step(game.n_agents, game.gamma, high - low),
    )


# -- Lemma C.3: one PG step with the small step size improves V_φ and Q_φ everywhere --------------------
def _eta_fraction(draw: Any, game: MarkovGame) -> dict[str, Any]:
    """η as a fraction of its bound over the whole of (0, 1]: the closed end η = bound exactly, tiny steps
    down to 1e-6, and the interval between."""
    return {"eta_fraction": draw(_LEMMA_C3_FRACTIONS)}


_LEMMA_C3_FRACTIONS = st.one_of(st.just(1.0), st.floats(1e-6, 1.0))


def _lemma_c3_outcomes(
    game: Any, theta: tuple[torch.Tensor, ...], eta: torch.Tensor, sign: float, phi: torch.Tensor
) -> list[Outcome]:
    """Lemma C.3's outcome for every member of a batch ``[B, S, Aⁱ]`` of θ (one game's, or one per game
    of a :class:`GameBatch`), ``eta`` ``[B, 1, 1]``, ``phi`` ``[(B,) S, A]`` and ``game.P`` alike."""
    probs = softmax_policy(theta)
    grads = policy_gradients(probs, evaluate(game, probs))
    new = softmax_policy(tuple(t + sign * eta * g for t, g in zip(theta, grads, strict=True)))
    V0, V1 = potential_values(game, probs), potential_values(game, new)  # [B, S]
    gamma = torch.as_tensor(game.gamma, dtype=torch.float64).reshape(-1, 1, 1)
    Q0 = phi + gamma * (game.P @ V0[..., None, :, None]).squeeze(-1)
    Q1 = phi + gamma * (game.P @ V1[..., None, :, None]).squeeze(-1)
    worst = torch.minimum((V1 - V0).amin(-1), (Q1 - Q0).flatten(1).amin(-1)).tolist()
    scale = V0.abs().amax(-1).tolist()
    moved = largest_entries(grads)
    return [
        Outcome(True, w, 1e-12 * (1.0 + c), -w, 0.0, None, f"eta = {e:.3g}", informative=m > 1e-12)
        for w, c, m, e in zip(worst, scale, moved, eta.flatten().tolist(), strict=True)
    ]


def batch_lemma_c3(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], *, gates: list[Premises], sign: float = 1.0
) -> list[Outcome]:
    """:func:`check_lemma_c3` over same-shape games at once: one stacked evaluation, step and Φ solve."""
    batch = GameBatch.stack(games)
    assert batch.phi is not None
    eta = torch.tensor([float(g.facts["eta"]) for g in gates], dtype=torch.float64)[:, None, None]
    return _lemma_c3_outcomes(batch, stacked_theta(games, witnesses), eta, sign, batch.phi)


@BOOK.claim(
    "lemma-c.3",
    ref="Lemma C.3",
    statement="with eta <= (1-gamma)/(N max(5,sqrt N)(Phi_max-Phi_min)), one PG step (3) gives V_phi^{t+1}(s) >= "
    "V_phi^t(s) and Q_phi^{t+1}(s,a) >= Q_phi^t(s,a) for all s, a",
    examples=lambda: with_theta(mpg_games(reward_range=(-1.0, 1.0)), extra=_eta_fraction, tails=True),
    premises=premises_lemma_c3,
    batch_premises=primed_gate(premises_lemma_c3, potential=True),
    mutants={"descent": {"sign": -1.0}},
    moves=Moves(ranges={"eta_fraction": (1e-6, 1.0)}),
    coverage=MPG_COVERAGE_TAILS,
    premise_space=mpg_space(_FULL, "[−1, 1]", THETA_TAILS + "; η a fraction in (0, 1] of the bound, 1 included"),
    informative="the step moves θ (max |∇Φ| > 1e-12)",
    batch=batch_lemma_c3,
)
def check_lemma_c3(game: MarkovGame, witness: dict[str, Any], *, gate: Premises, sign: float = 1.0) -> Outcome:
    assert game.phi is not None
    eta = torch.full((1, 1, 1), float(gate.facts["eta"]), dtype=torch.float64)
    theta = tuple(t[None] for t in theta_of(game, witness))
    return _lemma_c3_outcomes(game, theta, eta, sign, game.phi)[0]


# -- Theorem 3.4: PG limits are Nash ----------------------------------------------------------------------
def premises_thm_3_4(game: MarkovGame, witness: dict[str, Any]) -> Premises:
    """Theorem 3.4: Section 3's hypotheses; the step ``η = eta_fraction · min((1−γ)/(N max(5,√N)(Φ_max −
    Φ_min)), 4(1−γ)³/(41N))`` with ``eta_fraction ∈ (0, 1]`` (default 1: η at its bound); θ₀ any;
    Assumption 3.3 (θ_t converges) certified on the run of ``steps`` ≥ 1 steps (the certificate of
    :func:`properties.pg_limits.pg_limit`). Facts: the limit ``state``, ``eta`` and the initial
    gradient's largest entry ``moved``.

    Decided as a population of one (:func:`batch_premises_thm_3_4`): a member's numbers do not depend
    on the stack it is in, bit for bit, so the gate alone and in a population are one computation."""
    return batch_premises_thm_3_4([game], [witness])[0]


def batch_premises_thm_3_4(games: list[MarkovGame], witnesses: list[dict[str, Any]]) -> list[Premises]:
    """:func:`premises_thm_3_4` over same-shape games at once: the rules one by one, then for every member
    whose rules hold, Φ's range (η), the initial gradient ``max |d π A|`` (``moved``) and the PG run with
    its certificate in stacks (:func:`properties.pg_limits.pg_limits`). Each member's numbers are the
    same alone (a stack of one) and in any stack (``tests/test_pg_limit_paths.py``), and equal to the
    one-game solvers' and to the library's PG run (:func:`~properties.pg_limits.pg_limit`) to round-off."""
    rules = [_thm_3_4_rules(g, w) for g, w in zip(games, witnesses, strict=True)]
    runs = [k for k, r in enumerate(rules) if not isinstance(r, Premises)]
    out: list[Premises] = [r if isinstance(r, Premises) else Premises.undecided("") for r in rules]
    if runs:
        args: list[tuple[Any, int, float]] = [rules[k] for k in runs]  # type: ignore[misc]
        batch = GameBatch.stack([games[k] for k in runs])
        extremes = potential_range(batch)
        spreads = (extremes.high - extremes.low).tolist()  # type: ignore[operator,attr-defined]
        N, gamma = batch.n_agents, batch.gamma.tolist()
        etas = [a[2] * bounds.thm_3_4_step(N, g, sp) for a, g, sp in zip(args, gamma, spreads, strict=True)]
        theta0 = stack_members([a[0] for a in args])
        probs = softmax_policy(theta0)
        grads = policy_gradients(probs, evaluate(batch, probs))
        moved = largest_entries(grads)
        limits = pg_limits(batch, theta0, etas, [a[1] for a in args], spreads)
        for k, eta, m, limit in zip(runs, etas, moved, limits, strict=True):
            out[k] = _thm_3_4_decision(limit, eta, m)
    return out


def _thm_3_4_rules(game: MarkovGame, witness: dict[str, Any]) -> Premises | tuple[Any, int, float]:
    """The rules of :func:`premises_thm_3_4` before any number of the game: a failed rule, or (θ₀, steps,
    eta_fraction)."""
    theta0 = theta_of(game, witness)
    steps = integer(witness, "steps", cap=100_000)
    fraction = number(witness, "eta_fraction", default=1.0)
    rule = section_3_reason(game) or within("eta_fraction", fraction, 0.0, 1.0, low_open=True)
    rule = rule or at_least("steps", steps, 1)
    if rule is not None:
        return Premises.fail(rule)
    return theta0, steps, fraction


def _thm_3_4_decision(limit: tuple[Any, int, str | None], eta: float, moved: float) -> Premises:
    state, taken, reason = limit
    if reason is not None:
        return Premises.fail(reason)
    return Premises.hold(state=state, eta=eta, moved=moved, steps=taken)


def _pg_runs(draw: Any, game: MarkovGame) -> dict[str, Any]:
    return {"steps": 1000, "eta_fraction": draw(_THM_3_4_FRACTIONS)}


_THM_3_4_FRACTIONS = st.one_of(st.just(1.0), st.floats(1e-3, 1.0))


def _thm_3_4_outcome(gate: Premises, gap: float, value_scale: float, gap_bound: float) -> Outcome:
    moved = gate.facts["moved"] > MOVED
    note = f"limit certified after {gate.facts['steps']} steps"
    return Outcome(True, gap_bound - gap, 1e-7 * (1.0 + value_scale), gap, gap_bound, None, note, informative=moved)


def batch_thm_3_4(
    games: list[MarkovGame], witnesses: list[dict[str, Any]], *, gates: list[Premises], gap_bound: float = 0.0
) -> list[Outcome]:
    """:func:`check_thm_3_4` over same-shape games at once: the limits' Nash-gaps and values stacked."""
    batch = GameBatch.stack(games)
    limits = stack_members([softmax_policy(tuple(t[0] for t in g.facts["state"].theta)) for g in gates])
    gaps = nash_gap(batch, limits).gap.tolist()  # type: ignore[arg-type]
    scales = evaluate(batch, limits).V.abs().amax((-2, -1)).tolist()  # type: ignore[arg-type]
    return [_thm_3_4_outcome(g, gap, sc, gap_bound) for g, gap, sc in zip(gates, gaps, scales, strict=True)]


@BOOK.claim(
    "thm-3.4",
    ref="Theorem 3.4 (Appendix C)",
    statement="PG (3) with eta <= min((1-gamma)/(N max(5,sqrt N)(Phi_max-Phi_min)), 4(1-gamma)^3/(41N)): if "
    "theta_t converges (Assumption 3.3), the limit is a Nash policy",
    examples=lambda: with_theta(
        mpg_games(max_agents=3, max_states=2, max_actions=3, max_gamma=0.5), extra=_pg_runs, tails=True
    ),
    premises=premises_thm_3_4,
    mutants={"gap <= -1": {"gap_bound": -1.0}},
    moves=Moves(gamma_cap=None, ranges={"eta_fraction": (1e-3, 1.0)}),
    coverage=UNIT_POTENTIAL_TAILS,
    premise_space=mpg_space(
        _TINY, extra=THETA_TAILS + "; η a fraction in (0, 1] of its bound; 1000 PG steps (Assumption 3.3 certified)"
    ),
    informative=f"PG moved: the initial gradient's largest entry is above {MOVED:g}",
    batch=batch_thm_3_4,
    batch_premises=batch_premises_thm_3_4,
)
def check_thm_3_4(game: MarkovGame, witness: dict[str, Any], *, gate: Premises, gap_bound: float = 0.0) -> Outcome:
    limit = pg(lr=gate.facts["eta"]).policy(gate.facts["state"])
    gap = float(nash_gap(game, limit).gap[0])
    return _thm_3_4_outcome(gate, gap, float(state_values(game, limit).abs().max()), gap_bound)


CLAIMS = BOOK.claims
