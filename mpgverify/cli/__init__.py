"""``mpgverify``: a thin command line over the library.

Every command reads games as ``mpgverify.game/1`` files or built-in specs (``coordination:n=5``),
prints a table or JSON, and on bad input prints one ``mpgverify COMMAND: error: …`` line and exits 2.
One module per group of subcommands, each subcommand's arguments in one small ``add_*`` function;
the shared argument types and option groups are in :mod:`mpgverify.cli.arguments`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from mpgverify import __version__
from mpgverify.cli import games, runs, verification
from mpgverify.cli.arguments import OneLineParser, check_outputs, one_line, resolve_game, resolve_policy
from mpgverify.errors import MpgverifyError

__all__ = ["build_parser", "main", "resolve_game", "resolve_policy"]

SUBCOMMANDS = (
    games.add_evaluate,
    games.add_export,
    games.add_constants,
    games.add_check_mpg,
    runs.add_run,
    runs.add_check_algorithm,
    verification.add_claims,
    verification.add_hunt,
    runs.add_figures,
    verification.add_replay,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = OneLineParser(
        prog="mpgverify",
        description=(
            "Exact verification of the claims of 'Convergence and Price of Anarchy Guarantees "
            "of the Softmax Policy Gradient in Markov Potential Games'. Bad input exits with "
            "status 2 and one error line."
        ),
    )
    parser.add_argument("--version", action="version", version=f"mpgverify {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mpgverify`` console script; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # usage errors (one line, status 2) and --help/--version (status 0)
        return stop.code if isinstance(stop.code, int) else 2
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        check_outputs(args)
        return handler(args)
    except MpgverifyError as e:
        print(f"mpgverify {args.command}: error: {one_line(str(e))}", file=sys.stderr)
        return 2
