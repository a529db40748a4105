"""Helpers shared by the claim modules: examples, parameters from witnesses, tolerances, Hessians."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from hypothesis import strategies as st

import randomgames.strategies as rgs
from mpgverify.arrays import DTYPE
from mpgverify.game import MarkovGame
from mpgverify.policy import check_logits
from mpgverify.solvers.batched import stack_members
from mpgverify.verify.claims import Example, Outcome
from randomgames.reuse import reused

__all__ = [
    "EPS64",
    "flat_theta",
    "hessian",
    "identity_outcome",
    "largest_entries",
    "lower_bound_outcome",
    "mpg_games",
    "spectral_norm",
    "stacked_flat_theta",
    "stacked_theta",
    "theta_from_flat",
    "theta_json",
    "theta_of",
    "unflat_theta",
    "upper_bound_outcome",
    "with_theta",
]

EPS64 = float(torch.finfo(DTYPE).eps)


def theta_of(game: MarkovGame, witness: dict[str, Any], key: str = "theta") -> tuple[torch.Tensor, ...]:
    """Tabular parameters θ (one ``[S, Aⁱ]`` per agent) from a witness, validated."""
    return check_logits(game, witness[key], f"witness.{key}")


def stacked_theta(games: list[MarkovGame], witnesses: list[dict[str, Any]]) -> tuple[torch.Tensor, ...]:
    """Every member's θ (:func:`theta_of`) as a batch's, agent by agent: ``[B, S, Aⁱ]``."""
    return stack_members([theta_of(g, w) for g, w in zip(games, witnesses, strict=True)])


def stacked_flat_theta(
    games: list[MarkovGame], witnesses: list[dict[str, Any]]
) -> tuple[torch.Tensor, list[tuple[int, int]]]:
    """Every member's flat θ (:func:`flat_theta`), ``[B, n]``, and the per-agent ``[S, Aⁱ]`` shapes of
    their common shape (for :func:`unflat_theta`)."""
    x = torch.stack([flat_theta(theta_of(g, w)) for g, w in zip(games, witnesses, strict=True)])
    return x, [(games[0].n_states, n) for n in games[0].n_actions]


def flat_theta(theta: Sequence[torch.Tensor]) -> torch.Tensor:
    """θ as one vector, agent 0 first (the coordinates of Hessians and of gradient moves)."""
    return torch.cat([t.reshape(-1) for t in theta])


def unflat_theta(shapes: Sequence[tuple[int, int]], x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The inverse of :func:`flat_theta` for per-agent ``[S, Aⁱ]`` shapes, over the last axis of ``x``
    (``x [B, n]``: one θ ``[B, S, Aⁱ]`` per agent)."""
    out, k = [], 0
    for s, n in shapes:
        out.append(x[..., k : k + s * n].reshape(*x.shape[:-1], s, n))
        k += s * n
    return tuple(out)


def theta_from_flat(game: MarkovGame, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """θ of ``game`` (one ``[S, Aⁱ]`` per agent) from its flat vector :func:`flat_theta`."""
    return unflat_theta([(game.n_states, n) for n in game.n_actions], x)


def theta_json(theta: Sequence[torch.Tensor]) -> list[Any]:
    return [t.tolist() for t in theta]


@reused
def mpg_games(
    *,
    reward_range: tuple[float, float] = (0.0, 1.0),
    max_agents: int = 3,
    max_states: int = 3,
    max_actions: int = 3,
    max_gamma: float = 0.99,
    min_agents: int = 1,
) -> st.SearchStrategy[MarkovGame]:
    """Every MPG class (:func:`randomgames.strategies.mpgs`) up to the given sizes, μ uniform or random."""
    return rgs.mpgs(
        min_agents=min_agents,
        max_agents=max_agents,
        max_states=max_states,
        max_actions=max_actions,
        max_gamma=max_gamma,
        reward_range=reward_range,
        mus=("uniform", "random"),
    )


def with_theta(
    games: st.SearchStrategy[MarkovGame],
    *,
    scale: float = 3.0,
    extra: Callable[[Any, MarkovGame], dict[str, Any]] | None = None,
    tails: bool = False,
) -> st.SearchStrategy[Example]:
    """Examples: a game from ``games`` and parameters θ (shrinking to 0; ``tails``: also logits in
    [−50, 50] and near-deterministic rows with gaps up to 100, :func:`randomgames.strategies.logits`),
    plus ``extra`` fields."""

    @st.composite
    def build(draw: Any) -> Example:
        game = draw(games)
        theta = draw(rgs.logits(game, scale=scale, tails=tails))
        witness: dict[str, Any] = {"theta": theta_json(theta)}
        if extra is not None:
            witness.update(extra(draw, game))
        return Example(game, witness)

    return build()


def hessian(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Exact (autograd) Hessian of a scalar function of a flat vector."""
    return torch.autograd.functional.hessian(f, x)


def spectral_norm(m: torch.Tensor) -> float:
    """Largest singular value (= largest |eigenvalue| for a symmetric matrix)."""
    if m.numel() == 0:
        return 0.0
    return float(torch.linalg.matrix_norm(m, ord=2))


def upper_bound_outcome(
    observed: float, bound: float, *, scale: float = 1.0, premises_met: bool = True, note: str = ""
) -> Outcome:
    """``observed ≤ bound``: margin = bound − observed, tolerance 1e-9 relative to the scale."""
    tol = 1e-9 * (1.0 + abs(scale) + abs(bound))
    tight = observed / bound if bound > 0 else None
    return Outcome(premises_met, bound - observed, tol, observed, bound, tight, note)


def lower_bound_outcome(
    observed: float, bound: float, *, scale: float = 1.0, premises_met: bool = True, note: str = ""
) -> Outcome:
    """``observed ≥ bound``: margin = observed − bound, tolerance 1e-9 relative to the scale; the
    tightness is bound ÷ observed (1.0 = tight)."""
    tol = 1e-9 * (1.0 + abs(scale) + abs(observed))
    tight = bound / observed if observed > 0 else None
    return Outcome(premises_met, observed - bound, tol, observed, bound, tight, note)


def identity_outcome(residual: float, *, scale: float, premises_met: bool = True, note: str = "") -> Outcome:
    """``lhs = rhs``: margin = −|lhs − rhs|, float tolerance 1e-9 relative to the quantities' scale."""
    tol = 1e-9 * (1.0 + abs(scale))
    return Outcome(premises_met, -abs(residual), tol, abs(residual), 0.0, None, note)


def largest_entries(per_agent: Sequence[torch.Tensor]) -> list[float]:
    """Each member's largest ``|x|`` over every agent's tensor ``[B, …]`` (a stack's ``max_i max |xⁱ|``)."""
    return torch.stack([x.abs().flatten(1).amax(1) for x in per_agent]).amax(0).tolist()
