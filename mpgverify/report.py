"""The ``mpgverify.evaluation/1`` report: every exact quantity of one product policy at μ."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from mpgverify.game import Game
from mpgverify.policy import uniform_policy
from mpgverify.solvers.evaluation import Evaluation, evaluate
from mpgverify.solvers.nash import best_response, nash_gap
from mpgverify.solvers.welfare import social_optimum

__all__ = ["EVALUATION_FORMAT", "evaluation_report", "potential_contradiction", "render_evaluation"]

EVALUATION_FORMAT = "mpgverify.evaluation/1"


def potential_contradiction(game: Game, probs: Sequence[torch.Tensor], ev: Evaluation) -> str | None:
    """Where the stated φ contradicts Def 2.2 at this policy, in words; None when it does not.

    Def 2.2: ``Vⁱ(π'ⁱ, π⁻ⁱ)(s) − Vⁱ_π(s) = Φ(π'ⁱ, π⁻ⁱ)(s) − Φ_π(s)`` for every agent, deviation and
    state. Checked for each agent's deviations to its exact best response and to the uniform policy
    (a necessary condition: ``mpgverify check-mpg`` searches many more policies), with tolerance
    ``1e-9 (1 + max|r|, |φ|) / (1 − γ)``."""
    if ev.Phi is None or game.potential is None:
        return None
    phi = game.potential.reshape(1, *game.rewards.shape[1:])
    if bool((game.rewards == phi).all()):  # rⁱ = φ for every agent: Vⁱ = Φ for every policy, Def 2.2 by definition
        return None
    scale = 1 + max(float(game.rewards.abs().max()), float(game.potential.abs().max()))
    tol = 1e-9 * scale / (1 - game.gamma)
    uniform = uniform_policy(game)
    for i in range(game.n_agents):
        for label, dev in (("its best response", best_response(game, probs, i).policy), ("uniform", uniform[i])):
            moved = evaluate(game, tuple(dev if j == i else p for j, p in enumerate(probs)))
            dV, dPhi = moved.V[i] - ev.V[i], moved.Phi - ev.Phi  # type: ignore[operator]
            s = int((dV - dPhi).abs().argmax())
            if float((dV - dPhi).abs()[s]) > tol:
                return (
                    f"the stated potential contradicts Def 2.2: agent {i}'s switch to {label} changes V^{i}(s={s}) "
                    f"by {float(dV[s]):.10g} but Phi(s={s}) by {float(dPhi[s]):.10g}; Phi is not this game's potential"
                )
    return None


def evaluation_report(game: Game, probs: Sequence[torch.Tensor]) -> dict[str, Any]:
    """Values, Φ, Nash-gap with best-response gains, social optimum and POA of one policy.

    ``potential`` is null when the game states no φ; ``poa`` is null, with a note, when the social
    optimum is not positive (Def 4.1 is then undefined). A stated φ that contradicts Def 2.2 at this
    policy (:func:`potential_contradiction`) is named in ``notes``.
    """
    ev = evaluate(game, probs)
    gap = nash_gap(game, probs, V_mu=ev.V_mu)
    opt = float(social_optimum(game).value)
    social = float(ev.V_mu.sum())
    report: dict[str, Any] = {
        "format": EVALUATION_FORMAT,
        "game": game.name,
        "values": ev.V_mu.tolist(),
        "potential": None if ev.Phi_mu is None else float(ev.Phi_mu),
        "nash_gap": float(gap.gap),
        "best_response_gains": gap.gains.tolist(),
        "social_value": social,
        "social_optimum": opt,
        "poa": social / opt if opt > 0 else None,
    }
    notes = [f"POA undefined: the social optimum {opt!r} is not positive (Def 4.1)"] if opt <= 0 else []
    contradiction = potential_contradiction(game, probs, ev)
    if contradiction is not None:
        notes.append(contradiction)
    if notes:
        report["notes"] = notes
    return report


def render_evaluation(report: dict[str, Any]) -> str:
    """A short human-readable table of an evaluation report."""

    def num(x: Any) -> str:
        return "n/a" if x is None else f"{x:.10g}"

    lines = [f"game: {report['game']}", "agent  V^i(mu)        best-response gain"]
    for i, (v, g) in enumerate(zip(report["values"], report["best_response_gains"], strict=True)):
        lines.append(f"{i:>5}  {num(v):<14} {num(g)}")
    lines += [
        f"potential Phi(mu): {num(report['potential'])}",
        f"Nash-gap:          {num(report['nash_gap'])}",
        f"social value:      {num(report['social_value'])}",
        f"social optimum:    {num(report['social_optimum'])}",
        f"POA:               {num(report['poa'])}",
    ]
    lines += [f"note: {n}" for n in report.get("notes", [])]
    return "\n".join(lines)
