"""Approximate-best-response NPG, eqs. (5)–(6) (Section 3.3).

Outer step t: every agent i, on its own, runs K soft-policy-iteration steps against the others'
fixed θ⁻ⁱ_t (eq. (5)):

``θⁱ_{t,k} = θⁱ_{t,k−1} + η Aⁱ_{t,k−1}``,  ``Aⁱ_{t,k−1}(s, aⁱ) = E_{a⁻ⁱ~π⁻ⁱ_t} Aⁱ_{θⁱ_{t,k−1}, θ⁻ⁱ_t}(s, aⁱ, a⁻ⁱ)``

then only the agent with the largest gain keeps its change (eq. (6)):
``i*_t = argmax_i Φ(θⁱ_{t,K}, θ⁻ⁱ_t)(μ) − Φ(θ_t)(μ)``. The gain is measured by Φ when the game
states a potential and by the agent's own value ``Vⁱ`` otherwise (equal in an MPG). The printed
eq. (5) has no step size; ``lr`` is η (1.0 reads it literally). One ``step`` is one outer step
(K inner steps for every agent); all N candidate inner loops run as one batch.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import NamedTuple

import torch

from mpgverify.algorithms.api import Algorithm, register
from mpgverify.algorithms.gradients import natural_barrier_directions
from mpgverify.algorithms.promises import npg_br_promises
from mpgverify.algorithms.tabular import check_lr, init_theta
from mpgverify.cost import Cost
from mpgverify.errors import FormatError
from mpgverify.game import Game, MarkovGame
from mpgverify.memory import recording_bytes
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch, induced_mdps
from mpgverify.solvers.evaluation import at_mu, evaluate
from mpgverify.solvers.mdp import policy_evaluation
from mpgverify.solvers.nash import induced_mdp

__all__ = ["NPGBRState", "inner_loops", "npg_br", "outer_step"]


class NPGBRState(NamedTuple):
    """Attributes:
    theta: θ per agent ``[B, S, Aⁱ]``.  t: outer steps done.
    last_agent: ``[B]`` the agent whose change was kept at the last step (−1 before any).
    last_gain: ``[B]`` its gain.
    """

    theta: tuple[torch.Tensor, ...]
    t: int
    last_agent: torch.Tensor
    last_gain: torch.Tensor


def _gain_values(game: Game | GameBatch, probs: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """``[*B, N]``: Φ(μ) repeated per agent when a potential is stated, else each Vⁱ(μ)."""
    ev = evaluate(game, probs)  # type: ignore[arg-type]
    if ev.Phi_mu is not None:
        return ev.Phi_mu[..., None].expand(*ev.V_mu.shape)
    return ev.V_mu


def _steps_for(n_actions: int, K: int) -> int:
    """Inner steps to run for agents with ``n_actions`` actions: K, except one step for a single
    action. There ``πⁱ = 1`` at every θ, so ``Qⁱ(s, a) = Vⁱ(s)``: each step's move is zero in exact
    arithmetic (float round-off only, ~1e-16 a step) and the policy, its values and the gain are the
    same at every step. One step gives ``V⁰`` in the loop's own arithmetic, so the gain ``V_K − V⁰``
    is what the full loop gives, bit for bit; ``θⁱ_{t,K} = θⁱ_t`` is returned exactly, where the K-step
    loop returned it plus accumulated round-off. On the ledger's inner-loop claims a loop was often
    K = 4000 steps of nothing."""
    return min(K, 1) if n_actions == 1 else K


def _step_views(P: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``P [.., S, A, S]`` as the two stacks of matrices the inner step multiplies: ``[.. · S, A, S]``
    (one row block per state, for ``P_π(s, ·) = Σ_a π(a|s) P(s, a, ·)``) and ``[.., S·A, S]`` (for
    ``Q = r + γ P V``). Views, made once per loop."""
    S, A = P.shape[-3], P.shape[-2]
    return P.reshape(-1, A, S), P.reshape(-1, S * A, S)


def _value_and_move(
    P: torch.Tensor,
    views: tuple[torch.Tensor, torch.Tensor],
    r: torch.Tensor,
    p: torch.Tensor,
    eye: torch.Tensor,
    gamma: float | torch.Tensor,
    mu: torch.Tensor,
    lam: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One inner step in a stack of induced MDPs (``P [.., S, A, S]``, ``views`` its :func:`_step_views`):
    the values ``V = (I − γ P_π)⁻¹ r_π`` ``[.., S]`` and the move ``Āⁱ(s, aⁱ) = Q(s, aⁱ) − V(s)``, plus
    the log barrier's natural direction when ``lam > 0``. Without the barrier this is
    :func:`~mpgverify.solvers.mdp.policy_evaluation`'s arithmetic inline, operation for operation (the
    same numbers, bit for bit), without the general function's Q and d: the loop of every NPG-BR claim.
    Its two products are ``bmm`` on the 3-D views, the kernel ``matmul`` folds its batch dimensions
    into, without ``matmul``'s broadcasting work at every step (~40 against ~50 µs a step)."""
    if lam > 0:
        V, Q, d = policy_evaluation(P, r, p, gamma, mu)
        assert d is not None
        return V, Q - V[..., None] + natural_barrier_directions((p,), lam, d, 0.0, "unnormalized")[0]
    rows, flat = views
    S, A = eye.shape[0], p.shape[-1]
    M = eye - gamma * torch.bmm(p.reshape(-1, 1, A), rows).view(*p.shape[:-1], S)  # I − γ P_π
    V = torch.linalg.solve_ex(M, (p * r).sum(-1, keepdim=True))[0]  # [.., S, 1]; I − γP_π is nonsingular (γ < 1)
    return V.squeeze(-1), r + gamma * torch.bmm(flat, V.view(-1, S, 1)).view(p.shape) - V


@functools.singledispatch
def _inner(
    game: Game, theta: tuple[torch.Tensor, ...], K: int, lr: float, lam: float
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """(θⁱ_{t,K} per agent ``[B, S, Aⁱ]``, each agent's own-value gain ``Vⁱ(θⁱ_{t,K}, θ⁻ⁱ_t)(μ) − Vⁱ_t(μ)``
    ``[B, N]``). Any game: agent i's inner step is the local advantage of the whole game at
    ``(θⁱ_{t,k}, θ⁻ⁱ_t)`` (:func:`~mpgverify.solvers.evaluation.evaluate`), which is the advantage of its
    induced MDP (no ``S × Aⁱ × S`` tensor is built: the factored path)."""
    out: list[torch.Tensor] = list(theta)
    gains = torch.zeros(*theta[0].shape[:-2], game.n_agents, dtype=theta[0].dtype, device=theta[0].device)
    for i in range(game.n_agents):
        if game.n_actions[i] == 1:
            continue  # θⁱ_{t,K} = θⁱ_t and a zero gain: see _steps_for
        th, V0 = theta[i], None
        for _ in range(K + 1):
            probs = softmax_policy(tuple(th if j == i else t for j, t in enumerate(theta)))
            ev = evaluate(game, probs)
            V0 = ev.V_mu[..., i] if V0 is None else V0
            if _ == K:
                gains[..., i] = ev.V_mu[..., i] - V0
                break
            move = ev.advantages[i]
            if lam > 0:
                move = move + natural_barrier_directions((probs[i],), lam, ev.d, game.gamma, "unnormalized")[0]
            th = th + lr * move
        out[i] = th
    return out, gains


def _action_groups(n_actions: tuple[int, ...]) -> list[tuple[int, list[int]]]:
    """The agents whose inner loops run as one stack: (width, agents) — every agent with two or more
    actions in one stack padded to the widest (:func:`_padded`), the single-action agents in another
    (one step each: :func:`_steps_for`)."""
    many = [i for i, n in enumerate(n_actions) if n > 1]
    one = [i for i, n in enumerate(n_actions) if n == 1]
    return [(w, g) for w, g in ((max((n_actions[i] for i in many), default=0), many), (1, one)) if g]


def _groups(n_actions: tuple[int, ...], lam: float) -> list[tuple[int, list[int]]]:
    """The stacks of the inner loops: :func:`_action_groups`, or one per action count with a barrier."""
    if lam == 0:
        return _action_groups(n_actions)
    groups: dict[int, list[int]] = {}
    for i, n in enumerate(n_actions):
        groups.setdefault(n, []).append(i)
    return list(groups.items())


def _padded(x: torch.Tensor, width: int, fill: float, axis: int) -> torch.Tensor:
    """``x`` with its action axis (``axis``) widened to ``width`` by entries equal to ``fill``."""
    missing = width - x.shape[axis]
    if missing == 0:
        return x
    shape = list(x.shape)
    shape[axis] = missing
    return torch.cat([x, x.new_full(shape, fill)], dim=axis)


def _stacked_mdps(
    mdps: Mapping[int, tuple[torch.Tensor, torch.Tensor]],
    theta: tuple[torch.Tensor, ...],
    members: list[int],
    width: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(P ``[G, *B, S, width, S]``, r ``[G, *B, S, width]``, θ ``[G, *B, S, width]``) of the agents in
    ``members``, an agent with fewer actions padded by actions it never takes: θ = −∞ (π = 0 exactly),
    reward 0 and a zero kernel row. Each pad adds exact zeros to the sums over actions (0·x = 0,
    x + 0 = x), so in exact arithmetic the loop is the agent's own; in floats a product over 3 actions
    may accumulate in another order than over 2 (bit for bit with AVX2 kernels, ulps apart with
    AVX-512 ones; ``tests/test_npg_br_paths.py``). So agents with 2 and 3 actions take their K steps
    together."""
    P = torch.stack([_padded(mdps[i][0], width, 0.0, -2) for i in members])
    r = torch.stack([_padded(mdps[i][1], width, 0.0, -1) for i in members])
    th = torch.stack([_padded(theta[i], width, -math.inf, -1) for i in members])
    return P, r, th


@_inner.register
def _inner_dense(
    game: MarkovGame, theta: tuple[torch.Tensor, ...], K: int, lr: float, lam: float
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The dense path: the agents' induced MDPs built once per outer step; the agents run as one stack
    (:func:`_action_groups`). A log barrier (``lam > 0``) reads every action, so each action count is
    its own stack there."""
    probs = softmax_policy(theta)
    mdps = {i: induced_mdp(game, probs, i) for i in range(game.n_agents)}
    eye = torch.eye(game.n_states, dtype=theta[0].dtype, device=theta[0].device)
    out: list[torch.Tensor] = list(theta)
    gains = torch.zeros(*theta[0].shape[:-2], game.n_agents, dtype=theta[0].dtype, device=theta[0].device)
    for n, members in _groups(game.n_actions, lam):
        P, r, th = _stacked_mdps(mdps, theta, members, n)  # [G, B, S, n, S], [G, B, S, n], [G, B, S, n]
        start, views = th, _step_views(P)
        V0 = None
        for _ in range(_steps_for(n, K)):
            V, move = _value_and_move(P, views, r, torch.softmax(th, dim=-1), eye, game.gamma, game.mu, lam)
            V0 = V if V0 is None else V0
            th = th + (move if lr == 1.0 else lr * move)
        th = start if n == 1 else th
        V_K, _, _ = policy_evaluation(P, r, torch.softmax(th, dim=-1), game.gamma)
        assert V0 is not None
        for g, i in enumerate(members):
            out[i] = th[g][..., : game.n_actions[i]]
            gains[..., i] = at_mu(game, V_K[g] - V0[g])
    return out, gains


@_inner.register
def _inner_batch(  # type: ignore[misc]
    game: GameBatch, theta: tuple[torch.Tensor, ...], K: int | torch.Tensor, lr: float, lam: float
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """A batch of games, one θ per game (``[B, S, Aⁱ]``): the dense path on every member's induced
    MDPs at once. ``K`` may differ per member (``[B]``): a member's θ stops moving after its own K
    steps (masked), so each equals its game's loop run alone."""
    B = game.size
    steps = torch.as_tensor(K).expand(B)
    probs = softmax_policy(theta)
    gamma = game.gamma.reshape(B, 1, 1)  # broadcasts as [1, B, 1, 1] against [G, B, S, ·]
    eye = torch.eye(game.n_states, dtype=theta[0].dtype, device=theta[0].device)
    out: list[torch.Tensor] = list(theta)
    gains = torch.zeros(B, game.n_agents, dtype=theta[0].dtype, device=theta[0].device)
    mdps = {i: induced_mdps(game, probs, i) for i in range(game.n_agents)}
    for n, members in _groups(game.n_actions, lam):
        P, r, th = _stacked_mdps(mdps, theta, members, n)
        start, views = th, _step_views(P)
        V0 = None
        everyone = int(steps.min())  # steps every member takes: no mask needed
        stops = set(steps.tolist())  # the mask changes only where some member's K ends (min K among them)
        active = (everyone < steps)[None, :, None, None]
        for k in range(_steps_for(n, int(steps.max()))):
            V, move = _value_and_move(P, views, r, torch.softmax(th, dim=-1), eye, gamma, game.mu, lam)
            V0 = V if V0 is None else V0
            moved = th + (move if lr == 1.0 else lr * move)  # η = 1 (the claims'): 1·x is x, one product fewer
            if k < everyone:
                th = moved
            else:
                if k in stops:
                    active = (k < steps)[None, :, None, None]
                th = torch.where(active, moved, th)
        th = start if n == 1 else th
        V_K, _, _ = policy_evaluation(P, r, torch.softmax(th, dim=-1), gamma)
        V0 = V_K if V0 is None else V0
        for g, i in enumerate(members):
            out[i] = th[g][..., : game.n_actions[i]]
            gains[:, i] = game.at_mu(V_K[g] - V0[g])
    return out, gains


def inner_loops(
    game: Game | GameBatch, theta: tuple[torch.Tensor, ...], K: int | torch.Tensor, lr: float, lam: float = 0.0
) -> tuple[torch.Tensor, ...]:
    """Every agent's K-step inner loop (5) from θ_t: returns θⁱ_{t,K} per agent, ``[N, B, S, Aⁱ]``
    stacked on a leading candidate axis (candidate i moves agent i only).

    Against the fixed ``π⁻ⁱ_t`` agent i faces one MDP for all K steps (:func:`~mpgverify.solvers.nash.induced_mdp`),
    and ``Āⁱ(s, aⁱ) = E_{a⁻ⁱ~π⁻ⁱ_t} Aⁱ(s, aⁱ, a⁻ⁱ)`` is that MDP's advantage ``Q(s, aⁱ) − V(s)``, so
    each inner step is an evaluation in an S-state MDP rather than in the whole game. With
    ``lam > 0`` each inner step adds the natural direction of the log barrier, as
    :func:`~mpgverify.algorithms.npg.npg` does (Fisher weighted by the unnormalized d). A
    :class:`~mpgverify.solvers.batched.GameBatch` takes one θ per game and ``K`` per game (``[B]``)."""
    return _candidates(theta, _inner(game, theta, K, lr, lam)[0])  # type: ignore[arg-type]


def _candidates(theta: tuple[torch.Tensor, ...], moved: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """Agent i's θ under each candidate j (j moves agent j only), ``[N, B, S, Aⁱ]`` per agent."""
    return tuple(torch.stack([moved[i] if j == i else t for j in range(len(theta))]) for i, t in enumerate(theta))


def outer_step(
    game: Game | GameBatch,
    theta: tuple[torch.Tensor, ...],
    K: int | torch.Tensor,
    lr: float,
    lam: float = 0.0,
    gain: str = "potential",
) -> tuple[tuple[torch.Tensor, ...], torch.Tensor, torch.Tensor]:
    """One outer step (5)–(6) from θ_t: (θ_{t+1}, the agent kept ``[B]``, its gain ``[B]``). A batch of
    games takes one θ and one ``K`` per game (see :func:`inner_loops`)."""
    moved, value_gains = _inner(game, theta, K, lr, lam)  # type: ignore[arg-type]
    if gain == "value":
        gains = value_gains
    else:
        N = game.n_agents
        cand = _candidates(theta, moved)
        base = _gain_values(game, softmax_policy(theta))  # [B, N]
        if isinstance(game, GameBatch):  # one policy per game: the N candidates one after another
            after = torch.stack([_gain_values(game, softmax_policy(tuple(c[j] for c in cand))) for j in range(N)])
        else:
            after = _gain_values(game, softmax_policy(cand))  # [N, B, N]
        idx = torch.arange(N)
        gains = after[idx, :, idx].T - base  # [B, N]: candidate i's gain in its measure
    best = gains.argmax(dim=-1)  # [B]
    kept = tuple(torch.where((best == i)[:, None, None], moved[i], t) for i, t in enumerate(theta))
    return kept, best, gains.gather(-1, best[:, None]).squeeze(-1)


def npg_br(
    *,
    lr: float = 1.0,
    K: int = 5,
    lam: float = 0.0,
    gain: str = "potential",
    init: str = "normal",
    init_scale: float = 1.0,
) -> Algorithm:
    """NPG-BR (5)–(6) with K inner steps of size η = ``lr`` and maximum-gain selection.

    Options: ``lam > 0`` regularizes the inner loops with the log barrier; ``gain`` is how eq. (6)
    measures a candidate: ``"potential"`` (Φ(μ), as printed, when the game states φ; Vⁱ(μ) otherwise)
    or ``"value"`` (Vⁱ(μ) in agent i's induced MDP — equal to the Φ gain in an MPG by Def 2.2, and
    N full-game evaluations cheaper per step).
    """
    lr = check_lr(lr)
    if gain not in ("potential", "value"):
        raise FormatError("gain", f"must be 'potential' or 'value', got {gain!r}")
    if lam < 0:
        raise FormatError("lam", f"must be ≥ 0, got {lam!r}")
    if not (isinstance(K, int) and K >= 1):
        raise FormatError("K", f"must be an integer ≥ 1, got {K!r}")

    def init_fn(game: Game, *, seed: int, batch: int) -> NPGBRState:
        base = init_theta(game, seed=seed, batch=batch, init=init, scale=init_scale)
        return NPGBRState(
            theta=base.theta,
            t=0,
            last_agent=torch.full((batch,), -1),
            last_gain=torch.zeros(batch, dtype=torch.float64),
        )

    def step(game: Game, state: NPGBRState) -> NPGBRState:
        theta, best, gains = outer_step(game, state.theta, K, lr, lam, gain)
        return NPGBRState(theta=theta, t=state.t + 1, last_agent=best, last_gain=gains)

    return Algorithm(
        name="npg-br",
        init=init_fn,
        step=step,
        policy=lambda state: softmax_policy(state.theta),
        options={"lr": lr, "K": K, "lam": lam, "gain": gain, "init": init, "init_scale": init_scale},
        promises=npg_br_promises(lr, K, lam),
        cost=lambda game, batch: Cost(
            game.n_agents * (K + 1) + 2.0,
            0.0,
            recording_bytes(game, batch * game.n_agents),
            f"N = {game.n_agents} inner loops of K + 1 = {K + 1} evaluations per step",
            "--option K",
        ),
    )


register("npg-br", npg_br)
