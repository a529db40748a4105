"""Claim records and outcomes: what the verification engine knows about a claim (nothing of any
particular paper).

A :class:`Claim` pairs a Hypothesis strategy of examples with a ``check`` that evaluates both
sides of the claim on one example and returns an :class:`Outcome`:

* ``premises_met``: whether the example satisfies the claim's premises (established, not assumed);
* ``margin``: ``bound − observed`` for an upper bound, ``observed − bound`` for a lower bound,
  ``−|lhs − rhs|`` for an identity: the claim holds on the example iff ``margin ≥ −tol``;
* ``tol``: the allowance for floating-point error of this evaluation;
* ``tightness``: ``observed ÷ bound`` (1.0 = tight), or None for identities;
* ``informative``: whether the example tests anything (a dynamics that moved, a start that was not
  already ε-Nash); the ledger counts informative examples beside those that met the premises;
* ``undecided``: the premise decision is only sufficient and could not decide this example (counted
  apart from "not met").

Every claim has one **premise gate**, ``premises(game, witness) -> Premises``: met (with the facts
it established), not met (with the reason) or undecided. :class:`ClaimBook` composes it in front of
the check, so ``claim.check`` — what the runner, the hunter, ``replay`` and the exact re-check call —
never evaluates a claim whose premises were not established, and ``claim.premises`` is the same
function on its own.

An example is an :class:`Example`: a game and a JSON-ready ``witness`` (policies, parameters,
constants), so that a counterexample file can be replayed by the same ``check``. ``exact``, when
given, recomputes the margin in rational arithmetic from the same game and witness.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from hypothesis import strategies as st

from mpgverify.game import MarkovGame
from mpgverify.verify.construction import Construction

__all__ = [
    "Axis",
    "Claim",
    "ClaimBook",
    "Coverage",
    "ExactMargin",
    "Example",
    "LocalMoves",
    "Outcome",
    "Premises",
    "PremisesNotMet",
    "Relaxation",
    "Trace",
    "closeness",
    "gated",
    "not_met_outcome",
    "premise_checked",
    "recording_premises",
    "short_rational",
    "tracing",
    "want_trace",
]


@dataclass(frozen=True)
class Premises:
    """The premise gate's decision on one example.

    ``met``: True (every hypothesis established), False (one fails: ``reason`` says which and by how
    much) or None (undecided: the decision procedure is only sufficient and could not decide it).
    ``facts``: what the gate established, by name (constants, exact minima), for the check to reuse
    and for certificates to print."""

    met: bool | None
    reason: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def hold(cls, **facts: Any) -> Premises:
        return cls(True, "", facts)

    @classmethod
    def fail(cls, reason: str) -> Premises:
        return cls(False, reason)

    @classmethod
    def undecided(cls, reason: str) -> Premises:
        return cls(None, reason)

    def __bool__(self) -> bool:
        return self.met is True


#: the premise lines recorded by :func:`recording_premises` (None: not recording)
_PREMISE_LINES: ContextVar[list[str] | None] = ContextVar("premise_lines", default=None)
_TRACING: ContextVar[bool] = ContextVar("tracing", default=False)


def premise_checked(line: str | Callable[[], str]) -> None:
    """Record that one hypothesis of a premise gate holds, in words with its value
    (``"σ = 0.0625 > 0"``, ``"Assumption 4.6: min_π (V_π − Φ_π)(s) = 0.322 ≥ 0"``), for a certificate.
    A callable is evaluated only while :func:`recording_premises` is active (gates run in hot loops)."""
    lines = _PREMISE_LINES.get()
    if lines is not None:
        lines.append(line() if callable(line) else line)


@contextlib.contextmanager
def recording_premises() -> Iterator[list[str]]:
    """Collect the :func:`premise_checked` lines of the gates run inside, in the order they ran."""
    lines: list[str] = []
    token = _PREMISE_LINES.set(lines)
    try:
        yield lines
    finally:
        _PREMISE_LINES.reset(token)


@contextlib.contextmanager
def tracing() -> Iterator[None]:
    """Ask the checks run inside for their full :class:`Trace` (columns that cost extra work)."""
    token = _TRACING.set(True)
    try:
        yield
    finally:
        _TRACING.reset(token)


def want_trace() -> bool:
    """Whether a check runs under :func:`tracing` (a certificate is being written)."""
    return _TRACING.get()


@dataclass(frozen=True)
class Trace:
    """A sequence a check computed (a dynamics' policies π₀..π_T), one row per step, so that a
    certificate shows the very numbers the margin came from.

    ``columns`` name the entries of each row (the first is the step index); ``plot`` names the
    columns drawn against the first; ``marks`` are horizontal reference lines (a bound), by label."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    plot: tuple[str, ...] = ()
    marks: Mapping[str, float] = field(default_factory=dict)

    def column(self, name: str) -> list[Any]:
        """The entries of column ``name``, step by step."""
        k = self.columns.index(name)
        return [row[k] for row in self.rows]


@dataclass(frozen=True)
class Outcome:
    """The evaluation of one claim on one example (see the module docstring). ``trace``: the sequence
    behind the margin, for dynamics claims (not compared)."""

    premises_met: bool
    margin: float
    tol: float
    observed: float
    bound: float
    tightness: float | None = None
    note: str = ""
    informative: bool = True
    undecided: bool = False
    trace: Trace | None = field(default=None, compare=False, repr=False)

    @property
    def violated(self) -> bool:
        return self.premises_met and self.margin < -self.tol

    @property
    def score(self) -> float:
        """How close the example comes to a violation (lower: closer): :func:`closeness`."""
        return closeness(self.tightness, self.margin)


def closeness(tightness: float | None, margin: float) -> float:
    """What the hunter minimizes and a saved closest call is ranked by: ``−tightness`` where the claim
    reports one (scale-free: a bound with a large constant is not 'safer' for it), else the margin."""
    if tightness is not None and math.isfinite(tightness):
        return -tightness
    return margin


@dataclass(frozen=True)
class ExactMargin:
    """A margin recomputed in exact arithmetic: ``value`` as a string (``p/q``) and its float;
    ``observed`` and ``bound``, the two sides in rationals, where the re-check computes them."""

    exact: str
    value: float
    observed: str | None = None
    bound: str | None = None

    def short(self) -> str:
        """The margin for a line of text: the rational cut to a readable size beside its decimal
        (``-3362012215…7537/3472348524…4498 ≈ -0.968224``); the full rational stays in ``exact``."""
        return short_rational(self.exact)


#: a rational with more digits than this in numerator or denominator is cut for display
SHORT_DIGITS = 12


def short_rational(text: str, digits: int = SHORT_DIGITS) -> str:
    """``p/q`` as text of readable size: each of p and q longer than ``digits`` digits is shown as its
    first and last digits around ``…`` with its length, and a decimal is put beside any fraction
    (``-1`` stays ``-1``; ``-1/2`` is ``-1/2 ≈ -0.5``)."""
    sign = "-" if text.startswith("-") else ""
    body = text.removeprefix("-")
    parts = body.split("/")
    if len(parts) > 2 or not all(p.isdigit() for p in parts):
        return text
    if len(parts) == 1 and len(body) <= digits:
        return text

    def cut(p: str) -> str:
        return p if len(p) <= digits else f"{p[: digits // 2]}…{p[-(digits // 2) :]}"

    value = int(parts[0]) / int(parts[1]) if len(parts) == 2 else float(int(parts[0]))
    long = any(len(p) > digits for p in parts)
    size = f" ({'/'.join(str(len(p)) for p in parts)} digits)" if long else ""
    return f"{sign}{'/'.join(cut(p) for p in parts)}{size} ≈ {sign}{value:.6g}"


@dataclass(frozen=True)
class Example:
    """One drawn example: the game and the JSON-ready witness."""

    game: MarkovGame
    witness: dict[str, Any]

    def __repr__(self) -> str:
        keys = ", ".join(f"{k}={v!r}" for k, v in self.witness.items() if not isinstance(v, list))
        return f"Example({self.game!r}, {keys})"


@dataclass(frozen=True)
class Axis:
    """One way to split a claim's premise space: ``label_of(example)`` is one of ``labels``."""

    name: str
    labels: tuple[str, ...]
    label_of: Callable[[Example], str]


@dataclass(frozen=True)
class Coverage:
    """The sub-classes of a claim's premise space (the class of games, policies and constants its
    premises allow, split along ``axes``), so that a ledger row can say which were reached.

    Every label of every axis is a sub-class the premises allow; a verdict of ``holds`` says how
    many premise-meeting examples each got and names those that got none."""

    axes: tuple[Axis, ...]

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(f"{a.name}: {label}" for a in self.axes for label in a.labels)

    def classify(self, example: Example) -> list[str]:
        """The sub-classes ``example`` belongs to (one per axis)."""
        return [f"{a.name}: {a.label_of(example)}" for a in self.axes]


class LocalMoves(Protocol):
    """How the hunter moves around one claim's examples without breaking premises established by
    construction (the game's class, the ranges its numbers were drawn from)."""

    def neighbour(self, example: Example, rng: np.random.Generator, scale: float) -> Example:
        """A random nearby example; ``scale`` ∈ (0, 2] is the move size."""
        ...

    def simplifications(self, example: Example) -> Iterable[Example]:
        """Simpler variants (fewer actions or agents, rounder numbers), simplest first."""
        ...


class Relaxation(Protocol):
    """A differentiable view of a claim around one example, for gradient-guided hunting.

    The continuous numbers of an example (logits, rewards, potential, agent terms, transition
    logits, μ, constants) are mapped to unconstrained tensors by reparametrizations that keep the
    premises (softmax onto simplices, sigmoid onto ranges, admissible agent-term bases); ``score``
    is a differentiable surrogate of what the hunter minimizes (``−tightness`` or the margin); where
    the claim's quantity passes through an argmax or a policy-iteration result, ``score`` holds that
    selection fixed (envelope theorem: the derivative at a fixed maximizer is the derivative of the
    maximum where the maximizer is unique). The hunter re-evaluates every rebuilt example with the
    claim's own ``check``: the surrogate steers, it never decides."""

    def parameters(self, example: Example) -> dict[str, torch.Tensor]:
        """Unconstrained float64 leaves (without ``requires_grad``) describing ``example``."""
        ...

    def score(self, params: dict[str, torch.Tensor], example: Example) -> torch.Tensor:
        """A scalar to minimize (lower: closer to a violation), differentiable in ``params``."""
        ...

    def rebuild(self, params: dict[str, torch.Tensor], example: Example) -> Example:
        """The example that ``params`` describe (the same structure as ``example``)."""
        ...


@dataclass(frozen=True)
class Claim:
    """A checkable claim.

    Attributes:
      id: stable claim id (``lemma-3.1``, ``lemma-3.7@normalized-d``).
      ref: where the paper states it (``Lemma 3.1``).
      statement: the claim in words, as the paper states it.
      section: the paper section (for grouping).
      examples: a zero-argument factory of the Hypothesis strategy of :class:`Example`.
      check: ``check(game, witness, **mutation) -> Outcome``.
      exact: optional ``exact(game, witness) -> ExactMargin`` (rational re-check of a violation).
      mutants: named ``mutation`` keyword sets under which ``check`` must find a violation (the
        meta-tests' teeth: a wrong constant, a dropped factor, a flipped sign).
      vacuity: optional ``() -> str``: a proof that the premises can never hold, as a sentence.
      min_premises: below this many examples with premises met, the verdict is inconclusive.
      moves: optional :class:`LocalMoves` for the counterexample hunter's local search and
        shrinking (without them the hunter only generates).
      coverage: optional :class:`Coverage`: the sub-classes of the premise space, counted by the
        ledger over the examples that met the premises.
      premise_space: the class of games, policies and constants the premises allow, in words
        (what a ``holds`` is evidence about).
      relaxation: optional :class:`Relaxation`: lets the hunter climb the claim's score by gradient.
      shipped_counterexample: the counterexample file the claim's package ships (set by the registry
        from the package's ``COUNTEREXAMPLES`` folder); replayed before any search.
      premises: the premise gate ``premises(game, witness) -> Premises`` (already composed into
        ``check``; exposed for certificates and tests).
      informative: what makes an example informative for this claim, in words (the ledger counts them).
      batch: optional batched check ``batch(games, witnesses, *, gates, **mutation) -> list[Outcome]`` over
        same-shape examples whose premises were established (``gates``: their decisions), one outcome
        per member, equal to ``check`` member by member. Not gated itself: call it through
        :func:`mpgverify.verify.population.evaluate_population`, which asks ``premises`` first.
      batch_premises: optional batched premise gate ``batch_premises(games, witnesses) -> list[Premises]``
        over same-shape examples, equal to ``premises`` member by member (for gates that run dynamics).
      after_gate: ``check`` without its gate, ``after_gate(game, witness, *, gate, **mutation)``, for a
        caller that has already established ``gate`` (a population's lone member: no second gate run).
      construction: the :class:`Construction` that ``examples`` maps, for a strategy that runs dynamics
        (the runner then draws the seeds and builds them in blocks of one shape); None otherwise.
    """

    id: str
    ref: str
    statement: str
    section: str
    examples: Callable[[], st.SearchStrategy[Example]]
    check: Callable[..., Outcome]
    exact: Callable[..., ExactMargin] | None = None
    mutants: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    vacuity: Callable[[], str] | None = None
    min_premises: int = 5
    moves: LocalMoves | None = None
    coverage: Coverage | None = None
    premise_space: str = ""
    relaxation: Relaxation | None = None
    shipped_counterexample: Path | None = None
    premises: Callable[..., Premises] | None = None
    informative: str = "every example that meets the premises"
    batch: Callable[..., list[Outcome]] | None = None
    batch_premises: Callable[..., list[Premises]] | None = None
    after_gate: Callable[..., Outcome] | None = None
    construction: Construction | None = None


Check = Callable[..., Outcome]
Gate = Callable[..., Premises]


def not_met_outcome(gate: Premises) -> Outcome:
    """The outcome of an example whose premises were not established (not met, or undecided)."""
    return Outcome(False, 0.0, 0.0, 0.0, 0.0, None, gate.reason, informative=False, undecided=gate.met is None)


def _behind(premises: Gate, fn: Callable[..., Any], refuse: Callable[[Premises], Any]) -> Callable[..., Any]:
    """``fn`` behind the gate: the premises first (``refuse(decision)`` when not established), then ``fn``
    with the gate's decision as ``gate=`` (the facts it established). Mutations reach ``fn`` only."""

    @functools.wraps(fn)
    def run(game: Any, witness: dict[str, Any], **mutation: Any) -> Any:
        gate = premises(game, witness)
        if gate.met is not True:
            return refuse(gate)
        return fn(game, witness, gate=gate, **mutation)

    return run


def _raise_not_met(gate: Premises) -> ExactMargin:
    raise PremisesNotMet(gate.reason)


def gated(premises: Gate, check: Check) -> Check:
    """The check behind its premise gate: an example whose premises are not established is not met."""
    return _behind(premises, check, not_met_outcome)


def gated_exact(premises: Gate, exact: Callable[..., ExactMargin]) -> Callable[..., ExactMargin]:
    """The exact re-check behind the same gate, raising :class:`PremisesNotMet` outside it (a replayed
    file reaches it only through the gate)."""
    return _behind(premises, exact, _raise_not_met)


class PremisesNotMet(Exception):
    """Raised by a gated exact re-check asked about an example whose premises fail."""


class ClaimBook:
    """The claims of one module, each declared directly above the function that checks it::

        book = ClaimBook(section="3")

        @book.claim("lemma-3.2", ref="Lemma 3.2", statement="…", examples=…, mutants={…})
        @book.claim("lemma-3.2@own-block", ref="…", statement="…", examples=…, options={"part": "own"})
        def check_lemma_3_2(game, witness, *, part="full", bound_scale=1.0) -> Outcome: ...

    ``options`` are keyword arguments bound into ``check`` (and ``exact``) for that claim, so one
    function serves a claim and its readings. :attr:`claims` lists the claims in the order their
    decorators are written, top to bottom (decorator expressions are evaluated in that order, so the
    slot is reserved when ``claim(...)`` is called and filled when the decorator is applied).
    """

    def __init__(self, *, section: str) -> None:
        self.section = section
        self._slots: list[Claim | str] = []

    def claim(
        self,
        id: str,
        *,
        ref: str,
        statement: str,
        examples: Callable[[], st.SearchStrategy[Example]] | Construction,
        mutants: Mapping[str, Mapping[str, Any]],
        premises: Gate,
        options: Mapping[str, Any] | None = None,
        premise_options: Mapping[str, Any] | None = None,
        exact: Callable[..., ExactMargin] | None = None,
        batch: Callable[..., list[Outcome]] | None = None,
        batch_premises: Callable[..., list[Premises]] | None = None,
        **fields: Any,
    ) -> Callable[[Check], Check]:
        """Declare claim ``id`` as checked by the decorated function behind the premise gate
        ``premises(game, witness, **premise_options) -> Premises``; the check (and ``exact``) receive the
        gate's decision as ``gate=``; ``batch`` (the batched check, :attr:`Claim.batch`) gets ``options``
        bound the same way. ``examples`` is a strategy factory, or a :class:`Construction` (its
        :meth:`~Construction.examples`, with :attr:`Claim.construction` set). ``fields`` are the other
        :class:`Claim` attributes (``moves``, ``coverage``, ``premise_space``, ``relaxation``,
        ``informative``, …)."""
        if not mutants:
            raise ValueError(f"claim {id!r}: a claim needs at least one mutant its check must catch")
        if any(id == c or (isinstance(c, Claim) and c.id == id) for c in self._slots):
            raise ValueError(f"claim {id!r} is declared twice")
        slot = len(self._slots)
        self._slots.append(id)
        bound = dict(options or {})

        gate = functools.partial(premises, **premise_options) if premise_options else premises
        construction = examples if isinstance(examples, Construction) else None
        strategy = examples.examples if isinstance(examples, Construction) else examples

        def declare(check: Check) -> Check:
            raw = functools.partial(check, **bound) if bound else check
            raw_exact = (functools.partial(exact, **bound) if bound else exact) if exact is not None else None
            self._slots[slot] = Claim(
                id,
                ref,
                statement,
                self.section,
                strategy,
                gated(gate, raw),
                exact=None if raw_exact is None else gated_exact(gate, raw_exact),
                mutants=mutants,
                premises=gate,
                batch=None if batch is None else (functools.partial(batch, **bound) if bound else batch),
                after_gate=raw,
                batch_premises=None
                if batch_premises is None
                else functools.partial(batch_premises, **premise_options)
                if premise_options
                else batch_premises,
                construction=construction,
                **fields,
            )
            return check

        return declare

    @property
    def claims(self) -> list[Claim]:
        """The declared claims, in declaration order."""
        pending = [c for c in self._slots if not isinstance(c, Claim)]
        if pending:
            raise ValueError(f"claims declared but never attached to a check: {pending}")
        return [c for c in self._slots if isinstance(c, Claim)]
