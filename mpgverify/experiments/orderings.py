"""Ordering statements on the reference curves of :mod:`mpgverify.experiments.reproduction`: the
record of one (:class:`Ordering`), its verdict, and the registry. A paper's experimental claims are
orderings registered through the entry-point group ``mpgverify.orderings`` (this paper's ``exp-*``
claims live with its other claims, in ``properties/section5.py``).

Each claim is evaluated at every N of the run and gets a verdict — ``reproduces`` (at every N it
speaks of), ``partly`` (at some), ``does not reproduce`` (at none) or ``not comparable`` — with
the numbers it was decided on. Orderings compare seed means; the standard errors are in the report.

Measures: *final* POA / Nash-gap (mean over seeds at the last iteration), *speed* (the area under
the mean Nash-gap curve divided by T: lower converges faster; the area under the mean POA curve:
higher rises faster), *early* POA (mean POA over the first 10 % of iterations).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points

from mpgverify.experiments.reproduction import Reproduction

__all__ = ["ORDERINGS_GROUP", "Ordering", "Verdict", "evaluate_orderings", "load_orderings"]

ORDERINGS_GROUP = "mpgverify.orderings"


@dataclass(frozen=True)
class Verdict:
    id: str
    statement: str
    verdict: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Ordering:
    id: str
    statement: str
    check: Callable[[Reproduction, int], tuple[bool | None, str]]  # per N: (holds, evidence); None: n/a


def load_orderings() -> tuple[Ordering, ...]:
    """Every registered ordering (entry points of :data:`ORDERINGS_GROUP`), in registration order."""
    found: list[Ordering] = []
    for ep in sorted(entry_points(group=ORDERINGS_GROUP), key=lambda e: e.name):
        obj = ep.load()
        found.extend(obj() if callable(obj) else obj)
    return tuple(found)


def evaluate_orderings(rep: Reproduction, orderings: Sequence[Ordering] | None = None) -> list[Verdict]:
    """Each ordering claim's verdict over the N of the run (see the module docstring); the registered
    orderings when none are given."""
    out = []
    for o in load_orderings() if orderings is None else orderings:
        per_n = [(n, *o.check(rep, n)) for n in rep.setup.ns]
        decided = [ok for _, ok, _ in per_n if ok is not None]
        if not decided:
            verdict = "not comparable"
        elif all(decided):
            verdict = "reproduces"
        elif any(decided):
            verdict = "partly"
        else:
            verdict = "does not reproduce"
        evidence = tuple(f"N={n}: {'—' if ok is None else ('yes' if ok else 'no')} — {text}" for n, ok, text in per_n)
        out.append(Verdict(o.id, o.statement, verdict, evidence))
    return out
