"""The counterexample hunter: Hypothesis generation, then local search on the margin, then shrinking.

Plain random draws find a violation only where violations are common. The hunter spends its
budget in three phases:

1. **generation** (a share of the budget): Hypothesis draws examples, steered by ``target()``
   toward small margins; the examples whose premises hold are kept in a pool, best margin first;
2. **local search**: a (1+1) evolution strategy per pool entry, in round robin — a neighbour is
   drawn by the claim's :class:`~mpgverify.verify.claims.LocalMoves` (structure-preserving
   moves of the game's numbers, the policies and the constants), kept when its premises hold and
   its margin is lower, and the move size adapts (×1.5 after a success, ×0.85 after a failure;
   a chain whose size falls below 10⁻³ restarts from the pool);
   Where the claim offers a :class:`~mpgverify.verify.claims.Relaxation`, the leading chain's
   turns alternate between an ES move and a **gradient move**: one normalized step of size
   ``scale`` against the gradient (torch autograd through the exact solvers) of the claim's
   differentiable score, in reparametrized coordinates that keep the premises; the rebuilt example
   is then judged by the claim's own check like any other move;
   For a claim with a **batched check** (:attr:`~mpgverify.verify.claims.Claim.batch`) the local search
   is a (1+λ)-ES instead: every generation each chain draws λ neighbours — 16, doubling every 4
   generations up to ``offspring`` (64) — the leading chain's first being the gradient move; all chains'
   offspring are judged as one population (:func:`~mpgverify.verify.population.evaluate_population`:
   one stacked check per shape), and each chain moves to its best offspring when that is better;
3. **shrinking**: greedily replace a violating example by the first simpler variant the claim
   offers (fewer actions or agents, rounder numbers) that still violates the claim (with a batched
   check, all the variants of one round are judged as one population, and the first in order wins).

A violation is then confirmed exactly as by the ledger runner (rational re-check or a margin
``FAR_ABOVE_FLOAT`` times above the float tolerance) and written as a counterexample file.
The budget is a number of claim evaluations (reproducible: same seed, same result) and/or a
wall-clock time. ``method="random"`` spends the same budget on plain Hypothesis draws (no
``target()``, no local search), and ``method="es"`` runs the hunt without gradient moves: the
baselines the hunter is measured against.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from hypothesis import HealthCheck, Phase, given, seed, settings, target

from mpgverify.collector import freeze_startup_heap
from mpgverify.errors import MpgverifyError
from mpgverify.threads import apply_thread_policy
from mpgverify.verify.budget import STOP_REQUESTED, Budget, hard_limit
from mpgverify.verify.claims import Claim, Example, Outcome, Relaxation
from mpgverify.verify.counterexamples import closest_call_json, counterexample_json, write_counterexample
from mpgverify.verify.determinism import independent_of_local_constants
from mpgverify.verify.population import MALFORMED, build_population, evaluate_population
from mpgverify.verify.records import RichRecord, record_json
from mpgverify.verify.runner import confirm_violation

__all__ = ["OFFSPRING", "STOP_REQUESTED", "HuntResult", "hunt"]

#: λ of the (1+λ)-ES of a claim with a batched check, at most: neighbours per chain per generation. A
#: stacked check of these sizes costs about as much for 64 members as for 16 (torch's per-call overhead,
#: not the arithmetic, is most of a step), so 4 chains × 64 judge 1.1–2.0× the neighbours a second of
#: 4 × 16 (128: no further gain). λ starts at :data:`FIRST_OFFSPRING` and doubles every
#: :data:`DOUBLE_EVERY` generations up to this (:func:`brood`): a small budget of evaluations keeps the
#: many short generations it needs (README, "Batched checks")
OFFSPRING = 64
#: λ of the first generations
FIRST_OFFSPRING = 16
#: generations between two doublings of λ
DOUBLE_EVERY = 4


def brood(generation: int, offspring: int) -> int:
    """λ of generation ``generation`` (0, 1, …) when at most ``offspring``: ``min(offspring, 16·2^⌊g/4⌋)``
    — 16, 16, 16, 16, 32, …, 64 from the ninth generation on with the default 64; a constant ``offspring``
    at most 16 (1: the (1+1)-ES)."""
    return min(offspring, FIRST_OFFSPRING << min(generation // DOUBLE_EVERY, 16))


Method = Literal["hunt", "es", "random"]


class _Stop(Exception):
    """Raised inside the Hypothesis test to end generation (budget spent or a violation found)."""


@dataclass
class _Search:
    claim: Claim
    mutation: dict[str, Any]
    budget: Budget
    counts: dict[str, int] = field(default_factory=lambda: {"generation": 0, "local": 0, "gradient": 0, "shrink": 0})
    premises_met: int = 0
    informative: int = 0
    undecided: int = 0
    best_margin: float = math.inf
    best_tightness: float | None = None
    overran: bool = False
    closest: tuple[float, Example, Outcome] | None = None  # (score, example, outcome): the closest call

    def evaluate(self, example: Example, phase: str) -> Outcome | None:
        """The claim's outcome on ``example``; None when the example is malformed for this claim."""
        try:
            out = self.claim.check(example.game, example.witness, **self.mutation)
        except MALFORMED:
            out = None
        return self._record(example, out, phase)

    def evaluate_many(self, examples: list[Example], phases: list[str]) -> list[Outcome | None]:
        """:meth:`evaluate` on every member (``phases[k]``: the phase member k counts under), through the
        claim's batched check (:func:`~mpgverify.verify.population.evaluate_population`)."""
        outs = evaluate_population(self.claim, examples, self.mutation)
        return [self._record(ex, out, ph) for ex, out, ph in zip(examples, outs, phases, strict=True)]

    def _record(self, example: Example, out: Outcome | None, phase: str) -> Outcome | None:
        self.budget.used += 1
        self.counts[phase] += 1
        if out is None:
            return None
        self.undecided += out.undecided
        if not out.premises_met or math.isnan(out.margin):
            return out
        self.premises_met += 1
        self.informative += out.informative
        if not out.informative:  # steered on, but the record's closest call is an informative example
            return out
        self.best_margin = min(self.best_margin, out.margin)
        if out.tightness is not None and math.isfinite(out.tightness):
            self.best_tightness = max(self.best_tightness or out.tightness, out.tightness)
        score = out.score
        if math.isfinite(score) and (self.closest is None or score < self.closest[0]):
            self.closest = (score, example, out)
        return out


@dataclass
class _Chain:
    """One (1+1)-ES chain: its current example, that example's score and the move size."""

    score: float
    example: Example
    scale: float = 0.5


@dataclass(frozen=True)
class HuntResult(RichRecord):
    """What one hunt found."""

    id: str
    method: str
    status: str  # "refuted", "not found" or "inconclusive" (a float violation that did not confirm)
    evaluations: dict[str, int]
    premises_met: int
    best_margin: float | None
    best_tightness: float | None
    seconds: float
    counterexample: str | None = None
    found_in: str | None = None
    note: str = ""
    informative: int | None = None
    undecided: int = 0
    detail: dict[str, Any] = field(default_factory=dict)
    closest: str | None = None  # where the closest call was saved (a hunt that found no violation)

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


#: draws per block of the generation phase of a hunt in population mode
GENERATION_BLOCK = 32


def _generate(
    search: _Search, seed_value: int, share: float, pool_size: int, steer: bool, blocks: bool = False
) -> tuple[list[tuple[float, Example]], tuple[Example, Outcome] | None]:
    """Hypothesis draws until ``share`` of the budget is spent: (pool, first violation). ``blocks`` (a
    claim with a batched check or a construction, in population mode): the draws go in blocks of
    :data:`GENERATION_BLOCK` — a construction's seeds built at once, each block judged as one
    population in order — and are not steered (``target()`` needs each outcome before the next draw;
    the (1+λ)-ES that follows does the steering)."""
    pool: list[tuple[float, Example]] = []
    unmet: list[tuple[float, Example]] = []
    found: list[tuple[Example, Outcome]] = []
    buffer: list[Example] = []
    construction = search.claim.construction if blocks else None
    steer = steer and not blocks
    phases = [Phase.generate, *([Phase.target] if steer else [])]

    def keep(example: Example, out: Outcome | None) -> None:
        if out is None:
            return
        if out.violated:
            found.append((example, out))
            raise _Stop
        if out.premises_met and math.isfinite(out.margin):
            if steer:
                target(max(-out.margin, -1e9), label="violation")
            score = out.score
            # distinct scores only: a plateau of tied examples (often degenerate ones) must not fill
            # every chain of the local search
            if all(abs(score - other) > 1e-12 * (1 + abs(score)) for other, _ in pool):
                pool.append((score, example))
                pool.sort(key=lambda item: item[0])
                del pool[pool_size:]
        elif len(unmet) < pool_size:
            unmet.append((math.inf, example))

    def flush() -> None:
        members = build_population(construction, buffer) if construction is not None else list(buffer)
        buffer.clear()
        for example, out in zip(members, search.evaluate_many(members, ["generation"] * len(members)), strict=True):
            keep(example, out)

    @seed(seed_value)
    @settings(
        max_examples=10**9,
        database=None,
        deadline=None,
        print_blob=False,
        phases=phases,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,  # the stop signal may be raised at several points: one is enough
    )
    @given(example=search.claim.examples() if construction is None else construction.unbuilt())
    def draw(example: Example) -> None:
        if found or not search.budget.left(share):
            raise _Stop
        if not blocks:
            keep(example, search.evaluate(example, "generation"))
            return
        buffer.append(example)
        room = search.budget.room(share)
        if len(buffer) >= min(GENERATION_BLOCK, GENERATION_BLOCK if room is None else room):
            try:
                flush()
            except _Stop:
                raise
            except Exception as e:
                # the block's evaluation failed, not this draw: Hypothesis would replay this draw alone,
                # see it pass and report a FlakyFailure that hides the error; it is raised after the run
                failed.append(e)
                raise _Stop from None

    failed: list[Exception] = []
    try:
        with independent_of_local_constants():
            draw()
    except Exception:
        # the stop signal ends Hypothesis's run; on the way out Hypothesis may replay an example that
        # stopped and report the replay as flaky, or group several stops: after a find or with the
        # budget spent, any of these is the intended stop; anything else is a real error
        if not found and not failed and search.budget.left(share):
            raise
    if failed:
        raise failed[0]
    if buffer and not found:  # a last, partial block: the time share ran out mid-block, or Hypothesis's examples
        with contextlib.suppress(_Stop):
            flush()
    return (pool or unmet), (found[0] if found else None)


def _gradient_move(relax: Relaxation, example: Example, step: float) -> Example:
    """One normalized descent step of size ``step`` on the relaxation's score."""
    params = {k: v.detach().clone().requires_grad_(True) for k, v in relax.parameters(example).items()}
    score = relax.score(params, example)
    leaves = list(params.values())
    raw = torch.autograd.grad(score, leaves, allow_unused=True)
    grads = [torch.zeros_like(p) if g is None else g for p, g in zip(leaves, raw, strict=True)]
    norm = float(torch.sqrt(torch.stack([(g * g).sum() for g in grads]).sum()))
    if not np.isfinite(norm) or norm == 0.0:
        raise ValueError("no usable gradient")
    new = {k: (p - step * g / norm).detach() for (k, p), g in zip(params.items(), grads, strict=True)}
    return relax.rebuild(new, example)


def _local_search(
    search: _Search, pool: list[tuple[float, Example]], rng: np.random.Generator, gradient: bool
) -> tuple[Example, Outcome] | None:
    """(1+1)-ES chains from the pool, round robin, until a violation or the end of the budget; with
    ``gradient`` and a relaxation, every other turn of the leading chain is a gradient move."""
    moves = search.claim.moves
    relax = search.claim.relaxation if gradient else None
    if (moves is None and relax is None) or not pool:
        return None
    chains = [_Chain(score, example) for score, example in pool]
    k = 0
    while search.budget.left():
        # every other move goes to the leading chain, the rest round robin
        lead = bool(k % 2)
        chain = min(chains, key=lambda c: c.score) if lead else chains[(k // 2) % len(chains)]
        use_gradient = relax is not None and (moves is None or lead)
        k += 1
        candidate = _move(search, chain, use_gradient, rng, relax)
        if candidate is None:
            chain.scale *= 0.85
            continue
        out = search.evaluate(candidate, "gradient" if use_gradient else "local")
        if out is not None and out.violated:
            return candidate, out
        good = out is not None and out.premises_met and math.isfinite(out.margin)
        _settle(chain, (out.score, candidate) if good and out is not None else None, pool, rng)
    return None


def _move(
    search: _Search, chain: _Chain, use_gradient: bool, rng: np.random.Generator, relax: Relaxation | None
) -> Example | None:
    """A candidate from ``chain``: a gradient move or a neighbour at the chain's scale (None: no move)."""
    try:
        if use_gradient:
            assert relax is not None
            return _gradient_move(relax, chain.example, chain.scale)
        assert search.claim.moves is not None
        return search.claim.moves.neighbour(chain.example, rng, chain.scale)
    except (MpgverifyError, ValueError, RuntimeError):
        return None


def _settle(
    chain: _Chain, best: tuple[float, Example] | None, pool: list[tuple[float, Example]], rng: np.random.Generator
) -> None:
    """Move ``chain`` to ``best`` (score, example) when it is better (scale ×1.5, at most 2); else shrink
    its scale ×0.85 and restart it from the pool below 10⁻³."""
    if best is not None and best[0] < chain.score:
        chain.score, chain.example, chain.scale = best[0], best[1], min(2.0, chain.scale * 1.5)
        return
    chain.scale *= 0.85
    if chain.scale < 1e-3:
        score, example = pool[int(rng.integers(len(pool)))]
        chain.score, chain.example, chain.scale = score, example, 0.5


def _population_search(
    search: _Search, pool: list[tuple[float, Example]], rng: np.random.Generator, gradient: bool, offspring: int
) -> tuple[Example, Outcome] | None:
    """(1+λ)-ES chains from the pool, for a claim with a batched check: every generation each chain
    draws λ neighbours (with ``gradient`` and a relaxation, the leading chain's first is
    a gradient move), all chains' offspring are judged as one population, and each chain moves to its
    best offspring when that is better (move size ×1.5; else ×0.85, restarting below 10⁻³ as in
    :func:`_local_search`). λ grows with the generations up to ``offspring`` (:func:`brood`). The first
    violation in generation order ends the search."""
    moves = search.claim.moves
    relax = search.claim.relaxation if gradient else None
    if (moves is None and relax is None) or not pool:
        return None
    chains = [_Chain(score, example) for score, example in pool]
    for generation in itertools.count():
        if not search.budget.left():
            break
        per_chain = brood(generation, offspring) if moves is not None else 1
        lead = min(chains, key=lambda c: c.score)
        cands: list[Example] = []
        owners: list[tuple[_Chain, str]] = []
        for chain in chains:
            for j in range(per_chain):
                use_gradient = relax is not None and (moves is None or (chain is lead and j == 0))
                cand = _move(search, chain, use_gradient, rng, relax)
                if cand is None:
                    continue
                cands.append(cand)
                owners.append((chain, "gradient" if use_gradient else "local"))
        if search.budget.evaluations is not None:
            room = search.budget.evaluations - search.budget.used
            cands, owners = cands[:room], owners[:room]
        outs = search.evaluate_many(cands, [phase for _, phase in owners]) if cands else []
        best: dict[int, tuple[float, Example]] = {}
        for cand, (chain, _), out in zip(cands, owners, outs, strict=True):
            if out is None:
                continue
            if out.violated:
                return cand, out
            if out.premises_met and math.isfinite(out.margin):
                if out.score < best.get(id(chain), (math.inf, cand))[0]:
                    best[id(chain)] = (out.score, cand)
        for chain in chains:
            _settle(chain, best.get(id(chain)), pool, rng)
    return None


def _shrink(search: _Search, example: Example, out: Outcome, cap: int) -> tuple[Example, Outcome]:
    """Greedy: the first simpler variant that still violates the claim, until none does."""
    moves = search.claim.moves
    if moves is None:
        return example, out
    spent = 0
    improved = True
    while improved and spent < cap:
        improved = False
        if search.claim.batch is not None:  # all simplifications as one population; the first that violates
            cands = list(itertools.islice(moves.simplifications(example), cap - spent))
            spent += len(cands)
            for candidate, cand_out in zip(cands, search.evaluate_many(cands, ["shrink"] * len(cands)), strict=True):
                if cand_out is not None and cand_out.violated:
                    example, out, improved = candidate, cand_out, True
                    break
            continue
        for candidate in moves.simplifications(example):
            if spent >= cap:
                break
            spent += 1
            cand_out = search.evaluate(candidate, "shrink")
            if cand_out is not None and cand_out.violated:
                example, out, improved = candidate, cand_out, True
                break
    return example, out


def hunt(
    claim: Claim,
    *,
    evaluations: int | None = None,
    seconds: float | None = None,
    seed_value: int = 0,
    method: Method = "hunt",
    mutation: dict[str, Any] | None = None,
    counterexample_dir: Path | None = None,
    generation_share: float = 0.3,
    pool_size: int = 4,
    shrink_cap: int = 200,
    offspring: int = OFFSPRING,
) -> HuntResult:
    """Search for a counterexample to ``claim`` (see the module docstring).

    Args:
      claim: the claim.
      evaluations: the budget as a number of ``claim.check`` calls (reproducible).
      seconds: the budget as wall-clock time (at least one of the two must be given).
      seed_value: seeds Hypothesis and the local search.
      method: ``"hunt"`` (generation + local search with gradient moves + shrinking), ``"es"`` (the
        same without gradient moves) or ``"random"`` (plain draws).
      mutation: keyword arguments passed to ``claim.check`` (planted violations in tests).
      counterexample_dir: where a confirmed counterexample is written as ``<id>.json``.
      generation_share: the share of the budget spent drawing before the local search starts.
      pool_size: how many of the best drawn examples seed local-search chains.
      shrink_cap: at most this many evaluations spent shrinking (beyond the budget).
      offspring: for a claim with a batched check, the most neighbours each chain draws per generation
        of the local search (λ of a (1+λ)-ES, judged as one population; :func:`brood`), and its draws go in blocks
        (:func:`_generate`); 1 keeps the (1+1)-ES and one steered draw at a time.

    Returns:
      A :class:`HuntResult`; ``status == "refuted"`` only for a confirmed violation.
    """
    if evaluations is None and seconds is None:
        raise ValueError("hunt needs a budget: evaluations or seconds")
    apply_thread_policy()  # the claims' tensors are small: one torch thread (mpgverify.threads)
    freeze_startup_heap()  # the import-time heap out of the collector's passes (mpgverify.collector)
    mutation = dict(mutation or {})
    search = _Search(claim, mutation, Budget(evaluations, seconds))
    rng = np.random.default_rng(seed_value)
    searching = method != "random" and (claim.moves is not None or claim.relaxation is not None)
    share = generation_share if searching else 1.0
    found, found_in = None, None
    population = claim.batch is not None and offspring > 1
    with hard_limit(seconds, search):
        blocks = offspring > 1 and (claim.batch is not None or claim.construction is not None)
        pool, found = _generate(search, seed_value, share, pool_size, steer=method != "random", blocks=blocks)
        found_in = "generation" if found is not None else None
        if found is None and searching:
            if population:
                found = _population_search(search, pool, rng, gradient=method == "hunt", offspring=offspring)
            else:
                found = _local_search(search, pool, rng, gradient=method == "hunt")
            found_in = "local search" if found is not None else None
    common: dict[str, Any] = dict(id=claim.id, method=method)
    if found is None:
        stop = "no violation in"
        if search.overran:
            stop = "stopped at the hard time limit inside an evaluation after"
        elif STOP_REQUESTED.is_set():
            stop = "stopped by an interrupt after"
        near = None
        if search.closest is not None:
            _, ex, best = search.closest
            found_by = f"hunter, seed {seed_value}, the closest call of {search.budget.used} evaluations"
            near = closest_call_json(claim, ex, best, found_by)
        return HuntResult(
            status="not found",
            evaluations=dict(search.counts),
            premises_met=search.premises_met,
            best_margin=None if search.informative == 0 else search.best_margin,
            best_tightness=search.best_tightness,
            seconds=time.perf_counter() - search.budget.start,
            note=f"{stop} {search.budget.used} evaluations ({search.premises_met} met the premises, "
            f"{search.informative} informative)",
            informative=search.informative,
            undecided=search.undecided,
            detail={"closest": near},
            **common,
        )
    example, out = _shrink(search, *found, shrink_cap) if method != "random" else found
    confirmed, exact, how = confirm_violation(claim, example, out, mutation)
    path, obj = None, None
    if confirmed:
        obj = counterexample_json(
            claim, example, out, exact, f"hunter, seed {seed_value}, {search.budget.used} evaluations, {found_in}"
        )
        if counterexample_dir is not None:
            path = str(write_counterexample(Path(counterexample_dir) / f"{claim.id}.json", obj))
    return HuntResult(
        status="refuted" if confirmed else "inconclusive",
        evaluations=dict(search.counts),
        premises_met=search.premises_met,
        best_margin=out.margin,
        best_tightness=search.best_tightness,
        seconds=time.perf_counter() - search.budget.start,
        counterexample=path,
        found_in=found_in,
        note=f"{'refuted' if confirmed else 'a float violation was not confirmed'} ({how}); found in {found_in}",
        detail={"example": example, "outcome": out, "exact": exact, "counterexample": obj},
        informative=search.informative,
        undecided=search.undecided,
        **common,
    )
