"""The ``mpgverify.evaluation/1`` report: every exact quantity of one product policy at μ."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from mpgverify.evaluation import evaluate
from mpgverify.game import MarkovGame
from mpgverify.nash import nash_gap
from mpgverify.welfare import social_optimum

__all__ = ["EVALUATION_FORMAT", "evaluation_report", "render_evaluation"]

EVALUATION_FORMAT = "mpgverify.evaluation/1"


def evaluation_report(game: MarkovGame, probs: Sequence[torch.Tensor]) -> dict[str, Any]:
    """Values, Φ, Nash-gap with best-response gains, social optimum and POA of one policy.

    ``potential`` is null when the game states no φ; ``poa`` is null, with a note, when the social
    optimum is not positive (Def 4.1 is then undefined).
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
    if opt <= 0:
        report["notes"] = [f"POA undefined: the social optimum {opt!r} is not positive (Def 4.1)"]
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
