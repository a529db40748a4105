"""The random game classes as pure functions of arrays (``build_*``) and the draws they share
(transition kernels, μ), each written once over a :class:`~randomgames.sources.Source`: the seeded
generators (:mod:`randomgames.generators`) and the Hypothesis strategies
(:mod:`randomgames.strategies`) both call them. Every MPG builder says in its docstring why its games
are MPGs (Def 2.2)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from mpgverify.arrays import DTYPE
from mpgverify.errors import FormatError
from mpgverify.game import MarkovGame
from mpgverify.solvers.potential_space import agent_term_bases, compose_rewards
from randomgames.sources import Source

__all__ = [
    "MU_KINDS",
    "TRANSITION_KINDS",
    "agent_term_dims",
    "build_congestion",
    "build_constant_offset",
    "build_dummy_term",
    "build_general_mpg",
    "build_general_sum",
    "build_identical_interest",
    "build_planted_general_sum",
    "build_planted_statewise",
    "build_positive_potential_mpg",
    "build_statewise_potential",
    "draw_dummies",
    "draw_mu",
    "draw_transition",
    "positive_potential_parameters",
]

TRANSITION_KINDS = ("random", "sparse", "deterministic", "action_independent")
MU_KINDS = ("uniform", "random", "point")
_ROW_FLOOR = 0.05  # "random" rows: weights in [0.05, 1.05] (uniform when every weight shrinks to 0.05)


def _rows(src: Source, lead: Sequence[int], n_states: int, kind: str) -> torch.Tensor:
    """Probability rows ``[*lead, S]`` of one kind."""
    if kind == "random":
        w = src.uniform((*lead, n_states), _ROW_FLOOR, 1.0 + _ROW_FLOOR)
        return w / w.sum(-1, keepdim=True)
    if kind == "deterministic":
        return torch.nn.functional.one_hot(src.integers(lead, n_states), n_states).to(DTYPE)
    if kind == "sparse":
        first = torch.nn.functional.one_hot(src.integers(lead, n_states), n_states).to(DTYPE)
        second = torch.nn.functional.one_hot(src.integers(lead, n_states), n_states).to(DTYPE)
        p = src.uniform((*lead, 1), 0.0, 1.0)
        return (1 - p) * first + p * second
    raise FormatError("transitions", f"must be one of {TRANSITION_KINDS}, got {kind!r}")


def draw_transition(src: Source, n_states: int, n_actions: Sequence[int], kind: str = "random") -> torch.Tensor:
    """A transition tensor ``[S, A¹..Aᴺ, S]`` of the given ``kind``."""
    if kind == "action_independent":
        base = _rows(src, (n_states,), n_states, "random")
        shape = (n_states, *([1] * len(n_actions)), n_states)
        return base.reshape(shape).expand(n_states, *n_actions, n_states).clone()
    return _rows(src, (n_states, *n_actions), n_states, kind)


def draw_mu(src: Source, n_states: int, kind: str = "uniform") -> torch.Tensor:
    """An initial distribution ``[S]``."""
    if kind == "uniform":
        return torch.full((n_states,), 1.0 / n_states, dtype=DTYPE)
    if kind == "point":
        return torch.nn.functional.one_hot(torch.tensor(0), n_states).to(DTYPE)
    if kind == "random":
        return _rows(src, (), n_states, "random")
    raise FormatError("mu", f"must be one of {MU_KINDS}, got {kind!r}")


def draw_dummies(src: Source, n_states: int, acts: tuple[int, ...], dummy_range: tuple[float, float]) -> torch.Tensor:
    """``uⁱ(s, a⁻ⁱ)`` for every agent, broadcast over agent i's own action: ``[N, S, A¹..Aᴺ]``."""
    out = []
    for i in range(len(acts)):
        shape = [n_states, *acts]
        shape[1 + i] = 1
        out.append(src.uniform(shape, *dummy_range).expand(n_states, *acts))
    return torch.stack(out)


def _game(
    transition: torch.Tensor,
    mu: torch.Tensor,
    gamma: float,
    rewards: torch.Tensor,
    potential: torch.Tensor | None,
    name: str,
) -> MarkovGame:
    """A validated game whose action counts are read off the transition tensor."""
    n_actions = tuple(int(n) for n in transition.shape[1:-1])
    return MarkovGame(gamma, n_actions, mu, transition, rewards, potential, name)


# -- builders (pure functions of arrays) ---------------------------------------------------------
def build_identical_interest(
    phi: torch.Tensor, transition: torch.Tensor, mu: torch.Tensor, gamma: float, name: str
) -> MarkovGame:
    """``rⁱ = φ`` for every agent: an MPG because ``Vⁱ_π = Φ_π`` for every i and π (Section 2)."""
    n = transition.dim() - 2
    return _game(transition, mu, gamma, phi.expand(n, *phi.shape).clone(), phi, name)


def build_dummy_term(
    phi: torch.Tensor,
    dummies: torch.Tensor,
    transition: torch.Tensor,
    mu: torch.Tensor,
    gamma: float,
    name: str,
) -> MarkovGame:
    """``rⁱ(s, a) = φ(s, a) + uⁱ(s, a⁻ⁱ)`` with action-independent transitions.

    MPG (Leonardos et al. 2021, Prop. 3.2, condition C1): when P(s'|s, a) = P(s'|s) the law of s_t
    does not depend on the policy; for π, π̄ differing only in agent i,
    ``Vⁱ_π̄(s) − Vⁱ_π(s) = Σ_t γᵗ E_{s_t}[E_{a~π̄} rⁱ − E_{a~π} rⁱ]``, and uⁱ(s, a⁻ⁱ) has the same
    expectation under both (π⁻ⁱ is shared), leaving exactly ``Φ_π̄(s) − Φ_π(s)``.
    """
    return _game(transition, mu, gamma, phi + dummies, phi, name)


def build_constant_offset(
    phi: torch.Tensor,
    offsets: torch.Tensor,
    transition: torch.Tensor,
    mu: torch.Tensor,
    gamma: float,
    name: str,
) -> MarkovGame:
    """``rⁱ = φ + cⁱ``: an MPG under any transitions, since ``Vⁱ_π = Φ_π + cⁱ/(1−γ)``."""
    rewards = phi.expand(len(offsets), *phi.shape) + offsets.reshape(-1, *([1] * phi.dim()))
    return _game(transition, mu, gamma, rewards.clone(), phi, name)


def build_general_mpg(
    phi: torch.Tensor,
    coefficients: Sequence[torch.Tensor],
    transition: torch.Tensor,
    mu: torch.Tensor,
    gamma: float,
    name: str,
) -> MarkovGame:
    """Every MPG with kernel P: ``rⁱ = φ + Bⁱzⁱ`` where the columns of Bⁱ span the agent terms that
    Def 2.2 admits under (P, γ) (:mod:`mpgverify.solvers.potential_space`). Any MPG with this kernel has
    such a form (:func:`mpgverify.solvers.potential_space.decompose_mpg` recovers φ and zⁱ), so drawing φ
    and zⁱ from boxes around 0 gives every MPG of the kernel, within those boxes, positive
    probability. Under a generic action-dependent kernel the agent terms are the shaping terms
    ``gⁱ(s) − γ Σ_s' P(s'|s, a) gⁱ(s')``; under an action-independent one, dummy terms uⁱ(s, a⁻ⁱ).

    ``coefficients[i]`` must have as many entries as the basis of agent i has columns (see
    :func:`agent_term_dims`)."""
    bases = agent_term_bases(transition, gamma)
    for i, (B, z) in enumerate(zip(bases, coefficients, strict=True)):
        if z.shape != (B.shape[1],):
            raise FormatError(f"coefficients[{i}]", f"must have {B.shape[1]} entries, has {tuple(z.shape)}")
    return _game(transition, mu, gamma, compose_rewards(phi, tuple(coefficients), bases), phi, name)


def agent_term_dims(transition: torch.Tensor, gamma: float) -> tuple[int, ...]:
    """The dimension of each agent's admissible agent-term space under (P, γ)."""
    return tuple(int(B.shape[1]) for B in agent_term_bases(transition, gamma))


def build_positive_potential_mpg(
    phi: torch.Tensor,
    dummies: torch.Tensor,
    rows: torch.Tensor,
    potential_floor: torch.Tensor,
    surplus_floor: torch.Tensor,
    mu: torch.Tensor,
    gamma: float,
    name: str,
    *,
    shifted_agent: int = 0,
) -> MarkovGame:
    """MPGs meeting Assumption 4.6 (``0 < Φ_π(s) ≤ V_π(s)`` for all π, s) exactly, with a potential
    and agent terms of either sign, under a state-only kernel ``rows`` ``[S, S]``.

    With P(s'|s, a) = Q(s'|s), the law of s_t does not depend on π, so for any stage reward c,
    ``min_π E_π[Σ_t γᵗ c(s_t, a_t) | s₀] = ((I − γQ)⁻¹ m)(s₀)`` with ``m(s) = min_a c(s, a)`` (a
    deterministic joint minimizer is a product policy). The builder shifts, per state,

    * φ so that ``min_a φ(s, a) = ((I − γQ) h_Φ)(s)``: then ``min_π Φ_π = h_Φ`` (``potential_floor``,
      must be > 0), while φ itself may be negative in some states;
    * agent ``shifted_agent``'s dummy term by a state constant so that
      ``min_a (Σ_i rⁱ − φ)(s, a) = min_a (Σ_i uⁱ + (N − 1)φ)(s, a) = ((I − γQ) h_U)(s)``: then
      ``min_π (V_π − Φ_π) = h_U`` with ``V_π = Σ_i Vⁱ_π`` as printed (``surplus_floor`` ``[S]``, must
      be ≥ 0), while each agent's own term may be negative;
    * or, with ``surplus_floor`` of shape ``[N, S]``, every agent's term so that
      ``min_π (Vⁱ_π − Φ_π) = h_Uⁱ``: the stronger, per-agent form of the assumption.

    Every game of this class arises so: take h_Φ = min_π Φ_π and h_U = min_π (V − Φ) (no shift is
    then needed)."""
    S = rows.shape[0]
    acts = tuple(phi.shape[1:])
    if bool((potential_floor <= 0).any()):
        raise FormatError("potential_floor", f"every entry must be > 0 (min_π Φ_π), got {potential_floor.tolist()}")
    if bool((surplus_floor < 0).any()):
        raise FormatError("surplus_floor", f"every entry must be ≥ 0 (min_π (V − Φ)), got {surplus_floor.tolist()}")
    lift = torch.eye(S, dtype=DTYPE) - gamma * rows
    flat = phi.reshape(S, -1)
    phi = (flat - flat.min(-1, keepdim=True).values + (lift @ potential_floor)[:, None]).reshape(phi.shape)
    dummies = dummies.clone()
    flat_terms = dummies.reshape(len(dummies), S, -1)
    if surplus_floor.dim() == 2:  # per agent
        for i in range(len(dummies)):
            shift = lift @ surplus_floor[i] - flat_terms[i].min(-1).values
            dummies[i] = dummies[i] + shift.reshape(S, *([1] * len(acts)))
    else:
        surplus = flat_terms.sum(0) + (len(dummies) - 1) * phi.reshape(S, -1)  # Σ_i rⁱ − φ
        shift = lift @ surplus_floor - surplus.min(-1).values
        dummies[shifted_agent] = dummies[shifted_agent] + shift.reshape(S, *([1] * len(acts)))
    transition = rows.reshape(S, *([1] * len(acts)), S).expand(S, *acts, S).clone()
    return build_dummy_term(phi, dummies, transition, mu, gamma, name)


def positive_potential_parameters(game: MarkovGame) -> dict[str, torch.Tensor]:
    """The arguments from which :func:`build_positive_potential_mpg` rebuilds ``game`` (a game of that
    class: one state or a state-only kernel, a stated potential, ``rⁱ − φ`` free of agent i's own
    action): ``phi``, ``dummies``, ``rows``, ``potential_floor = min_π Φ_π`` and
    ``surplus_floor = min_π (V_π − Φ_π)`` (``V_π = Σ_i Vⁱ_π``). Raises :class:`FormatError` naming the rule broken."""
    if game.potential is None:
        raise FormatError("potential", "the class states its potential")
    S, N = game.n_states, game.n_agents
    if not bool((game.P == game.P[:, :1]).all()):
        raise FormatError("transition", "the class needs a state-only kernel (or one state)")
    dummies = game.rewards - game.potential
    for i in range(N):
        own = dummies[i] - dummies[i].narrow(1 + i, 0, 1)
        if float(own.abs().max()) > 1e-12 * (1 + float(dummies.abs().max())):
            raise FormatError(f"rewards[{i}]", "rⁱ − φ must not depend on agent i's own action")
    rows = game.P[:, 0]
    solve = torch.linalg.inv(torch.eye(S, dtype=DTYPE) - game.gamma * rows)
    floor = solve @ game.potential.reshape(S, -1).min(-1).values
    total = dummies.sum(0) + (N - 1) * game.potential  # Σ_i rⁱ − φ: V_π − Φ_π with V_π = Σ_i Vⁱ_π
    surplus = solve @ total.reshape(S, -1).min(-1).values
    return {"phi": game.potential, "dummies": dummies, "rows": rows, "potential_floor": floor, "surplus_floor": surplus}


def build_statewise_potential(
    phi: torch.Tensor,
    dummies: torch.Tensor,
    transition: torch.Tensor,
    mu: torch.Tensor,
    gamma: float,
    name: str,
) -> MarkovGame:
    """``rⁱ(s, a) = φ(s, a) + uⁱ(s, a⁻ⁱ)`` with action-*dependent* transitions: every state is a
    potential game, yet the Markov game is in general not an MPG (Leonardos et al. 2021, Sec. 3),
    because agent i's action moves the state and so the expectation of its own dummy term. No
    potential is attached; :func:`mpgverify.solvers.mpg_check.check_mpg` certifies the failure."""
    return _game(transition, mu, gamma, phi + dummies, None, name)


def build_general_sum(
    rewards: torch.Tensor, transition: torch.Tensor, mu: torch.Tensor, gamma: float, name: str
) -> MarkovGame:
    """Independent rewards per agent: a control with no potential."""
    return _game(transition, mu, gamma, rewards, None, name)


def _facility_counts(n_agents: int, n_facilities: int) -> torch.Tensor:
    """``k[a, f]`` = number of agents at facility f under joint action a (flattened), ``[F^N, F]``."""
    grids = torch.cartesian_prod(*[torch.arange(n_facilities)] * n_agents).reshape(-1, n_agents)
    return torch.nn.functional.one_hot(grids, n_facilities).sum(dim=1).to(DTYPE)


def build_congestion(
    weights: torch.Tensor,
    n_agents: int,
    *,
    crowding: bool,
    switch_prob: float,
    gamma: float,
    name: str,
) -> MarkovGame:
    """Safe-distancing congestion game in the style of Leonardos et al. (2021, Section 5).

    N agents each pick one of F facilities; states are 0 = safe and 1 = distancing. An agent at
    facility f in state s earns ``w_s(f) · k_f`` (``weights`` ``[2, F]``, k_f agents at f). Each
    state is a congestion game with Rosenthal potential ``φ(s, a) = Σ_f w_s(f) k_f (k_f + 1) / 2``
    (a unilateral move from f to g changes both the mover's reward and φ by
    ``w_s(g)(k_g + 1) − w_s(f) k_f``).

    * ``crowding=False``: the state moves to the other one with probability ``switch_prob``
      whatever the actions. Then the game is an MPG with that φ (dummy-term argument, Leonardos
      et al. Prop. 3.2, C1) and φ is attached.
    * ``crowding=True``: as in the original, crowding drives the state: from safe the game
      moves to distancing with probability ``switch_prob`` when more than half of the agents
      share a facility; from distancing it returns to safe with that probability once no facility
      holds more than half. No potential is claimed (agents' moves shift the state, hence their
      dummy terms); ``check-mpg`` decides.
    """
    n_fac = weights.shape[1]
    counts = _facility_counts(n_agents, n_fac)  # [A, F]
    A = counts.shape[0]
    acts = (n_fac,) * n_agents
    grids = torch.cartesian_prod(*[torch.arange(n_fac)] * n_agents).reshape(A, n_agents)
    rewards = torch.stack(
        [
            torch.stack([weights[s][grids[:, i]] * counts[torch.arange(A), grids[:, i]] for s in range(2)])
            for i in range(n_agents)
        ]
    )  # [N, 2, A]
    phi = (weights[:, None, :] * counts * (counts + 1) / 2).sum(-1)  # [2, A]
    crowded = (counts.amax(-1) * 2 > n_agents).to(DTYPE)  # [A]
    move = torch.full((2, A), switch_prob, dtype=DTYPE)
    if crowding:
        move = torch.stack([switch_prob * crowded, switch_prob * (1 - crowded)])
    transition = torch.zeros(2, A, 2, dtype=DTYPE)
    transition[:, :, 0] = torch.stack([1 - move[0], move[1]])
    transition[:, :, 1] = torch.stack([move[0], 1 - move[1]])
    return MarkovGame(
        gamma=gamma,
        n_actions=acts,
        mu=torch.full((2,), 0.5, dtype=DTYPE),
        transition=transition.reshape(2, *acts, 2),
        rewards=rewards.reshape(n_agents, 2, *acts),
        potential=None if crowding else phi.reshape(2, *acts),
        name=name,
    )


def build_planted_statewise(
    phi: torch.Tensor,
    mixing: torch.Tensor,
    rho: float,
    kappa: float,
    mu: torch.Tensor,
    gamma: float,
    name: str,
) -> MarkovGame:
    """Non-MPG control with a proof: a potential game in every state, not a Markov potential game.

    Rewards ``rⁱ = φ(s, a) + uⁱ(s, a⁻ⁱ)`` with u⁰(s, a) = κ·1[s = 1]·1[a¹ = 1] and uⁱ = 0 otherwise
    (each state is a potential game with potential φ(s, ·)). Transitions: with probability 1 − ρ
    the next state is 1 if a⁰ ≠ 0 and 0 otherwise; with probability ρ it follows the state-only
    row ``mixing[s]``. Proof it is not an MPG (cycle test of :mod:`mpgverify.solvers.mpg_check`): the φ
    part is identical interest and adds 0 to every cycle sum. Take x, x' = agent 0 always plays
    0, 1 and y, y' = agent 1 always plays 0, 1. Under y the u⁰ reward is 0, so
    ``C(s) = V⁰_u(x, y') − V⁰_u(x', y')``; with hₜ = Pr(s_t = 1), the gap
    ``h'ₜ₊₁ − hₜ₊₁ ≥ (1 − ρ) − ρ = 1 − 2ρ`` for t ≥ 0, so ``C(s) ≤ −κ(1 − 2ρ)γ/(1 − γ) < 0``
    whenever γ > 0, κ > 0, ρ < ½.
    """
    S = phi.shape[0]
    acts = tuple(phi.shape[1:])
    if S < 2 or len(acts) < 2 or acts[0] < 2 or acts[1] < 2:
        raise FormatError("n_states", "the planted control needs ≥ 2 states, ≥ 2 agents, ≥ 2 actions for agents 0, 1")
    target = torch.zeros(acts[0], S, dtype=DTYPE)
    target[0, 0] = 1.0
    target[1:, 1] = 1.0
    steer = target.reshape(1, acts[0], *([1] * (len(acts) - 1)), S)
    base = mixing.reshape(S, *([1] * len(acts)), S)
    transition = ((1 - rho) * steer + rho * base).expand(S, *acts, S).clone()
    u0 = torch.zeros(S, *acts, dtype=DTYPE)
    u0[1, :, 1] = kappa  # state 1, any a⁰, a¹ = 1, any other agents' actions
    dummies = torch.zeros(len(acts), S, *acts, dtype=DTYPE)
    dummies[0] = u0
    return build_statewise_potential(phi, dummies, transition, mu, gamma, name)


def build_planted_general_sum(
    noise: torch.Tensor, kappa: float, transition: torch.Tensor, mu: torch.Tensor, gamma: float, name: str
) -> MarkovGame:
    """General-sum non-MPG control with a proof: matching pennies between agents 0 and 1 in every
    state, ``r⁰ = κ(1 + m)``, ``r¹ = κ(1 − m)`` with m = +1 when a⁰ = a¹ ∈ {0, 1} and −1 otherwise,
    plus ``noise`` ``[N, S, A¹..Aᴺ]`` with entries in [0, ν], ν < 2κ, and state-only transitions.
    With state-only transitions the four policies of a cycle share the law of s_t, so the cycle
    sum is Σ_t γᵗ E[c(s_t)] with stage sums c ≤ −8κ + 4ν < 0 on the cycle (x, x', y, y') =
    (0, 1, 0, 1): the pennies contribute −2κ on each of the four edges."""
    N, S = noise.shape[0], noise.shape[1]
    acts = tuple(noise.shape[2:])
    if N < 2 or acts[0] < 2 or acts[1] < 2:
        raise FormatError("n_actions", "the planted control needs ≥ 2 agents with ≥ 2 actions for agents 0, 1")
    a0 = torch.arange(acts[0]).reshape(-1, 1)
    a1 = torch.arange(acts[1]).reshape(1, -1)
    m = torch.where(a0 == a1, 1.0, -1.0).to(DTYPE)
    m = torch.where((a0 > 1) | (a1 > 1), torch.zeros((), dtype=DTYPE), m)
    m = m.reshape(1, acts[0], acts[1], *([1] * (len(acts) - 2))).expand(S, *acts)
    rewards = noise.clone()
    rewards[0] += kappa * (1 + m)
    rewards[1] += kappa * (1 - m)
    return build_general_sum(rewards, transition, mu, gamma, name)
