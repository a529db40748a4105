"""Hypothesis strategies for Markov games and policies.

Every strategy takes keyword-only arguments, validates them (raising Hypothesis's
``InvalidArgument``), and shrinks toward the smallest game: fewest agents, states and actions,
γ = 0 (or the lowest allowed), the first transition and μ kind listed, uniform transition rows,
and every reward at the low end of its range. Each MPG example carries its potential φ.

Premise knobs: ``reward_range`` bounds the potential φ (``(0, 1)`` meets Lemma 3.2's premise);
``agent_term_range`` bounds each agent's term ``rⁱ − φ`` (or its coefficients), of either sign by
default; :func:`positive_potential_mpgs` meets Assumption 4.6 exactly while potential and agent
terms take either sign; ``mus=("uniform", "random")`` (full support) gives Assumption 2.1, because
``d^π_μ(s) ≥ μ(s)``.

:func:`general_mpgs` spans the whole MPG class of each drawn kernel (every admissible agent term,
:mod:`mpgverify.solvers.potential_space`); the older classes (identical interest, dummy terms, constant
offsets) are sub-classes of it, kept because they shrink to simpler, recognizable games.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from typing_extensions import Unpack

from mpgverify.arrays import DTYPE
from mpgverify.builtin_games import coordination_game
from mpgverify.game import MarkovGame
from mpgverify.policy import Policy, softmax_policy
from mpgverify.solvers.potential_space import agent_term_bases
from randomgames import builders as gen
from randomgames.reuse import reused, sampled
from randomgames.sizes import GameSizes, SizeBounds, SizeError
from randomgames.sources import HypothesisSource

__all__ = [
    "MPG_CLASSES",
    "congestion_games",
    "constant_offset_games",
    "coordination_games",
    "dummy_term_games",
    "general_mpgs",
    "general_sum_controls",
    "general_sum_games",
    "identical_interest_games",
    "logits",
    "mpgs",
    "non_mpgs",
    "normal_form_potential_games",
    "policy_pairs",
    "positive_potential_mpgs",
    "product_policies",
    "statewise_potential_controls",
]


def _sizes(bounds: Mapping[str, Any], *, at_least: Mapping[str, int] | None = None, **defaults: Any) -> GameSizes:
    """The validated size bounds of a strategy call (:class:`randomgames.sizes.GameSizes`): ``bounds``
    over the strategy's ``defaults``, with a class's floors ``at_least`` (``{"agents": 2}``)."""
    try:
        return GameSizes.of(bounds, **defaults).at_least(**(at_least or {}))
    except SizeError as e:
        raise InvalidArgument(str(e)) from None


def _check_reward_range(reward_range: tuple[float, float]) -> None:
    low, high = reward_range
    if not (low <= high) or abs(low) > 1e6 or abs(high) > 1e6:
        raise InvalidArgument(f"reward_range must satisfy low ≤ high (|·| ≤ 1e6), got {reward_range!r}")


def _check_kinds(name: str, kinds: Sequence[str], allowed: Sequence[str]) -> None:
    if not kinds or any(k not in allowed for k in kinds):
        raise InvalidArgument(f"{name} must be a non-empty subset of {tuple(allowed)}, got {kinds!r}")


def _dynamics(
    draw: Any, s: int, acts: tuple[int, ...], transitions: Sequence[str], mus: Sequence[str]
) -> tuple[HypothesisSource, torch.Tensor, torch.Tensor]:
    """A Hypothesis-backed source, then a transition tensor and μ of drawn kinds."""
    src = HypothesisSource(draw)
    P = gen.draw_transition(src, s, acts, draw(sampled(tuple(transitions))))
    return src, P, gen.draw_mu(src, s, draw(sampled(tuple(mus))))


@reused
@st.composite
def identical_interest_games(
    draw: Any,
    *,
    reward_range: tuple[float, float] = (0.0, 1.0),
    transitions: Sequence[str] = gen.TRANSITION_KINDS,
    mus: Sequence[str] = ("uniform", "random"),
    **sizes: Unpack[SizeBounds],
) -> MarkovGame:
    """Fully cooperative games ``rⁱ = φ`` under any transitions (MPG: ``Vⁱ_π = Φ_π``)."""
    _check_reward_range(reward_range)
    _check_kinds("transitions", transitions, gen.TRANSITION_KINDS)
    _check_kinds("mus", mus, gen.MU_KINDS)
    _, s, acts, gamma = _sizes(sizes).draw(draw)
    src, P, mu = _dynamics(draw, s, acts, transitions, mus)
    phi = src.uniform((s, *acts), *reward_range)
    return gen.build_identical_interest(phi, P, mu, gamma, "identical-interest")


@reused
@st.composite
def dummy_term_games(
    draw: Any,
    *,
    reward_range: tuple[float, float] = (0.0, 1.0),
    dummy_range: tuple[float, float] = (-1.0, 1.0),
    mus: Sequence[str] = ("uniform", "random"),
    **sizes: Unpack[SizeBounds],
) -> MarkovGame:
    """General-sum MPGs ``φ + uⁱ(s, a⁻ⁱ)`` with action-independent transitions
    (:func:`randomgames.builders.build_dummy_term`): with one state or a state-only kernel these
    are *all* the MPGs (every admissible agent term is a dummy term). Dummy terms of either sign by
    default; they shrink toward the low end."""
    _check_reward_range(reward_range)
    _check_reward_range(dummy_range)
    _check_kinds("mus", mus, gen.MU_KINDS)
    n, s, acts, gamma = _sizes(sizes).draw(draw)
    src = HypothesisSource(draw)
    P = gen.draw_transition(src, s, acts, "action_independent")
    mu = gen.draw_mu(src, s, draw(sampled(tuple(mus))))
    phi = src.uniform((s, *acts), *reward_range)
    dummies = torch.stack(
        [src.uniform([s, *acts[:i], 1, *acts[i + 1 :]], *dummy_range).expand(s, *acts) for i in range(n)]
    )
    return gen.build_dummy_term(phi, dummies, P, mu, gamma, "dummy-term")


@reused
@st.composite
def constant_offset_games(
    draw: Any,
    *,
    reward_range: tuple[float, float] = (0.0, 1.0),
    offset_range: tuple[float, float] = (-1.0, 1.0),
    transitions: Sequence[str] = gen.TRANSITION_KINDS,
    mus: Sequence[str] = ("uniform", "random"),
    **sizes: Unpack[SizeBounds],
) -> MarkovGame:
    """General-sum MPGs ``rⁱ = φ + cⁱ`` under any transitions."""
    _check_reward_range(reward_range)
    _check_reward_range(offset_range)
    _check_kinds("transitions", transitions, gen.TRANSITION_KINDS)
    _check_kinds("mus", mus, gen.MU_KINDS)
    n, s, acts, gamma = _sizes(sizes).draw(draw)
    src, P, mu = _dynamics(draw, s, acts, transitions, mus)
    phi = src.uniform((s, *acts), *reward_range)
    return gen.build_constant_offset(phi, src.uniform((n,), *offset_range), P, mu, gamma, "constant-offset")


@reused
def normal_form_potential_games(
    *,
    reward_range: tuple[float, float] = (0.0, 1.0),
    dummy_range: tuple[float, float] = (-1.0, 1.0),
    **sizes: Unpack[SizeBounds],
) -> st.SearchStrategy[MarkovGame]:
    """Single-state exact potential games ``φ(a) + uⁱ(a⁻ⁱ)`` (Monderer & Shapley 1996); the state
    bounds are fixed at one."""
    if "min_states" in sizes or "max_states" in sizes:
        raise InvalidArgument("normal_form_potential_games has exactly one state: drop min_states/max_states")
    one_state: SizeBounds = {**sizes, "min_states": 1, "max_states": 1}
    return dummy_term_games(**one_state, reward_range=reward_range, dummy_range=dummy_range, mus=("uniform",))


@reused
@st.composite
def general_mpgs(
    draw: Any,
    *,
    reward_range: tuple[float, float] = (0.0, 1.0),
    agent_term_range: tuple[float, float] = (-1.0, 1.0),
    transitions: Sequence[str] = gen.TRANSITION_KINDS,
    mus: Sequence[str] = ("uniform", "random"),
    **sizes: Unpack[SizeBounds],
) -> MarkovGame:
    """Every MPG of each drawn kernel (:func:`randomgames.builders.build_general_mpg`): φ with
    entries in ``reward_range`` plus admissible agent terms ``Bⁱzⁱ`` with coefficients in
    ``agent_term_range`` (either sign by default). Shrinks toward the smallest game with the low
    end of both ranges."""
    _check_reward_range(reward_range)
    _check_reward_range(agent_term_range)
    _check_kinds("transitions", transitions, gen.TRANSITION_KINDS)
    _check_kinds("mus", mus, gen.MU_KINDS)
    _, s, acts, gamma = _sizes(sizes).draw(draw)
    src, P, mu = _dynamics(draw, s, acts, transitions, mus)
    phi = src.uniform((s, *acts), *reward_range)
    z = [src.uniform((int(B.shape[1]),), *agent_term_range) for B in agent_term_bases(P, gamma)]
    return gen.build_general_mpg(phi, z, P, mu, gamma, "general-mpg")


@reused
@st.composite
def positive_potential_mpgs(
    draw: Any,
    *,
    potential_range: tuple[float, float] = (-1.0, 1.0),
    agent_term_range: tuple[float, float] = (-1.0, 1.0),
    mus: Sequence[str] = ("uniform", "random"),
    per_agent: bool = False,
    **sizes: Unpack[SizeBounds],
) -> MarkovGame:
    """MPGs meeting Assumption 4.6 exactly (``0 < Φ_π(s) ≤ V_π(s)``), with one state or a
    state-only kernel so that Section 4's smoothness can be decided exactly
    (:func:`randomgames.builders.build_positive_potential_mpg`): φ drawn in ``potential_range``
    and each agent's dummy term in ``agent_term_range`` (either sign), then shifted per state so
    that ``min_π Φ_π = h_Φ ∈ [0.05, 1]`` and ``min_π (V_π − Φ_π) = h_U ∈ [0, 1]``; the agent whose
    term takes the shift is drawn too. ``per_agent``: every agent's term is shifted instead, so that
    ``min_π (Vⁱ_π − Φ_π) ∈ [0, 1]`` for every i (the assumption's per-agent strengthening). Shrinks
    toward h_U = 0 (the assumption tight). Sizes default to ≤ 2 states and γ ≤ 0.5."""
    _check_reward_range(potential_range)
    _check_reward_range(agent_term_range)
    _check_kinds("mus", mus, gen.MU_KINDS)
    n, s, acts, gamma = _sizes(sizes, max_states=2, max_gamma=0.5).draw(draw)
    src = HypothesisSource(draw)
    rows = gen.draw_transition(src, s, (1,), "random").reshape(s, s)
    mu = gen.draw_mu(src, s, draw(sampled(tuple(mus))))
    phi = src.uniform((s, *acts), *potential_range)
    dummies = torch.stack(
        [src.uniform([s, *acts[:i], 1, *acts[i + 1 :]], *agent_term_range).expand(s, *acts) for i in range(n)]
    )
    return gen.build_positive_potential_mpg(
        phi,
        dummies,
        rows,
        src.uniform((s,), 0.05, 1.0),
        src.uniform((n, s) if per_agent else (s,), 0.0, 1.0),
        mu,
        gamma,
        "positive-potential-mpg",
        shifted_agent=draw(st.integers(0, n - 1)),
    )


@reused
def coordination_games(
    *,
    min_agents: int = 1,
    max_agents: int = 3,
    gammas: Sequence[float] = (0.95,),
    eps: Sequence[float] = (0.1,),
) -> st.SearchStrategy[MarkovGame]:
    """The paper's Coordination Game (Section 5, Algorithm 1) with N in range; shrinks to the
    fewest agents, the first γ and the first ε listed (the paper's 0.95 and 0.1 by default)."""
    _sizes({"min_agents": min_agents, "max_agents": max_agents})
    if max_agents > 8:
        raise InvalidArgument(f"max_agents={max_agents}: the dense coordination game is built for N ≤ 8")
    if not gammas or any(not 0 <= g < 1 for g in gammas):
        raise InvalidArgument(f"gammas must be a non-empty list in [0, 1), got {gammas!r}")
    if not eps or any(not 0 <= e <= 1 for e in eps):
        raise InvalidArgument(f"eps must be a non-empty list in [0, 1], got {eps!r}")
    return st.builds(
        lambda n, g, e: coordination_game(n, gamma=g, eps=e),
        st.integers(min_agents, max_agents),
        st.sampled_from(list(gammas)),
        st.sampled_from(list(eps)),
    )


@reused
@st.composite
def congestion_games(
    draw: Any,
    *,
    min_agents: int = 2,
    max_agents: int = 3,
    min_facilities: int = 2,
    max_facilities: int = 3,
    min_gamma: float = 0.0,
    max_gamma: float = 0.99,
    crowding: bool = False,
) -> MarkovGame:
    """Safe-distancing congestion games (:func:`randomgames.builders.build_congestion`);
    ``crowding=False`` gives the MPG variant with its Rosenthal potential attached."""
    # facilities are the actions of this class: the same rules as any action count
    size = _sizes(
        {"min_agents": min_agents, "max_agents": max_agents, "min_gamma": min_gamma, "max_gamma": max_gamma},
        min_actions=min_facilities,
        max_actions=max_facilities,
    )
    n = draw(st.integers(size.min_agents, size.max_agents))
    f = draw(st.integers(size.min_actions, size.max_actions))
    gamma = draw(size.gammas())
    src = HypothesisSource(draw)
    safe = src.uniform((f,), 0.5, 1.5)
    relief = draw(st.floats(0.1, 1.0))
    switch = draw(st.floats(0.0, 1.0))
    return gen.build_congestion(
        torch.stack([safe, relief * safe]),
        n,
        crowding=crowding,
        switch_prob=switch,
        gamma=gamma,
        name="congestion-crowding" if crowding else "congestion",
    )


@reused
def mpgs(
    *,
    reward_range: tuple[float, float] = (0.0, 1.0),
    agent_term_range: tuple[float, float] = (-1.0, 1.0),
    mus: Sequence[str] = ("uniform", "random"),
    transitions: Sequence[str] = gen.TRANSITION_KINDS,
    **sizes: Unpack[SizeBounds],
) -> st.SearchStrategy[MarkovGame]:
    """Any MPG with a stated potential φ in ``reward_range`` and agent terms ``rⁱ − φ`` of either
    sign (bounded by ``agent_term_range``): :func:`general_mpgs` spans the whole class of each
    drawn kernel; identical interest, dummy terms and constant offsets come first so that
    examples shrink toward the simplest class. ``transitions`` applies to the classes that allow
    any kernel (the dummy-term class is always action-independent)."""
    _sizes(sizes)  # validated here, where the caller passed them
    terms = agent_term_range
    return st.one_of(
        identical_interest_games(**sizes, reward_range=reward_range, mus=mus, transitions=transitions),
        dummy_term_games(**sizes, reward_range=reward_range, dummy_range=terms, mus=mus),
        constant_offset_games(**sizes, reward_range=reward_range, offset_range=terms, mus=mus, transitions=transitions),
        general_mpgs(**sizes, reward_range=reward_range, agent_term_range=terms, mus=mus, transitions=transitions),
    )


#: name → strategy factory of every MPG class (used by tests parametrized over classes).
MPG_CLASSES: dict[str, Any] = {
    "identical_interest": identical_interest_games,
    "dummy_term": dummy_term_games,
    "constant_offset": constant_offset_games,
    "general": general_mpgs,
    "positive_potential": positive_potential_mpgs,
    "normal_form_potential": normal_form_potential_games,
    "coordination": lambda **kw: coordination_games(max_agents=3),
    "congestion": lambda **kw: congestion_games(max_agents=3, max_facilities=2),
}


@reused
@st.composite
def statewise_potential_controls(
    draw: Any,
    *,
    reward_range: tuple[float, float] = (0.0, 1.0),
    **sizes: Unpack[SizeBounds],
) -> MarkovGame:
    """Non-MPG controls that are potential games in every state, with a proof that survives
    shrinking (:func:`randomgames.builders.build_planted_statewise`); at least 2 agents, states and
    actions, γ ≥ ``min_gamma`` > 0 (default 0.5). Shrinks to 2 agents × 2 actions, 2 states, ρ = 0, κ = ½."""
    size = _sizes(sizes, at_least={"agents": 2, "states": 2, "actions": 2}, min_gamma=0.5)
    if not size.min_gamma > 0:
        raise InvalidArgument(
            f"min_gamma must be > 0 for this class (the plant needs discounting), got {size.min_gamma!r}"
        )
    _, s, acts, gamma = size.draw(draw)
    src = HypothesisSource(draw)
    phi = src.uniform((s, *acts), *reward_range)
    mixing = gen.draw_transition(src, s, (1,), "random").reshape(s, s)
    rho = draw(st.floats(0.0, 0.4))
    kappa = draw(st.floats(0.5, 1.0))
    return gen.build_planted_statewise(
        phi, mixing, rho, kappa, torch.full((s,), 1.0 / s, dtype=DTYPE), gamma, "statewise-control"
    )


@reused
@st.composite
def general_sum_controls(draw: Any, **sizes: Unpack[SizeBounds]) -> MarkovGame:
    """General-sum non-MPG controls with a proof (planted matching pennies, noise < 2κ;
    :func:`randomgames.builders.build_planted_general_sum`); at least 2 agents and 2 actions."""
    n, s, acts, gamma = _sizes(sizes, at_least={"agents": 2, "actions": 2}).draw(draw)
    src = HypothesisSource(draw)
    kappa = draw(st.floats(0.5, 1.0))
    noise = src.uniform((n, s, *acts), 0.0, 1.9 * kappa)
    P = gen.draw_transition(src, s, acts, "action_independent")
    return gen.build_planted_general_sum(
        noise, kappa, P, torch.full((s,), 1.0 / s, dtype=DTYPE), gamma, "general-sum-control"
    )


@reused
@st.composite
def general_sum_games(
    draw: Any,
    *,
    reward_range: tuple[float, float] = (0.0, 1.0),
    transitions: Sequence[str] = gen.TRANSITION_KINDS,
    mus: Sequence[str] = ("uniform", "random"),
    **sizes: Unpack[SizeBounds],
) -> MarkovGame:
    """Plain general-sum games with independent rewards (no potential; may shrink to an MPG)."""
    _check_reward_range(reward_range)
    _check_kinds("transitions", transitions, gen.TRANSITION_KINDS)
    _check_kinds("mus", mus, gen.MU_KINDS)
    n, s, acts, gamma = _sizes(sizes).draw(draw)
    src, P, mu = _dynamics(draw, s, acts, transitions, mus)
    return gen.build_general_sum(src.uniform((n, s, *acts), *reward_range), P, mu, gamma, "general-sum")


@reused
def non_mpgs(*, max_agents: int = 3, max_states: int = 3, max_actions: int = 3) -> st.SearchStrategy[MarkovGame]:
    """Provably non-MPG controls of both kinds."""
    return st.one_of(
        statewise_potential_controls(max_agents=max_agents, max_states=max_states, max_actions=max_actions),
        general_sum_controls(max_agents=max_agents, max_states=max_states, max_actions=max_actions),
    )


@st.composite
def _logits(draw: Any, game: MarkovGame, scale: float, tails: bool) -> Policy:
    """:func:`logits`' draw, at module level: a composite defined inside a function is built anew
    (its source parsed by Hypothesis) at every call, which was a quarter of a draw's cost."""
    src = HypothesisSource(draw)
    kind = draw(sampled(("box", "wide", "near-deterministic"))) if tails else "box"
    if kind == "box":
        return tuple(src.uniform((game.n_states, n), -scale, scale) for n in game.n_actions)
    if kind == "wide":
        return tuple(src.uniform((game.n_states, n), -50.0, 50.0) for n in game.n_actions)
    out = []
    for n in game.n_actions:
        base = src.uniform((game.n_states, n), -1.0, 1.0)
        gap = src.uniform((game.n_states, 1), scale, 100.0)
        lead = torch.tensor([draw(st.integers(0, n - 1)) for _ in range(game.n_states)])
        out.append(base + gap * torch.nn.functional.one_hot(lead, n).to(base.dtype))
    return tuple(out)


def logits(game: MarkovGame, *, scale: float = 3.0, tails: bool = False) -> st.SearchStrategy[Policy]:
    """Tabular softmax parameters θ for ``game`` with entries in [−scale, scale]; shrink to 0
    (the uniform policy). ``tails``: also the unbounded directions, drawn apart so each is reached —
    entries anywhere in [−50, 50], and near-deterministic rows (one entry ahead of the others by a gap
    of up to 100); still shrinking toward the box, then 0."""
    if not scale > 0:
        raise InvalidArgument(f"scale must be positive, got {scale!r}")
    return _logits(game, scale, tails)


def product_policies(game: MarkovGame, *, scale: float = 3.0) -> st.SearchStrategy[Policy]:
    """Product policies ``softmax(θ)``, θ from :func:`logits`; shrink to the uniform policy."""
    return logits(game, scale=scale).map(softmax_policy)


@st.composite
def policy_pairs(draw: Any, game: MarkovGame, *, scale: float = 3.0) -> tuple[Policy, Policy, int]:
    """``(π, π̄, i)`` with π̄ differing from π only in agent i's policy; shrinks to agent 0."""
    i = draw(st.integers(0, game.n_agents - 1))
    pi = draw(product_policies(game, scale=scale))
    deviation = draw(product_policies(game, scale=scale))[i]
    bar = tuple(deviation if j == i else p for j, p in enumerate(pi))
    return pi, bar, i
