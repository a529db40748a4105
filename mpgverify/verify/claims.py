"""Claim records and outcomes: what the verification engine knows about a claim (nothing of any
particular paper).

A :class:`Claim` pairs a Hypothesis strategy of examples with a ``check`` that evaluates both
sides of the claim on one example and returns an :class:`Outcome`:

* ``premises_met``: whether the example satisfies the claim's premises (established, not assumed);
* ``margin``: ``bound − observed`` for an upper bound, ``observed − bound`` for a lower bound,
  ``−|lhs − rhs|`` for an identity: the claim holds on the example iff ``margin ≥ −tol``;
* ``tol``: the allowance for floating-point error of this evaluation;
* ``tightness``: ``observed ÷ bound`` (1.0 = tight), or None for identities.

An example is an :class:`Example`: a game and a JSON-ready ``witness`` (policies, parameters,
constants), so that a counterexample file can be replayed by the same ``check``. ``exact``, when
given, recomputes the margin in rational arithmetic from the same game and witness.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from hypothesis import strategies as st

from mpgverify.game import MarkovGame

__all__ = ["Axis", "Claim", "ClaimBook", "Coverage", "ExactMargin", "Example", "LocalMoves", "Outcome", "Relaxation"]


@dataclass(frozen=True)
class Outcome:
    """The evaluation of one claim on one example (see the module docstring)."""

    premises_met: bool
    margin: float
    tol: float
    observed: float
    bound: float
    tightness: float | None = None
    note: str = ""

    @property
    def violated(self) -> bool:
        return self.premises_met and self.margin < -self.tol


@dataclass(frozen=True)
class ExactMargin:
    """A margin recomputed in exact arithmetic: ``value`` as a string (``p/q``) and its float."""

    exact: str
    value: float


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


Check = Callable[..., Outcome]


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
        examples: Callable[[], st.SearchStrategy[Example]],
        mutants: Mapping[str, Mapping[str, Any]],
        options: Mapping[str, Any] | None = None,
        exact: Callable[..., ExactMargin] | None = None,
        **fields: Any,
    ) -> Callable[[Check], Check]:
        """Declare claim ``id`` as checked by the decorated function; ``fields`` are the other
        :class:`Claim` attributes (``moves``, ``coverage``, ``premise_space``, ``relaxation``, …)."""
        if not mutants:
            raise ValueError(f"claim {id!r}: a claim needs at least one mutant its check must catch")
        if any(id == c or (isinstance(c, Claim) and c.id == id) for c in self._slots):
            raise ValueError(f"claim {id!r} is declared twice")
        slot = len(self._slots)
        self._slots.append(id)
        bound = dict(options or {})

        def declare(check: Check) -> Check:
            self._slots[slot] = Claim(
                id,
                ref,
                statement,
                self.section,
                examples,
                functools.partial(check, **bound) if bound else check,
                exact=(functools.partial(exact, **bound) if bound else exact) if exact is not None else None,
                mutants=mutants,
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
