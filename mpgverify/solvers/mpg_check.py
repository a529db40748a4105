"""Deciding, on evidence, whether a Markov game is an MPG (Def 2.2), with exact certificates.

Three tests, in order:

1. **Stated potential.** When the game states φ, check Def 2.2 directly on many policy pairs
   (π, (π̄ⁱ, π⁻ⁱ)), at every state: ``Vⁱ(π̄ⁱ,π⁻ⁱ)(s) − Vⁱ(π)(s) = Φ(π̄ⁱ,π⁻ⁱ)(s) − Φ(π)(s)``.
2. **Cycle certificate.** If a potential exists, then for agents i ≠ j, deviations x → x' of i
   and y → y' of j (everyone else fixed), the deviators' value changes around the 4-cycle
   (x,y) → (x',y) → (x',y') → (x,y') → (x,y) telescope in Φ and sum to zero at every state:
   ``C(s) = [Vⁱ(x',y) − Vⁱ(x,y)] + [Vʲ(x',y') − Vʲ(x',y)] + [Vⁱ(x,y') − Vⁱ(x',y')] + [Vʲ(x,y) − Vʲ(x,y')] = 0``.
   This holds for *any* potential function of (π, s), so ``C(s) ≠ 0`` proves the game is not an
   MPG. The largest cycle sum of each agent pair, however small, is re-computed in exact rational
   arithmetic (sympy) on games of up to :data:`EXACT_MAX_ENTRIES` state-action entries: a nonzero
   rational sum above round-off is the certificate, so a 10⁻¹⁰ perturbation is proved, not passed
   as an MPG within tolerance; one at round-off leaves the verdict undecided at this precision.
3. **Least-squares fit.** Φ_π is linear in φ for fixed π: ``Φ_π = (I − γP_π)⁻¹ Π_π φ`` with
   ``Π_π[s, (s, a)] = π(a|s)``. Stacking Def 2.2 over the sampled pairs gives a linear system in
   φ ∈ R^{S·A}; a fit with a residual at float-error level is evidence that the game is an MPG
   (evidence, not proof: only sampled pairs were checked), a residual 1000× above it evidence that
   it is not; in between, or with a cycle sum that could not be re-checked exactly, the verdict is
   "undecided at this precision".
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import torch

from mpgverify.arrays import DTYPE
from mpgverify.formats import game_from_json, game_to_json
from mpgverify.game import MarkovGame
from mpgverify.memory import evaluation_bytes, require_memory
from mpgverify.policy import deterministic_policy, joint_policy, softmax_policy
from mpgverify.solvers.evaluation import evaluate, policy_transition, state_values
from mpgverify.solvers.exact import exact_evaluate, rationalize_game, rationalize_policy

__all__ = [
    "MPGCheck",
    "check_mpg",
    "constant_cycles",
    "cycle_sums",
    "recheck_certificate",
    "recheck_cycle",
    "sample_policies",
]

CERTIFICATE_FORMAT = "mpgverify.mpg-certificate/1"
#: the largest game (S × joint actions) whose cycle sums are re-checked in rational arithmetic
EXACT_MAX_ENTRIES = 512
EPS = float(torch.finfo(torch.float64).eps)


@dataclass(frozen=True)
class MPGCheck:
    """Outcome of :func:`check_mpg`.

    Attributes:
      is_mpg: the verdict; None when undecided at this precision.
      basis: ``"stated potential"``, ``"fitted potential"``, ``"single agent"``, ``"cycle"``
        (a nonzero 4-cycle, its sum re-checked in rational arithmetic), ``"no fit"`` (no φ fits the
        sampled pairs, by more than 1000× the tolerance) or ``"undecided at this precision"`` (a fit
        within 1000× the tolerance, or a cycle sum above round-off on a game too large to re-check
        exactly; ``note`` says which).
      potential: the stated or fitted φ ``[S, A¹..Aᴺ]`` when ``is_mpg``.
      worst_residual: largest |Def 2.2 residual| over the sampled pairs for that φ (or, for
        ``"no fit"``, the least-squares residual).
      pairs: number of policy pairs × states checked.
      stated_potential_ok: whether a stated φ satisfied Def 2.2 (None when none was stated).
      certificate: a JSON-ready ``mpgverify.mpg-certificate/1`` object when not an MPG.
    """

    is_mpg: bool | None
    basis: str
    potential: torch.Tensor | None
    worst_residual: float
    pairs: int
    stated_potential_ok: bool | None = None
    certificate: dict[str, Any] | None = field(default=None)
    note: str = ""


def sample_policies(
    game: MarkovGame, *, n_random: int, seed: int, max_deterministic: int = 64
) -> tuple[torch.Tensor, ...]:
    """A batch of product policies: deterministic ones (all, or ``max_deterministic`` drawn) then
    ``n_random`` softmax policies with N(0, 2²) logits. Shape ``[K, S, Aⁱ]`` per agent."""
    gen = torch.Generator().manual_seed(int(seed))
    S, N = game.n_states, game.n_agents
    total = 1
    for n in game.n_actions:
        total *= n**S
    if total <= max_deterministic:
        rows = list(itertools.product(*[range(n) for n in game.n_actions for _ in range(S)]))
        acts = torch.tensor(rows).reshape(-1, N, S)
    else:
        acts = torch.stack([torch.randint(n, (max_deterministic, S), generator=gen) for n in game.n_actions], dim=1)
    det = deterministic_policy(game, acts)
    logits = tuple(2.0 * torch.randn((n_random, S, n), generator=gen, dtype=DTYPE) for n in game.n_actions)
    mixed = softmax_policy(logits)
    return tuple(torch.cat([d, m]) for d, m in zip(det, mixed, strict=True))


def _swap(probs: tuple[torch.Tensor, ...], agent: int, replacement: torch.Tensor) -> tuple[torch.Tensor, ...]:
    return tuple(replacement if j == agent else p for j, p in enumerate(probs))


def _deviations(probs: tuple[torch.Tensor, ...], agent: int, shift: int) -> tuple[torch.Tensor, ...]:
    """Pair policy k with agent ``agent`` playing policy (k + shift)'s component."""
    return _swap(probs, agent, probs[agent].roll(shift, dims=0))


def cycle_sums(game: MarkovGame, probs: tuple[torch.Tensor, ...], i: int, j: int) -> tuple[torch.Tensor, tuple]:
    """``C(s)`` for the 4-cycles built from batch ``probs`` (x' and y' from shifted batch members).

    Returns ``([K, S] cycle sums, (xy, x'y, x'y', xy') policies)``.
    """
    xy = probs
    x1y = _deviations(probs, i, 1)
    x1y1 = _deviations(x1y, j, 2)
    xy1 = _deviations(probs, j, 2)
    V = [state_values(game, p) for p in (xy, x1y, x1y1, xy1)]
    C = (V[1][:, i] - V[0][:, i]) + (V[2][:, j] - V[1][:, j]) + (V[3][:, i] - V[2][:, i]) + (V[0][:, j] - V[3][:, j])
    return C, (xy, x1y, x1y1, xy1)


def constant_cycles(game: MarkovGame, i: int, j: int) -> tuple[torch.Tensor, tuple]:
    """Every 4-cycle over constant deterministic policies: agent i plays x or x', agent j plays y
    or y' in every state, everyone else action 0. Returns ``([K, S] sums, policies)``."""
    S = game.n_states
    combos = [
        (x, x1, y, y1)
        for x, x1 in itertools.permutations(range(game.n_actions[i]), 2)
        for y, y1 in itertools.permutations(range(game.n_actions[j]), 2)
    ]
    if not combos:
        return torch.zeros(0, S, dtype=DTYPE), ()
    corners = []
    for ai, aj in ((0, 2), (1, 2), (1, 3), (0, 3)):  # xy, x'y, x'y', xy'
        acts = torch.zeros(len(combos), game.n_agents, S, dtype=torch.long)
        acts[:, i, :] = torch.tensor([c[ai] for c in combos])[:, None]
        acts[:, j, :] = torch.tensor([c[aj] for c in combos])[:, None]
        corners.append(deterministic_policy(game, acts))
    V = [state_values(game, p) for p in corners]
    C = (V[1][:, i] - V[0][:, i]) + (V[2][:, j] - V[1][:, j]) + (V[3][:, i] - V[2][:, i]) + (V[0][:, j] - V[3][:, j])
    return C, tuple(corners)


def recheck_certificate(certificate: dict[str, Any]) -> Any:
    """Recompute a cycle certificate's sum exactly from its embedded game and policies."""
    game = game_from_json(certificate["game"])
    pols = certificate["policies"]
    i, j = certificate["agents"]
    return recheck_cycle(game, [pols["xy"], pols["x'y"], pols["x'y'"], pols["xy'"]], i, j, certificate["state"])


def recheck_cycle(game: MarkovGame, policies: list[list[Any]], i: int, j: int, state: int) -> Any:
    """The exact rational cycle sum ``C(state)`` for four unbatched product policies."""
    eg = rationalize_game(game)
    V = [exact_evaluate(eg, rationalize_policy(p)).V for p in policies]
    return (
        (V[1][i][state] - V[0][i][state])
        + (V[2][j][state] - V[1][j][state])
        + (V[3][i][state] - V[2][i][state])
        + (V[0][j][state] - V[3][j][state])
    )


def _pair_differences(game: MarkovGame, probs: tuple[torch.Tensor, ...]):
    """For each agent, pairs (π_k, (π_{k+1}ⁱ, π_k⁻ⁱ)): value and potential-coefficient differences."""
    rows, rhs = [], []
    for i in range(game.n_agents):
        dev = _deviations(probs, i, 1)
        dV = state_values(game, dev)[:, i] - state_values(game, probs)[:, i]  # [K, S]
        rows.append(_potential_operator(game, dev) - _potential_operator(game, probs))  # [K, S, S·A]
        rhs.append(dV)
    return torch.cat(rows).reshape(-1, game.n_states * game.n_joint_actions), torch.cat(rhs).reshape(-1)


def _potential_operator(game: MarkovGame, probs: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """``M_π = (I − γP_π)⁻¹ Π_π`` with ``Φ_π = M_π φ``: ``[K, S, S·A]``."""
    pi = joint_policy(probs)  # [K, S, A]
    S, A = game.n_states, game.n_joint_actions
    P_pi = policy_transition(game, pi)
    Pi = torch.zeros(pi.shape[0], S, S, A, dtype=DTYPE)
    Pi[:, torch.arange(S), torch.arange(S)] = pi
    eye = torch.eye(S, dtype=DTYPE)
    return torch.linalg.solve(eye - game.gamma * P_pi, Pi.reshape(-1, S, S * A))


def _policy_json(probs: tuple[torch.Tensor, ...], k: int) -> list[Any]:
    return [p[k].tolist() for p in probs]


def check_mpg(game: MarkovGame, *, n_policies: int = 48, seed: int = 0, tol: float = 1e-8) -> MPGCheck:
    """Decide whether ``game`` is an MPG (see the module docstring for the method).

    Args:
      game: the game (a stated potential is checked first, when present).
      n_policies: number of random mixed policies added to the deterministic ones.
      seed: seed of the policy sample.
      tol: residuals up to ``tol · (1 + max|V|)`` count as zero.

    Returns:
      :class:`MPGCheck`.
    """
    K = min(64, math.prod(n**game.n_states for n in game.n_actions)) + n_policies
    pair_rows = 8 * K * game.n_agents * game.n_states * game.n_states * game.n_joint_actions
    need = evaluation_bytes(game.n_agents, game.n_states, game.n_actions, K) + pair_rows
    require_memory(need, f"checking {K} policies of {game.name}")
    probs = sample_policies(game, n_random=n_policies, seed=seed)
    scale = 1.0 + float(evaluate(game, probs).V.abs().max())
    threshold = tol * scale
    K, S = probs[0].shape[0], game.n_states
    pairs = K * game.n_agents * S

    stated_ok: bool | None = None
    stated_resid = math.inf
    if game.phi is not None:
        M, b = _pair_differences(game, probs)
        stated_resid = float((M @ game.phi.reshape(-1) - b).abs().max())
        stated_ok = stated_resid <= threshold
    if game.n_agents == 1:
        return MPGCheck(True, "single agent", game.rewards[0], 0.0, pairs, stated_ok)

    # float round-off of a cycle sum of a true MPG; above it, a cycle is worth an exact look. An MPG built
    # in floats (φ plus agent terms from a basis: sums with cancellation) is off Def 2.2 by more than one
    # rounding: 68 units of EPS·scale/(1−γ) on a rebuilt 3-agent game (tests/test_potential_space.py, on
    # AVX2 kernels), where 64 was allowed; 256 leaves room, and a 10⁻¹⁰ perturbation is still proved.
    noise = 256 * EPS * scale / (1.0 - game.gamma)
    roundoff = 0.0  # the largest cycle sum that is exactly nonzero, yet no larger than round-off
    exact_ok = game.n_states * game.n_joint_actions <= EXACT_MAX_ENTRIES
    unsettled = 0.0  # the largest cycle sum above round-off that no exact re-check settled
    for i, j in itertools.combinations(range(game.n_agents), 2):
        for candidates in (constant_cycles(game, i, j), None):
            C, pols = cycle_sums(game, probs, i, j) if candidates is None else candidates
            if C.numel() == 0:
                continue
            k, s = divmod(int(C.abs().argmax()), S)
            size = float(C[k, s].abs())
            if not exact_ok:  # too large for rational arithmetic: a sum above round-off stays unsettled
                unsettled = max(unsettled, size if size > noise else 0.0)
                continue
            policies = [_policy_json(p, k) for p in pols]
            exact = recheck_cycle(game, policies, i, j, s)
            if exact != 0 and size <= noise:  # the game as written is not an MPG, by no more than round-off
                roundoff = max(roundoff, abs(float(exact)))
            elif exact != 0:
                cert = {
                    "format": CERTIFICATE_FORMAT,
                    "kind": "cycle",
                    "statement": (
                        "for any potential of policies, the deviators' value changes around the 4-cycle "
                        "xy -> x'y -> x'y' -> xy' -> xy sum to 0 at every state; here they do not"
                    ),
                    "agents": [i, j],
                    "state": s,
                    "policies": {
                        "xy": policies[0],
                        "x'y": policies[1],
                        "x'y'": policies[2],
                        "xy'": policies[3],
                    },
                    "cycle_sum": float(C[k, s]),
                    "exact_cycle_sum": str(exact),
                    "exact": True,
                    "game": game_to_json(game),
                }
                return MPGCheck(False, "cycle", None, float(C[k, s].abs()), pairs, stated_ok, cert)

    M, b = _pair_differences(game, probs)
    if stated_ok:  # the stated φ meets Def 2.2 on every sampled pair: it is the fit
        phi, worst = game.phi.reshape(-1), stated_resid  # type: ignore[union-attr]
    else:
        phi = torch.linalg.lstsq(M, b.unsqueeze(-1), driver="gelsd").solution.squeeze(-1)
        worst = float((M @ phi - b).abs().max())
    if unsettled > 0 or roundoff > 0 or threshold < worst <= 1e3 * threshold:
        if unsettled > 0:
            why = (
                f"a 4-cycle sums to {unsettled:.3g} (above round-off, {game.n_states * game.n_joint_actions} "
                f"state-action entries: too many for the exact re-check, limit {EXACT_MAX_ENTRIES})"
            )
        elif roundoff > 0:
            why = (
                f"as written the game is exactly not an MPG (a 4-cycle sums to {roundoff:.3g} in rationals), but by "
                f"no more than float round-off ({noise:.3g}): an MPG rounded to floats looks the same"
            )
        else:
            why = f"the best fit misses Def 2.2 by {worst:.3g}, within 1000× the tolerance {threshold:.3g}"
        return MPGCheck(None, "undecided at this precision", None, worst, pairs, stated_ok, note=why)
    if stated_ok:
        return MPGCheck(True, "stated potential", game.potential, worst, pairs, True)
    if worst <= threshold:
        return MPGCheck(True, "fitted potential", phi.reshape(S, *game.n_actions), worst, pairs, stated_ok)
    cert = {
        "format": CERTIFICATE_FORMAT,
        "kind": "no-fit",
        "statement": "no potential phi(s, a) satisfies Def 2.2 on the sampled policy pairs (least squares)",
        "residual": worst,
        "threshold": threshold,
        "exact": False,
    }
    return MPGCheck(False, "no fit", None, worst, pairs, stated_ok, cert)
