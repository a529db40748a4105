"""Claims and hunts on an executor (issue 16): the same results from 1 process, 2 local workers and a
Dask cluster; an interrupted hunt keeps its finds; progress lines when stderr is not a terminal."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mpgverify.cli import main
from mpgverify.progress import Progress, format_seconds
from mpgverify.verify.execution import run_hunts
from mpgverify.verify.ledger import run_ledger
from mpgverify.verify.registry import load_claims, select_claims

VOLATILE = ("seconds",)


def _rows(results) -> list[dict]:
    return [{k: v for k, v in r.to_json().items() if k not in VOLATILE} for r in results]


def test_two_workers_give_the_ledger_of_one(tmp_path) -> None:
    claims = select_claims(load_claims(), ["def-2.2", "lemma-3.1", "lemma-c.2"])
    one = run_ledger(claims, budget="quick", seed_value=3, counterexample_dir=tmp_path / "a", workers=1)
    two = run_ledger(claims, budget="quick", seed_value=3, counterexample_dir=tmp_path / "b", workers=2)
    assert not one.interrupted and not two.interrupted
    strip = lambda rows: [{**r, "counterexample": r["counterexample"] and Path(r["counterexample"]).name} for r in rows]
    assert strip(_rows(one.done)) == strip(_rows(two.done))
    assert [r.id for r in two.done] == ["def-2.2", "lemma-3.1", "lemma-c.2"]  # claim order, not finishing order


def _hunt_rows(finished) -> list[dict]:
    keep = ("id", "status", "evaluations", "premises_met", "best_margin", "best_tightness", "found_in")
    return [{k: r.to_json()[k] for k in keep} for r in finished.done]


def test_a_dask_cluster_hunts_like_this_process(tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    claims = select_claims(load_claims(), ["def-2.2", "lemma-c.2"])
    options = dict(seconds=None, evaluations=30, seed_value=0, method="hunt")
    local, _ = run_hunts(claims, counterexample_dir=tmp_path / "local", workers=1, **options)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote, _ = run_hunts(
            claims, counterexample_dir=tmp_path / "dask", scheduler=cluster.scheduler_address, **options
        )
    assert _hunt_rows(local) == _hunt_rows(remote)
    assert (tmp_path / "dask" / "lemma-c.2.json").is_file()  # the worker wrote the counterexample it confirmed


def test_an_unreachable_scheduler_is_one_line(capsys) -> None:
    pytest.importorskip("distributed")
    assert main(["claims", "--only", "def-2.2", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("mpgverify claims: error: --scheduler") and len([e for e in err if "error" in e]) == 1


def test_an_interrupted_hunt_keeps_its_finds(tmp_path, capsys) -> None:
    """Ctrl-C during the second hunt: the first's counterexample and record are kept, exit 130."""
    found = tmp_path / "cx" / "lemma-c.2.json"
    stop = threading.Event()

    def interrupt_once_found() -> None:  # Ctrl-C one second after the first hunt wrote its find
        while not stop.wait(0.05):
            if found.exists():
                if not stop.wait(1.0):
                    os.kill(os.getpid(), signal.SIGINT)
                return

    watcher = threading.Thread(target=interrupt_once_found, daemon=True)
    watcher.start()
    try:
        args = ["hunt", "lemma-c.2", "lemma-3.2@*", "--seconds", "60", "--workers", "1"]  # in registry order
        code = main([*args, "--counterexamples", str(tmp_path / "cx"), "--json", str(tmp_path / "h.json")])
    finally:
        stop.set()
    assert code == 130, capsys.readouterr()
    assert found.is_file()
    records = json.loads((tmp_path / "h.json").read_text())
    assert records[0]["id"] == "lemma-c.2" and records[0]["status"] == "refuted"
    assert len(records) == 2 and "stopped by an interrupt" in records[1]["note"], records  # stopped gently, kept
    assert "interrupted: 2 of 4 hunts finished" in capsys.readouterr().err  # lemma-3.2 brings 3 readings


def test_progress_lines_appear_when_stderr_is_not_a_terminal(tmp_path) -> None:
    argv = [
        sys.executable,
        "-m",
        "mpgverify",
        "run",
        "pg",
        "--game",
        "coordination:n=2",
        "--iters",
        "50",
        "--seeds",
        "2",
    ]
    out = subprocess.run([*argv, "--out", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    assert any(line.startswith("run pg on coordination:n=2: 50/50 (100%)") for line in lines), lines
    assert any(line.endswith("-run.json") and line.startswith("wrote ") for line in lines), lines  # every file named
    stream = io.StringIO()
    bar = Progress("job", 3, stream, every=0)
    for k in range(3):
        bar.advance(f"step {k}")
    assert [line.split(":")[1].split(",")[0].strip() for line in stream.getvalue().splitlines()] == [
        "1/3 (33%)",
        "2/3 (66%)",
        "3/3 (100%)",
    ]
    assert "ETA" in stream.getvalue().splitlines()[0]
    assert format_seconds(262) == "4 min 22 s" and format_seconds(3780) == "1 h 03 min"


def test_a_task_cancelled_by_the_scheduler_ends_the_job_as_an_interrupt() -> None:
    from concurrent.futures import Executor, Future

    from mpgverify.verify.execution import run_tasks

    class CancellingScheduler(Executor):  # finishes the first task, cancels the others
        def __init__(self) -> None:
            self.calls = 0

        def submit(self, fn, /, *args, **kwargs):
            future: Future = Future()
            self.calls += 1
            if self.calls == 1:
                future.set_result(fn(*args, **kwargs))
            else:
                future.cancel()
            return future

    claims = select_claims(load_claims(), ["def-2.2", "lemma-3.1"])
    finished = run_tasks(
        lambda claim, **o: f"ran {claim}",
        [(c, {}) for c in claims],
        pool=CancellingScheduler(),
        progress=Progress("t", 2, None),
        describe=str,
    )
    assert finished.interrupted and finished.results == ["ran def-2.2", None]


def _failing_on(bad: str, error: Exception):
    """A task that returns ``ran ID``, except on claim ``bad``, where it raises ``error``."""

    def task(claim, **options):
        if getattr(claim, "id", claim) == bad:
            raise error
        return f"ran {getattr(claim, 'id', claim)}"

    return task


@pytest.mark.parametrize("workers", [1, 2])
def test_keep_going_keeps_the_other_tasks_and_names_the_failed_one(workers) -> None:
    """A job that keeps going: the failing task's result is None, the others run and are kept in order,
    and ``failed`` names the claim with its error; without keep_going the error ends the job."""
    from mpgverify.verify.execution import executor, run_tasks

    claims = select_claims(load_claims(), ["def-2.2", "lemma-3.1", "lemma-c.2"])
    jobs = [(c, {}) for c in claims]
    bug = TypeError("a bug in one claim")
    task = _failing_on("lemma-3.1", bug) if workers == 1 else _remote_failing_task
    with executor(workers=workers) as pool:
        finished = run_tasks(task, jobs, pool=pool, progress=Progress("t", 3, None), describe=str, keep_going=True)
    assert finished.results == ["ran def-2.2", None, "ran lemma-c.2"], finished.results
    assert [cid for cid, _ in finished.failed] == ["lemma-3.1"], finished.failed
    assert isinstance(finished.failed[0][1], TypeError) and "a bug in one claim" in str(finished.failed[0][1])
    assert not finished.interrupted
    with executor(workers=workers) as pool, pytest.raises(TypeError, match="a bug in one claim"):
        run_tasks(task, jobs, pool=pool, progress=Progress("t", 3, None), describe=str)


def _remote_failing_task(claim, **options):  # module level: a pool worker imports it by name
    return _failing_on("lemma-3.1", TypeError("a bug in one claim"))(claim, **options)


def test_keep_going_never_takes_a_ctrl_c_for_a_failure() -> None:
    """An error whose chain holds a KeyboardInterrupt is an interrupt, not one task's failure."""
    from mpgverify.verify.execution import executor, run_tasks

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as ctrl_c:
            raise RuntimeError("wrapped") from ctrl_c
    except RuntimeError as e:
        wrapped = e
    claims = select_claims(load_claims(), ["def-2.2", "lemma-3.1"])
    with executor(workers=1) as pool, pytest.raises(RuntimeError, match="wrapped"):
        run_tasks(
            _failing_on("def-2.2", wrapped),
            [(c, {}) for c in claims],
            pool=pool,
            progress=Progress("t", 2, None),
            describe=str,
            keep_going=True,
        )


@pytest.mark.parametrize("debug", ["0", "1"])
def test_one_hunt_failing_keeps_the_others(tmp_path, capsys, monkeypatch, debug) -> None:
    """``hunt`` of several claims where one hunt raises an error nobody foresaw: the other hunts'
    records are written, the failed claim gets one line naming it (its traceback under
    MPGVERIFY_DEBUG=1), and the exit status is 2."""
    import mpgverify.verify.execution as execution

    real = execution.hunt

    def hunt(claim, **options):
        if claim.id == "lemma-3.1":
            raise ZeroDivisionError("planted")
        return real(claim, **options)

    monkeypatch.setattr(execution, "hunt", hunt)
    monkeypatch.setenv("MPGVERIFY_DEBUG", debug)
    out = tmp_path / "h.json"
    args = ["hunt", "def-2.2", "lemma-3.1", "lemma-c.2", "--evaluations", "20", "--workers", "1"]
    code = main([*args, "--counterexamples", str(tmp_path / "cx"), "--json", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert [r["id"] for r in json.loads(out.read_text())] == ["def-2.2", "lemma-c.2"]
    lines = [line for line in err.splitlines() if "lemma-3.1: error:" in line]
    assert lines == [
        "mpgverify hunt: lemma-3.1: error: internal error (ZeroDivisionError: planted); please report it with the "
        "command line (MPGVERIFY_DEBUG=1 shows the traceback)"
    ], err
    assert "1 of 3 hunts failed; the other 2 hunts' records and confirmed counterexamples are kept" in err
    assert ("Traceback (most recent call last)" in err) == (debug == "1"), err


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux: from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie counts as gone)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_pool_workers_end_when_the_command_is_killed(how) -> None:
    """A hunt on 2 workers killed by SIGTERM (``timeout``, ``kill``) or SIGKILL never shuts its pool down:
    its workers end themselves within seconds instead of living on as orphans holding their memory."""
    import time

    argv = [sys.executable, "-m", "mpgverify", "hunt", "lemma-3.1", "lemma-3.2", "--seconds", "60", "--workers", "2"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            # the pool's workers: children of the command that are not multiprocessing's resource tracker
            workers = [
                p
                for p in _children(proc.pid)
                if "resource_tracker" not in (Path("/proc") / str(p) / "cmdline").read_text(errors="replace")
            ]
            if len(workers) >= 2:
                break
            time.sleep(0.2)
        assert len(workers) >= 2, f"no pool workers appeared (exit {proc.poll()}, workers {workers})"
        time.sleep(3)  # past the workers' start-up: they hold tasks now
        proc.send_signal(how)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        left = [p for p in workers if _alive(p)]
        assert not left, f"workers {left} outlived the command killed by {how.name}"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for p in workers:  # a failure leaves no orphan behind
            with contextlib.suppress(OSError):
                os.kill(p, signal.SIGKILL)
