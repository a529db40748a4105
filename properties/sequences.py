"""The sequences π₀..π_T behind Theorem 4.7 and Corollary 4.8: max-gain ε-ratio-best-response dynamics
and NPG-BR run from a claim's θ₀ by the library's own algorithms, one game at a time
(:func:`sequence`) or a population of same-shape games at once (:func:`br_sequences`,
:func:`npg_br_sequences`: each member with its own ε, K and stop, leaving the batch when it stops; equal
to :func:`sequence` member by member), and the certificate table of one (:func:`trace`)."""

from __future__ import annotations

import math
from typing import Any

import torch

from mpgverify import bounds
from mpgverify.algorithms.br_dynamics import br_dynamics, is_ratio_nash, max_gain_step
from mpgverify.algorithms.npg_br import npg_br, outer_step
from mpgverify.game import MarkovGame
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.evaluation import evaluate, values_and_potential
from mpgverify.solvers.nash import nash_gap
from mpgverify.verify.claims import Trace, want_trace
from properties.common import stacked_theta, theta_of

__all__ = ["NPG_BR_LIMIT", "br_limit", "br_sequences", "npg_br_sequences", "sequence", "trace"]

#: NPG-BR's sequence is cut after this many outer steps (it stops at its first ε-Nash policy before)
NPG_BR_LIMIT = 12

Sequence = tuple[list[float], list[float], int, list[Any]]


def br_limit(game: MarkovGame) -> int:
    """The best-response sequence's step cap, 6·N·max|Aⁱ| + 6: a sequence that never reaches a
    ratio-Nash policy (as when some Vⁱ < 0) is cut there."""
    return 6 * game.n_agents * max(game.n_actions) + 6


def sequence(game: MarkovGame, witness: dict[str, Any], kind: str) -> tuple[list[float], list[float], int, list[Any]]:
    """(V_{π_t}(μ), Φ_t) for t = 0..T, T, and one row per step for a certificate: (agent that moved
    from π_t, its gain in the dynamics' own measure, Nash-gap of π_t or None). Reading: the sequence
    ends at its first ε-ratio-Nash policy for the best-response dynamics ("until π is ε-ratio-Nash",
    Section 4.3) and at its first ε-Nash policy for NPG-BR (where Theorem 3.8 has it converge; the
    growth steps of Appendix F hold only before that). The Nash-gap of a best-response sequence is
    computed only under :func:`~mpgverify.verify.claims.tracing` (it costs N best responses a step)."""
    eps = float(witness["eps"])
    theta = tuple(t[None] for t in theta_of(game, witness))
    if kind == "br":
        alg = br_dynamics(eps=eps, reading="as-used")
        state = alg.init(game, seed=0, batch=1)._replace(probs=softmax_policy(theta))
        limit = br_limit(game)
    else:
        alg = npg_br(lr=1.0, K=math.ceil(bounds.thm_3_8_inner_steps(game.gamma, eps)))
        state = alg.init(game, seed=0, batch=1)._replace(theta=theta)
        limit = NPG_BR_LIMIT
    detail = want_trace()
    values, phis, own, steps = [], [], [], []
    for _ in range(limit + 1):
        probs = alg.policy(state)
        ev = evaluate(game, probs)
        values.append(float(ev.V_mu.sum()))
        phis.append(float(ev.Phi_mu[0]))  # type: ignore[index]
        own.append([float(v) for v in ev.V_mu[0]])
        gap = float(nash_gap(game, probs).gap[0]) if kind == "npg-br" or detail else None
        steps.append([None, None, gap])
        if kind == "npg-br" and gap is not None and gap <= eps:
            break
        new = alg.step(game, state)
        if kind == "br" and bool(new.done[0]):  # π_t was ε-ratio-Nash: the dynamics stop here
            break
        mover = int(new.last_agent[0])
        steps[-1][:2] = [mover, float(new.last_gain[0])] if kind == "npg-br" else [mover, None]
        state = new
    for t in range(len(values) - 1):  # a best response's gain: the mover's value after less before
        if kind == "br":
            steps[t][1] = own[t + 1][steps[t][0]] - own[t][steps[t][0]]
    return values, phis, len(values) - 1, steps


def trace(
    values: list[float], phis: list[float], bad: list[bool], steps: list[Any], threshold: float, kind: str
) -> Trace:
    """The sequence of :func:`_sequence` as a certificate's table: t, the agent that moved from π_t, its
    gain, Φ_t, V_t = Σ_i Vⁱ_{π_t}(μ), Nash-gap, and whether π_t violates (8) ("bad")."""
    measure = "gain (its own value)" if kind == "br" else "gain (Φ)"
    rows = tuple(
        (t, mover, gain, phi, v, gap, "bad" if b else "good")
        for t, (v, phi, b, (mover, gain, gap)) in enumerate(zip(values, phis, bad, steps, strict=True))
    )
    return Trace(
        title=f"the sequence π_0..π_T of {'max-gain ε-ratio-best-response dynamics' if kind == 'br' else 'NPG-BR'}",
        columns=("t", "agent moved", measure, "Φ_t(μ)", "V_t(μ)", "Nash-gap", "π_t violates (8)"),
        rows=rows,
        plot=("Φ_t(μ)", "V_t(μ)"),
        marks={"threshold of (8): α/((1+β)(1+σ)) V_π*(μ)": threshold},
    )


def npg_br_sequences(games: list[MarkovGame], witnesses: list[dict[str, Any]]) -> list[Sequence]:
    """:func:`sequence` with ``kind="npg-br"`` for same-shape games at once: one stacked outer step,
    each member with its own K = ⌈4/((1−γ)²ε)⌉ (masked) and its own stop (its first ε-Nash policy, or
    :data:`NPG_BR_LIMIT` steps), after which it leaves the batch."""
    batch = GameBatch.stack(games)
    eps = [float(w["eps"]) for w in witnesses]
    K = torch.tensor([math.ceil(bounds.thm_3_8_inner_steps(g.gamma, e)) for g, e in zip(games, eps, strict=True)])
    theta = stacked_theta(games, witnesses)
    seqs: list[tuple[list[float], list[float], list[Any]]] = [([], [], []) for _ in games]
    alive = list(range(len(games)))
    for t in range(NPG_BR_LIMIT + 1):
        probs = softmax_policy(theta)
        V, Phi = values_and_potential(batch, probs)  # type: ignore[arg-type]  # evaluate's numbers, no Q, A or d
        V_mu = batch.at_mu(V)
        gaps = nash_gap(batch, probs, V_mu).gap.tolist()  # type: ignore[arg-type]
        totals, phis = V_mu.sum(-1).tolist(), batch.at_mu(Phi).tolist()
        for j, b in enumerate(alive):
            seqs[b][0].append(totals[j])
            seqs[b][1].append(phis[j])
            seqs[b][2].append([None, None, gaps[j]])
        keep = [j for j, b in enumerate(alive) if gaps[j] > eps[b]] if t < NPG_BR_LIMIT else []
        if not keep:
            break
        if len(keep) < len(alive):
            batch, alive = batch.select(keep), [alive[j] for j in keep]
            theta, K = tuple(x[keep] for x in theta), K[keep]
        theta, mover, gain = outer_step(batch, theta, K, 1.0)
        for b, m, g in zip(alive, mover.tolist(), gain.tolist(), strict=True):
            seqs[b][2][-1][:2] = [m, g]
    return [(values, phis, len(values) - 1, steps) for values, phis, steps in seqs]


def br_sequences(games: list[MarkovGame], witnesses: list[dict[str, Any]]) -> list[Sequence]:
    """:func:`sequence` with ``kind="br"`` for same-shape games at once: one stacked max-gain step
    (:func:`~mpgverify.algorithms.br_dynamics.max_gain_step` over a
    :class:`~mpgverify.solvers.batched.GameBatch`), each member with its own ε, leaving the batch at
    its first ε-ratio-Nash policy (as-used reading) or after :func:`br_limit` steps. The Nash-gap column
    is left empty (a certificate's table comes from :func:`sequence`)."""
    batch = GameBatch.stack(games)
    eps = torch.tensor([[float(w["eps"])] for w in witnesses], dtype=torch.float64)  # [B, 1]
    probs = softmax_policy(stacked_theta(games, witnesses))
    seqs: list[tuple[list[float], list[float], list[list[float]], list[Any]]] = [([], [], [], []) for _ in games]
    alive, limit = list(range(len(games))), br_limit(games[0])
    for t in range(limit + 1):
        V, Phi = values_and_potential(batch, probs)  # type: ignore[arg-type]  # evaluate's numbers, no Q, A or d
        V_mu, Phi_mu = batch.at_mu(V), batch.at_mu(Phi)
        totals, phis, own = V_mu.sum(-1).tolist(), Phi_mu.tolist(), V_mu.tolist()
        for j, b in enumerate(alive):
            seqs[b][0].append(totals[j])
            seqs[b][1].append(phis[j])
            seqs[b][2].append(own[j])
            seqs[b][3].append([None, None, None])
        moved, done, mover = max_gain_step(
            batch,
            probs,
            torch.zeros(len(alive), dtype=torch.bool),
            lambda V, best, e=eps: is_ratio_nash(V, best, e, "as-used"),
            V=V_mu,
        )
        keep = [j for j, d in enumerate(done.tolist()) if not d]
        for j in keep:
            seqs[alive[j]][3][-1][0] = int(mover[j])
        if not keep or t == limit:
            break
        if len(keep) < len(alive):
            batch, alive, eps = batch.select(keep), [alive[j] for j in keep], eps[keep]
            moved = tuple(p[keep] for p in moved)
        probs = moved
    out: list[Sequence] = []
    for values, phis, own, steps in seqs:
        for t in range(len(values) - 1):  # a best response's gain: the mover's value after less before
            steps[t][1] = own[t + 1][steps[t][0]] - own[t][steps[t][0]]
        out.append((values, phis, len(values) - 1, steps))
    return out
