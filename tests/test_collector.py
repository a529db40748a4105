"""The collector policy (:mod:`mpgverify.collector`): the heap alive when the first hunt or claim run
starts is frozen out of the collector's passes, once per process, and never when the collector is off."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

import pytest

from mpgverify import collector


@pytest.fixture
def fresh(monkeypatch):
    """The policy as in a new process, with gc.collect and gc.freeze counted instead of run."""
    calls: list[str] = []
    monkeypatch.setattr(collector, "_FROZEN", False)
    monkeypatch.setattr(collector.gc, "collect", lambda *a: calls.append("collect") or 0)
    monkeypatch.setattr(collector.gc, "freeze", lambda: calls.append("freeze"))
    return calls


def test_collects_then_freezes_once(fresh) -> None:
    assert collector.freeze_startup_heap() is True
    assert collector.heap_frozen()
    assert collector.freeze_startup_heap() is False
    assert fresh == ["collect", "freeze"], f"expected one collection then one freeze, got {fresh}"


def test_a_disabled_collector_is_left_alone(fresh, monkeypatch) -> None:
    monkeypatch.setattr(collector.gc, "isenabled", lambda: False)
    assert collector.freeze_startup_heap() is False
    assert not collector.heap_frozen()
    assert fresh == [], f"gc.disable() is the caller's choice, yet the policy called {fresh}"


@pytest.mark.parametrize(
    "call",
    [
        "from mpgverify.verify.hunter import hunt; hunt(claim, evaluations=2)",
        "from mpgverify.verify.runner import run_claim; run_claim(claim, max_examples=2)",
    ],
    ids=["hunt", "run_claim"],
)
def test_library_entry_points_freeze_the_startup_heap(call: str) -> None:
    """In a fresh process: nothing frozen after the imports, the startup heap frozen after the call."""
    code = textwrap.dedent(
        f"""
        import gc
        from mpgverify.verify.registry import load_claims
        claim = {{c.id: c for c in load_claims()}}["def-2.2"]
        before = gc.get_freeze_count()
        {call}
        print(before, gc.get_freeze_count())
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    before, after = map(int, out.stdout.split()[-2:])
    assert before == 0 and after > 10_000, f"frozen objects before and after the call: {before}, {after}"


def test_the_real_collector_still_collects_new_garbage() -> None:
    """Objects made after the freeze are collected as before (a reference cycle here)."""
    collector.freeze_startup_heap()

    class Node:
        pass

    import weakref

    node = Node()
    node.self = node  # type: ignore[attr-defined]
    ref = weakref.ref(node)
    del node
    gc.collect()
    assert ref() is None, "a cycle made after the freeze was not collected"
