"""Shared pieces of the command line: argument types, option groups, one-line errors, output checks."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from mpgverify.builtin_games import BUILTIN_GAMES, REPRESENTATIONS, parse_game_spec
from mpgverify.errors import FormatError, MpgverifyError
from mpgverify.formats import load_game, load_policy
from mpgverify.game import Game, MarkovGame
from mpgverify.literals import DECIMAL, INTEGER
from mpgverify.policy import Policy, random_logits, softmax_policy, uniform_policy
from mpgverify.threads import apply_thread_policy, work_entries

__all__ = [
    "GAME_HELP",
    "MAX_ITERS",
    "MAX_SEED",
    "MAX_SEEDS",
    "OUTPUTS",
    "POLICY_HELP",
    "REPR_HELP",
    "SEED",
    "SEED_RANGE",
    "OneLineParser",
    "check_outputs",
    "counterexample_dir",
    "counterexamples_option",
    "debugging",
    "dense_game",
    "failure_line",
    "finite",
    "game_argument",
    "integer",
    "one_line",
    "parallel_options",
    "report_written",
    "resolve_game",
    "resolve_policy",
    "slug",
]

GAME_HELP = (
    "a mpgverify.game/1 JSON file, or a built-in game spec NAME[:key=value,...]; built-ins: "
    "coordination (options n, gamma, eps; e.g. coordination:n=12,gamma=0.9; dense up to n = 8, factored beyond)"
)
REPR_HELP = (
    "game representation: auto (dense while it fits, factored beyond: coordination n > 8), dense, or factored "
    "(built-in games; every solver accepts both and returns the same numbers)"
)


POLICY_HELP = "a mpgverify.policy/1 JSON file, 'uniform', or 'random:SEED' (softmax of N(0,1) logits)"


def resolve_game(text: str, representation: str = "auto") -> Game:
    """A game from a file path (dense) or a built-in spec in ``representation``; torch's threads are
    set for its size (:mod:`mpgverify.threads`: one for a small game, every core for a large one)."""
    game = _resolve_game(text, representation)
    apply_thread_policy(work_entries(game))
    return game


def _resolve_game(text: str, representation: str) -> Game:
    name = text.partition(":")[0]
    if name in BUILTIN_GAMES and not _exists(text):
        return parse_game_spec(text, representation=representation)
    if not _exists(text):
        raise FormatError("GAME", f"{text!r} is neither a file nor a built-in game ({', '.join(BUILTIN_GAMES)})")
    if representation == "factored":
        raise FormatError(
            "--repr", "a mpgverify.game/1 file is a dense game; --repr factored applies to built-in games"
        )
    return load_game(text)


def dense_game(game: Game, command: str) -> MarkovGame:
    """``game`` when it is dense; else one line saying why ``command`` needs the dense tensors."""
    if not isinstance(game, MarkovGame):
        raise FormatError(
            "GAME",
            f"{command} works on the dense S × A × S transition, and {game.name} is factored "
            f"({game.n_states} states × {math.prod(game.n_actions)} joint actions); use a smaller game or --repr dense",
        )
    return game


def game_argument(p: argparse.ArgumentParser, *, flag: bool = False) -> None:
    """GAME (positional, or ``--game`` with ``flag``) and ``--repr``."""
    if flag:
        p.add_argument("--game", required=True, metavar="GAME", help=GAME_HELP)
    else:
        p.add_argument("game", metavar="GAME", help=GAME_HELP)
    p.add_argument("--repr", choices=REPRESENTATIONS, default="auto", dest="representation", help=REPR_HELP)


def resolve_policy(text: str, game: Game) -> Policy:
    """A product policy from a file path, ``uniform`` or ``random:SEED``."""
    if text == "uniform":
        return uniform_policy(game)
    if text.startswith("random:"):
        seed = text.partition(":")[2]
        if not (seed.isascii() and seed.isdigit()) or len(seed) > 19 or int(seed) > MAX_SEED:
            raise FormatError("--policy", f"random:SEED needs an integer seed in {SEED_RANGE}, got {seed!r}"[:200])
        return softmax_policy(random_logits(game, seed=int(seed)))
    if not _exists(text):
        raise FormatError("--policy", f"{text!r} is neither a file nor 'uniform' nor 'random:SEED'")
    return load_policy(text, game)


def slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def counterexamples_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--counterexamples",
        metavar="DIR",
        help=f"{what}, and looked up before the claims' shipped ones (default: $MPGVERIFY_HOME/counterexamples, "
        "else ~/.local/share/mpgverify/counterexamples; shipped counterexamples are replayed from the "
        "installed package whatever the working directory)",
    )


def parallel_options(p: argparse.ArgumentParser) -> None:
    from mpgverify.verify.execution import default_workers

    cores = default_workers()
    p.add_argument(
        "--workers",
        type=integer(1, 1024),
        default=cores,
        help=f"local processes, one claim each (default: the cores, here {cores}); same seed and budget, same "
        "results whatever the number",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a Dask distributed scheduler (tcp://host:8786) to run the claims on instead "
        "(pip install 'mpgverify[cluster]')",
    )


def counterexample_dir(args: argparse.Namespace) -> Path:
    from mpgverify.verify.counterexamples import user_counterexample_dir

    return Path(args.counterexamples) if args.counterexamples else user_counterexample_dir()


#: the largest counts the commands accept: beyond them a run would not end in any sensible time
MAX_ITERS = 10**6


MAX_SEEDS = 10**6


MAX_SEED = 2**62 - 1  # seeds in [0, 2⁶²): seeds + batch offsets stay inside torch's 64-bit generator
#: how every message states the seed range
SEED_RANGE = f"[0, 2⁶²) (0 to {MAX_SEED})"


def integer(low: int, high: int, *, shown: str = "") -> Callable[[str], int]:
    """An argparse type: an integer in [low, high] (``shown``: how the range is stated in messages)."""
    stated = shown or f"[{low}, {high}]"

    def parse(text: str) -> int:
        try:
            if not (INTEGER.fullmatch(text) and len(text.lstrip("+-")) <= 30):
                raise ValueError(text)
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer in {stated}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be an integer in {stated}, got {text!r}")
        return value

    return parse


def finite(text: str) -> float:
    """An argparse type: a finite number, written in ASCII without underscores (``float`` reads "0.5_0")."""
    try:
        if not DECIMAL.fullmatch(text.strip()):
            raise ValueError(text)
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


SEED = integer(0, MAX_SEED, shown=SEED_RANGE)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``PROG: error: …`` line and exit 2 (``--help`` shows the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)}\n")


def report_written(paths: Sequence[str | None]) -> None:
    for path in dict.fromkeys(p for p in paths if p):
        print(f"wrote {path}", file=sys.stderr)


#: per command, the output arguments and whether each names a file or a folder (checked before any work)
OUTPUTS: dict[str, dict[str, str]] = {
    "export": {"out": "file"},
    "run": {"out": "folder"},
    "figures": {"out": "folder"},
    "check-mpg": {"potential_out": "file", "certificate": "file"},
    "claims": {"json": "file", "markdown": "file"},
    "hunt": {"json": "file", "ledger": "file", "markdown": "file", "closest": "folder"},
    "explain": {"out": "folder"},
    "report": {"out": "folder"},
}
#: per command, the arguments that name files it reads (an output must never be one of them)
INPUTS: dict[str, tuple[str, ...]] = {
    "evaluate": ("game", "policy"),
    "export": ("game",),
    "constants": ("game",),
    "check-mpg": ("game",),
    "run": ("game",),
    "replay": ("file",),
    "explain": ("file",),
    "report": ("ledger",),
}
#: commands that save confirmed counterexamples into a folder (``--counterexamples`` or the default)
SAVES_COUNTEREXAMPLES = ("claims", "hunt")


def _probe_folder(folder: Path, flag: str, value: str) -> None:
    """Prove a file can be created in ``folder``: create the folder (and missing parents) and a
    temporary file in it, then remove both; nothing is left behind, and permissions are tried, not
    guessed (``os.access`` says yes to root, even under ``/proc``)."""
    made = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".mpgverify-probe-", dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        raise FormatError(flag, f"{value!r} cannot be written ({e.strerror or e.__class__.__name__})") from None
    finally:
        for p in made:  # deepest first
            with contextlib.suppress(OSError):
                p.rmdir()


def _same(a: str, b: str) -> bool:
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except (OSError, ValueError):
        return False


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output path that cannot be written as the kind it must be, one that
    is also an input or another output, and a counterexample folder that cannot take a file."""
    files: list[tuple[str, str]] = []  # (flag, path) of every output file
    for name, kind in OUTPUTS.get(args.command, {}).items():
        value = getattr(args, name, None)
        if not isinstance(value, str):
            continue
        path, flag = Path(value), f"--{name.replace('_', '-')}"
        if kind == "file":
            if path.is_dir() or value.endswith(("/", os.sep)):
                raise FormatError(flag, f"{value!r} is a folder; a file path is needed")
            if path.exists() and not path.is_file():  # /dev/full: a rename would replace the device itself
                raise FormatError(flag, f"{value!r} is a device or special file; a regular file path is needed")
            if not path.parent.is_dir():
                raise FormatError(flag, f"{value!r}: its folder {str(path.parent)!r} does not exist")
            if path.exists() and not os.access(path, os.W_OK):
                raise FormatError(flag, f"{value!r} exists and is not writable")
            _probe_folder(path.parent, flag, value)
            files.append((flag, value))
        else:
            if path.exists() and not path.is_dir():
                raise FormatError(flag, f"{value!r} is a file; a folder is needed")
            _probe_folder(path, flag, value)
    for k, (flag, value) in enumerate(files):
        for other_flag, other in files[:k]:
            if _same(value, other):
                raise FormatError(flag, f"{value!r} is also {other_flag}: one output would replace the other")
    for name in INPUTS.get(args.command, ()):
        value = getattr(args, name, None)
        if isinstance(value, str) and _exists(value):
            for flag, out in files:
                if _same(value, out) and not (args.command == "hunt" and flag == "--ledger"):
                    raise FormatError(flag, f"{out!r} is also the input {name.upper()}: it would be overwritten")
    if args.command == "hunt" and getattr(args, "markdown", None) and not getattr(args, "ledger", None):
        raise FormatError("--markdown", "is rendered from the updated ledger: give --ledger too")
    if args.command in SAVES_COUNTEREXAMPLES:
        folder = counterexample_dir(args)
        flag = "--counterexamples" if args.counterexamples else "$MPGVERIFY_HOME (the default counterexample folder)"
        if folder.exists() and not folder.is_dir():
            raise FormatError(flag, f"{str(folder)!r} is a file; a folder is needed")
        _probe_folder(folder, flag, str(folder))


def _exists(text: str) -> bool:
    """``Path(text).exists()``, False for a name the system refuses (too long, a NUL byte)."""
    try:
        return Path(text).exists()
    except (OSError, ValueError):
        return False


_LINE_BREAKS = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # every break str.splitlines knows


def debugging() -> bool:
    """``MPGVERIFY_DEBUG=1``: an error the library did not foresee shows its traceback."""
    return os.environ.get("MPGVERIFY_DEBUG") == "1"


def failure_line(e: Exception) -> str:
    """What a command says when ``e`` ended its work (or one claim's, in a hunt of several): the library's
    own message, memory, a read or write that failed, else an internal error to report."""
    if isinstance(e, MpgverifyError):
        return str(e)
    if isinstance(e, MemoryError):
        return "ran out of memory (set MPGVERIFY_MEMORY_LIMIT lower to be refused earlier)"
    if isinstance(e, OSError):  # a write that the pre-flight check could not foresee (disk full, a path removed)
        where = f" {e.filename!r}" if getattr(e, "filename", None) else ""
        return f"cannot read or write{where}: {e.strerror or e}"
    return (
        f"internal error ({e.__class__.__name__}: {e}); please report it with the command line "
        "(MPGVERIFY_DEBUG=1 shows the traceback)"
    )


def one_line(message: str) -> str:
    """A message on one line (user text may hold line breaks)."""
    return _LINE_BREAKS.sub(lambda m: repr(m.group())[1:-1], message)
