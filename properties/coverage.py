"""How this paper's premise spaces split into sub-classes, for the ledger's coverage report.

Each axis labels an example by one feature of its game or witness; a claim declares the axes
along which its premises allow variation (:class:`mpgverify.verify.claims.Coverage`), and the ledger
counts the premise-meeting examples per label. A ``holds`` whose labels were not all reached says
so: e.g. a claim over all MPGs whose examples never had a negative agent term.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from mpgverify.game import MarkovGame
from mpgverify.verify.claims import Axis, Coverage, Example
from randomgames.perturb import is_action_independent

__all__ = [
    "ACTIONS",
    "AGENTS",
    "AGENTS_FROM_2",
    "AGENTS_UPTO_2",
    "AGENT_TERMS",
    "EXACT_KERNEL",
    "KERNEL",
    "LOGITS",
    "MPG_COVERAGE",
    "MPG_COVERAGE_TAILS",
    "MPG_SPACE",
    "POTENTIAL_SIGN",
    "REWARD_SIGN",
    "STATES",
    "THETA_RANGE",
    "THETA_TAILS",
    "UNIT_POTENTIAL_COVERAGE",
    "UNIT_POTENTIAL_TAILS",
    "coverage",
    "mpg_space",
    "witness_sign",
]


def _game_axis(name: str, labels: tuple[str, ...], label_of: Callable[[MarkovGame], str]) -> Axis:
    return Axis(name, labels, lambda ex: label_of(ex.game))


AGENTS = _game_axis("agents", ("1", "2", "3+"), lambda g: "3+" if g.n_agents >= 3 else str(g.n_agents))
#: for claims whose strategies stop at two agents (cost), the labels within that limit
AGENTS_UPTO_2 = _game_axis("agents", ("1", "2"), lambda g: str(g.n_agents))
#: for claims about cross-agent blocks, which need two agents
AGENTS_FROM_2 = _game_axis("agents", ("2", "3+"), lambda g: "3+" if g.n_agents >= 3 else str(g.n_agents))
STATES = _game_axis("states", ("1", "2+"), lambda g: "1" if g.n_states == 1 else "2+")
ACTIONS = _game_axis("most actions", ("1-2", "3+"), lambda g: "3+" if max(g.n_actions) >= 3 else "1-2")


def _kernel(g: MarkovGame) -> str:
    if g.n_states == 1:
        return "one state"
    return "state-only" if is_action_independent(g) else "action-dependent"


KERNEL = _game_axis("kernel", ("one state", "state-only", "action-dependent"), _kernel)
#: the same axis where the premises need smoothness decided exactly (one state or a state-only kernel)
EXACT_KERNEL = _game_axis("kernel", ("one state", "state-only"), _kernel)


def _agent_terms(g: MarkovGame) -> str:
    assert g.potential is not None, "agent terms need a stated potential"
    u = g.rewards - g.potential
    scale = 1e-12 * (1.0 + float(g.rewards.abs().max()))
    if float(u.abs().max()) <= scale:
        return "none (identical interest)"
    return "negative somewhere" if float(u.min()) < -scale else "non-negative"


AGENT_TERMS = _game_axis(
    "agent terms r^i - phi", ("none (identical interest)", "non-negative", "negative somewhere"), _agent_terms
)


def _sign(t: torch.Tensor) -> str:
    return "negative somewhere" if float(t.min()) < 0 else "non-negative"


POTENTIAL_SIGN = _game_axis(
    "potential phi",
    ("non-negative", "negative somewhere"),
    lambda g: _sign(g.potential),  # type: ignore[arg-type]
)
REWARD_SIGN = _game_axis("rewards", ("non-negative", "negative somewhere"), lambda g: _sign(g.rewards))


def witness_sign(key: str, *, zero: bool = False) -> Axis:
    """The sign of a scalar witness constant (``zero``: a separate label for 0)."""

    def label(ex: Example) -> str:
        x: Any = ex.witness.get(key, 0.0)
        x = float(x)
        if x < 0:
            return "< 0"
        if zero:
            return "0" if x == 0 else "> 0"
        return "≥ 0"

    labels = ("< 0", "0", "> 0") if zero else ("< 0", "≥ 0")
    return Axis(key, labels, label)


def _logit_gap(ex: Example, key: str = "theta") -> str:
    theta = ex.witness.get(key) or []
    gap = max((max(row) - min(row) for agent in theta for row in agent), default=0.0)
    return "moderate (gap ≤ 6)" if gap <= 6.0 else "large (gap > 6, up to 100)"


#: the logits' spread per row: the box [−3, 3] against the tails (near-deterministic policies)
LOGITS = Axis("logits", ("moderate (gap ≤ 6)", "large (gap > 6, up to 100)"), _logit_gap)


def coverage(*axes: Axis) -> Coverage:
    return Coverage(tuple(axes))


#: the sub-classes of "any MPG" (Def 2.2): size, kernel, agent terms of either sign, potential sign.
MPG_COVERAGE = coverage(AGENTS, STATES, KERNEL, ACTIONS, AGENT_TERMS, POTENTIAL_SIGN)
#: the same where a lemma needs φ ∈ [0, 1] (the potential's sign is then fixed).
UNIT_POTENTIAL_COVERAGE = coverage(AGENTS, STATES, KERNEL, ACTIONS, AGENT_TERMS)
#: with the logits' tails as an axis of their own
MPG_COVERAGE_TAILS = coverage(*MPG_COVERAGE.axes, LOGITS)
UNIT_POTENTIAL_TAILS = coverage(*UNIT_POTENTIAL_COVERAGE.axes, LOGITS)
#: the premise space of a claim over all MPGs, in words; ``size`` and ``phi`` filled in per claim.
MPG_SPACE = (
    "every MPG of each drawn kernel (random, sparse, deterministic or state-only; potential φ ∈ {phi}, agent "
    "terms rⁱ − φ of either sign spanning all that Def 2.2 admits), {size}, μ uniform or random with full support"
)

#: the parameters of every "θ" witness drawn by :func:`properties.common.with_theta`, in words
THETA_RANGE = "; θ with logits in [−3, 3]"
#: the same with the tails (:func:`randomgames.strategies.logits` with ``tails``)
THETA_TAILS = "; θ with logits in [−3, 3], in [−50, 50], or near-deterministic (row gaps up to 100)"


def mpg_space(size: str, phi: str = "[0, 1]", extra: str = "") -> str:
    """:data:`MPG_SPACE` for one claim: its size limits, the potential's range and anything it adds."""
    return MPG_SPACE.format(size=size, phi=phi) + extra
