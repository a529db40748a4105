"""Naive reference implementations, the denominators of the speed ratios in ``tox -e bench``.

Dense tensors, a Python loop over seeds and agents, nothing batched, nothing shared between agents
or iterations: what a first implementation of the paper's definitions looks like. Each returns the
same numbers as the library (checked in ``benchmarks/test_bench_targets.py`` before timing)."""

from __future__ import annotations

from typing import Any

import torch

from mpgverify.solvers.mdp import policy_iteration

__all__ = ["naive_evaluation", "naive_training"]


def _joint(probs: list[torch.Tensor]) -> torch.Tensor:
    S = probs[0].shape[0]
    pi = probs[0]
    for p in probs[1:]:
        pi = (pi[:, :, None] * p[:, None, :]).reshape(S, -1)
    return pi


def _others(game: Any, probs: list[torch.Tensor], i: int) -> torch.Tensor:
    """``Π_{j≠i} πʲ(aʲ|s)`` over joint actions, ``[S, A]``."""
    S, n = game.n_states, game.n_agents
    w = torch.ones((S, *game.n_actions), dtype=probs[0].dtype)
    for j in range(n):
        if j != i:
            view = [S] + [1] * n
            view[1 + j] = game.n_actions[j]
            w = w * probs[j].reshape(view)
    return w.reshape(S, -1)


def _own_onehot(game: Any, i: int) -> torch.Tensor:
    """``1[a's i-th component = aⁱ]``, ``[A, Aⁱ]``."""
    n = game.n_agents
    stride = 1
    for k in game.n_actions[i + 1 :]:
        stride *= k
    A = 1
    for k in game.n_actions:
        A *= k
    idx = torch.tensor([(a // stride) % game.n_actions[i] for a in range(A)])
    return torch.nn.functional.one_hot(idx, game.n_actions[i]).to(torch.float64) if n else idx


def naive_evaluation(game: Any, probs: list[torch.Tensor]) -> tuple[Any, Any]:
    """Nash-gap and POA of one policy: one LU solve and one unbatched policy iteration per agent."""
    S = game.n_states
    pi = _joint(probs)
    P_pi = torch.einsum("sa,sat->st", pi, game.P)
    M = torch.eye(S, dtype=pi.dtype) - game.gamma * P_pi
    values, gaps = [], []
    for i in range(game.n_agents):
        V = torch.linalg.solve(M, (pi * game.R[i]).sum(-1))
        values.append(V @ game.mu)
        w, own = _others(game, probs, i), _own_onehot(game, i)
        P_i = torch.einsum("sa,sat,ab->sbt", w, game.P, own)
        r_i = torch.einsum("sa,sa,ab->sb", w, game.R[i], own)
        best = policy_iteration(P_i, r_i, game.gamma).V @ game.mu
        gaps.append(best - values[-1])
    team = policy_iteration(game.P, game.R.sum(0), game.gamma).V @ game.mu
    return max(gaps), sum(values) / team


def naive_training(game: Any, theta: list[list[torch.Tensor]], lr: float, iters: int) -> list[list[torch.Tensor]]:
    """Exact PG (3) on each seed in turn: per iteration and agent, one LU solve for Vⁱ, one for d,
    the joint Q table and its marginal over the others' actions (Lemma 3.1)."""
    S = game.n_states
    out = []
    for seed_theta in theta:
        th = [t.clone() for t in seed_theta]
        for _ in range(iters):
            probs = [t.softmax(-1) for t in th]
            pi = _joint(probs)
            P_pi = torch.einsum("sa,sat->st", pi, game.P)
            M = torch.eye(S, dtype=pi.dtype) - game.gamma * P_pi
            d = torch.linalg.solve(M.T, game.mu)
            grads = []
            for i in range(game.n_agents):
                V = torch.linalg.solve(M, (pi * game.R[i]).sum(-1))
                Q = game.R[i] + game.gamma * game.P @ V
                A = (_others(game, probs, i) * Q) @ _own_onehot(game, i) - V[:, None]
                grads.append(d[:, None] * probs[i] * A)
            th = [t + lr * g for t, g in zip(th, grads, strict=True)]
        out.append(th)
    return out
