"""Independent definitional oracles for the paper's quantities (numpy float64, enumeration).

Blind to the project's solvers: only the data layout of :class:`mpgverify.game.MarkovGame` is used
(``transition`` [S,A¹..Aᴺ,S], ``rewards`` [N,S,A¹..Aᴺ], ``potential`` [S,A¹..Aᴺ] or None, ``mu``,
``gamma``, ``n_actions``). A product policy is a tuple of N arrays ``pi[i]`` of shape [S, Aⁱ];
joint actions are flattened with agent 0 slowest, π(a|s) = Πᵢ πⁱ(aⁱ|s). Every quantity is computed
straight from its definition: linear solves on the joint-action MDP, enumeration of deterministic
policies, graph reachability. Enumerations raise ValueError above ``MAX_ENUM`` policies.
"""

from __future__ import annotations

import itertools
import math
from collections import namedtuple
from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # type hints only
    from mpgverify.game import MarkovGame

__all__ = [
    "MAX_ENUM",
    "assumption_2_1",
    "assumption_4_6",
    "assumption_4_6_per_agent",
    "best_response_value",
    "count_deterministic",
    "deterministic_policies",
    "is_eps_nash",
    "is_ratio_nash_as_used",
    "is_ratio_nash_as_written",
    "log_barrier_grad_fd",
    "log_barrier_grad_norm",
    "log_barrier_objective",
    "mismatch_coefficient",
    "nash_gap",
    "near_deterministic_policy",
    "policy_gradient_residual",
    "policy_menu",
    "potential_extremes",
    "potential_gradient_formula",
    "potential_identity_residual",
    "potential_values",
    "random_deterministic_policy",
    "random_policy",
    "smooth_by_enumeration",
    "smoothness_violation_on_pairs",
    "softmax_policy",
    "state_only_kernel",
    "uniform_policy",
    "values",
    "values_exact",
    "values_mu",
    "visitation",
]

#: largest number of deterministic policies any enumeration here will visit
MAX_ENUM = 20000


#: game as numpy: P [S,A,S], R [N,S,A], phi [S,A] or None, mu [S], gamma, nA, S, N
_A = namedtuple("_A", "P R phi mu gamma nA S N")


def _np(t) -> np.ndarray:
    t = t.detach().cpu().numpy() if hasattr(t, "detach") else t
    return np.asarray(t, dtype=np.float64)


def _arrays(g: MarkovGame) -> _A:
    nA = tuple(int(n) for n in g.n_actions)
    S, N, A = int(g.n_states), len(nA), math.prod(nA)
    phi = None if g.potential is None else _np(g.potential).reshape(S, A)
    return _A(
        _np(g.transition).reshape(S, A, S), _np(g.rewards).reshape(N, S, A), phi, _np(g.mu), float(g.gamma), nA, S, N
    )


def _joint(pi) -> np.ndarray:
    """π(a|s) over flattened joint actions (agent 0 slowest), [S, A]."""
    J = np.asarray(pi[0], dtype=np.float64)
    for p in pi[1:]:
        J = (J[:, :, None] * np.asarray(p, dtype=np.float64)[:, None, :]).reshape(J.shape[0], -1)
    return J


def _solve(ga: _A, pi, tables: np.ndarray) -> np.ndarray:
    """Values of reward tables [K, S, A] under pi: solves (I − γP_π)V = r_π; returns [K, S]."""
    J = _joint(pi)
    M = np.eye(ga.S) - ga.gamma * np.einsum("sa,sat->st", J, ga.P)
    return np.linalg.solve(M, np.einsum("ksa,sa->sk", tables, J)).T


def _need_phi(ga: _A) -> np.ndarray:
    if ga.phi is None:
        raise ValueError("the game states no potential")
    return ga.phi


def values(g: MarkovGame, pi) -> np.ndarray:
    """Vⁱ_π(s) = E[Σ_t γᵗ rⁱ(s_t,a_t) | s_0=s], i.e. (I − γP_π)Vⁱ = rⁱ_π. Returns [N, S]."""
    ga = _arrays(g)
    return _solve(ga, pi, ga.R)


def values_mu(g: MarkovGame, pi) -> np.ndarray:
    """Vⁱ_π(μ) = μ·Vⁱ_π for every agent i. Returns [N]."""
    return values(g, pi) @ _arrays(g).mu


def potential_values(g: MarkovGame, pi) -> np.ndarray:
    """Φ_π(s) = E[Σ_t γᵗ φ(s_t,a_t) | s_0=s], i.e. (I − γP_π)Φ = φ_π. Returns [S]."""
    ga = _arrays(g)
    return _solve(ga, pi, _need_phi(ga)[None])[0]


def values_exact(g: MarkovGame, pi) -> list:
    """Vⁱ_π(s) in exact rationals (float inputs read as exact binary fractions): (I − γP_π)V = r_π by
    Gauss–Jordan over ``Fraction``. Returns N lists of S Fractions (small games only)."""
    ga = _arrays(g)
    F, J, S, A, gm = Fraction, _joint(pi).tolist(), ga.S, ga.P.shape[1], Fraction(ga.gamma)
    rows = [
        [F(int(s == t)) - gm * sum(F(J[s][a]) * F(float(ga.P[s, a, t])) for a in range(A)) for t in range(S)]
        + [sum(F(J[s][a]) * F(float(ga.R[i, s, a])) for a in range(A)) for i in range(ga.N)]
        for s in range(S)
    ]
    for c in range(S):  # I − γP_π is strictly diagonally dominant by rows: pivots are nonzero
        rows[c] = [x / rows[c][c] for x in rows[c]]
        rows = [r if r is rows[c] else [x - r[c] * y for x, y in zip(r, rows[c], strict=True)] for r in rows]
    return [[rows[s][S + i] for s in range(S)] for i in range(ga.N)]


def visitation(g: MarkovGame, pi) -> np.ndarray:
    """Unnormalized d^π_μ(s) = Σ_t γᵗ Pr(s_t=s | s_0~μ), i.e. (I − γP_π)ᵀd = μ; sums to 1/(1−γ)."""
    ga = _arrays(g)
    M = np.eye(ga.S) - ga.gamma * np.einsum("sa,sat->st", _joint(pi), ga.P)
    return np.linalg.solve(M.T, ga.mu)


def count_deterministic(g: MarkovGame) -> int:
    """Number of deterministic product policies, Πᵢ |Aⁱ|^|S|."""
    return math.prod(int(n) ** int(g.n_states) for n in g.n_actions)


def _agent_det(S: int, n: int) -> list:
    if n**S > MAX_ENUM:
        raise ValueError(f"{n}^{S} deterministic policies of one agent exceed {MAX_ENUM}")
    eye = np.eye(n)
    return [eye[list(c)] for c in itertools.product(range(n), repeat=S)]


def deterministic_policies(g: MarkovGame) -> Iterator[tuple]:
    """Every deterministic product policy (one action per agent per state), agent 0 slowest."""
    if count_deterministic(g) > MAX_ENUM:
        raise ValueError(f"{count_deterministic(g)} deterministic product policies exceed {MAX_ENUM}")
    yield from itertools.product(*[_agent_det(int(g.n_states), int(n)) for n in g.n_actions])


def _reached(ga: _A, pi) -> np.ndarray:
    """States with d^π_μ(s) > 0: supp μ, plus (if γ > 0) everything reachable via π(a|s)P(s'|s,a) > 0."""
    reach = ga.mu > 0
    if ga.gamma > 0:
        adj = np.einsum("sa,sat->st", (_joint(pi) > 0).astype(float), (ga.P > 0).astype(float)) > 0
        while True:
            new = reach | adj[reach].any(0)
            if (new == reach).all():
                break
            reach = new
    return reach


def assumption_2_1(g: MarkovGame):
    """Assumption 2.1: d^π_μ(s) > 0 for every product policy π and state s (decided exactly by
    reachability over deterministic product policies). Returns (holds, witness (π, s) or None)."""
    ga = _arrays(g)
    for pi in deterministic_policies(g):
        miss = np.flatnonzero(~_reached(ga, pi))
        if miss.size:
            return False, (pi, int(miss[0]))
    return True, None


def potential_extremes(g: MarkovGame):
    """Assumption 2.3: (Φ_min, Φ_max) = (min, max) over deterministic product π and states s of Φ_π(s)."""
    ga = _arrays(g)
    phi = _need_phi(ga)[None]
    lo, hi = math.inf, -math.inf
    for pi in deterministic_policies(g):
        v = _solve(ga, pi, phi)[0]
        lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
    return lo, hi


def mismatch_coefficient(g: MarkovGame) -> float:
    """M = max_{π,π'} max_s d^π_μ(s)/d^π'_μ(s) = max_s max_π d(s) / min_π d(s) (deterministic
    enumeration); inf when some state has min_π d(s) = 0 (decided by reachability)."""
    ga = _arrays(g)
    dmax, dmin = np.full(ga.S, -np.inf), np.full(ga.S, np.inf)
    for pi in deterministic_policies(g):
        if not _reached(ga, pi).all():
            return math.inf
        d = visitation(g, pi)
        dmax, dmin = np.maximum(dmax, d), np.minimum(dmin, d)
    return float((dmax / dmin).max())


def best_response_value(g: MarkovGame, pi, i: int) -> float:
    """max_{π̄ⁱ} Vⁱ(π̄ⁱ, π⁻ⁱ)(μ), by enumerating agent i's deterministic policies (π⁻ⁱ fixed)."""
    ga = _arrays(g)
    best = -math.inf
    for p in _agent_det(ga.S, ga.nA[i]):
        q = list(pi)
        q[i] = p
        best = max(best, float(ga.mu @ _solve(ga, q, ga.R[i : i + 1])[0]))
    return best


def nash_gap(g: MarkovGame, pi) -> float:
    """Nash-gap(π) = maxᵢ ( max_{π̄ⁱ} Vⁱ(π̄ⁱ,π⁻ⁱ)(μ) − Vⁱ_π(μ) ) (not clamped at 0)."""
    v = values_mu(g, pi)
    return max(best_response_value(g, pi, i) - float(v[i]) for i in range(g.n_agents))


def is_eps_nash(g: MarkovGame, pi, eps: float, tol: float = 0.0) -> bool:
    """π is an ε-Nash equilibrium iff Nash-gap(π) ≤ ε (+ tol)."""
    return nash_gap(g, pi) <= eps + tol


def is_ratio_nash_as_written(g: MarkovGame, pi, eps: float, tol: float = 0.0) -> bool:
    """ε-ratio-Nash as printed: ∀i, max_{π'ⁱ} Vⁱ(π'ⁱ,π⁻ⁱ)(μ) ≤ (1−ε) Vⁱ_π(μ) (+ tol)."""
    v = values_mu(g, pi)
    return all(best_response_value(g, pi, i) <= (1 - eps) * v[i] + tol for i in range(g.n_agents))


def is_ratio_nash_as_used(g: MarkovGame, pi, eps: float, tol: float = 0.0) -> bool:
    """ε-ratio-Nash as used in proofs: ∀i, Vⁱ_π(μ) ≥ (1−ε) max_{π'ⁱ} Vⁱ(π'ⁱ,π⁻ⁱ)(μ) (− tol)."""
    v = values_mu(g, pi)
    return all(v[i] >= (1 - eps) * best_response_value(g, pi, i) - tol for i in range(g.n_agents))


def smoothness_violation_on_pairs(g: MarkovGame, alpha: float, beta: float, pairs) -> float:
    """Def 4.2 slack: min over the given pairs (π, π') and states s of
    Σᵢ Vⁱ(π'ⁱ,π⁻ⁱ)(s) − (α V_π'(s) − β V_π(s)), V = Σᵢ Vⁱ. Negative means a violation."""
    ga = _arrays(g)
    worst = math.inf
    for pi, pi2 in pairs:
        lhs = sum(
            _solve(ga, tuple(pi2[j] if j == i else pi[j] for j in range(ga.N)), ga.R[i : i + 1])[0] for i in range(ga.N)
        )
        rhs = alpha * _solve(ga, pi2, ga.R).sum(0) - beta * _solve(ga, pi, ga.R).sum(0)
        worst = min(worst, float((lhs - rhs).min()))
    return worst


def smooth_by_enumeration(g: MarkovGame, alpha: float, beta: float, tol: float = 0.0):
    """(α,β)-smoothness over all pairs of deterministic product policies: returns (min ≥ −tol, min)
    of Σᵢ Vⁱ(π'ⁱ,π⁻ⁱ)(s) − α V_π'(s) + β V_π(s). Exact for state-only kernels (the slack is then
    multilinear per state, so its minimum sits at vertices); otherwise an upper bound on the true min."""
    ga = _arrays(g)
    K = [ga.nA[i] ** ga.S for i in range(ga.N)]
    tab = np.array([_solve(ga, pi, ga.R) for pi in deterministic_policies(g)]).reshape(*K, ga.N, ga.S)
    soc = tab.sum(-2)  # [K..., S]
    worst = math.inf
    for k2 in np.ndindex(*K):
        lhs = sum(np.expand_dims(np.take(tab[..., i, :], k2[i], axis=i), i) for i in range(ga.N))
        worst = min(worst, float((lhs - alpha * soc[k2] + beta * soc).min()))
    return worst >= -tol, worst


def _a46(g: MarkovGame, per_agent: bool, tol: float):
    ga = _arrays(g)
    tables = np.concatenate([ga.R, _need_phi(ga)[None]])
    mphi = mgap = math.inf
    for pi in deterministic_policies(g):
        v = _solve(ga, pi, tables)
        V, Phi = v[:-1], v[-1]
        mphi = min(mphi, float(Phi.min()))
        mgap = min(mgap, float((V - Phi).min() if per_agent else (V.sum(0) - Phi).min()))
    return (mphi > 0 and mgap >= -tol), mphi, mgap


def assumption_4_6(g: MarkovGame, tol: float = 0.0):
    """Assumption 4.6 (printed): 0 < Φ_π(s) ≤ V_π(s) = Σᵢ Vⁱ_π(s) for every product π and s.
    Returns (holds, min_{π,s} Φ_π(s), min_{π,s} V_π(s) − Φ_π(s)), both minima over deterministic π."""
    return _a46(g, False, tol)


def assumption_4_6_per_agent(g: MarkovGame, tol: float = 0.0):
    """Per-agent variant: 0 < Φ_π(s) ≤ Vⁱ_π(s) for every i, product π and s.
    Returns (holds, min Φ_π(s), min_{i,π,s} Vⁱ_π(s) − Φ_π(s))."""
    return _a46(g, True, tol)


def state_only_kernel(g: MarkovGame) -> bool:
    """P(s'|s,a) independent of the joint action a (exact equality of rows)."""
    P = _arrays(g).P
    return bool((P == P[:, :1, :]).all())


def _log_softmax(theta) -> np.ndarray:
    z = np.asarray(theta, dtype=np.float64)
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def softmax_policy(thetas) -> tuple:
    """πⁱ(·|s) = softmax(θⁱ[s]) for each agent."""
    return tuple(np.exp(_log_softmax(t)) for t in thetas)


def log_barrier_objective(g: MarkovGame, thetas, lam: float) -> float:
    """Lemma 3.5: L_λ(θ) = Φ_θ(μ) + λ Σᵢ ( Σ_{s,a} log πⁱ(a|s)/(|S||Aⁱ|) + log|Aⁱ| ), πⁱ = softmax(θⁱ)."""
    ga = _arrays(g)
    phi_mu = float(ga.mu @ _solve(ga, softmax_policy(thetas), _need_phi(ga)[None])[0])
    bar = sum(_log_softmax(t).sum() / (ga.S * n) + math.log(n) for t, n in zip(thetas, ga.nA, strict=True))
    return phi_mu + lam * bar


def _fd(f, thetas, step: float) -> tuple:
    th = [np.array(t, dtype=np.float64) for t in thetas]
    grads = [np.zeros_like(t) for t in th]
    for t, gr in zip(th, grads, strict=True):
        for idx in np.ndindex(*t.shape):
            x = t[idx]
            t[idx] = x + step
            up = f(th)
            t[idx] = x - step
            gr[idx] = (up - f(th)) / (2 * step)
            t[idx] = x
    return tuple(grads)


def log_barrier_grad_fd(g: MarkovGame, thetas, lam: float, step: float = 1e-6) -> tuple:
    """∇_θ L_λ(θ) by central finite differences (step h): (L(θ+h e) − L(θ−h e))/(2h)."""
    return _fd(lambda th: log_barrier_objective(g, th, lam), thetas, step)


def log_barrier_grad_norm(g: MarkovGame, thetas, lam: float, step: float = 1e-6) -> float:
    """‖∇_θ L_λ(θ)‖₂ over all agents' parameters, by central finite differences."""
    return float(math.sqrt(sum((x**2).sum() for x in log_barrier_grad_fd(g, thetas, lam, step))))


def potential_gradient_formula(g: MarkovGame, thetas) -> tuple:
    """Softmax policy gradient: ∂Φ_θ(μ)/∂θⁱ_{s,a} = d^π_μ(s) πⁱ(a|s) Aⁱ(s,a), with
    Aⁱ(s,a) = E_{a⁻ⁱ~π⁻ⁱ} Q(s,a,a⁻ⁱ) − Φ(s), Q(s,a) = φ(s,a) + γ Σ_s' P(s'|s,a) Φ(s') (d unnormalized)."""
    ga = _arrays(g)
    pi = softmax_policy(thetas)
    Phi = _solve(ga, pi, _need_phi(ga)[None])[0]
    Q = ga.phi + ga.gamma * ga.P @ Phi  # [S, A]
    d = visitation(g, pi)
    out = []
    for i in range(ga.N):
        w = _joint(tuple(np.ones_like(p) if j == i else p for j, p in enumerate(pi)))
        Qi = (Q * w).reshape(ga.S, *ga.nA).sum(axis=tuple(j + 1 for j in range(ga.N) if j != i))
        out.append(d[:, None] * pi[i] * (Qi - Phi[:, None]))
    return tuple(out)


def policy_gradient_residual(g: MarkovGame, thetas, step: float = 1e-6) -> float:
    """max |formula − central finite difference (step h)| over all entries of ∂Φ_θ(μ)/∂θ."""
    a = potential_gradient_formula(g, thetas)
    b = _fd(lambda th: log_barrier_objective(g, th, 0.0), thetas, step)
    return float(max(np.abs(x - y).max() for x, y in zip(a, b, strict=True)))


def potential_identity_residual(g: MarkovGame, pi, pibar_i, i: int) -> float:
    """Def 2.2: maxₛ |(Vⁱ(π̄ⁱ,π⁻ⁱ)(s) − Vⁱ_π(s)) − (Φ(π̄ⁱ,π⁻ⁱ)(s) − Φ_π(s))|."""
    ga = _arrays(g)
    tables = np.stack([ga.R[i], _need_phi(ga)])
    q = tuple(pibar_i if j == i else p for j, p in enumerate(pi))
    a, b = _solve(ga, q, tables), _solve(ga, pi, tables)
    return float(np.abs((a[0] - b[0]) - (a[1] - b[1])).max())


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _normalized(x: np.ndarray) -> np.ndarray:
    return x / x.sum(1, keepdims=True)


def uniform_policy(g: MarkovGame) -> tuple:
    """πⁱ(a|s) = 1/|Aⁱ|."""
    return tuple(np.full((int(g.n_states), int(n)), 1.0 / n) for n in g.n_actions)


def random_policy(g: MarkovGame, rng) -> tuple:
    """Each row πⁱ(·|s) drawn from Dirichlet(1, …, 1)."""
    r = _rng(rng)
    return tuple(_normalized(r.dirichlet(np.ones(int(n)), size=int(g.n_states))) for n in g.n_actions)


def random_deterministic_policy(g: MarkovGame, rng) -> tuple:
    """One uniformly random action per agent per state, as one-hot rows."""
    r = _rng(rng)
    return tuple(np.eye(int(n))[r.integers(int(n), size=int(g.n_states))] for n in g.n_actions)


def near_deterministic_policy(g: MarkovGame, rng, gap: float = 10.0) -> tuple:
    """πⁱ(·|s) = softmax(ℓ), ℓ = 0 except one random entry = gap (0 ≤ gap ≤ 100): all entries stay
    strictly positive in float64 (e^-100 ≈ 3.7e-44) and rows sum to 1."""
    if not 0.0 <= gap <= 100.0:
        raise ValueError(f"gap must lie in [0, 100], got {gap}")
    r = _rng(rng)
    out = []
    for n in g.n_actions:
        lg = np.zeros((int(g.n_states), int(n)))
        lg[np.arange(lg.shape[0]), r.integers(int(n), size=lg.shape[0])] = gap
        out.append(_normalized(np.exp(_log_softmax(lg))))
    return tuple(out)


def policy_menu(g: MarkovGame, rng, n: int = 8) -> list:
    """n policies cycling through uniform, random deterministic, Dirichlet and near-deterministic
    (gap cycling 1, 10, 100)."""
    r = _rng(rng)
    gaps = itertools.cycle((1.0, 10.0, 100.0))
    makers = (
        lambda: uniform_policy(g),
        lambda: random_deterministic_policy(g, r),
        lambda: random_policy(g, r),
        lambda: near_deterministic_policy(g, r, next(gaps)),
    )
    return [makers[k % 4]() for k in range(n)]
