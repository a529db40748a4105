"""Run one claim's property under a Hypothesis budget and reach a verdict.

Verdicts (``docs/CLAIMS.md``):

* ``refuted``: Hypothesis found a violation, shrank it, and the shrunk example is confirmed —
  in exact rational arithmetic when the claim provides ``exact``, otherwise by a violation
  larger than ``FAR_ABOVE_FLOAT`` times the float tolerance; the counterexample is saved.
* ``vacuous``: the claim's premises can never hold (the claim supplies the proof).
* ``inconclusive``: fewer than ``claim.min_premises`` examples met the premises, or a float
  violation did not survive the exact re-check.
* ``holds``: no counterexample in the budget; ``premises_met`` examples met the premises and
  ``informative`` of them tested something (:attr:`Outcome.informative`). Fewer than
  ``claim.min_premises`` informative examples is ``inconclusive``, whatever the count that met the
  premises (an example that tests nothing is no evidence); a ``holds`` with fewer than
  ``WEAK_EVIDENCE`` of its premise-meeting examples informative says so in its note. The worst margin
  and the tightness are taken over the informative examples.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings, target

from mpgverify.collector import freeze_startup_heap
from mpgverify.errors import MpgverifyError
from mpgverify.threads import apply_thread_policy
from mpgverify.verify.claims import Claim, Coverage, ExactMargin, Example, Outcome, PremisesNotMet
from mpgverify.verify.counterexamples import counterexample_json, load_counterexample, write_counterexample
from mpgverify.verify.determinism import independent_of_local_constants
from mpgverify.verify.population import BLOCK, draw_examples, evaluate_population
from mpgverify.verify.profiles import PROFILES
from mpgverify.verify.records import RichRecord, record_json

__all__ = [
    "FAR_ABOVE_FLOAT",
    "WEAK_EVIDENCE",
    "ClaimResult",
    "confirm_violation",
    "judge",
    "known_counterexample",
    "run_claim",
]

FAR_ABOVE_FLOAT = 1e4
#: a ``holds`` whose informative share of premise-meeting examples is below this says it is weak evidence
WEAK_EVIDENCE = 0.2


class _Violation(AssertionError):
    pass


@dataclass
class _Stats:
    examples: int = 0
    premises_met: int = 0
    informative: int = 0
    undecided: int = 0
    worst_margin: float = math.inf
    tightness: float | None = None
    failing: tuple[Example, Outcome] | None = None
    frozen: bool = False
    coverage: dict[str, int] | None = None
    margins: list[float] = field(default_factory=list)
    tightnesses: list[float] = field(default_factory=list)

    def record(self, example: Example, out: Outcome, coverage: Coverage | None = None) -> None:
        if out.violated:
            self.failing = (example, out)  # the last failing call is Hypothesis's shrunk replay
            self.frozen = True
        if self.frozen:
            return
        self.examples += 1
        self.undecided += out.undecided
        if out.premises_met:
            self.premises_met += 1
            self.informative += out.informative
            if coverage is not None and self.coverage is not None:
                for label in coverage.classify(example):
                    self.coverage[label] = self.coverage.get(label, 0) + 1
            if not out.informative:  # the closest call and the tightness come from examples that test something
                return
            self.worst_margin = min(self.worst_margin, out.margin)
            if math.isfinite(out.margin):
                self.margins.append(_rounded(out.margin))
            if out.tightness is not None and math.isfinite(out.tightness):
                self.tightness = out.tightness if self.tightness is None else max(self.tightness, out.tightness)
                self.tightnesses.append(_rounded(out.tightness))

    @property
    def distribution(self) -> dict[str, list[float]]:
        """The informative examples' margins and tightness ratios, in draw order (for histograms)."""
        return {"margin": self.margins, "tightness": self.tightnesses}


def _rounded(x: float) -> float:
    """``x`` to 6 significant digits: a histogram's data, not a record of the example."""
    return float(f"{x:.6g}")


@dataclass(frozen=True)
class ClaimResult(RichRecord):
    """One claim's ledger row."""

    id: str
    ref: str
    status: str
    examples: int
    premises_met: int
    worst_margin: float | None
    tightness: float | None
    counterexample: str | None
    seconds: float
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, int] | None = None
    wrote: bool = False  # this run wrote ``counterexample`` (a replayed one was only read)
    informative: int | None = None
    undecided: int = 0
    distribution: dict[str, list[float]] | None = None  # informative examples' margins and tightness

    @property
    def uncovered(self) -> list[str]:
        """Declared sub-classes of the premise space that no premise-meeting example reached."""
        return [] if self.coverage is None else [k for k, v in self.coverage.items() if v == 0]

    def to_json(self) -> dict[str, Any]:
        row = record_json(self, internal=("detail", "coverage", "wrote", "distribution"))
        if self.coverage is not None:
            row |= {"coverage": self.coverage, "uncovered": self.uncovered}
        return row if self.distribution is None else row | {"distribution": self.distribution}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ClaimResult:
        """The row back from :meth:`to_json` (extra keys are ignored)."""
        names = ("id", "ref", "status", "examples", "premises_met", "worst_margin", "tightness", "counterexample")
        coverage = obj.get("coverage")
        informative = obj.get("informative")
        distribution = obj.get("distribution")
        return cls(
            **{k: obj[k] for k in names},
            seconds=float(obj["seconds"]),
            note=str(obj.get("note", "")),
            coverage=None if coverage is None else {str(k): int(v) for k, v in coverage.items()},
            informative=None if informative is None else int(informative),
            undecided=int(obj.get("undecided", 0)),
            distribution=None
            if distribution is None
            else {str(k): [float(x) for x in v] for k, v in distribution.items()},
        )


def judge(out: Outcome, exact: ExactMargin | None) -> tuple[bool, str]:
    """Whether a float violation ``out`` is confirmed, and how: by the exact margin when there is one
    (negative beyond the float tolerance too: a game that meets its premises only up to round-off is
    not refuted by 1e-17), else by a margin beyond ``FAR_ABOVE_FLOAT`` times the tolerance."""
    if exact is not None:
        return exact.exact.startswith("-") and -exact.value > out.tol, f"exact margin {exact.short()}"
    scale = f"{abs(out.margin) / out.tol:.3g}× the float tolerance {out.tol:.2g}" if out.tol > 0 else "tolerance 0"
    how = f"margin {out.margin:.6g}, {scale}"
    return -out.margin > FAR_ABOVE_FLOAT * out.tol, how


def confirm_violation(
    claim: Claim, example: Example, out: Outcome, mutation: dict[str, Any]
) -> tuple[bool, ExactMargin | None, str]:
    """Whether a float violation is confirmed (:func:`judge`), the premise gate asked again first — by
    the gated exact re-check when the claim has one, else directly."""
    exact = None
    try:
        if claim.exact is not None:
            exact = claim.exact(example.game, example.witness, **mutation)
        elif claim.premises is not None and (gate := claim.premises(example.game, example.witness)).met is not True:
            raise PremisesNotMet(gate.reason)
    except PremisesNotMet as e:
        return False, None, f"premises not met on re-check: {e}"
    confirmed, how = judge(out, exact)
    return confirmed, exact, how


def known_counterexample(claim: Claim, folder: Path | None) -> Path | None:
    """``folder/<id>.json`` when it exists, else the claim's shipped counterexample, else None."""
    if folder is not None and (Path(folder) / f"{claim.id}.json").is_file():
        return Path(folder) / f"{claim.id}.json"
    return claim.shipped_counterexample


def _replay_known(claim: Claim, path: Path, mutation: dict[str, Any], start: float) -> ClaimResult | None:
    claim_id, example, _ = load_counterexample(path)
    out = claim.check(example.game, example.witness, **mutation)
    if claim_id != claim.id or not out.violated:
        return None
    confirmed, _, how = confirm_violation(claim, example, out, mutation)
    if not confirmed:
        return None
    return ClaimResult(
        id=claim.id,
        ref=claim.ref,
        status="refuted",
        examples=1,
        premises_met=1,
        informative=1,
        worst_margin=out.margin,
        tightness=out.tightness,
        counterexample=str(path),
        seconds=time.perf_counter() - start,
        note=f"refuted by the committed counterexample: {how}",
        detail={"example": example, "outcome": out},
    )


#: block mode's share of the budget drawn by Hypothesis (its explicit and generate phases); the rest is
#: its target phase, :func:`_target_phase`
DRAWN_SHARE = 0.5
#: parents, and neighbours per parent per round, of block mode's target phase
TARGET_PARENTS, TARGET_OFFSPRING = 4, 8


def _in_blocks(claim: Claim, n: int, seed_value: int, mutation: dict[str, Any], stats: _Stats) -> bool:
    """Evaluate ``n`` examples of ``claim`` in blocks of one shape into ``stats``: True when none violates
    the claim (else ``stats`` is to be discarded). A claim with moves and no construction has
    ``⌈n·DRAWN_SHARE⌉`` Hypothesis draws and a target phase for the rest (:func:`_target_phase`, what
    ``target()`` does one at a time); otherwise all ``n`` are draws."""
    targeted = claim.moves is not None and claim.construction is None
    drawn = draw_examples(claim, math.ceil(n * DRAWN_SHARE) if targeted else n, seed_value)
    chunks = _Chunks()
    judged = _judge(claim, drawn, mutation, stats, chunks)
    if judged is None:
        return False
    return not targeted or _target_phase(claim, n - len(drawn), judged, seed_value, mutation, stats, chunks)


#: block mode's first chunk: an early violation costs at most this many examples' work beyond one at a
#: time, and a claim that holds pays fewer small stacks (chunks of 1, 2 and 4 split the mixed shapes of
#: the first draws into stacks of one or two: the standard ledger's claims took 7% longer, same rows)
FIRST_CHUNK = 8


@dataclass
class _Chunks:
    """Block mode's chunk sizes :data:`FIRST_CHUNK`, twice that, …, :data:`~mpgverify.verify.population.BLOCK`,
    one schedule for a claim's whole run: the draws and every round of the target phase continue it (a
    round does not start again at the first size, which cost a target round of 32 neighbours six masked
    loops instead of one)."""

    size: int = FIRST_CHUNK

    def take(self) -> int:
        size, self.size = self.size, min(2 * self.size, BLOCK)
        return size


def _judge(
    claim: Claim, examples: list[Example], mutation: dict[str, Any], stats: _Stats, chunks: _Chunks
) -> list[tuple[Example, Outcome]] | None:
    """Every member's outcome in order, recorded into ``stats``; None at the first violation. The members
    go in chunks of 8, 16, 32, … in order (``chunks``), so that an early violation ends the work about
    where one at a time would (a false claim's dynamics run their full length), while a claim that holds
    soon gets large blocks. A member the batched path found malformed is re-run alone, so that its error
    surfaces as it would alone."""
    judged = []
    start = 0
    while start < len(examples):
        size = chunks.take()
        chunk = examples[start : start + size]
        start += size
        for example, out in zip(chunk, evaluate_population(claim, chunk, mutation), strict=True):
            if out is None:
                out = claim.check(example.game, example.witness, **mutation)
            stats.record(example, out, claim.coverage)  # a violation is kept as the stats' failing example
            if out.violated:
                return None
            judged.append((example, out))
    return judged


@dataclass
class _Parent:
    """One chain of the target phase: its example, that example's outcome and its move size."""

    example: Example
    out: Outcome
    scale: float = 0.5


def _rank(out: Outcome) -> tuple[bool, float]:
    """Block mode's target: informative examples first, then the least margin (``target(−margin)``)."""
    return (not out.informative, out.margin)


def _target_phase(
    claim: Claim,
    left: int,
    judged: list[tuple[Example, Outcome]],
    seed_value: int,
    mutation: dict[str, Any],
    stats: _Stats,
    chunks: _Chunks,
) -> bool:
    """Block mode's target phase: ``left`` examples as a (1+λ)-ES from the :data:`TARGET_PARENTS` draws
    ranked first by :func:`_rank` (premises met, finite margin), each drawing :data:`TARGET_OFFSPRING`
    neighbours (the claim's moves, from ``seed_value``) a round, judged in blocks; a parent moves to a
    better neighbour (move size ×1.5, at most 2) or shrinks its move ×0.85. True when none violates."""
    assert claim.moves is not None
    rng = np.random.default_rng(seed_value)
    pool = [(ex, out) for ex, out in judged if out.premises_met and math.isfinite(out.margin)]
    parents = [_Parent(ex, out) for ex, out in sorted(pool, key=lambda p: _rank(p[1]))[:TARGET_PARENTS]]
    while left > 0 and parents:
        kids: list[Example] = []
        owners: list[int] = []
        for k, parent in enumerate(parents):
            for _ in range(TARGET_OFFSPRING):
                try:
                    kids.append(claim.moves.neighbour(parent.example, rng, parent.scale))
                except (MpgverifyError, ValueError, RuntimeError):
                    continue
                owners.append(k)
        if not kids:
            return True
        kids, owners = kids[:left], owners[:left]
        left -= len(kids)
        got = _judge(claim, kids, mutation, stats, chunks)
        if got is None:
            return False
        moved = set()
        for k, (kid, out) in zip(owners, got, strict=True):
            if out.premises_met and math.isfinite(out.margin) and _rank(out) < _rank(parents[k].out):
                parents[k].example, parents[k].out = kid, out
                moved.add(k)
        for k, parent in enumerate(parents):
            parent.scale = min(2.0, parent.scale * 1.5) if k in moved else parent.scale * 0.85
    return True


def run_claim(
    claim: Claim,
    *,
    budget: str = "quick",
    seed_value: int = 0,
    counterexample_dir: Path | None = None,
    mutation: dict[str, Any] | None = None,
    max_examples: int | None = None,
    shrink: bool = True,
    known_dir: Path | None = None,
    blocks: bool = True,
) -> ClaimResult:
    """Search for a counterexample to ``claim`` and return its ledger row.

    Args:
      claim: the claim.
      budget: ``quick``, ``standard`` or ``thorough`` (examples per claim: see profiles).
      seed_value: Hypothesis seed; same seed and budget, same result.
      counterexample_dir: where to save a confirmed counterexample (None: do not save).
      mutation: keyword arguments passed to ``claim.check`` (meta-tests).
      max_examples: override the budget's example count.
      shrink: shrink a found violation to a minimal example (off: report the first one found).
      known_dir: a folder of counterexamples: ``<id>.json`` there (else the claim's shipped file) is
        replayed first, and if it still violates the claim (confirmed as above) the verdict is
        ``refuted`` at once.
      blocks: for a claim with a batched check or a construction, draw the examples first (Hypothesis's
        explicit and generate phases; a construction's seeds built in blocks of one shape) and evaluate
        them in blocks of one shape (:func:`~mpgverify.verify.population.evaluate_population`), half of
        the budget then spent on a target phase of neighbours, in blocks too (:func:`_in_blocks`: a
        claim with moves and no construction; not under a ``mutation``, a planted violation); when a
        block holds a violation,
        the claim is run again one example at a time (with ``target()`` and shrinking), whose
        verdict stands — unless that run meets no violation, when the blocks' violation is judged
        (confirmed or not) as the finding. False: one at a time throughout.
    """
    apply_thread_policy()  # the claims' tensors are small: one torch thread (mpgverify.threads)
    freeze_startup_heap()  # the import-time heap out of the collector's passes (mpgverify.collector)
    start = time.perf_counter()
    known = known_counterexample(claim, known_dir)
    if known is not None:
        replayed = _replay_known(claim, known, mutation or {}, start)
        if replayed is not None:
            return replayed
    stats = _Stats(coverage=None if claim.coverage is None else dict.fromkeys(claim.coverage.classes, 0))
    mutation = dict(mutation or {})
    n = max_examples or PROFILES[budget]
    # a mutation is a planted violation (meta-tests): block mode could only end in the fallback below
    blocks = blocks and not mutation and (claim.batch is not None or claim.construction is not None)
    seen: tuple[Example, Outcome] | None = None  # a violation the blocks met
    if blocks and not _in_blocks(claim, n, seed_value, mutation, stats):
        seen = stats.failing
        stats = _Stats(coverage=None if claim.coverage is None else dict.fromkeys(claim.coverage.classes, 0))
        blocks = False  # a violation: the one-at-a-time run below finds and shrinks it

    @seed(seed_value)
    @settings(
        max_examples=n,
        derandomize=False,
        database=None,
        deadline=None,
        print_blob=False,
        phases=[Phase.explicit, Phase.generate, Phase.target, *([Phase.shrink] if shrink else [])],
        suppress_health_check=[HealthCheck.differing_executors],
        report_multiple_bugs=False,
    )
    @given(example=claim.examples())
    def prop(example: Example) -> None:
        out = claim.check(example.game, example.witness, **mutation)
        stats.record(example, out, claim.coverage)
        if out.premises_met and math.isfinite(out.margin):
            target(max(-out.margin, -1e9), label="violation")
        if out.violated:
            raise _Violation(f"{claim.id}: margin {out.margin:.6g} < -{out.tol:.3g}")

    if not blocks:
        try:
            with independent_of_local_constants():
                prop()
        except _Violation:
            pass
    from_blocks = ""
    if stats.failing is None and seen is not None:
        # the one-at-a-time run (other draws past the first, no target phase) missed what the blocks met:
        # the blocks' violation is the finding, judged as any other
        stats.failing, from_blocks = seen, "; met by the block run's target phase, not by the one-at-a-time rerun"
    seconds = time.perf_counter() - start
    common: dict[str, Any] = dict(
        id=claim.id,
        ref=claim.ref,
        examples=stats.examples,
        premises_met=stats.premises_met,
        tightness=stats.tightness,
        seconds=seconds,
        coverage=stats.coverage,
        informative=stats.informative,
        undecided=stats.undecided,
        distribution=stats.distribution,
    )
    if stats.failing is not None:
        example, out = stats.failing
        confirmed, exact, how = confirm_violation(claim, example, out, mutation)
        if confirmed:
            path = None
            obj = counterexample_json(
                claim, example, out, exact, f"seed {seed_value}, budget {budget}{' (block run)' if from_blocks else ''}"
            )
            if counterexample_dir is not None:
                path = str(write_counterexample(Path(counterexample_dir) / f"{claim.id}.json", obj))
            return ClaimResult(
                status="refuted",
                worst_margin=out.margin,
                counterexample=path,
                wrote=path is not None,
                note=f"refuted: {how}{from_blocks}",
                detail={"example": example, "outcome": out, "counterexample": obj},
                **common,
            )
        return ClaimResult(
            status="inconclusive",
            worst_margin=out.margin,
            counterexample=None,
            note=f"a float violation was not confirmed ({how}){from_blocks}",
            **common,
        )
    if stats.premises_met == 0 and claim.vacuity is not None:
        return ClaimResult(status="vacuous", worst_margin=None, counterexample=None, note=claim.vacuity(), **common)
    undecided = f"; undecided in {stats.undecided}" if stats.undecided else ""
    if stats.premises_met < claim.min_premises or stats.informative < claim.min_premises:
        return ClaimResult(
            status="inconclusive",
            worst_margin=None if stats.informative == 0 else stats.worst_margin,
            counterexample=None,
            note=f"premises met in {stats.premises_met} of {stats.examples} examples, "
            f"{stats.informative} informative ({claim.informative}){undecided}",
            **common,
        )
    missing = [k for k, v in (common["coverage"] or {}).items() if v == 0]
    reach = (
        ""
        if common["coverage"] is None
        else f"; all {len(common['coverage'])} sub-classes of the premise space reached"
        if not missing
        else f"; coverage incomplete, not reached: {', '.join(missing)}"
    )
    share = stats.informative / stats.premises_met
    weak = (
        f"; weak evidence: only {stats.informative} of {stats.premises_met} premise-meeting examples are "
        f"informative ({share:.0%} < {WEAK_EVIDENCE:.0%})"
        if share < WEAK_EVIDENCE
        else ""
    )
    return ClaimResult(
        status="holds",
        worst_margin=stats.worst_margin,
        counterexample=None,
        note=f"premises met in {stats.premises_met} of {stats.examples} examples, {stats.informative} "
        f"informative{undecided}{reach}{weak}",
        **common,
    )
