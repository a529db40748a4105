"""Commands on one game: ``evaluate``, ``export``, ``constants``, ``check-mpg``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mpgverify.atomic import write_text
from mpgverify.cli.arguments import (
    MAX_SEEDS,
    POLICY_HELP,
    SEED,
    dense_game,
    game_argument,
    integer,
    resolve_game,
    resolve_policy,
)
from mpgverify.cost import time_budget
from mpgverify.formats import json_text, save_game
from mpgverify.game import MarkovGame
from mpgverify.memory import recording_bytes, require_memory
from mpgverify.progress import format_seconds
from mpgverify.report import evaluation_report, render_evaluation
from mpgverify.solvers.game_constants import mismatch_coefficient, potential_range

__all__ = ["add_check_mpg", "add_constants", "add_evaluate", "add_export"]

#: peak memory of writing one number of a game as mpgverify.game/1 (the float, its list slot, its text)
EXPORT_BYTES_PER_ENTRY = 140


def _evaluate(args: argparse.Namespace) -> int:
    game = resolve_game(args.game, args.representation)
    require_memory(recording_bytes(game, 1), f"an exact evaluation of {game.name}")
    report = evaluation_report(game, resolve_policy(args.policy, game))
    print(json_text(report) if args.json else render_evaluation(report), end="" if args.json else "\n")
    return 0


def _export(args: argparse.Namespace) -> int:
    game = dense_game(resolve_game(args.game, args.representation), "export (mpgverify.game/1 is the dense format)")
    S, A = game.n_states, game.n_joint_actions
    entries = S * A * S + (game.n_agents + 1) * S * A + S
    # as Python lists and JSON text, about 130 bytes an entry (measured: coordination:n=8, 17.1M entries, 2.25 GB)
    require_memory(EXPORT_BYTES_PER_ENTRY * entries, f"writing {game.name} as JSON ({entries} numbers)")
    save_game(game, args.out)
    print(f"wrote {args.out} ({game!r})")
    return 0


def _constants(args: argparse.Namespace) -> int:
    game = resolve_game(args.game, args.representation)
    require_memory(recording_bytes(game, 1), f"the constants of {game.name}")
    out: dict[str, object] = {"game": game.name}
    if game.potential is not None:
        low, high = potential_range(game)
        out.update(phi_min=low, phi_max=high)
    else:
        out.update(phi_min=None, phi_max=None)
    if isinstance(game, MarkovGame):
        from mpgverify.cost import estimate_seconds
        from mpgverify.solvers.game_constants import mismatch_cost

        seconds = estimate_seconds(mismatch_cost(game), game, 1)  # announced; refused by the library past budget
        if seconds > 10 and seconds <= time_budget():
            print(
                f"constants: M of {game.name}: about {format_seconds(seconds)} estimated", file=sys.stderr, flush=True
            )
        mm = mismatch_coefficient(game)
        out.update(M=mm.M, M_state=mm.state)
    else:  # 2S MDP optima over every joint action: past the dense limit, said rather than attempted
        out.update(
            M=None,
            M_state=None,
            note=f"M not computed: {game.name} is factored (2S = {2 * game.n_states} "
            "MDP optima over all joint actions would be needed)",
        )
    if args.json:
        print(json_text(out), end="")
    else:
        for k, v in out.items():
            shown = "n/a" if v is None else f"{v:.10g}" if isinstance(v, float) else str(v)
            print(f"{k:<8} {shown:<18}{_CONSTANT_MEANING.get(k, '')}".rstrip())
    return 0


#: what each printed constant is (the text output says it beside the value)
_CONSTANT_MEANING = {
    "phi_min": "Φ_min = min over product policies π and states s of Φ_π(s) (Assumption 2.3)",
    "phi_max": "Φ_max = max over π and s of Φ_π(s)",
    "M": "M = max over π, π′ of ‖d^π_μ / d^π′_μ‖_∞ (Lemma 3.5), exact",
    "M_state": "the state s at which the ratio d^π_μ(s) / d^π′_μ(s) attains M",
}


def _check_mpg(args: argparse.Namespace) -> int:
    from mpgverify.solvers.mpg_check import check_mpg

    game = dense_game(resolve_game(args.game, args.representation), "check-mpg")
    result = check_mpg(game, n_policies=args.policies, seed=args.seed)
    summary: dict[str, object] = {
        "game": game.name,
        "verdict": {True: "MPG", False: "not an MPG", None: "undecided at this precision"}[result.is_mpg],
        "basis": result.basis,
        "worst_residual": result.worst_residual,
        "pair_states_checked": result.pairs,
        "stated_potential_ok": result.stated_potential_ok,
        "note": result.note or None,
    }
    if result.is_mpg and result.potential is not None and args.potential_out:
        save_game(game.replace(potential=result.potential), args.potential_out)
        summary["potential_file"] = args.potential_out
    if result.certificate is not None:
        if args.certificate:
            write_text(args.certificate, json_text(result.certificate))
            summary["certificate_file"] = args.certificate
        else:
            summary["certificate"] = result.certificate
    if args.json:
        print(json_text(summary), end="")
    else:
        print(
            f"{summary['verdict']} ({result.basis}); worst residual {result.worst_residual:.3g} "
            f"over {result.pairs} policy-pair states"
        )
        if result.note:
            print(f"note: {result.note}")
        if result.stated_potential_ok is False:
            print("note: the stated potential violates Def 2.2")
        if "potential_file" in summary:
            print(f"wrote the game with its potential to {summary['potential_file']}")
        if result.certificate is not None:
            where = summary.get("certificate_file")
            print(f"certificate: {where}" if where else json_text(result.certificate).rstrip())
    return {True: 0, False: 1, None: 3}[result.is_mpg]


def add_evaluate(sub: Any) -> None:
    """The ``evaluate`` subcommand."""
    p = sub.add_parser(
        "evaluate",
        help="exact values, Φ, Nash-gap, social optimum and POA of a policy",
        description=(
            "Evaluate a product policy exactly: each agent's V^i(mu), the total potential "
            "Phi(mu) when the game states one, the Nash-gap (Def 2.4) with every agent's "
            "best-response gain, the social optimum and the POA (Def 4.1)."
        ),
    )
    game_argument(p)
    p.add_argument("--policy", required=True, metavar="POLICY", help=POLICY_HELP)
    p.add_argument("--json", action="store_true", help="print a mpgverify.evaluation/1 object")
    p.set_defaults(handler=_evaluate)


def add_export(sub: Any) -> None:
    """The ``export`` subcommand."""
    p = sub.add_parser(
        "export",
        help="write any game (built-ins included) as mpgverify.game/1",
        description="Write GAME as a mpgverify.game/1 JSON file (floats exact under repr).",
    )
    game_argument(p)
    p.add_argument("--out", required=True, metavar="FILE", help="path of the JSON file to write")
    p.set_defaults(handler=_export)


def add_constants(sub: Any) -> None:
    """The ``constants`` subcommand."""
    p = sub.add_parser(
        "constants",
        help="Φ_max, Φ_min and the mismatch coefficient M of a game",
        description=(
            "Print Phi_min/Phi_max (Assumption 2.3; exact MDP optima with reward ±phi) and "
            "M = max_{pi,pi'} ||d^pi_mu / d^pi'_mu||_inf (Lemma 3.5; exact). Fails with status 2 "
            "when Assumption 2.1 does not hold."
        ),
    )
    game_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_constants)


def add_check_mpg(sub: Any) -> None:
    """The ``check-mpg`` subcommand."""
    p = sub.add_parser(
        "check-mpg",
        help="decide whether a game is an MPG (exit 0 MPG, 1 not an MPG, 3 undecided at this precision)",
        description=(
            "Check Def 2.2 on many policy pairs: with a stated potential, directly; otherwise "
            "search 4-cycles of unilateral deviations (a nonzero cycle sum, re-checked in exact "
            "rational arithmetic, proves no potential exists) and fit phi by least squares. "
            "Exit 0 for 'MPG', 1 for 'not an MPG' (with a certificate), 2 for bad input, 3 for 'undecided at "
            "this precision' (a fit within 1000x the tolerance, or a cycle too large to re-check exactly)."
        ),
    )
    game_argument(p)
    p.add_argument(
        "--policies",
        type=integer(0, MAX_SEEDS),
        default=48,
        metavar="K",
        help="random mixed policies sampled (default 48)",
    )
    p.add_argument("--seed", type=SEED, default=0, help="seed of the policy sample (default 0)")
    p.add_argument("--certificate", metavar="FILE", help="write the non-MPG certificate here instead of printing it")
    p.add_argument("--potential-out", metavar="FILE", help="write the game with its (fitted) potential here")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_check_mpg)
