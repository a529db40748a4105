"""Discounted solves: the certified iterative path equals LU, and hard systems fall back to LU."""

from __future__ import annotations

import pytest
import torch

import mpgverify.solvers.linsolve as linsolve
from mpgverify.solvers.linsolve import ERROR_BOUND, discounted_solve

F64 = torch.float64


def stochastic(S: int, batch: int, seed: int, *, sharp: float = 1.0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return (sharp * torch.randn(batch, S, S, generator=gen, dtype=F64)).softmax(-1)


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.95])
def test_iterative_solution_is_within_its_certified_bound_of_lu(transpose, gamma) -> None:
    S = linsolve.MATRIX_FREE_FROM  # the first size solved iteratively
    P = stochastic(S, 2, seed=int(gamma * 100), sharp=4.0)
    gen = torch.Generator().manual_seed(1)
    rhs = torch.rand(2, S, 3, generator=gen, dtype=F64)
    x = discounted_solve(P, rhs, gamma, transpose=transpose)
    M = torch.eye(S, dtype=F64) - gamma * P
    exact = torch.linalg.solve(M.mT if transpose else M, rhs)
    norm = 1 if transpose else float("inf")
    err = torch.linalg.vector_norm(x - exact, ord=norm, dim=-2)
    bound = ERROR_BOUND * (1 + torch.linalg.vector_norm(exact, ord=norm, dim=-2))
    assert bool((err <= 2 * bound).all()), (err.max(), bound.min())


def test_a_system_gmres_cannot_certify_falls_back_to_lu(monkeypatch) -> None:
    monkeypatch.setattr(linsolve, "_KRYLOV", 2)  # far too few steps for γ = 0.999
    monkeypatch.setattr(linsolve, "MATRIX_FREE_FROM", 8)
    P = stochastic(64, 1, seed=3, sharp=8.0)
    rhs = torch.ones(1, 64, 1, dtype=F64)
    x = discounted_solve(P, rhs, 0.999)
    exact = torch.linalg.solve(torch.eye(64, dtype=F64) - 0.999 * P, rhs)
    assert torch.allclose(x, exact, rtol=1e-12, atol=0)


def test_small_or_differentiated_systems_are_solved_directly(monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(linsolve, "_gmres", lambda *a, **k: calls.append(1))
    P = stochastic(linsolve.MATRIX_FREE_FROM, 1, seed=0).requires_grad_(True)
    discounted_solve(P, torch.ones(1, linsolve.MATRIX_FREE_FROM, 1, dtype=F64), 0.9)
    discounted_solve(stochastic(16, 1, seed=0), torch.ones(1, 16, 1, dtype=F64), 0.9)
    assert calls == []
