"""Product policies ``π(a|s) = Π_i πⁱ(aⁱ|s)`` and the tabular softmax of Section 3.

A product policy is a tuple of N tensors, ``probs[i]`` of shape ``[*B, S, Aⁱ]`` where ``*B`` is
any batch shape shared by all agents (seeds, grid points, policy pairs). Tabular softmax
parameters θ have the same layout: ``πⁱ(a|s) = exp θⁱ_{s,a} / Σ_b exp θⁱ_{s,b}``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import torch

from mpgverify.arrays import DTYPE, all_finite, as_tensor, broadcast_shape, probability_rows
from mpgverify.errors import FormatError
from mpgverify.game import Game

__all__ = [
    "Policy",
    "batch_shape",
    "check_logits",
    "check_policy",
    "deterministic_policy",
    "expect_over_others",
    "joint_policy",
    "others_weights",
    "random_logits",
    "softmax_policy",
    "uniform_policy",
    "witnesses_parsed_once",
]

#: A product policy: ``probs[i]`` is ``[*B, S, Aⁱ]``.
Policy = tuple[torch.Tensor, ...]


def batch_shape(probs: Sequence[torch.Tensor]) -> torch.Size:
    """The batch shape ``*B`` of a product policy (or of tabular parameters)."""
    return probs[0].shape[:-2]


def _check_layout(game: Game, tensors: Sequence[torch.Tensor], field: str) -> None:
    if len(tensors) != game.n_agents:
        raise FormatError(field, f"must have one entry per agent ({game.n_agents}), has {len(tensors)}")
    batch = tensors[0].shape[:-2] if tensors[0].dim() >= 2 else None
    for i, t in enumerate(tensors):
        want = (game.n_states, game.n_actions[i])
        if t.dim() < 2 or tuple(t.shape[-2:]) != want:
            raise FormatError(
                f"{field}[{i}]",
                f"must have shape [..., {want[0]}, {want[1]}] (states, actions of agent {i}), has {list(t.shape)}",
            )
        if t.shape[:-2] != batch:
            raise FormatError(
                f"{field}[{i}]",
                f"batch shape {list(t.shape[:-2])} differs from agent 0's {list(batch or ())}",
            )


def check_policy(game: Game, probs: Sequence[object], field: str = "probs") -> Policy:
    """Validate a product policy for ``game`` and return it as float64 tensors.

    Each ``probs[i][..., s, :]`` must be a probability vector (nonnegative, sum 1 within 1e-9;
    renormalized when off by more than a few ulps). Nested lists are accepted.
    """
    return _parsed_once(game, probs, field, "probs", _check_policy)


def _check_policy(game: Game, probs: Sequence[object], field: str) -> Policy:
    if not isinstance(probs, (list, tuple)):
        raise FormatError(field, "must be a list with one entry per agent")
    tensors = []
    for i, p in enumerate(probs):
        if isinstance(p, torch.Tensor):
            t = p.to(DTYPE)
        else:
            want = (game.n_states, game.n_actions[i]) if i < game.n_agents else (0, 0)
            t = as_tensor(p, want, f"{field}[{i}]")
        tensors.append(t)
    _check_layout(game, tensors, field)
    out = []
    for i, (p, t) in enumerate(zip(probs, tensors, strict=True)):
        if isinstance(p, torch.Tensor):  # a converted list was found finite by as_tensor
            _check_finite(t, f"{field}[{i}]")
        out.append(probability_rows(t, f"{field}[{i}]"))
    return tuple(out)


def _check_finite(t: torch.Tensor, field: str) -> None:
    """Every entry of ``t`` is finite (:func:`~mpgverify.arrays.all_finite`), else the first bad index."""
    if all_finite(t):
        return
    where = "".join(f"[{int(k)}]" for k in (~torch.isfinite(t)).nonzero()[0])
    raise FormatError(f"{field}{where}", "must be finite")


#: the witness lists parsed in the current :func:`witnesses_parsed_once` scope (None: outside one)
_PARSED: ContextVar[dict[tuple[Any, ...], tuple[object, Policy]] | None] = ContextVar("_PARSED", default=None)


@contextmanager
def witnesses_parsed_once() -> Iterator[None]:
    """Within this scope :func:`check_logits` and :func:`check_policy` parse each list once per game shape,
    field and kind (a population's premise gates and its batched check read the same witness lists, and
    the neighbours of one parent that move its game share its witness): a list seen again — the same
    object, which nobody mutates while the scope lasts — returns the tensors parsed before (callers clone
    before changing a tensor). A parse that raises is not kept."""
    token = _PARSED.set({})
    try:
        yield
    finally:
        _PARSED.reset(token)


def _parsed_once(
    game: Game, value: Sequence[object], field: str, kind: str, parse: Callable[[Game, Sequence[object], str], Policy]
) -> Policy:
    """``parse(game, value, field)``, or inside :func:`witnesses_parsed_once` its first result for this list."""
    parsed = _PARSED.get()
    if parsed is None or not isinstance(value, list):
        return parse(game, value, field)
    key = (kind, id(value), game.n_states, tuple(game.n_actions), field)
    hit = parsed.get(key)
    if hit is not None and hit[0] is value:
        return hit[1]
    out = parse(game, value, field)
    parsed[key] = (value, out)  # the list is kept alive with its key: its id is not reused meanwhile
    return out


def check_logits(game: Game, logits: Sequence[object], field: str = "logits") -> Policy:
    """Validate tabular softmax parameters θ for ``game`` (finite, right shapes)."""
    return _parsed_once(game, logits, field, "logits", _check_logits)


def _check_logits(game: Game, logits: Sequence[object], field: str) -> Policy:
    if not isinstance(logits, (list, tuple)):
        raise FormatError(field, "must be a list with one entry per agent")
    tensors = []
    for i, p in enumerate(logits):
        if isinstance(p, torch.Tensor):
            t = p if p.dtype == DTYPE else p.to(DTYPE)
            _check_finite(t, f"{field}[{i}]")
        else:
            want = (game.n_states, game.n_actions[i]) if i < game.n_agents else (0, 0)
            t = as_tensor(p, want, f"{field}[{i}]")
        tensors.append(t)
    _check_layout(game, tensors, field)
    return tuple(tensors)


def softmax_policy(logits: Sequence[torch.Tensor]) -> Policy:
    """Tabular softmax: ``πⁱ(a|s) = exp θⁱ_{s,a} / Σ_b exp θⁱ_{s,b}`` (differentiable in θ); agents
    with tensors of one shape go through one call."""
    if len(logits) > 1 and len({tuple(t.shape) for t in logits}) == 1:
        return tuple(torch.softmax(torch.stack(tuple(logits)), dim=-1).unbind(0))
    return tuple(torch.softmax(t, dim=-1) for t in logits)


def uniform_policy(game: Game, batch: Sequence[int] = ()) -> Policy:
    """Every agent uniform over its actions in every state, ``[*batch, S, Aⁱ]``."""
    return tuple(
        torch.full((*batch, game.n_states, n), 1.0 / n, dtype=DTYPE, device=game.mu.device) for n in game.n_actions
    )


def random_logits(game: Game, *, seed: int, batch: Sequence[int] = (), scale: float = 1.0) -> Policy:
    """Tabular parameters θⁱ_{s,a} ~ N(0, scale²), as in Section 5 (scale 1), from ``seed``."""
    gen = torch.Generator().manual_seed(int(seed))
    return tuple(
        (scale * torch.randn((*batch, game.n_states, n), generator=gen, dtype=DTYPE)).to(game.mu.device)
        for n in game.n_actions
    )


def deterministic_policy(game: Game, actions: torch.Tensor) -> Policy:
    """One-hot product policy from per-agent actions ``actions[..., i, s] = aⁱ``, ``[*B, N, S]``."""
    return tuple(
        torch.nn.functional.one_hot(actions[..., i, :].long(), n).to(DTYPE) for i, n in enumerate(game.n_actions)
    )


def joint_policy(probs: Sequence[torch.Tensor]) -> torch.Tensor:
    """``π(a|s) = Π_i πⁱ(aⁱ|s)`` with the joint action flattened (agent 0 slowest), ``[*B, S, A]``."""
    out = probs[0]
    for p in probs[1:]:
        out = (out.unsqueeze(-1) * p.unsqueeze(-2)).flatten(-2)
    return out


def others_weights(probs: Sequence[torch.Tensor], agent: int) -> torch.Tensor:
    """``Wⁱ(s, aⁱ, a) = 1[a's i-th component = aⁱ] · Π_{j≠i} πʲ(aʲ|s)``, ``[*B, S, Aⁱ, A]``.

    Contracting the joint-action axis of any ``x(s, a, …)`` with ``Wⁱ`` gives
    ``E_{a⁻ⁱ~π⁻ⁱ(·|s)} x(s, aⁱ, a⁻ⁱ, …)`` as one batched matrix product.
    """
    ones = torch.ones_like(probs[agent])
    others = joint_policy([ones if j == agent else p for j, p in enumerate(probs)])  # [*B, S, A]
    n_i = probs[agent].shape[-1]
    eye = torch.eye(n_i, dtype=others.dtype, device=others.device)
    before = math.prod(p.shape[-1] for p in probs[:agent])
    after = math.prod(p.shape[-1] for p in probs[agent + 1 :])
    mask = eye[None, :, :, None].expand(before, n_i, n_i, after).permute(1, 0, 2, 3).reshape(n_i, -1)
    return others.unsqueeze(-2) * mask  # [*B, S, Aⁱ, A]


def expect_over_others(
    x: torch.Tensor, probs: Sequence[torch.Tensor], agent: int, *, n_trailing: int = 0
) -> torch.Tensor:
    """``E_{a⁻ⁱ ~ π⁻ⁱ(·|s)} x(s, aⁱ, a⁻ⁱ, …)``: average out every agent but ``agent``.

    Args:
      x: ``[*B, S, A, *T]`` with the joint action flattened and ``len(T) == n_trailing``
        (``*B`` broadcasts with the policy's batch shape).
      probs: the product policy, ``probs[j]`` of shape ``[*B, S, Aʲ]``.
      agent: the agent i whose action is kept.

    Returns:
      ``[*B, S, Aⁱ, *T]``.
    """
    lead = x.dim() - n_trailing
    trailing = x.shape[lead:]
    acts = [p.shape[-1] for p in probs]
    N = len(acts)
    # the joint action unflattened (agent 0 slowest), then each other agent's axis summed against its
    # πʲ(·|s), innermost first: elementwise products and sums, about twice as fast on these tiny tensors
    # as contracting with Wⁱ (:func:`others_weights`)
    y = x.reshape(*x.shape[: lead - 1], *acts, *trailing)  # [*B, S, A¹, …, Aᴺ, *T]
    averaged = False
    for j in reversed(range(N)):
        if j == agent or acts[j] == 1:  # a single action has πʲ = 1: nothing to average
            continue
        pj = probs[j].reshape(*probs[j].shape[:-1], *([1] * j), acts[j], *([1] * (N - 1 - j + n_trailing)))
        y = (y * pj).sum(j - N - n_trailing, keepdim=True)
        averaged = True
    y = y.reshape(*y.shape[: y.dim() - N - n_trailing], acts[agent], *trailing)
    if not averaged:  # the result still takes the policy's batch shape
        batch = broadcast_shape(x.shape[: lead - 2], probs[agent].shape[:-2])
        y = y.expand(*batch, *y.shape[y.dim() - 2 - n_trailing :]).clone()
    return y
