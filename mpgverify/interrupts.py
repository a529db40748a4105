"""A Ctrl-C that cannot be lost.

Python's own handler raises KeyboardInterrupt wherever the main thread happens to be, and some places
lose it: CPython only prints an exception raised in a weakref callback or a ``__del__`` (a Ctrl-C that
lands in the import machinery's ``_get_module_lock.<locals>.cb``); Python turns one raised in
``__set_name__`` into a RuntimeError that an ``except Exception`` then catches; C code that clears
errors (a ``__eq__`` called by ``PyDict_GetItem``) drops it without a word. A 100,000-iteration
``check-algorithm`` interrupted during its first seconds then ran on past a minute (CI, twice).

So the command's handler, :func:`ctrl_c`, also *records* the Ctrl-C, and the places that catch it on
purpose :func:`acknowledge` it. A Ctrl-C recorded and never acknowledged was lost on the way:

- every unit of progress (:class:`mpgverify.progress.Progress`) calls :func:`raise_if_lost`, so a
  long job stops within one unit;
- :func:`redeliver_dropped` hands a Ctrl-C CPython dropped back to the main thread 10 ms later;
- :func:`caused_by_ctrl_c` finds one wrapped in another exception, so that no ``except Exception``
  of ours turns it into an error (a plug-in "raised RuntimeError").

A library import (a notebook, pytest) leaves Python's handler in place and nothing is recorded.
"""

from __future__ import annotations

import _thread
import signal
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["acknowledge", "caused_by_ctrl_c", "ctrl_c", "lost", "raise_if_lost", "redeliver_dropped"]

_RECORDED = threading.Event()


def ctrl_c(signum: int, frame: object) -> None:
    """The SIGINT handler of a command: record the Ctrl-C, then raise KeyboardInterrupt as Python's does."""
    _RECORDED.set()
    raise KeyboardInterrupt


def acknowledge() -> None:
    """The Ctrl-C reached code that handles it: nothing is lost."""
    _RECORDED.clear()


def lost() -> bool:
    """Whether a Ctrl-C was recorded and never acknowledged."""
    return _RECORDED.is_set()


def raise_if_lost() -> None:
    """Raise KeyboardInterrupt again if a Ctrl-C was recorded and never acknowledged (it stays recorded
    until something acknowledges it, so a second loss is caught at the next call too)."""
    if _RECORDED.is_set() and signal.getsignal(signal.SIGINT) is ctrl_c:
        raise KeyboardInterrupt


def caused_by_ctrl_c(error: BaseException) -> bool:
    """Whether a KeyboardInterrupt is ``error`` or in its chain of causes and contexts (Python turns a
    KeyboardInterrupt raised in ``__set_name__`` during class creation into a RuntimeError whose cause
    it is)."""
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        if isinstance(link, KeyboardInterrupt):
            return True
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return False


def redeliver_dropped(previous: Callable[[Any], object]) -> Callable[[Any], object]:
    """An unraisable-exception hook that gives back a Ctrl-C CPython had to drop (a KeyboardInterrupt
    raised in a callback whose exceptions are only printed: "Exception ignored"). It is delivered again
    to the main thread (``_thread.interrupt_main``) from a helper thread 10 ms later, once this hook has
    returned (delivered from the hook itself, it would be raised in the hook and dropped again); should
    it land in such a callback once more, this hook sends it again. Every other unraisable exception
    goes to ``previous``."""

    def hook(unraisable: Any) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            later = threading.Timer(0.01, _thread.interrupt_main)
            later.daemon = True
            later.start()
            return
        previous(unraisable)

    return hook
