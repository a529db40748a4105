"""Certificates: one example of one claim (a counterexample, a closest call, any stored example),
re-checked and laid out for a reviewer to read or paste.

:func:`certify` replays the example through the claim's own premise gate and check
(:func:`mpgverify.verify.counterexamples.replay`), recording each hypothesis the gate established
with its value (:func:`~mpgverify.verify.claims.recording_premises`) and the check's sequence where
it has one (:func:`~mpgverify.verify.claims.tracing`). The :class:`Certificate` holds what came back;
:meth:`Certificate.document` lays it out (statement, the game as tables, the witness, both sides and
the margin — rationals beside decimals where the re-check is rational — the premises, the sequence
and its plot, a one-line summary), rendered by :mod:`mpgverify.verify.document`.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mpgverify.atomic import write_text
from mpgverify.game import MarkovGame
from mpgverify.verify import plots
from mpgverify.verify.claims import Claim, ExactMargin, Example, Outcome, Premises, recording_premises, short_rational
from mpgverify.verify.claims import tracing as tracing_checks
from mpgverify.verify.counterexamples import load_counterexample, replay, witness_errors
from mpgverify.verify.document import (
    Document,
    Figure,
    Heading,
    Listing,
    Para,
    Table,
    render_html,
    render_latex,
    render_markdown,
)
from mpgverify.verify.runner import judge

__all__ = ["FORMATS", "MAX_TABLE_ROWS", "Certificate", "certify", "certify_file", "relation", "verdict"]

#: a game table longer than this many rows is cut (the JSON file has every number)
MAX_TABLE_ROWS = 243
FORMATS = ("md", "tex", "html")


def relation(out: Outcome) -> str | None:
    """The inequality the check tested, read off the outcome's convention (:class:`Outcome`):
    ``"≤"`` when margin = bound − observed, ``"≥"`` when margin = observed − bound; None when the
    margin is neither (a claim-specific margin) or both coincide (observed = bound)."""
    m, o, b = out.margin, out.observed, out.bound
    if not all(math.isfinite(x) for x in (m, o, b)):
        return None
    close = lambda x, y: abs(x - y) <= 1e-9 * max(abs(x), abs(y))
    up, down = close(m, b - o), close(m, o - b)
    return "≤" if up and not down else "≥" if down and not up else None


def verdict(out: Outcome, exact: ExactMargin | None) -> tuple[str, str, int]:
    """(verdict, how it was decided, exit status) for a replayed example: ``violation confirmed``
    (1), ``the claim holds here``, ``not confirmed`` (a float violation the re-check did not confirm),
    ``premises not met``, ``premises undecided`` or ``undecided`` (a non-finite value) — all 0."""
    if not out.premises_met:
        return ("premises undecided" if out.undecided else "premises not met"), out.note, 0
    if not all(math.isfinite(x) for x in (out.observed, out.bound, out.margin)):
        why = f"; {out.note}" if out.note else ""
        return "undecided", f"the check's value is not a finite number here (float64 overflow, 0/0{why})", 0
    confirmed, how = judge(out, exact)
    if out.violated and confirmed:
        return "violation confirmed", how, 1
    if out.violated:
        return "not confirmed", how, 0
    if exact is not None:
        tight = "; tight: the bound is attained exactly" if exact.exact == "0" else ""
        return "the claim holds here", f"exact margin {exact.short()}{tight}", 0
    return "the claim holds here", f"margin {out.margin:.6g} ≥ −{out.tol:.2g} (the float tolerance)", 0


def _docstring(fn: Any) -> str:
    """The first paragraph of a (possibly partial) function's docstring, on one line."""
    doc = (getattr(fn, "func", fn).__doc__ or "").strip()
    return " ".join(doc.split("\n\n")[0].split())


@dataclass(frozen=True)
class Certificate:
    """One example of one claim, re-checked: what :meth:`document` lays out."""

    claim: Claim
    example: Example
    outcome: Outcome
    exact: ExactMargin | None
    gate: Premises
    premise_lines: tuple[str, ...]
    source: str = ""
    role: str = "counterexample"

    @property
    def decision(self) -> tuple[str, str, int]:
        """(verdict, how it was decided, exit status): :func:`verdict`."""
        return verdict(self.outcome, self.exact)

    @property
    def verdict(self) -> str:
        return self.decision[0]

    @property
    def exit_status(self) -> int:
        return self.decision[2]

    def sides_line(self) -> str:
        """Both sides and the direction in one line: ``the claim needs observed ≥ bound: 1 ≥ 1.96822 is
        false (margin -0.968224)``."""
        out, rel = self.outcome, relation(self.outcome)
        if not out.premises_met:
            return "nothing was compared: the premises are not established here"
        if rel is None:
            return (
                f"observed {out.observed:.6g}, claimed {out.bound:.6g}; the claim holds iff margin {out.margin:.6g} "
                f"≥ −{out.tol:.2g}"
            )
        holds = out.margin >= -out.tol
        return (
            f"the claim needs observed {rel} bound: {out.observed:.6g} {rel} {out.bound:.6g} is "
            f"{'true' if holds else 'false'} (margin {out.margin:.6g})"
        )

    @property
    def summary(self) -> str:
        """The certificate in one sentence."""
        v, how, _ = self.decision
        g = self.example.game
        shape = f"{g.n_agents} agent(s) × actions {list(g.n_actions)}, {g.n_states} state(s), γ = {g.gamma:.6g}"
        if v == "violation confirmed":
            return f"{self.claim.ref} ({self.claim.id}) fails on a game of {shape}: {self.sides_line()}; {how}."
        return f"{self.claim.id} on a game of {shape}: {v} ({how})."

    def document(self, figures: dict[str, str] | None = None) -> Document:
        """The certificate's blocks; ``figures`` maps a figure's name (``sequence``) to its file."""
        return Document(f"{self.claim.id}: {self.verdict}", tuple(_blocks(self, figures or {})))

    def markdown(self, figures: dict[str, str] | None = None) -> str:
        return render_markdown(self.document(figures))

    def latex(self, figures: dict[str, str] | None = None) -> str:
        return render_latex(self.document(figures))

    def html(self, figures: dict[str, str] | None = None) -> str:
        return render_html(self.document(figures))

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def _repr_html_(self) -> str:
        return render_html(self.document(), fragment=True)

    def write(self, out: Path, *, formats: Sequence[str] = ("md",), stem: str = "certificate") -> list[Path]:
        """Write the certificate as ``out/STEM.FMT`` for each of ``formats`` (``md``, ``tex``, ``html``)
        with its figure (``STEM-sequence.png``, when matplotlib is installed and the check has a
        sequence); returns the files written."""
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        figures: dict[str, str] = {}
        trace = self.outcome.trace
        if trace is not None and trace.plot and plots.available():
            path = plots.trace_figure(trace, out / f"{stem}-sequence.png", title=f"{self.claim.id}: {trace.title}")
            figures["sequence"] = path.name
            written.append(path)
        render = {"md": self.markdown, "tex": self.latex, "html": self.html}
        written += [write_text(out / f"{stem}.{fmt}", render[fmt](figures)) for fmt in formats]
        return written


def certify(claim: Claim, example: Example, *, source: str = "", role: str = "counterexample") -> Certificate:
    """Re-check ``example`` against ``claim`` and keep everything a certificate shows (module docstring).
    A violation gets the claim's exact re-check, as in ``replay``; so does a ``role="closest call"``
    that holds (its rational margin says whether the bound is attained: thm-4.5@corrected's is 0)."""
    if claim.premises is not None:
        with recording_premises() as lines, witness_errors(claim):
            gate = claim.premises(example.game, example.witness)
    else:
        gate, lines = Premises.hold(), []
    with tracing_checks():
        outcome, exact = replay(claim, example)
    recheck = claim.exact if role == "closest call" and outcome.premises_met else None
    if exact is None and recheck is not None and math.isfinite(outcome.margin):
        with witness_errors(claim):  # a closest call's sides in rationals too: is the bound attained?
            exact = recheck(example.game, example.witness)
    return Certificate(claim, example, outcome, exact, gate, tuple(dict.fromkeys(lines)), source, role)


def certify_file(path: str | Path, claims: list[Claim]) -> Certificate:
    """:func:`certify` the example of a ``mpgverify.counterexample/1`` file (a counterexample or a
    saved closest call), its claim looked up in ``claims``."""
    from mpgverify.errors import FormatError

    claim_id, example, obj = load_counterexample(path)
    by_id = {c.id: c for c in claims}
    if claim_id not in by_id:
        raise FormatError(f"{path}: claim", f"unknown claim id {claim_id!r}")
    return certify(by_id[claim_id], example, source=str(path), role=str(obj.get("role", "counterexample")))


# -- the blocks ---------------------------------------------------------------------------------------
def _blocks(c: Certificate, figures: dict[str, str]) -> list[Any]:
    claim, out, game = c.claim, c.outcome, c.example.game
    v, how, _ = c.decision
    blocks: list[Any] = [
        Para(c.summary),
        Heading("Claim"),
        Para(f"{claim.ref} — {claim.statement}"),
    ]
    if c.source:
        blocks.append(Para(f"Source: {c.source} ({c.role})."))
    blocks += [Heading("Verdict"), Para(f"{v}: {c.sides_line()}. Decided by: {how}.")]
    blocks.append(_sides_table(out, c.exact))
    if c.exact is not None and len(c.exact.exact) > 40:
        blocks.append(Listing(c.exact.exact, "the exact margin in full"))
    blocks += [Heading("Premises"), *_premise_blocks(c)]
    if out.trace is not None:
        trace = out.trace
        blocks += [Heading("Sequence"), Para(f"{trace.title}, as the check computed it (one row per policy π_t).")]
        blocks.append(Table(trace.columns, trace.rows))
        marks = "; ".join(f"{k} = {val:.6g}" for k, val in trace.marks.items())
        if marks:
            blocks.append(Para(f"Marked: {marks}."))
        if "sequence" in figures:
            blocks.append(Figure(figures["sequence"], f"{', '.join(trace.plot)} against t, {marks}"))
    blocks += [Heading("Game"), *game_blocks(game)]
    blocks += [Heading("Witness"), *witness_blocks(game, c.example.witness)]
    return blocks


def _sides_table(out: Outcome, exact: ExactMargin | None) -> Table:
    def rational(x: str | None) -> str:
        return "—" if x is None else short_rational(x)

    rows: list[tuple[Any, ...]] = [
        ("observed", out.observed, rational(exact.observed) if exact else "—"),
        ("claimed bound", out.bound, rational(exact.bound) if exact else "—"),
        ("margin", out.margin, rational(exact.exact) if exact else "—"),
        ("float tolerance", out.tol, "—"),
    ]
    if out.tightness is not None:
        rows.append(("tightness (observed ÷ bound, 1 = tight)", out.tightness, "—"))
    if out.note:
        rows.append(("note", out.note, ""))
    return Table(("quantity", "decimal", "exact (rational)"), tuple(rows))


def _premise_blocks(c: Certificate) -> list[Any]:
    blocks: list[Any] = []
    definition = _docstring(c.claim.premises) if c.claim.premises is not None else ""
    if definition:
        blocks.append(Para(f"The gate decides: {definition}"))
    if c.gate.met is not True:
        kind = "undecided" if c.gate.met is None else "not met"
        blocks.append(Para(f"Premises {kind}: {c.gate.reason}."))
    if c.premise_lines:
        blocks.append(Table(("hypothesis established", ""), tuple((line, "✓") for line in c.premise_lines)))
    facts = [(k, _fact(v)) for k, v in c.gate.facts.items() if _fact(v) is not None]
    if facts:
        blocks.append(Table(("fact the gate established", "value"), tuple(facts)))
    return blocks


def _fact(value: Any) -> str | None:
    """A gate fact as text, or None for working data (tensors, policies)."""
    if isinstance(value, (bool, int, float, str)):
        return f"{value:.6g}" if isinstance(value, float) else str(value)
    if hasattr(value, "numerator") and hasattr(value, "denominator"):  # Fraction, sympy.Rational
        return short_rational(str(value))
    return None


def _joint(game: MarkovGame) -> list[tuple[int, ...]]:
    return list(itertools.product(*(range(n) for n in game.n_actions)))


def game_blocks(game: MarkovGame) -> list[Any]:
    """The game as tables: its shape, μ, rewards per agent with the potential, transitions."""
    joint = _joint(game)
    N, S = game.n_agents, game.n_states
    blocks: list[Any] = [
        Para(
            f"{game.name or 'unnamed'}: N = {N} agent(s) with {list(game.n_actions)} actions, S = {S} state(s), "
            f"γ = {game.gamma:.6g}, μ = ({', '.join(f'{float(x):.6g}' for x in game.mu)})."
        )
    ]
    R, phi = game.R, game.phi
    cols = ("s", "a = (a¹, …, aᴺ)", *(f"r{i}(s, a)" for i in range(N)), *(("φ(s, a)",) if phi is not None else ()))
    rows = []
    for s in range(S):
        for k, a in enumerate(joint):
            extra = (float(phi[s, k]),) if phi is not None else ()
            rows.append((s, str(a), *(float(R[i, s, k]) for i in range(N)), *extra))
    blocks.append(_cut(Table(cols, tuple(rows), "rewards rⁱ(s, a) per agent i, and the stated potential φ")))
    if S > 1:
        P = game.P
        cols = ("s", "a", *(f"P(s'={t} | s, a)" for t in range(S)))
        rows = [(s, str(a), *(float(P[s, k, t]) for t in range(S))) for s in range(S) for k, a in enumerate(joint)]
        blocks.append(_cut(Table(cols, tuple(rows), "transitions")))
    else:
        blocks.append(Para("One state: every transition returns to it."))
    return blocks


def _cut(table: Table) -> Table:
    if len(table.rows) <= MAX_TABLE_ROWS:
        return table
    note = f"{table.caption}; the first {MAX_TABLE_ROWS} of {len(table.rows)} rows (the JSON file has them all)"
    return Table(table.columns, table.rows[:MAX_TABLE_ROWS], note)


def _policy_rows(game: MarkovGame, probs: list[torch.Tensor], logits: list[torch.Tensor] | None) -> list[Any]:
    rows = []
    for i, p in enumerate(probs):
        for s in range(game.n_states):
            pi = ", ".join(f"{float(x):.6g}" for x in p[s])
            th = "—" if logits is None else ", ".join(f"{float(x):.6g}" for x in logits[i][s])
            rows.append((i, s, pi, th))
    return rows


def _as_policy(game: MarkovGame, value: Any) -> list[torch.Tensor] | None:
    """``value`` as one ``[S, Aⁱ]`` tensor per agent, or None when it has another shape."""
    try:
        tensors = [torch.tensor(x, dtype=torch.float64) for x in value]
    except (TypeError, ValueError, RuntimeError):
        return None
    shapes = [(game.n_states, n) for n in game.n_actions]
    if len(tensors) != len(shapes) or any(tuple(t.shape) != sh for t, sh in zip(tensors, shapes, strict=True)):
        return None
    return tensors


def witness_blocks(game: MarkovGame, witness: dict[str, Any]) -> list[Any]:
    """The witness: its policies (``theta`` as logits with their softmax, ``probs`` as given) and its
    constants; anything else as JSON."""
    blocks: list[Any] = []
    constants = [(k, v) for k, v in witness.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    for key, value in witness.items():
        if not isinstance(value, list):
            continue
        tensors = _as_policy(game, value)
        if tensors is not None and key.startswith("theta"):
            probs = [torch.softmax(t, dim=-1) for t in tensors]
            rows = _policy_rows(game, probs, tensors)
            caption = f"{key}: logits θⁱ(s, ·) and the policy πⁱ(·|s) = softmax(θⁱ(s, ·))"
        elif tensors is not None:
            rows, caption = _policy_rows(game, tensors, None), f"{key}: the policy πⁱ(·|s)"
        else:
            blocks.append(Listing(json.dumps(value)[:4000], f"{key} (as stored)"))
            continue
        blocks.append(Table(("agent i", "state s", "πⁱ(a|s), a = 0, 1, …", "θⁱ(s, a)"), tuple(rows), caption))
    if constants:
        blocks.append(Table(("constant", "value"), tuple((k, repr(v)) for k, v in constants)))
    other = [k for k, v in witness.items() if not isinstance(v, (list, int, float)) or isinstance(v, bool)]
    if other:
        blocks.append(Listing(json.dumps({k: witness[k] for k in other})[:4000], "other witness fields"))
    return blocks
