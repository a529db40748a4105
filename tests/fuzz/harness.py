"""Run one CLI invocation in-process and assert it behaved: the contract of issues 13 and 22.

Exit 0 or 1 with valid output (3 for ``check-mpg`` "undecided at this precision" and
``check-algorithm`` "nothing checked"; 130 after Ctrl-C, with at most one line), or exit 2 with
exactly one line on stderr, never the catch-all "internal error" line; never a traceback, NaN or
Infinity in the output (JSON is parsed strictly), a run past ``TIMEOUT_S`` (SIGALRM) or a peak
resident set above ``MEMORY_CAP`` (the budget given to the library through ``MPGVERIFY_MEMORY_LIMIT``,
plus the test process itself).

Budget: ``MPGVERIFY_FUZZ_EXAMPLES`` examples per fuzz test (CI: 12; ``tox -e fuzz``: 400), drawn
deterministically unless ``MPGVERIFY_FUZZ_RANDOM=1``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import HealthCheck, settings

from mpgverify.cli import main

__all__ = ["EXIT_3", "FUZZ_SETTINGS", "MEMORY_CAP", "TIMEOUT_S", "Outcome", "assert_well_behaved", "check_contract"]

TIMEOUT_S = int(os.environ.get("MPGVERIFY_FUZZ_TIMEOUT", "60"))
LIBRARY_MEMORY = "1G"  # MPGVERIFY_MEMORY_LIMIT inside the fuzz: larger requests must be refused
MEMORY_CAP = 6 * 2**30  # peak RSS of the test process: library budget + torch + pytest, with room

FUZZ_SETTINGS = settings(
    max_examples=int(os.environ.get("MPGVERIFY_FUZZ_EXAMPLES", "12")),
    deadline=None,
    derandomize=os.environ.get("MPGVERIFY_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.nested_given,  # claims and hunt run Hypothesis themselves
    ],
    print_blob=True,
)

_NONFINITE = re.compile(r"(?<![\w.])-?(nan|inf|infinity)(?![\w])", re.IGNORECASE)


class Hang(Exception):
    """The command ran past the timeout."""


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def _alarm(signum: int, frame: object) -> None:
    raise Hang(f"no answer within {TIMEOUT_S} s")


def _refuse(token: str) -> None:
    raise AssertionError(f"{token} in JSON output")


def run_cli(argv: Sequence[str]) -> Outcome:
    """``mpgverify ARGV`` in this process, with stdout/stderr captured and a timeout."""
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as stop:  # argparse: usage errors and --help
                code = stop.code if isinstance(stop.code, int) else 2
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return Outcome(code, out.getvalue(), err.getvalue())


#: commands whose exit status 3 has a meaning (undecided; nothing checked)
EXIT_3 = ("check-mpg", "check-algorithm")
#: the time budget of the library inside the fuzz: a longer estimate must be refused, not run
LIBRARY_TIME = "20s"


def assert_well_behaved(argv: Sequence[str], *, sigint_after: float | None = None) -> Outcome:
    """Run ``argv`` and assert the contract (module docstring); returns the outcome. ``sigint_after``:
    send this process a SIGINT that many seconds into the command (Ctrl-C at a random moment)."""
    os.environ["MPGVERIFY_MEMORY_LIMIT"] = LIBRARY_MEMORY
    os.environ["MPGVERIFY_TIME_LIMIT"] = LIBRARY_TIME
    interrupted = sigint_after is not None
    try:
        got = run_cli(argv) if sigint_after is None else _interrupted_run(argv, sigint_after)
    finally:
        os.environ.pop("MPGVERIFY_MEMORY_LIMIT", None)
        os.environ.pop("MPGVERIFY_TIME_LIMIT", None)
    return check_contract(argv, got, interrupted=interrupted)


def _interrupted_run(argv: Sequence[str], after: float) -> Outcome:
    """:func:`run_cli` with a SIGINT sent ``after`` seconds in; one arriving once the command has
    returned is ignored (there is nothing left to interrupt)."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(after, os.kill, (os.getpid(), signal.SIGINT))
    got = Outcome(130, "", "interrupted before the command started")
    try:
        timer.start()
        got = run_cli(argv)
    except KeyboardInterrupt:  # escaped the command (it came between two of its statements' handlers)
        got = Outcome(130, "", "mpgverify: interrupted")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, old)
    return got


def check_contract(argv: Sequence[str], got: Outcome, *, interrupted: bool = False) -> Outcome:
    """Assert the contract (module docstring) on an outcome; ``interrupted``: a SIGINT was sent."""
    repro = f"repro: mpgverify {' '.join(argv)}"
    allowed = {0, 1, 2} | ({3} if argv and argv[0] in EXIT_3 else set()) | ({130} if interrupted else set())
    assert got.code in allowed, f"exit {got.code}; {repro}\n{got.err[-2000:]}"
    assert "Traceback" not in got.err + got.out, f"a traceback; {repro}\n{got.err[-2000:]}"
    assert "internal error" not in got.err, f"an unforeseen error; {repro}\n{got.err[-2000:]}"
    if got.code == 130:
        lines = [line for line in got.err.strip().splitlines() if "interrupted" in line]
        assert lines, f"exit 130 without saying so; {repro}\n{got.err[-2000:]}"
        return got
    if got.code == 2:  # progress lines may come first; the error is one line, the last
        lines = got.err.strip().splitlines()
        errors = [line for line in lines if "error:" in line]
        assert len(errors) == 1 and lines[-1] == errors[0], f"exit 2 needs one error line, got {lines}; {repro}"
    else:
        assert not _NONFINITE.search(got.out), f"a non-finite number in the output; {repro}\n{got.out[:2000]}"
        if "--json" in argv and got.out.lstrip().startswith(("{", "[")):
            json.loads(got.out, parse_constant=_refuse)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert peak <= MEMORY_CAP, f"peak RSS {peak / 2**30:.2f} GiB above the cap; {repro}"
    return got
