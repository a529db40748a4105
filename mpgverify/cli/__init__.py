"""``mpgverify``: a thin command line over the library.

Every command reads games as ``mpgverify.game/1`` files or built-in specs (``coordination:n=5``),
prints a table or JSON, and on bad input prints one ``mpgverify COMMAND: error: …`` line and exits 2.
One module per group of subcommands, each subcommand's arguments in one small ``add_*`` function;
the shared argument types and option groups are in :mod:`mpgverify.cli.arguments`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

import torch

from mpgverify import __version__, interrupts
from mpgverify.cli import games, runs, verification
from mpgverify.cli.arguments import (
    OneLineParser,
    check_outputs,
    debugging,
    failure_line,
    one_line,
    resolve_game,
    resolve_policy,
)
from mpgverify.errors import MpgverifyError
from mpgverify.threads import apply_thread_policy

__all__ = ["build_parser", "console", "main", "resolve_game", "resolve_policy"]

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
    verification.add_explain,
    verification.add_report,
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


class _PipeSafe:
    """stdout that survives a closed pipe (``mpgverify … | head -1``): the first BrokenPipeError
    silences further writes, so the command still finishes its work, writes its files and returns its
    own exit status; nothing more is printed."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.broken = stream, False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self._silence()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._silence()

    def _silence(self) -> None:
        self.broken = True
        with contextlib.suppress(Exception):  # the interpreter's last flush must not fail either
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _fail(command: str, message: str) -> int:
    print(f"mpgverify {command}: error: {one_line(message)}", file=sys.stderr)
    return 2


def console() -> NoReturn:
    """The ``mpgverify`` console script and ``python -m mpgverify``: :func:`main`, then exit with its
    status. After a Ctrl-C (status 130) the process ends with ``os._exit``: CPython remembers a
    KeyboardInterrupt that once crossed one of its C-level evaluation frames, even one the command
    caught, and at shutdown would kill itself with SIGINT (status −2 instead of 130: seen on 3 of 30
    interrupts 1.2–2.4 s into ``check-algorithm``). Every file is already whole (:mod:`mpgverify.atomic`).
    Once :func:`main` has returned, Ctrl-C is ignored: one arriving during interpreter shutdown killed
    a finished ``export`` with SIGINT (status −2, nothing printed) instead of its status 0."""
    status = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the work is done: a late Ctrl-C cannot change its status
    if status == 130:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(130)
    sys.exit(status)


def _failure(command: str, e: BaseException) -> int:
    """The one line and status 2 of a command that failed with ``e`` (re-raised when it is no failure of
    the command's: a SystemExit or GeneratorExit of Python's own, or ``MPGVERIFY_DEBUG=1``)."""
    if isinstance(e, SystemExit):  # a plug-in called sys.exit: its failure, never a pass
        return _fail(command, f"ALGORITHM: a plug-in called sys.exit({e.code!r}); nothing was checked")
    if isinstance(e, Exception) and (isinstance(e, MpgverifyError | MemoryError | OSError) or not debugging()):
        return _fail(command, failure_line(e))
    raise e


def _interrupt(command: str) -> int:
    print(f"mpgverify {command}: interrupted; no file was left half-written", file=sys.stderr)
    return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mpgverify`` console script; returns the exit status.

    Whatever happens is one line at most: bad input exit 2, Ctrl-C exit 130 (every file is written
    whole or not at all: :mod:`mpgverify.atomic`), a closed stdout pipe silences the output but not
    the work. An error the library did not foresee is still one line ("internal error", exit 2),
    unless ``MPGVERIFY_DEBUG=1`` asks for the traceback.
    """
    if threading.current_thread() is not threading.main_thread():
        return _main(argv)
    interrupts.acknowledge()  # nothing recorded by an earlier command in this process
    signal.signal(signal.SIGINT, interrupts.ctrl_c)  # Ctrl-C is KeyboardInterrupt from here on, and recorded
    previous = sys.unraisablehook
    sys.unraisablehook = interrupts.redeliver_dropped(previous)
    grad = torch.is_grad_enabled()
    try:
        return _main(argv)
    finally:
        interrupts.acknowledge()
        sys.unraisablehook = previous
        # a Ctrl-C landing inside one of torch's grad-mode switches (``no_grad().__enter__`` after it turned
        # gradients off, before the block it guards began) leaves them off for whatever the process runs next
        torch.set_grad_enabled(grad)


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # usage errors (one line, status 2) and --help/--version (status 0)
        return stop.code if isinstance(stop.code, int) else 2
    except (KeyboardInterrupt, Exception) as e:
        if not interrupts.caused_by_ctrl_c(e):
            raise
        interrupts.acknowledge()
        print("mpgverify: interrupted", file=sys.stderr)
        return 130
    handler: Callable[[argparse.Namespace], int] = args.handler
    saved = sys.stdout
    if not isinstance(sys.stdout, _PipeSafe):
        sys.stdout = _PipeSafe(sys.stdout)
    try:
        check_outputs(args)
        apply_thread_policy()  # one torch thread until a command meets a large game (mpgverify.threads)
        status = handler(args)
        if interrupts.lost():  # a Ctrl-C some library swallowed, with no unit of progress since to raise it
            raise KeyboardInterrupt
        return status
    except BaseException as e:
        if interrupts.caused_by_ctrl_c(e) or interrupts.lost():  # an error a swallowed Ctrl-C left behind
            interrupts.acknowledge()
            return _interrupt(args.command)
        return _failure(args.command, e)
    finally:
        if sys.stdout is not saved and isinstance(sys.stdout, _PipeSafe):
            with contextlib.suppress(Exception):
                sys.stdout.flush()
            sys.stdout = saved
