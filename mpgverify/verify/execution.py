"""Run the engine's tasks — one claim each — on a ``concurrent.futures`` executor.

Three executors, one code path:

* ``workers=1``: in this process, one task after another (no pickling, Ctrl-C stops at once);
* ``workers=N``: a local process pool (``ProcessPoolExecutor``, spawn start method);
* ``scheduler=ADDRESS``: a Dask distributed cluster (``Client(ADDRESS).get_executor()``; the optional
  extra ``mpgverify[cluster]``).

A task names its claim by id and its worker re-loads the claim from the registry, so nothing but
ids, numbers and paths is sent out, and results come back as plain records. Results are returned in
task order whatever order they finish in, so the same seed and budget give the same ledger for any
number of workers. A confirmed counterexample travels back inside its result and is written here, by
the process that runs the job, as soon as its task finishes — so a cluster needs no shared file
system, and an interrupted job keeps every counterexample confirmed before the interrupt and returns
the results finished so far.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Generic, TextIO, TypeVar

from mpgverify.errors import MpgverifyError
from mpgverify.interrupts import acknowledge, caused_by_ctrl_c
from mpgverify.progress import Progress
from mpgverify.threads import apply_thread_policy
from mpgverify.verify.claims import Claim
from mpgverify.verify.counterexamples import save_closest_call, write_counterexample
from mpgverify.verify.hunter import OFFSPRING, STOP_REQUESTED, HuntResult, Method, hunt
from mpgverify.verify.registry import load_claims
from mpgverify.verify.runner import ClaimResult, run_claim

__all__ = ["Finished", "claim_task", "default_workers", "executor", "hunt_task", "run_hunts", "run_tasks"]

T = TypeVar("T")


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@lru_cache(maxsize=1)
def _claims_by_id() -> dict[str, Claim]:
    return {c.id: c for c in load_claims()}


def _claim(claim: Claim | str) -> Claim:
    """A claim sent as itself (in this process) or by id (to another process)."""
    return _claims_by_id()[claim] if isinstance(claim, str) else claim


def claim_task(
    claim: Claim | str, *, budget: str, seed_value: int, counterexample_dir: str | None, known_dir: str | None
) -> ClaimResult:
    """One ledger row (:func:`~mpgverify.verify.runner.run_claim`); ``known_dir/<id>.json`` (where this
    process can see it), else the claim's shipped counterexample, is replayed first."""
    return run_claim(
        _claim(claim),
        budget=budget,
        seed_value=seed_value,
        counterexample_dir=None if counterexample_dir is None else Path(counterexample_dir),
        known_dir=None if known_dir is None else Path(known_dir),
    )


def hunt_task(
    claim: Claim | str,
    *,
    seconds: float | None,
    evaluations: int | None,
    seed_value: int,
    method: Method,
    counterexample_dir: str | None,
    offspring: int = OFFSPRING,
) -> HuntResult:
    """One hunt (:func:`~mpgverify.verify.hunter.hunt`), writing a confirmed counterexample to the folder."""
    folder = None if counterexample_dir is None else Path(counterexample_dir)
    return hunt(
        _claim(claim),
        seconds=seconds,
        evaluations=evaluations,
        seed_value=seed_value,
        method=method,
        counterexample_dir=folder,
        offspring=offspring,
    )


#: how often a pool worker checks that its parent is still there (seconds)
PARENT_CHECK = 0.5


def _init_worker(threads: int, parent: int | None = None) -> None:
    """A pool worker: leaves Ctrl-C to the parent (which cancels what has not started), runs the
    claims' small tensors on one thread (:mod:`mpgverify.threads`; ``MPGVERIFY_THREADS`` overrides),
    never more than its share of the cores (torch's default of one thread per core in every worker
    oversubscribes the machine: spinning OpenMP threads made a 0.3 s claim take 8 s on 2 workers × 2
    threads), ends itself when ``parent`` is gone (:func:`_exit_with_parent`), and loads the claims once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="exit-with-parent").start()
    apply_thread_policy(threads_cap=threads)
    _claims_by_id()


def _exit_with_parent(parent: int) -> None:
    """End this worker once its parent process is gone. A parent stopped by SIGTERM (``timeout``, ``kill``)
    or SIGKILL never shuts its pool down, and its workers lived on as orphans, each holding ~400 MB,
    until killed by hand (seen after a ``hunt --all`` was killed). An orphan is adopted by another
    process, so its parent id changes (POSIX)."""
    while True:
        time.sleep(PARENT_CHECK)
        if os.getppid() != parent:
            os._exit(1)


class _InProcess(Executor):
    """Runs each task when submitted, in this process."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:  # KeyboardInterrupt included: the caller decides
            if not isinstance(e, Exception):
                raise
            future.set_exception(e)
        return future


@contextlib.contextmanager
def executor(*, workers: int = 1, scheduler: str | None = None) -> Iterator[Executor]:
    """The executor of a job (module docstring)."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise MpgverifyError("--scheduler needs Dask distributed: pip install 'mpgverify[cluster]'") from None
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as e:
            raise MpgverifyError(f"--scheduler: cannot reach a Dask scheduler at {scheduler!r} ({e})") from None
        with client:
            yield client.get_executor()
        return
    if workers <= 1:  # also an empty job
        yield _InProcess()
        return
    context = multiprocessing.get_context("spawn")  # torch and fork do not mix
    threads = max(1, default_workers() // workers)
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(threads, os.getpid())
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _first_interrupt_stops_gently(local: bool) -> Iterator[None]:
    """In this process, the first Ctrl-C asks the running hunt to stop at its next budget check (it
    returns what it found) and no further task to start; a second Ctrl-C interrupts at once."""
    STOP_REQUESTED.clear()
    if not local or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_interrupt(signum: int, frame: object) -> None:
        if STOP_REQUESTED.is_set():
            raise KeyboardInterrupt
        STOP_REQUESTED.set()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        STOP_REQUESTED.clear()


@dataclass(frozen=True)
class Finished(Generic[T]):
    """What a job returned: results in task order (None where a task did not finish), whether it
    was interrupted, and (``run_tasks(keep_going=True)``) each task that failed: its claim id and error."""

    results: list[T | None]
    interrupted: bool
    failed: tuple[tuple[str, Exception], ...] = ()

    @property
    def done(self) -> list[T]:
        return [r for r in self.results if r is not None]


def _write_back(result: T, folder: str | None) -> T:
    """Write the counterexample a remote task confirmed (carried in ``detail``) into ``folder``."""
    obj = getattr(result, "detail", {}).get("counterexample")
    if folder is None or obj is None or getattr(result, "status", None) != "refuted":
        return result
    path = write_counterexample(Path(folder) / f"{obj['claim']}.json", obj)
    extra = {"wrote": True} if hasattr(result, "wrote") else {}
    return dataclasses.replace(result, counterexample=str(path), **extra)  # type: ignore[type-var]


def run_tasks(
    task: Callable[..., T],
    jobs: Sequence[tuple[Claim, dict[str, Any]]],
    *,
    pool: Executor,
    progress: Progress,
    describe: Callable[[T], str],
    keep_going: bool = False,
) -> Finished[T]:
    """``task(claim, **options)`` for every job on ``pool`` (a claim goes to another process by its id,
    so it must be registered). Ctrl-C cancels what has not started and returns what finished; in this
    process the first Ctrl-C lets the running hunt stop at its next budget check and keeps its record.

    A task that raises ends the job with its error, unless ``keep_going``: then its result is None, the
    other tasks run on, and :attr:`Finished.failed` names it with its error (a Ctrl-C is never a
    task's failure)."""
    local = isinstance(pool, _InProcess)
    if not local:
        unknown = [c.id for c, _ in jobs if c.id not in _claims_by_id()]
        if unknown:
            raise MpgverifyError(f"claim {unknown[0]!r} is not registered: only --workers 1 can run it")
    results: list[T | None] = [None] * len(jobs)
    futures: dict[Future[T], int] = {}
    failed: dict[int, Exception] = {}

    def collect(future: Future[T], k: int) -> None:
        claim, options = jobs[k]
        error = future.exception()
        if error is None:
            results[k] = future.result() if local else _write_back(future.result(), options.get("counterexample_dir"))
            progress.advance(f"{claim.id}: {describe(future.result())}")
        elif keep_going and isinstance(error, Exception) and not caused_by_ctrl_c(error):
            failed[k] = error
            progress.advance(f"{claim.id}: failed ({error.__class__.__name__})")
        else:
            raise error

    try:
        with _first_interrupt_stops_gently(local):
            for k, (claim, options) in enumerate(jobs):
                if STOP_REQUESTED.is_set():
                    raise KeyboardInterrupt
                sent = options if local else {**options, "counterexample_dir": None}  # written back here
                future = pool.submit(partial(task, claim if local else claim.id, **sent))
                futures[future] = k
                if future.done():  # in this process: report as it goes
                    collect(future, k)
            for future in as_completed([f for f, k in futures.items() if results[k] is None and k not in failed]):
                collect(future, futures[future])
            if STOP_REQUESTED.is_set():  # the last task stopped early
                raise KeyboardInterrupt
    except (KeyboardInterrupt, CancelledError):  # Ctrl-C here, or the scheduler cancelled a task
        acknowledge()  # handled here: what finished is kept
        for future in futures:
            future.cancel()
        for future, k in futures.items():  # keep what finished before the interrupt
            if results[k] is None and future.done() and not future.cancelled() and future.exception() is None:
                results[k] = _write_back(future.result(), jobs[k][1].get("counterexample_dir"))
        return Finished(results, interrupted=True, failed=_named(jobs, failed))
    except BrokenExecutor as e:
        raise MpgverifyError(f"a worker process died ({e.__class__.__name__}: {e})") from None
    return Finished(results, interrupted=False, failed=_named(jobs, failed))


def _named(
    jobs: Sequence[tuple[Claim, dict[str, Any]]], failed: dict[int, Exception]
) -> tuple[tuple[str, Exception], ...]:
    return tuple((jobs[k][0].id, failed[k]) for k in sorted(failed))


def run_hunts(
    claims: Sequence[Claim],
    *,
    seconds: float | None,
    evaluations: int | None,
    seed_value: int,
    method: Method,
    counterexample_dir: Path,
    progress: TextIO | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    closest_dir: Path | None = None,
    offspring: int = OFFSPRING,
) -> tuple[Finished[HuntResult], list[bool]]:
    """Hunt every claim on the executor; returns the results in claim order and, per claim, whether it
    was fresh (no counterexample in ``counterexample_dir`` yet: only then may the hunt write one there;
    a counterexample already there is never overwritten). A hunt that found no violation saves its
    closest call in ``closest_dir`` (:func:`~mpgverify.verify.counterexamples.save_closest_call`: a
    closer call already there is kept), and its record names the file."""
    fresh = [not (counterexample_dir / f"{c.id}.json").exists() for c in claims]
    jobs = [
        (
            c,
            {
                "seconds": seconds,
                "evaluations": evaluations,
                "seed_value": seed_value,
                "method": method,
                "counterexample_dir": str(counterexample_dir) if new else None,
                "offspring": offspring,
            },
        )
        for c, new in zip(claims, fresh, strict=True)
    ]
    bar = Progress("hunt", len(claims), progress, every=0)
    with executor(workers=min(workers, len(claims)), scheduler=scheduler) as pool:  # one claim: no pool
        finished = run_tasks(
            hunt_task,
            jobs,
            pool=pool,
            progress=bar,
            describe=lambda r: f"{r.status} ({sum(r.evaluations.values())} evaluations, {r.seconds:.1f} s)",
            keep_going=True,  # one claim's error must not lose the others' hunts (minutes each)
        )
    if closest_dir is not None:
        finished = dataclasses.replace(finished, results=[_save_closest(r, closest_dir) for r in finished.results])
    return finished, fresh


def _save_closest(result: HuntResult | None, folder: Path) -> HuntResult | None:
    obj = None if result is None else result.detail.get("closest")
    if result is None or obj is None:
        return result
    return dataclasses.replace(result, closest=str(save_closest_call(folder, obj)))
