"""The space of Markov potential games with a given transition kernel: parametrize, decompose, project.

For a fixed kernel P and discount γ, write each agent's reward as ``rⁱ = φ + uⁱ``. Def 2.2 holds with
potential φ iff, for every agent i and every product policy π, the value of the *agent term* uⁱ,

    Uⁱ_π(s) = E_π[Σ_t γᵗ uⁱ(s_t, a_t) | s₀ = s],

does not depend on πⁱ (then ``Vⁱ_π − Φ_π = Uⁱ_π`` cancels in every unilateral difference). For
fixed π⁻ⁱ that is an MDP in which every policy of agent i has the same value, i.e. agent i's own
advantage of uⁱ vanishes:

    Āⁱ_π(s, aⁱ) = E_{a⁻ⁱ~π⁻ⁱ(·|s)}[uⁱ(s, a) + γ Σ_s' P(s'|s, a) Uⁱ_π(s')] − Uⁱ_π(s) = 0  ∀ s, aⁱ, π.

Each condition is linear in uⁱ, so the admissible agent terms form a linear subspace 𝒰ⁱ(P, γ), and
the MPGs with kernel P are exactly ``{(φ + u¹, …, φ + uᴺ) : φ ∈ ℝ^{S×A}, uⁱ ∈ 𝒰ⁱ(P, γ)}``: a linear
subspace of reward tuples. It contains the familiar classes — identical interest (uⁱ = 0),
constant offsets, dummy terms uⁱ(s, a⁻ⁱ) under action-independent P (Leonardos et al. 2021, C1),
potential-based shaping ``g(s) − γ Σ_s' P(s'|s, a) g(s')`` — and every combination of them.

The conditions are polynomial in π, so the span of the constraint rows over all π is reached by
finitely many generic policies: :func:`agent_term_basis` stacks the rows of random interior
policies until the null space stops shrinking and a fresh batch of policies leaves it unchanged.

A game's bases are asked for several times — by the generator that composes its rewards, by its
premise gate (Def 2.2) and by the hunter's moves, which keep its kernel — so the small ones
(S·A ≤ :data:`CACHED_DIM`) are kept in a bounded cache keyed by the kernel's content, γ, the agent and
the seed: a hit returns a copy of the same tensor the computation gives.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import NamedTuple

import torch

from mpgverify.arrays import DTYPE
from mpgverify.errors import MpgverifyError
from mpgverify.game import MarkovGame

__all__ = [
    "CACHED_DIM",
    "MAX_DENSE_DIM",
    "MPGDecomposition",
    "NotAnMPG",
    "agent_term_bases",
    "agent_term_basis",
    "compose_rewards",
    "decompose_mpg",
    "project_to_mpg",
]

#: singular values below this fraction of the largest count as zero (entries are O(1/(1−γ)))
_RTOL = 1e-9
#: the largest S·A for the dense basis: its SVDs hold a few (S·A)² float64 matrices (4096: ~0.5 GiB)
MAX_DENSE_DIM = 4096
_AGENT_LETTERS = "bcdefghij"
#: bases of kernels with S·A up to this are cached (each ≤ 128² float64 = 128 KiB; at most
#: :data:`_CACHE_SIZE` of them: 32 MiB)
CACHED_DIM = 128
_CACHE_SIZE = 256
_CACHE: OrderedDict[tuple[object, ...], torch.Tensor] = OrderedDict()
_CACHE_LOCK = threading.Lock()


class NotAnMPG(MpgverifyError):
    """The rewards are not φ + (admissible agent terms) for any φ: the game is not an MPG."""


class MPGDecomposition(NamedTuple):
    """``rⁱ = φ + Bⁱ zⁱ`` (flattened over ``[S, A]``).

    Attributes:
      phi: the potential φ, ``[S, A¹, …, Aᴺ]`` (the minimum-norm choice: φ is unique only up to
        terms admissible for every agent, such as shaping terms).
      coefficients: ``zⁱ``, one ``[kⁱ]`` tensor per agent.
      bases: ``Bⁱ``, one ``[S·A, kⁱ]`` orthonormal basis of 𝒰ⁱ(P, γ) per agent.
      residual: ``max |φ + Bⁱzⁱ − rⁱ|`` over agents, states and actions.
    """

    phi: torch.Tensor
    coefficients: tuple[torch.Tensor, ...]
    bases: tuple[torch.Tensor, ...]
    residual: float


def _random_policies(gen: torch.Generator, k: int, n_states: int, n_actions: tuple[int, ...]) -> list[torch.Tensor]:
    """k interior product policies, one ``[k, S, Aʲ]`` tensor per agent."""
    return [torch.softmax(2.0 * torch.randn(k, n_states, n, generator=gen, dtype=DTYPE), dim=-1) for n in n_actions]


def _constraint_rows(
    P: torch.Tensor, gamma: float, n_actions: tuple[int, ...], agent: int, pols: list[torch.Tensor]
) -> torch.Tensor:
    """The linear maps ``u ↦ Āⁱ_π`` for a batch of policies: ``[k·S·Aⁱ, S·A]``."""
    k, S = pols[0].shape[0], P.shape[0]
    A = P.shape[1]
    letters = _AGENT_LETTERS[: len(n_actions)]
    joint = torch.einsum(",".join(f"ks{c}" for c in letters) + f"->ks{letters}", *pols).reshape(k, S, A)
    # π⁻ⁱ weights per own action: [k, S, Aⁱ, A] = 1[aⁱ = b] Π_{j≠i} πʲ(aʲ|s)
    others = [p if j != agent else torch.ones_like(p) for j, p in enumerate(pols)]
    w = torch.einsum(",".join(f"ks{c}" for c in letters) + f"->ks{letters}", *others)
    own = torch.nn.functional.one_hot(torch.arange(n_actions[agent]), n_actions[agent]).to(DTYPE)
    shape = [1] * len(n_actions)
    shape[agent] = n_actions[agent]
    mask = own.reshape(n_actions[agent], *shape)  # [Aⁱ, 1.., Aⁱ, ..1]
    E = (w[:, :, None] * mask[None, None]).reshape(k, S, n_actions[agent], A)  # [k, S, Aⁱ, A]
    Ppi = torch.einsum("ksa,sat->kst", joint, P)
    M = torch.linalg.inv(torch.eye(S, dtype=DTYPE) - gamma * Ppi)  # [k, S, S]
    # V = M Π u with Π[s, (s', a)] = 1[s = s'] π(a|s):  Vmat [k, S, S·A]
    eyeS = torch.eye(S, dtype=DTYPE)
    Pi = (eyeS[None, :, :, None] * joint[:, None, :, :]).reshape(k, S, S * A)
    Vmat = M @ Pi
    # Q = u + γ P V:  Qmat [k, S·A, S·A]
    Qmat = torch.eye(S * A, dtype=DTYPE)[None] + gamma * P.reshape(S * A, S)[None] @ Vmat
    # Ā(s, b) = Σ_a E[s, b, a] Q[(s, a)] − V(s)
    Qs = Qmat.reshape(k, S, A, S * A)
    Abar = torch.einsum("ksba,ksax->ksbx", E, Qs) - Vmat[:, :, None, :]
    return Abar.reshape(k * S * n_actions[agent], S * A)


def _null_space(C: torch.Tensor, dim: int) -> torch.Tensor:
    if C.shape[0] == 0:
        return torch.eye(dim, dtype=DTYPE)
    _, sv, Vh = torch.linalg.svd(C, full_matrices=True)
    rank = int((sv > _RTOL * float(sv[0])).sum()) if sv.numel() and float(sv[0]) > 0 else 0
    return Vh[rank:].T.contiguous()


def agent_term_basis(transition: torch.Tensor, gamma: float, agent: int, *, seed: int = 0) -> torch.Tensor:
    """An orthonormal basis of 𝒰ⁱ(P, γ), the admissible agent terms of ``agent`` (module docstring).

    Args:
      transition: ``[S, A¹, …, Aᴺ, S]``.
      gamma: the discount factor.
      agent: i.
      seed: seeds the generic policies whose constraint rows are stacked.

    Returns:
      ``[S·A, k]`` with orthonormal columns (k = dim 𝒰ⁱ); ``u = B z`` reshaped to ``[S, A¹..Aᴺ]``.
    """
    n_actions = tuple(int(n) for n in transition.shape[1:-1])
    S = int(transition.shape[0])
    A = math.prod(n_actions)
    if len(n_actions) > len(_AGENT_LETTERS):
        raise MpgverifyError(f"the agent-term basis is built for at most {len(_AGENT_LETTERS)} agents")
    if S * A > MAX_DENSE_DIM:
        raise MpgverifyError(
            f"S·A = {S * A} exceeds {MAX_DENSE_DIM}: the dense agent-term basis needs (S·A)² numbers; "
            "use a smaller game (the class is decided per state-action pair)"
        )
    P = transition.reshape(S, A, S).to(DTYPE)
    if n_actions[agent] == 1:
        return torch.eye(S * A, dtype=DTYPE)  # a single action: nothing can depend on it
    if S * A > CACHED_DIM or P.device.type != "cpu":
        return _basis(P, float(gamma), n_actions, agent, seed)
    key = (n_actions, P.detach().contiguous().numpy().tobytes(), float(gamma), agent, seed)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit.clone()
    basis = _basis(P, float(gamma), n_actions, agent, seed)
    with _CACHE_LOCK:
        _CACHE[key] = basis.clone()
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return basis


def _forget_bases() -> None:
    """Empty the cache of bases (``agent_term_basis.cache_clear()``, as functools' caches name it)."""
    with _CACHE_LOCK:
        _CACHE.clear()


agent_term_basis.cache_clear = _forget_bases  # type: ignore[attr-defined]


def _basis(P: torch.Tensor, gamma: float, n_actions: tuple[int, ...], agent: int, seed: int) -> torch.Tensor:
    """:func:`agent_term_basis` computed (``P`` as ``[S, A, S]``)."""
    S, A = int(P.shape[0]), int(P.shape[1])
    gen = torch.Generator().manual_seed(seed)
    per = S * (n_actions[agent] - 1)
    batch = max(2, math.ceil(S * A / per) + 2)
    rows = _constraint_rows(P, gamma, n_actions, agent, _random_policies(gen, batch, S, n_actions))
    basis = _null_space(rows, S * A)
    for _ in range(8):  # a fresh batch must leave the null space unchanged
        fresh = _constraint_rows(P, gamma, n_actions, agent, _random_policies(gen, 2, S, n_actions))
        scale = float(fresh.abs().max()) if fresh.numel() else 1.0
        if basis.shape[1] == 0 or float((fresh @ basis).abs().max()) <= 1e-9 * max(scale, 1.0):
            return basis
        rows = torch.cat([rows, fresh])
        basis = _null_space(rows, S * A)
    raise MpgverifyError(f"agent {agent}: the agent-term space did not stabilize (ill-conditioned kernel?)")


def agent_term_bases(transition: torch.Tensor, gamma: float, *, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """:func:`agent_term_basis` for every agent."""
    n = transition.dim() - 2
    return tuple(agent_term_basis(transition, gamma, i, seed=seed) for i in range(n))


def compose_rewards(
    phi: torch.Tensor, coefficients: tuple[torch.Tensor, ...], bases: tuple[torch.Tensor, ...]
) -> torch.Tensor:
    """``rⁱ = φ + Bⁱ zⁱ`` for every agent: ``[N, S, A¹, …, Aᴺ]``."""
    flat = phi.reshape(-1)
    return torch.stack([(flat + B @ z).reshape(phi.shape) for B, z in zip(bases, coefficients, strict=True)])


def _solve(rewards: torch.Tensor, bases: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """Least squares over (φ, z¹..zᴺ) of ``Σ_i ‖φ + Bⁱzⁱ − rⁱ‖²`` (minimum-norm solution).

    With orthonormal Bⁱ, for a fixed φ the best zⁱ is ``Bⁱᵀ(rⁱ − φ)``; what is left is
    ``Σ_i ‖(I − BⁱBⁱᵀ)(rⁱ − φ)‖²``, a least-squares problem in φ alone with normal matrix
    ``Σ_i (I − BⁱBⁱᵀ)``."""
    N = rewards.shape[0]
    r = rewards.reshape(N, -1)
    dim = r.shape[1]
    eye = torch.eye(dim, dtype=DTYPE)
    proj = [eye - B @ B.T for B in bases]
    normal = sum(proj, torch.zeros(dim, dim, dtype=DTYPE))
    rhs = sum((Q @ r[i] for i, Q in enumerate(proj)), torch.zeros(dim, dtype=DTYPE))
    phi = torch.linalg.pinv(normal, rtol=_RTOL, hermitian=True) @ rhs
    coeffs = tuple(B.T @ (r[i] - phi) for i, B in enumerate(bases))
    return phi.reshape(rewards.shape[1:]), coeffs


def decompose_mpg(game: MarkovGame, *, tol: float = 1e-9, seed: int = 0) -> MPGDecomposition:
    """The parameters (φ, z¹..zᴺ) from which :func:`compose_rewards` rebuilds ``game``'s rewards.

    Raises:
      NotAnMPG: when the best fit leaves a residual above ``tol × (1 + max |r|)``: no potential
        makes ``game`` an MPG under its own kernel and γ.
    """
    bases = agent_term_bases(game.transition, game.gamma, seed=seed)
    phi, coeffs = _solve(game.rewards, bases)
    residual = float((compose_rewards(phi, coeffs, bases) - game.rewards).abs().max())
    if residual > tol * (1.0 + float(game.rewards.abs().max())):
        raise NotAnMPG(
            f"game {game.name!r}: rewards are no potential plus admissible agent terms (residual {residual:.3g})"
        )
    return MPGDecomposition(phi, coeffs, bases, residual)


def project_to_mpg(game: MarkovGame, *, seed: int = 0) -> MarkovGame:
    """The MPG nearest to ``game`` (least squares over the rewards) with the same P, μ and γ, its
    potential attached: the orthogonal projection onto the MPG subspace of the kernel."""
    bases = agent_term_bases(game.transition, game.gamma, seed=seed)
    phi, coeffs = _solve(game.rewards, bases)
    rewards = compose_rewards(phi, coeffs, bases)
    return game.replace(rewards=rewards, potential=phi, name=f"{game.name}-projected")
