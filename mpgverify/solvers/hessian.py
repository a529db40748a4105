"""Spectral norms of Hessians without forming them: Hessian-vector products and Lanczos.

For a scalar ``f(x)``, ``H v = ∇(∇f(x) · v)`` costs two backward passes (double backward), so the
Lanczos process — ``β_{k+1} q_{k+1} = H q_k − α_k q_k − β_k q_{k−1}``, with full
re-orthogonalization — builds a tridiagonal ``T_k`` whose extreme eigenvalues converge to H's.
``‖H‖₂ = max(|λ_min|, |λ_max|)`` is read off ``T_k``. After ``k = dim x`` steps the Krylov space is
the whole space and the result is exact up to round-off; with fewer steps it is a lower bound
(Ritz values lie inside the spectrum), so a property that compares it with an upper bound can
miss a violation but never invent one.

:func:`batched_hessians` forms the Hessians of a population of independent functions at once: with
``f_b`` depending on ``x_b`` alone, ``∂/∂x (Σ_b ∂f_b/∂x_{b,k}) = ∇²f_b(x_b)[k, ·]`` for every b, so
n double-backward passes of one batched graph give all B Hessians (not B·n passes of B graphs).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["batched_hessians", "hessian_spectral_norm", "hvp"]


def batched_hessians(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """``∇²f_{b,m}(x_b)`` for every member b and output m, ``[B, M, n, n]``: ``f`` maps ``x [B, n]`` to
    ``[B, M]`` with row b a function of ``x_b`` alone (members independent: module docstring). An
    output that does not depend on x (a single action's softmax) has the zero Hessian."""
    x = x.detach().requires_grad_(True)
    y = f(x)
    B, n = x.shape
    out = torch.zeros(B, y.shape[1], n, n, dtype=x.dtype)
    for m in range(y.shape[1]):
        if not y.requires_grad:
            break
        (g,) = torch.autograd.grad(y[:, m].sum(), x, create_graph=True, retain_graph=True)
        for k in range(n if g.requires_grad else 0):
            (row,) = torch.autograd.grad(g[:, k].sum(), x, retain_graph=True, allow_unused=True)
            if row is not None:
                out[:, m, k] = row.detach()
    return out


def hvp(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """``v ↦ H v`` at x (the gradient graph is built once and reused)."""
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)

    def product(v: torch.Tensor) -> torch.Tensor:
        (hv,) = torch.autograd.grad(g, x, grad_outputs=v, retain_graph=True)
        return hv.detach()

    return product


def hessian_spectral_norm(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, *, steps: int | None = None, seed: int = 0
) -> float:
    """``‖∇²f(x)‖₂`` by Lanczos on Hessian-vector products (module docstring).

    Args:
      f: a scalar function of a flat vector.
      x: the point, ``[n]``.
      steps: Lanczos steps (default ``min(n, 80)``; ``n`` gives the exact norm up to round-off).
      seed: the start vector's seed.
    """
    n = x.numel()
    if n == 0:
        return 0.0
    k = min(n, steps or 80)
    H = hvp(f, x)
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(n, generator=gen, dtype=x.dtype).to(x.device)
    q = q / q.norm()
    Q = [q]
    alphas, betas = [], []
    for j in range(k):
        w = H(Q[j])
        alpha = torch.dot(w, Q[j])
        alphas.append(alpha)
        basis = torch.stack(Q)
        w = w - basis.T @ (basis @ w)  # full re-orthogonalization (twice is enough)
        w = w - basis.T @ (basis @ w)
        beta = w.norm()
        if j == k - 1 or beta <= 1e-12 * (1.0 + abs(float(alpha))):
            break
        betas.append(beta)
        Q.append(w / beta)
    m = len(alphas)
    T = torch.diag(torch.stack(alphas))
    if m > 1:
        off = torch.stack(betas[: m - 1])
        T = T + torch.diag(off, 1) + torch.diag(off, -1)
    return float(torch.linalg.eigvalsh(T).abs().max())
