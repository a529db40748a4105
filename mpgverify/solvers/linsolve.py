"""Discounted linear systems ``(I − γ P) x = b`` and ``(I − γ Pᵀ) x = b``, P row-(sub)stochastic.

Every exact quantity of the paper is one of these: values ``V = (I − γ P_π)⁻¹ r_π`` and the
unnormalized visitation ``d = (I − γ P_π)⁻ᵀ μ`` (Section 2). Below :data:`MATRIX_FREE_FROM` states,
or when autograd must see the solve, they are solved directly (LU). From there on a dense LU costs
about ``⅔ S³`` operations (0.53 s at S = 4096 on the 2-core development machine) while one product
with ``P`` costs ``2 S²`` (5 ms): the systems are solved by GMRES on those products, batched over
every system, and the answer is *certified* before it is returned:

* for ``(I − γ P) x = b`` with residual ``ρ = b − (I − γ P) x``: ``‖x − x*‖_∞ ≤ ‖ρ‖_∞ / (1 − γ)``,
  because ``‖(I − γ P)⁻¹‖_∞ = ‖Σ_t γᵗ Pᵗ‖_∞ ≤ 1/(1 − γ)`` for a row-substochastic ``P ≥ 0``;
* for ``(I − γ Pᵀ) x = b``: ``‖x − x*‖_1 ≤ ‖ρ‖_1 / (1 − γ)`` (the same norm of the transpose).

The residual is recomputed from ``P`` (not taken from the Krylov recurrence); a system whose bound
is not below :data:`ERROR_BOUND` (relative to ``1 + ‖x‖``) after the restarts falls back to LU.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["ERROR_BOUND", "MATRIX_FREE_FROM", "certified_solve", "discounted_solve"]

#: Below this many states every system is solved by LU (faster there, and what autograd sees).
MATRIX_FREE_FROM = 1024
#: Certified error of an iterative solution, relative to ``1 + ‖x‖`` (∞-norm for values, 1-norm for d).
ERROR_BOUND = 1e-10
_KRYLOV = 60  # Arnoldi steps per GMRES cycle
_CYCLES = 4  # restarts before the LU fallback


def discounted_solve(
    P: torch.Tensor, rhs: torch.Tensor, gamma: float, *, transpose: bool = False, x0: torch.Tensor | None = None
) -> torch.Tensor:
    """``x = (I − γ P)⁻¹ rhs`` (``transpose``: ``(I − γ Pᵀ)⁻¹ rhs``).

    Args:
      P: ``[*B, S, S]``, non-negative rows summing to at most 1.
      rhs: ``[*B, S, K]`` (K right-hand sides per matrix).
      gamma: ``0 ≤ γ < 1``.
      x0: a guess ``[*B, S, K]`` to start the iterations from (the solution of a nearby system);
        it changes the work, not the certified answer.

    Returns:
      ``[*B, S, K]``; iterative solutions carry the certified bound of the module docstring.
    """
    S = P.shape[-1]

    def direct() -> torch.Tensor:
        M = torch.eye(S, dtype=P.dtype, device=P.device) - gamma * P
        return torch.linalg.solve(M.mT if transpose else M, rhs)

    if S < MATRIX_FREE_FROM or (torch.is_grad_enabled() and (P.requires_grad or rhs.requires_grad)):
        return direct()
    rhs = rhs.expand(*P.shape[:-2], *rhs.shape[-2:]) if rhs.dim() < P.dim() else rhs

    def product(X: torch.Tensor) -> torch.Tensor:  # P X or Pᵀ X, X: [*B, S, K]
        return (X.mT @ P).mT if transpose else P @ X

    return certified_solve(product, rhs, gamma, fallback=direct, transpose=transpose, x0=x0)


def certified_solve(
    product: Callable[[torch.Tensor], torch.Tensor],
    rhs: torch.Tensor,
    gamma: float,
    *,
    fallback: Callable[[], torch.Tensor],
    transpose: bool = False,
    x0: torch.Tensor | None = None,
) -> torch.Tensor:
    """The iterative path of :func:`discounted_solve` for a matrix given only by its products.

    Args:
      product: ``X ↦ P X`` (``transpose``: ``Pᵀ X``) for ``X`` ``[*B, S, K]``, where column k of
        every ``X`` belongs to system k (the systems may have different matrices: column k is
        multiplied by its own).
      rhs: ``[*B, S, K]``.
      gamma: ``0 ≤ γ < 1``.
      fallback: the exact (LU) answer, called only when GMRES cannot certify its own.
      transpose: certify in the 1-norm (systems with ``Pᵀ``) instead of the ∞-norm.
      x0: a starting guess ``[*B, S, K]``.
    """
    S = rhs.shape[-2]

    def apply(X: torch.Tensor) -> torch.Tensor:  # (I − γ P) X, column by column
        return X - gamma * product(X)

    ord = 1 if transpose else float("inf")
    x = torch.zeros_like(rhs) if x0 is None else x0.expand_as(rhs).clone()
    # aim the Krylov steps at half the certified bound, taking 1 + ‖x‖ ≥ 1 + ‖rhs‖ (true for rhs ≥ 0)
    target = 0.5 * ERROR_BOUND * (1.0 - gamma) * (1.0 + torch.linalg.vector_norm(rhs, ord=ord, dim=-2))
    if transpose:
        target = target / S**0.5  # ‖ρ‖₁ ≤ √S ‖ρ‖₂
    for cycle in range(_CYCLES + 1):
        residual = rhs - apply(x)
        bound = torch.linalg.vector_norm(residual, ord=ord, dim=-2) / (1.0 - gamma)
        ok = bound <= ERROR_BOUND * (1.0 + torch.linalg.vector_norm(x, ord=ord, dim=-2))
        if bool(ok.all()):
            return x
        if cycle < _CYCLES:
            x = x + _gmres(apply, residual, target=target)
    return fallback()  # the hard systems: LU, exact


def _gmres(apply: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, *, target: torch.Tensor) -> torch.Tensor:
    """One GMRES cycle from 0 for every column of ``b`` ``[*B, S, K]`` at once (independent systems);
    stops when every estimated residual (2-norm, which bounds the ∞-norm and ``1/√S`` of the 1-norm)
    is below ``target`` ``[*B, K]`` or after :data:`_KRYLOV` steps."""
    beta = torch.linalg.vector_norm(b, dim=-2)  # [*B, K]
    safe = beta.clamp_min(torch.finfo(b.dtype).tiny)
    basis = [b / safe[..., None, :]]
    H = torch.zeros(*beta.shape, _KRYLOV + 1, _KRYLOV, dtype=b.dtype, device=b.device)
    y = torch.zeros(*beta.shape, 1, dtype=b.dtype, device=b.device)
    k = 0
    for k in range(_KRYLOV):
        w = apply(basis[k])
        for j in range(k + 1):  # modified Gram–Schmidt, twice is not needed at these sizes
            h = (basis[j] * w).sum(-2)
            H[..., j, k] = h
            w = w - h[..., None, :] * basis[j]
        norm = torch.linalg.vector_norm(w, dim=-2)
        H[..., k + 1, k] = norm
        basis.append(w / norm.clamp_min(torch.finfo(b.dtype).tiny)[..., None, :])
        e1 = torch.zeros(*beta.shape, k + 2, 1, dtype=b.dtype, device=b.device)
        e1[..., 0, 0] = beta
        Hk = H[..., : k + 2, : k + 1]
        y = torch.linalg.lstsq(Hk, e1).solution
        estimate = torch.linalg.vector_norm((Hk @ y - e1)[..., 0], dim=-1)
        if bool((estimate <= target).all()):
            break
    V = torch.stack(basis[: k + 1], dim=-1)  # [*B, S, K, k+1]
    return (V * y[..., 0][..., None, :, :]).sum(-1)
