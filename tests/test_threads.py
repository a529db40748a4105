"""The thread policy (:mod:`mpgverify.threads`) is applied in every entry point: one torch thread
for small tensors, torch's default for large games, ``MPGVERIFY_THREADS`` over both."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mpgverify import threads
from mpgverify.builtin_games import parse_game_spec
from mpgverify.cli import main
from mpgverify.errors import FormatError
from mpgverify.threads import LARGE_ENTRIES, THREADS_ENV, apply_thread_policy, policy_threads, work_entries
from properties import COUNTEREXAMPLES


@pytest.fixture(autouse=True)
def restore_threads(monkeypatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _spoil() -> None:
    """Threads set to a count no policy picks here, so that a test sees the entry point set them."""
    torch.set_num_threads(3)


def test_policy_rule_and_override(monkeypatch) -> None:
    assert policy_threads(0) == 1 and policy_threads(LARGE_ENTRIES - 1) == 1
    assert policy_threads(LARGE_ENTRIES) == threads._DEFAULT_THREADS, "a large game keeps torch's default"
    monkeypatch.setenv(THREADS_ENV, "2")
    assert policy_threads(0) == 2 and policy_threads(10**9) == 2
    monkeypatch.setenv(THREADS_ENV, "auto")
    assert policy_threads(0) == 1
    for bad in ("0", "-1", "two", "1e3", "99999"):
        monkeypatch.setenv(THREADS_ENV, bad)
        with pytest.raises(FormatError, match=THREADS_ENV):
            policy_threads(0)


def test_work_entries_of_dense_and_factored_games() -> None:
    dense = parse_game_spec("coordination:n=2", representation="dense")
    S, A = dense.n_states, dense.n_joint_actions
    assert work_entries(dense) == S * A * S and work_entries(dense, 10) == 10 * S * A * S
    factored = parse_game_spec("coordination:n=12", representation="factored")
    assert work_entries(factored) == factored.n_states * sum(factored.n_actions) * factored.n_states
    assert work_entries(object()) == 0


def test_cli_commands_run_small_work_on_one_thread() -> None:
    for argv in (
        ["replay", str(Path(COUNTEREXAMPLES) / "thm-4.5.json")],
        ["evaluate", "coordination:n=2", "--policy", "uniform"],
        ["claims", "--only", "def-2.2", "--budget", "quick"],
    ):
        _spoil()
        main(argv)
        assert torch.get_num_threads() == 1, argv


def test_cli_keeps_the_cores_for_a_large_game(capsys) -> None:
    game = parse_game_spec("coordination:n=12", representation="factored")
    assert work_entries(game) >= LARGE_ENTRIES
    _spoil()
    assert main(["evaluate", "coordination:n=12", "--policy", "uniform"]) == 0
    assert torch.get_num_threads() == policy_threads(LARGE_ENTRIES)
    capsys.readouterr()


def test_override_reaches_the_cli(monkeypatch, capsys) -> None:
    monkeypatch.setenv(THREADS_ENV, "2")
    _spoil()
    assert main(["evaluate", "coordination:n=2", "--policy", "uniform"]) == 0
    assert torch.get_num_threads() == 2
    monkeypatch.setenv(THREADS_ENV, "lots")
    assert main(["evaluate", "coordination:n=2", "--policy", "uniform"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "MPGVERIFY_THREADS: must be 'auto' or an integer" in err, err


def test_library_entry_points_apply_the_policy() -> None:
    from mpgverify.algorithms.api import get_factory
    from mpgverify.experiments.run import run
    from mpgverify.verify.counterexamples import load_counterexample, replay
    from mpgverify.verify.execution import _init_worker
    from mpgverify.verify.hunter import hunt
    from mpgverify.verify.registry import load_claims
    from mpgverify.verify.runner import run_claim

    by_id = {c.id: c for c in load_claims()}
    claim_id, example, _ = load_counterexample(Path(COUNTEREXAMPLES) / "thm-4.5.json")
    game = parse_game_spec("coordination:n=2", representation="dense")
    calls = {
        "run_claim": lambda: run_claim(by_id["def-2.2"], max_examples=2),
        "hunt": lambda: hunt(by_id["def-2.2"], evaluations=2),
        "replay": lambda: replay(by_id[claim_id], example),
        "run": lambda: run(get_factory("pg")(), game, seeds=2, iters=1),
        "worker": lambda: _init_worker(2),
    }
    import signal

    previous = signal.getsignal(signal.SIGINT)
    try:
        for name, call in calls.items():
            _spoil()
            call()
            assert torch.get_num_threads() == 1, name
    finally:
        signal.signal(signal.SIGINT, previous)


def test_apply_returns_what_it_set(monkeypatch) -> None:
    assert apply_thread_policy() == 1 == torch.get_num_threads()
    monkeypatch.setenv(THREADS_ENV, "2")
    assert apply_thread_policy(threads_cap=1) == 2, "an explicit MPGVERIFY_THREADS is not capped"
    monkeypatch.delenv(THREADS_ENV)
    assert apply_thread_policy(LARGE_ENTRIES, threads_cap=1) == 1
