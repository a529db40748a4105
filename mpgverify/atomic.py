"""Writes that cannot be lost or half-done: a temporary file renamed into place, under a lock.

* :func:`atomic_path` yields a temporary path beside the target; when the block ends without an
  exception it is renamed over the target (``os.replace``: readers see the old file or the new one,
  never a half-written one; Ctrl-C mid-write leaves the old file and no temporary behind).
* :func:`write_text` is that for a string.
* :func:`locked` holds an exclusive ``flock`` on ``.NAME.lock`` beside a file (or inside a folder), so
  that two processes merging into one ledger, or saving into one counterexample folder, take turns:
  each re-reads what the other wrote before it writes (``hunt --ledger``, ``write_unique``).
* :func:`write_unique` saves under ``NAME.json``, or ``NAME~2.json``, ``NAME~3.json``, … when taken:
  a second writer never replaces the first one's file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mpgverify.errors import FormatError

__all__ = ["LOCK_TIMEOUT_S", "atomic_path", "locked", "write_text", "write_unique"]

#: how long a writer waits for another one's lock before refusing with one line
LOCK_TIMEOUT_S = float(os.environ.get("MPGVERIFY_LOCK_TIMEOUT", "120"))


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path in ``path``'s folder, renamed to ``path`` when the block succeeds."""
    target = Path(path)
    if target.exists() and not target.is_file():
        raise FormatError(str(target), "is a device, folder or special file: it is not replaced by a write")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


@contextlib.contextmanager
def locked(path: str | Path, *, timeout: float | None = None) -> Iterator[None]:
    """Hold the exclusive lock of ``path`` (a file: ``.NAME.lock`` beside it; a folder: ``.lock`` in it).

    Raises :class:`FormatError` naming the path when the lock is not free within ``timeout`` seconds
    (default :data:`LOCK_TIMEOUT_S`)."""
    import time

    p = Path(path)
    lock = p / ".lock" if p.is_dir() else p.parent / f".{p.name}.lock"
    wait = LOCK_TIMEOUT_S if timeout is None else timeout
    with open(lock, "a+b") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise FormatError(
                        str(p), f"another mpgverify process has held its lock for {wait:g} s; nothing was written"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_unique(folder: str | Path, stem: str, text: str) -> Path:
    """Save ``text`` as ``folder/STEM.json``, or ``STEM~k.json`` (the first free k ≥ 2) when that is
    taken; under the folder's lock, so two writers never pick the same name."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    with locked(root):
        path, k = root / f"{stem}.json", 2
        while path.exists():
            path, k = root / f"{stem}~{k}.json", k + 1
        return write_text(path, text)
