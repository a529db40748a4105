"""Differentiable views of this paper's smoothness claims, for gradient-guided hunting
(:class:`mpgverify.verify.claims.Relaxation`).

Each claim here bounds a Hessian's spectral norm; the hunter minimizes ``score = −‖H‖₂ / bound``
(``−tightness``) by autograd through the exact solver and through the Hessian itself
(``create_graph``). The spectral norm is differentiable wherever the top singular value is simple
and the worst state or block is unique (elsewhere the subgradient of the selected one is used, the
envelope theorem at a fixed selection). Reparametrizations keep the premises:

* θ: free (any real logits are valid);
* φ ∈ [0, 1] (Lemma 3.2's premise): ``φ = sigmoid(ψ)``; every agent's reward moves with φ, so the
  agent terms ``rⁱ − φ`` — hence the game's MPG structure — are unchanged;
* λ ∈ [0.01, 2] (the declared range of thm-3.6@smoothness): ``λ = 0.01 + 1.99 sigmoid(ℓ)``;
* c (Lemma C.1): free, since the claim holds for every real vector c and its bound scales with ‖c‖∞.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from mpgverify import bounds
from mpgverify.algorithms.gradients import log_barrier
from mpgverify.arrays import DTYPE
from mpgverify.policy import joint_policy, softmax_policy
from mpgverify.solvers.evaluation import potential_values
from mpgverify.verify.claims import Example
from properties.common import flat_theta, theta_json, theta_of, unflat_theta

__all__ = ["PotentialSmoothness", "StageSmoothness"]

_EDGE = 1e-9  # φ stays this far inside [0, 1] so that its logit is finite


def _logit(p: torch.Tensor) -> torch.Tensor:
    p = p.clamp(_EDGE, 1 - _EDGE)
    return torch.log(p) - torch.log1p(-p)


def _part_norm(H: torch.Tensor, blocks: list[tuple[int, int]], part: str) -> torch.Tensor:
    """‖H‖₂, or the largest ‖block‖₂ over own (i = j) or cross (i ≠ j) blocks of the agents' ranges."""
    if part == "full":
        return torch.linalg.matrix_norm(H, ord=2)
    norms = [
        torch.linalg.matrix_norm(H[a : a + n, b : b + m], ord=2)
        for i, (a, n) in enumerate(blocks)
        for j, (b, m) in enumerate(blocks)
        if (part == "own") == (i == j)
    ]
    return torch.stack(norms).max()


def _blocks(sizes: list[int]) -> list[tuple[int, int]]:
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    return list(zip(starts, sizes, strict=True))


@dataclass(frozen=True)
class StageSmoothness:
    """Lemma C.1: ``F(θ) = Σ_a π_θ(a) c_a`` on one state, c = the (identical-interest) reward vector."""

    part: str = "full"

    def parameters(self, example: Example) -> dict[str, torch.Tensor]:
        game = example.game
        return {"theta": flat_theta(theta_of(game, example.witness)), "c": game.R[0, 0].clone()}

    def score(self, params: dict[str, torch.Tensor], example: Example) -> torch.Tensor:
        game = example.game
        sizes = [(1, n) for n in game.n_actions]
        c = params["c"]
        f = lambda x: (joint_policy(softmax_policy(unflat_theta(sizes, x))) @ c).sum()
        H = torch.autograd.functional.hessian(f, params["theta"], create_graph=True)
        bound = {
            "full": bounds.lemma_c1_smoothness,
            "own": bounds.lemma_c1_own_block,
            "cross": bounds.lemma_c1_cross_block,
        }[self.part](game.n_agents, 1.0) * c.abs().max()
        return -_part_norm(H, _blocks(list(game.n_actions)), self.part) / bound

    def rebuild(self, params: dict[str, torch.Tensor], example: Example) -> Example:
        game = example.game
        c = params["c"].detach().reshape(1, *game.n_actions)
        new = game.replace(rewards=c.expand(game.n_agents, *c.shape).clone(), potential=c.clone())
        theta = unflat_theta([(1, n) for n in game.n_actions], params["theta"].detach())
        return Example(new, {**example.witness, "theta": theta_json(theta)})


@dataclass(frozen=True)
class PotentialSmoothness:
    """Lemma 3.2 (``part``: full, own or cross blocks) on ``Φ_θ(s)`` at every state, or with
    ``barrier`` the log-barrier objective ``L_λ`` of Theorem 3.6 against β_λ."""

    part: str = "full"
    barrier: bool = False

    def parameters(self, example: Example) -> dict[str, torch.Tensor]:
        game = example.game
        assert game.potential is not None
        params = {"theta": flat_theta(theta_of(game, example.witness)), "psi": _logit(game.potential)}
        if self.barrier:
            lam = float(example.witness["lam"])
            params["ell"] = _logit(torch.tensor((lam - 0.01) / 1.99, dtype=DTYPE))
        return params

    def _values(self, example: Example, x: torch.Tensor, phi: torch.Tensor) -> torch.Tensor:
        game = example.game
        probs = softmax_policy(unflat_theta([(game.n_states, n) for n in game.n_actions], x))
        return potential_values(game, probs, phi)

    def score(self, params: dict[str, torch.Tensor], example: Example) -> torch.Tensor:
        game = example.game
        phi = torch.sigmoid(params["psi"])
        x = params["theta"]
        blocks = _blocks([game.n_states * n for n in game.n_actions])
        if self.barrier:
            lam = 0.01 + 1.99 * torch.sigmoid(params["ell"])

            def L(z: torch.Tensor) -> torch.Tensor:
                probs = softmax_policy(unflat_theta([(game.n_states, n) for n in game.n_actions], z))
                return self._values(example, z, phi) @ game.mu + lam * log_barrier(probs)

            H = torch.autograd.functional.hessian(L, x, create_graph=True)
            beta = bounds.thm_3_6_beta(game.n_agents, game.gamma, game.n_states, lam)  # type: ignore[arg-type]
            return -torch.linalg.matrix_norm(H, ord=2) / beta
        norms = []
        for s in range(game.n_states):
            H = torch.autograd.functional.hessian(lambda z, s=s: self._values(example, z, phi)[s], x, create_graph=True)
            norms.append(_part_norm(H, blocks, self.part))
        bound = {
            "full": bounds.lemma_3_2_smoothness,
            "own": bounds.lemma_3_2_own_block,
            "cross": bounds.lemma_3_2_cross_block,
        }[self.part](game.n_agents, game.gamma)
        return -torch.stack(norms).max() / bound

    def rebuild(self, params: dict[str, torch.Tensor], example: Example) -> Example:
        game = example.game
        assert game.potential is not None
        phi = torch.sigmoid(params["psi"].detach()).clamp(0.0, 1.0)
        new = game.replace(rewards=game.rewards - game.potential + phi, potential=phi)
        theta = unflat_theta([(game.n_states, n) for n in game.n_actions], params["theta"].detach())
        witness: dict[str, Any] = {**example.witness, "theta": theta_json(theta)}
        if self.barrier:
            witness["lam"] = float(0.01 + 1.99 * torch.sigmoid(params["ell"].detach()))
        return Example(new, witness)
