"""Exact rational evaluation (sympy), an independent implementation used to certify results.

Written with plain loops over states and joint actions, sharing no code with the float64 torch
path except the game container, so agreement between the two is evidence for both. Every float
of the game is converted to the rational it denotes exactly (``Rational(0.1)`` is
3602879701896397/2⁵⁵), then μ and each transition row are renormalized exactly so they sum to 1.
Meant for small games (a handful of states and joint actions).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy
import torch

from mpgverify.errors import AssumptionError
from mpgverify.game import MarkovGame

__all__ = [
    "ExactEvaluation",
    "ExactGame",
    "exact_best_response",
    "exact_evaluate",
    "exact_mismatch",
    "exact_nash_gap",
    "exact_poa",
    "exact_potential_range",
    "exact_social_optimum",
    "rationalize_game",
    "rationalize_policy",
    "to_rational",
]

Rat = sympy.Rational


def to_rational(x: Any) -> sympy.Rational:
    """The rational a Python/torch float denotes exactly (no decimal rounding)."""
    if isinstance(x, sympy.Rational):
        return x
    if isinstance(x, torch.Tensor):
        x = x.item()
    if isinstance(x, int):
        return Rat(x)
    return Rat(*float(x).as_integer_ratio())


def _normalized(row: Sequence[sympy.Rational]) -> list[sympy.Rational]:
    total = sum(row, Rat(0))
    return [v / total for v in row]


@dataclass(frozen=True)
class ExactGame:
    """A game with every number rational. ``P[s][a][s']``, ``R[i][s][a]``, ``phi[s][a]`` with
    ``a`` the flattened joint action (agent 0 slowest), ``joint[a]`` its per-agent actions."""

    gamma: sympy.Rational
    n_actions: tuple[int, ...]
    mu: list[sympy.Rational]
    P: list[list[list[sympy.Rational]]]
    R: list[list[list[sympy.Rational]]]
    phi: list[list[sympy.Rational]] | None
    joint: list[tuple[int, ...]]

    @property
    def n_states(self) -> int:
        return len(self.mu)

    @property
    def n_agents(self) -> int:
        return len(self.n_actions)


def rationalize_game(game: MarkovGame) -> ExactGame:
    """Exact rational copy of ``game`` (probability vectors renormalized exactly)."""
    conv = lambda t: [[to_rational(v) for v in row] for row in t.tolist()]
    S, A = game.n_states, game.n_joint_actions
    P = [[_normalized([to_rational(v) for v in row]) for row in game.P[s].tolist()] for s in range(S)]
    R = [conv(game.R[i]) for i in range(game.n_agents)]
    phi = None if game.phi is None else conv(game.phi)
    joint = list(itertools.product(*(range(n) for n in game.n_actions)))
    assert len(joint) == A
    return ExactGame(
        gamma=to_rational(game.gamma),
        n_actions=game.n_actions,
        mu=_normalized([to_rational(v) for v in game.mu.tolist()]),
        P=P,
        R=R,
        phi=phi,
        joint=joint,
    )


def rationalize_policy(probs: Sequence[Any]) -> list[list[list[sympy.Rational]]]:
    """Exact copy of an unbatched product policy ``probs[i][s][aⁱ]``, rows renormalized exactly."""
    out = []
    for p in probs:
        rows = p.tolist() if isinstance(p, torch.Tensor) else p
        out.append([_normalized([to_rational(v) for v in row]) for row in rows])
    return out


def _at_mu(g: ExactGame, values: Sequence[sympy.Rational]) -> sympy.Rational:
    """``Σ_s μ(s) X(s)``."""
    return sum((m * x for m, x in zip(g.mu, values, strict=True)), Rat(0))


def _joint_prob(g: ExactGame, policy: list[list[list[sympy.Rational]]], s: int, a: int) -> sympy.Rational:
    prob = Rat(1)
    for i, ai in enumerate(g.joint[a]):
        prob *= policy[i][s][ai]
    return prob


def _solve(g: ExactGame, P_pi: list[list[sympy.Rational]], r_pi: list[sympy.Rational]) -> list[sympy.Rational]:
    S = g.n_states
    M = sympy.Matrix(S, S, lambda s, t: (1 if s == t else 0) - g.gamma * P_pi[s][t])
    return list(M.LUsolve(sympy.Matrix(r_pi)))


def _policy_matrices(g: ExactGame, policy: list[list[list[sympy.Rational]]]):
    S, A = g.n_states, len(g.joint)
    w = [[_joint_prob(g, policy, s, a) for a in range(A)] for s in range(S)]
    P_pi = [[sum((w[s][a] * g.P[s][a][t] for a in range(A)), Rat(0)) for t in range(S)] for s in range(S)]
    return w, P_pi


@dataclass(frozen=True)
class ExactEvaluation:
    """Exact counterparts of :class:`mpgverify.solvers.evaluation.Evaluation` (unbatched, nested lists)."""

    V: list[list[sympy.Rational]]  # [N][S]
    V_mu: list[sympy.Rational]  # [N]
    Q: list[list[list[sympy.Rational]]]  # [N][S][A]
    advantages: list[list[list[sympy.Rational]]]  # [N][S][A^i]
    d: list[sympy.Rational]  # [S]
    Phi: list[sympy.Rational] | None
    Phi_mu: sympy.Rational | None


def exact_evaluate(g: ExactGame, policy: list[list[list[sympy.Rational]]]) -> ExactEvaluation:
    """Values, action values, local advantages, visitation and Φ of a product policy, exactly."""
    S, A, N = g.n_states, len(g.joint), g.n_agents
    w, P_pi = _policy_matrices(g, policy)
    V = []
    for i in range(N):
        r_pi = [sum((w[s][a] * g.R[i][s][a] for a in range(A)), Rat(0)) for s in range(S)]
        V.append(_solve(g, P_pi, r_pi))
    Q = [
        [
            [g.R[i][s][a] + g.gamma * sum((g.P[s][a][t] * V[i][t] for t in range(S)), Rat(0)) for a in range(A)]
            for s in range(S)
        ]
        for i in range(N)
    ]
    adv = []
    for i in range(N):
        per_state = []
        for s in range(S):
            row = [Rat(0)] * g.n_actions[i]
            for a, acts in enumerate(g.joint):
                others = Rat(1)
                for j, aj in enumerate(acts):
                    if j != i:
                        others *= policy[j][s][aj]
                row[acts[i]] += others * Q[i][s][a]
            per_state.append([x - V[i][s] for x in row])
        adv.append(per_state)
    # d^T = mu^T (I - gamma P_pi)^{-1}
    Mt = sympy.Matrix(S, S, lambda s, t: (1 if s == t else 0) - g.gamma * P_pi[t][s])
    d = list(Mt.LUsolve(sympy.Matrix(g.mu)))
    Phi = None
    if g.phi is not None:
        phi = g.phi
        Phi = _solve(g, P_pi, [sum((w[s][a] * phi[s][a] for a in range(A)), Rat(0)) for s in range(S)])
    return ExactEvaluation(
        V=V,
        V_mu=[_at_mu(g, v) for v in V],
        Q=Q,
        advantages=adv,
        d=d,
        Phi=Phi,
        Phi_mu=None if Phi is None else _at_mu(g, Phi),
    )


def _policy_iteration(
    g: ExactGame, P: list[list[list[sympy.Rational]]], r: list[list[sympy.Rational]]
) -> tuple[list[int], list[sympy.Rational]]:
    """Exact policy iteration on an MDP ``P[s][a][s']``, ``r[s][a]``: strict improvement only."""
    S = len(r)
    pol = [max(range(len(r[s])), key=lambda a: r[s][a]) for s in range(S)]
    while True:
        V = _solve(g, [P[s][pol[s]] for s in range(S)], [r[s][pol[s]] for s in range(S)])
        changed = False
        for s in range(S):
            q = [r[s][a] + g.gamma * sum((P[s][a][t] * V[t] for t in range(S)), Rat(0)) for a in range(len(r[s]))]
            best = max(range(len(q)), key=lambda a: q[a])
            if q[best] > q[pol[s]]:
                pol[s] = best
                changed = True
        if not changed:
            return pol, V


def exact_best_response(
    g: ExactGame, policy: list[list[list[sympy.Rational]]], agent: int
) -> tuple[list[int], list[sympy.Rational]]:
    """Agent ``agent``'s exact best response: (action per state, optimal values per state)."""
    S, n = g.n_states, g.n_actions[agent]
    P_i = [[[Rat(0)] * S for _ in range(n)] for _ in range(S)]
    r_i = [[Rat(0)] * n for _ in range(S)]
    for s in range(S):
        for a, acts in enumerate(g.joint):
            w = Rat(1)
            for j, aj in enumerate(acts):
                if j != agent:
                    w *= policy[j][s][aj]
            ai = acts[agent]
            r_i[s][ai] += w * g.R[agent][s][a]
            for t in range(S):
                P_i[s][ai][t] += w * g.P[s][a][t]
    return _policy_iteration(g, P_i, r_i)


def exact_nash_gap(
    g: ExactGame, policy: list[list[list[sympy.Rational]]]
) -> tuple[sympy.Rational, list[sympy.Rational]]:
    """(Nash-gap, per-agent best-response gains) of Def 2.4, exactly."""
    ev = exact_evaluate(g, policy)
    gains = []
    for i in range(g.n_agents):
        _, V = exact_best_response(g, policy, i)
        gains.append(_at_mu(g, V) - ev.V_mu[i])
    return max(gains), gains


def _joint_mdp_optimum(g: ExactGame, reward: list[list[sympy.Rational]]) -> tuple[list[int], list[sympy.Rational]]:
    return _policy_iteration(g, g.P, reward)


def exact_social_optimum(g: ExactGame) -> sympy.Rational:
    """``max_π Σ_i Vⁱ_π(μ)``, exactly."""
    reward = [
        [sum((g.R[i][s][a] for i in range(g.n_agents)), Rat(0)) for a in range(len(g.joint))] for s in range(g.n_states)
    ]
    _, V = _joint_mdp_optimum(g, reward)
    return _at_mu(g, V)


def exact_poa(g: ExactGame, policy: list[list[list[sympy.Rational]]]) -> sympy.Rational:
    """``Σ_i Vⁱ_π(μ) / max_π̄ Σ_i Vⁱ_π̄(μ)`` (Def 4.1), exactly."""
    opt = exact_social_optimum(g)
    if opt <= 0:
        raise AssumptionError("Def 4.1 (POA) needs a positive social optimum", f"it is {opt}")
    return sum(exact_evaluate(g, policy).V_mu, Rat(0)) / opt


def exact_potential_range(g: ExactGame) -> tuple[sympy.Rational, sympy.Rational]:
    """``(Φ_min, Φ_max)`` over product policies and states, exactly."""
    if g.phi is None:
        raise AssumptionError("a stated potential", "the game has none")
    _, hi = _joint_mdp_optimum(g, g.phi)
    _, lo = _joint_mdp_optimum(g, [[-v for v in row] for row in g.phi])
    return -max(lo), max(hi)


def exact_mismatch(g: ExactGame) -> sympy.Rational:
    """``M = max_s max_π d^π_μ(s) / min_π d^π_μ(s)`` exactly (Lemma 3.5)."""
    S, A = g.n_states, len(g.joint)
    best = None
    for s in range(S):
        ind = [[Rat(1 if x == s else 0)] * A for x in range(S)]
        _, hi = _joint_mdp_optimum(g, ind)
        _, lo = _joint_mdp_optimum(g, [[-v for v in row] for row in ind])
        dmax = _at_mu(g, hi)
        dmin = -_at_mu(g, lo)
        if dmin <= 0:
            raise AssumptionError("Assumption 2.1 (d^π_μ(s) > 0 for all π, s)", f"state {s} has min visitation 0")
        ratio = dmax / dmin
        best = ratio if best is None or ratio > best else best
    assert best is not None
    return best
