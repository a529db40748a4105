"""Imported first by the package: when the ``mpgverify`` command itself is starting (the console
script, or ``python -m mpgverify``), a Ctrl-C during the seconds torch takes to import exits with one
line and status 130 instead of a traceback; :func:`mpgverify.cli.main` restores Python's handler.
A library import (a notebook, pytest) is left alone."""

from __future__ import annotations

import os
import signal
import sys

__all__: list[str] = []


def _interrupted_while_loading(signum: int, frame: object) -> None:
    os.write(2, b"mpgverify: interrupted\n")
    os._exit(130)


if sys.argv[:1] == ["-m"] or os.path.basename(sys.argv[0] if sys.argv else "") == "mpgverify":
    signal.signal(signal.SIGINT, _interrupted_while_loading)
