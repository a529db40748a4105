"""The shortcuts taken for speed (issue 24) give what the long way gives.

* NPG-BR's inner loops: ``tests/test_npg_br_paths.py``.
* PG over a batch of games: the marginal gradient equals ``d π A`` of the full batched evaluation and
  each member's dense gradient alone. Lemma 3.5's gate takes its ‖∇L_λ‖ from one stack: a member's
  norm is the same number alone (a stack of one) and in a population.
* :func:`mpgverify.memo.per_game`: kept per game object, bounded, released with the game; a gate that
  uses it still records its premise lines on every call.
* :func:`mpgverify.arrays.as_tensor`'s numpy fast path still refuses what it refused; the probability
  rows' numpy fast path accepts, refuses and renormalizes as the torch path.
* Prop 4.3's exact constants in integers equal the Fraction computation.
* Φ's range and M are kept per game; the memory budget's reading is reused for a short while.
* ``MarkovGame.replace`` validates only the changed fields: the same game as the constructor, the same
  refusals.
* A population parses each witness list of logits once; the moves keep the movable keys of a parent;
  the exact smoothness pieces are kept by the content of the numbers they read.
"""

from __future__ import annotations

import gc
import math
import weakref
from fractions import Fraction

import numpy as np
import pytest
import torch

import randomgames as rg
from mpgverify.algorithms.gradients import marginal_policy_gradients, policy_gradients
from mpgverify.arrays import as_tensor
from mpgverify.errors import FormatError
from mpgverify.memo import per_game
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch, stack_members
from mpgverify.solvers.evaluation import evaluate
from mpgverify.verify.claims import recording_premises
from tests.policy_kinds import POLICIES, logits_of


@pytest.mark.parametrize("kind", POLICIES)
@pytest.mark.parametrize("game_kind", ["mpg", "general-sum"])
def test_batched_marginal_gradients_equal_d_pi_a_and_each_game_alone(kind: str, game_kind: str) -> None:
    """PG's gradient over a batch (one LU, the marginalization product) equals Lemma 3.1's ``d π A`` from
    the full batched evaluation and every member's dense gradient alone, to round-off; γ from 0 to 0.99,
    three kernel kinds, agents with 1 to 3 actions."""
    make = rg.general_mpg_game if game_kind == "mpg" else rg.general_sum_game
    acts = (2, 1, 3)
    kernels, gammas = ("random", "action_independent", "deterministic"), (0.0, 0.5, 0.9, 0.99)
    games = [
        make(seed=k, n_agents=3, n_states=3, n_actions=acts, gamma=gammas[k % 4], transitions=kernels[k % 3])
        for k in range(6)
    ]
    batch = GameBatch.stack(games)
    probs = softmax_policy(logits_of(kind, [(6, 3, n) for n in acts], seed=4))
    got = marginal_policy_gradients(batch, probs)
    full = policy_gradients(probs, evaluate(batch, probs))
    for i, (g, f) in enumerate(zip(got, full, strict=True)):
        scale = 1.0 + float(f.abs().max())
        assert float((g - f).abs().max()) <= 1e-11 * scale, f"agent {i}: {float((g - f).abs().max()):.3g}"
    for b, game in enumerate(games):
        alone = marginal_policy_gradients(game, tuple(p[b : b + 1] for p in probs))
        for i in range(3):
            err = float((got[i][b] - alone[i][0]).abs().max())
            assert err <= 1e-11 * (1.0 + float(alone[i].abs().max())), f"member {b}, agent {i}: {err:.3g}"


def test_per_game_keeps_results_per_game_object_bounded_and_weakly() -> None:
    """One computation per (game, arguments); two games never share; at most ``keep`` argument tuples per
    game (the oldest goes); the memo does not keep a game alive."""
    calls: list[tuple[int, tuple]] = []

    @per_game(keep=2)
    def f(game, x, *, y=0):
        calls.append((id(game), (x, y)))
        return (game.n_agents, x, y)

    a, b = rg.coordination_game(2), rg.coordination_game(2)
    assert f(a, 1) == f(a, 1) == (2, 1, 0) and len(calls) == 1
    assert f(b, 1) == (2, 1, 0) and len(calls) == 2, "another game object is computed afresh"
    f(a, 2), f(a, 3, y=1)  # a now holds (2,), (3, y=1): (1,) was the oldest
    assert len(calls) == 4
    f(a, 1)
    assert len(calls) == 5, "the oldest argument tuple was dropped at keep = 2"
    f(a, 3, y=1)
    assert len(calls) == 5
    gone = weakref.ref(a)
    del a
    gc.collect()
    assert gone() is None, "the memo held the game"
    with pytest.raises(ValueError, match="keep"):
        per_game(keep=0)


def test_a_memoized_gate_records_its_premise_lines_on_every_call() -> None:
    """def-4.2's gate (exact smoothness, memoized per game) and section 3's MPG test (memoized residual)
    word and record the same premise lines the second time as the first, and decide the same."""
    from properties.premises import section_3_reason
    from properties.section4 import premises_def_4_2

    game = rg.normal_form_potential_game(seed=3, n_agents=2, n_actions=2)
    theta = [[[0.1, -0.2]], [[0.3, 0.0]]]
    witness = {"theta": theta, "theta_prime": theta, "alpha": 1.5, "beta_choice": 0.5}
    runs = []
    for _ in range(2):
        with recording_premises() as lines:
            gate = premises_def_4_2(game, witness)
            reason = section_3_reason(game)
        runs.append((gate.met, dict(gate.facts), reason, list(lines)))
    assert runs[0] == runs[1], runs
    assert runs[0][3], "the gates recorded no premise line"
    assert isinstance(runs[0][1]["alpha"], Fraction) and runs[0][1]["alpha"] == Fraction(3, 2)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([[0.1, math.nan]], r"x\[0\]\[1\]: must be finite"),
        ([[0.1, math.inf]], r"x\[0\]\[1\]: must be finite"),
        ([[0.1, True]], r"x\[0\]\[1\]"),
        ([[0.1, " 0.5 "]], r"x\[0\]\[1\]"),
        ([[0.1, 0.2, 0.3]], r"x\[0\]"),
        ([(0.1, False)], r"x\[0\]\[1\]"),
        ((0.1, "1"), r"x\[1\]"),
        ([[1e308, 1e308]], None),  # finite entries whose sum overflows
        ([[1, 2.5]], None),
        ([(0.5, 1)], None),
        ([np.array([0.5, 1.0])], r"x\[0\]: must be a list"),
    ],
)
def test_as_tensor_still_refuses_what_it_refused(value, message) -> None:
    """The numpy fast path of as_tensor (finite and of the right shape, a list of floats judged by type)
    leaves every refusal as it was — non-finite entries, booleans and numeric strings named by index,
    wrong shapes, an array inside a list — and every acceptance (integers, tuples, huge finite numbers)."""
    shape = (2,) if isinstance(value, tuple) else (1, 2)
    if message is None:
        want = torch.tensor(np.asarray(value, dtype=np.float64))
        torch.testing.assert_close(as_tensor(value, shape, "x"), want, rtol=0, atol=0)
    else:
        with pytest.raises(FormatError, match=message):
            as_tensor(value, shape, "x")
    assert torch.equal(as_tensor([[0.1, -2.0]], (1, 2), "x"), torch.tensor([[0.1, -2.0]], dtype=torch.float64))


def test_as_tensor_of_a_list_owns_its_numbers() -> None:
    """A list's tensor is numpy's fresh array (no copy needed); an array passed in is copied, so a later
    change of the caller's array leaves the tensor as it was."""
    arr = np.array([[0.5, 1.0]])
    t = as_tensor(arr, (1, 2), "x")
    arr[0, 0] = 9.0
    assert float(t[0, 0]) == 0.5


def _torch_rows_decision(t: torch.Tensor, tol: float) -> tuple[str | None, torch.Tensor]:
    """check_probability_rows and normalize_rows the torch way (before their numpy fast paths): the
    refusal's rule (None: accepted) and the rows kept."""
    from mpgverify.arrays import _renormalize_above

    if bool((t < 0).any()):
        return "nonnegative", t
    sums = t.sum(-1, keepdim=True)
    if bool(((sums - 1.0).abs() > tol).any()):
        return "probability vector", t
    needs = (sums - 1.0).abs() > _renormalize_above(t.shape[-1])
    return None, (torch.where(needs, t / sums, t) if bool(needs.any()) else t)


def _rows_near_the_edges(seed: int) -> list[torch.Tensor]:
    """Probability rows on either side of each decision: sums 1 ± k ulps (the renormalization edge),
    1 ± (tolerance ∓ an ulp), a negative entry, a zero row, NaN, one and many actions."""
    from mpgverify.arrays import PROB_TOL

    gen = torch.Generator().manual_seed(seed)
    rows = []
    for n in (1, 2, 3, 7, 1000):
        base = torch.rand(4, n, generator=gen, dtype=torch.float64) + 1e-3
        base = base / base.sum(-1, keepdim=True)
        rows.append(base)
        for off in (1e-16, 3e-16, 1e-15, 5e-15, 0.5 * PROB_TOL, PROB_TOL * (1 - 1e-6), PROB_TOL * (1 + 1e-6), 1e-6):
            for sign in (1.0, -1.0):
                r = base.clone()
                r[:, 0] += sign * off
                rows.append(r)
        neg = base.clone()
        neg[1, 0] = -1e-300
        rows += [neg, torch.zeros_like(base), torch.full_like(base, math.nan)]
    return rows


@pytest.mark.parametrize("seed", range(3))
def test_probability_rows_fast_path_decides_as_the_torch_path(seed: int) -> None:
    """The numpy fast paths of check_probability_rows, normalize_rows and probability_rows accept,
    refuse and renormalize exactly as the torch tests do, bit for bit, on rows at every edge."""
    from mpgverify.arrays import PROB_TOL, check_probability_rows, normalize_rows, probability_rows

    for t in _rows_near_the_edges(seed):
        rule, kept = _torch_rows_decision(t, PROB_TOL)
        for fn in (check_probability_rows, probability_rows):
            if rule is None:
                fn(t, "p")
            else:
                with pytest.raises(FormatError, match=rule):
                    fn(t, "p")
        if rule is None:  # bit for bit (NaN rows, which no constructor lets through, in the same places)
            for got in (probability_rows(t, "p"), normalize_rows(t)):
                torch.testing.assert_close(got, kept, rtol=0, atol=0, equal_nan=True, msg=str(t.sum(-1) - 1.0))


def _reference_reward_constants(game, witness: dict, reading: str):
    """Prop 4.3's (λ, μ) the long way: every pure pair in Fractions (profile_pairs of stage), the
    intervals constraint by constraint — what the gate computed before its integer path."""
    from properties.smoothness import pick, profile_pairs, stage

    def feasible(constraints):  # {x : c·x ≥ b for every (c, b)}, one Fraction quotient per constraint
        lo = hi = None
        for c, b in constraints:
            if c > 0:
                lo = b / c if lo is None else max(lo, b / c)
            elif c < 0:
                hi = b / c if hi is None else min(hi, b / c)
            elif b > 0:
                return None
        return None if lo is not None and hi is not None and lo > hi else (lo, hi)

    pairs = list(profile_pairs(stage(game), game.n_agents))
    mu_choice = Fraction(witness["mu_choice"])
    if reading == "printed":
        lam_iv = feasible((-b, -lhs) for _, b, lhs in pairs)
        mu_iv = feasible((t, lhs) for t, _, lhs in pairs)
        if lam_iv is None or mu_iv is None:
            return None
        return pick(lam_iv, Fraction(witness["lambda_choice"])), pick(mu_iv, mu_choice)
    lam = Fraction(witness["lambda"])
    mu_iv = feasible((t, lam * b - lhs) for t, b, lhs in pairs)
    return None if mu_iv is None else (lam, pick(mu_iv, mu_choice))


@pytest.mark.parametrize("reading", ["printed", "one-sided"])
def test_prop_4_3_integer_constants_equal_the_fraction_computation(reading: str) -> None:
    """Prop 4.3's gate computes its exact (λ, μ) in integers over one power-of-two denominator
    (stage_pairs, feasible): the same rationals as every pair in Fractions, on one-state games of
    1–3 agents, rewards of either sign, scaled from 1e-300 to 1e100, with stated λ of either sign."""
    import numpy as np

    from properties.section4 import _reward_constants

    rng = np.random.default_rng(0)
    checked = 0
    for k in range(60):
        n_agents = 1 + k % 3
        actions = tuple(int(a) for a in rng.integers(1, 4, size=n_agents))
        game = rg.general_sum_game(seed=k, n_agents=n_agents, n_actions=actions, n_states=1, reward_range=(-1.0, 1.0))
        scale = [1.0, 1e-300, 1e100, -3.0][k % 4]
        game = game.replace(rewards=game.rewards * scale)
        witness = {
            "lambda": float(rng.uniform(-1, 2)),
            "lambda_choice": float(rng.uniform(0, 1)),
            "mu_choice": float(rng.choice([0.0, rng.uniform(0, 1)])),
        }
        got = _reward_constants(game, witness, reading)
        want = _reference_reward_constants(game, witness, reading)
        assert (None if isinstance(got, str) else got) == want, (k, reading, got, want)
        checked += not isinstance(got, str)
    assert checked >= 10, f"only {checked} games had constants: the test compared too little"


def test_game_constants_are_kept_per_game_and_failures_are_raised_again() -> None:
    """Φ's range, the mismatch coefficient M and Assumption 2.1's decision are kept per game object (the
    same answer, not recomputed); M's Assumption 2.1 failure is not kept: it is raised on every ask."""
    from mpgverify.errors import AssumptionError
    from mpgverify.solvers.game_constants import assumption_2_1, mismatch_coefficient, potential_range

    game = rg.general_mpg_game(seed=1, n_agents=2, n_states=2, n_actions=2)
    assert potential_range(game) is potential_range(game)
    assert mismatch_coefficient(game) is mismatch_coefficient(game)
    assert assumption_2_1(game) is None
    fresh = game.replace(name="a copy")  # another object: computed afresh, the same numbers
    assert potential_range(fresh) is not potential_range(game) and potential_range(fresh) == potential_range(game)
    P = torch.zeros_like(game.transition)
    P[..., 0] = 1.0  # state 1 is never reached from μ = (1, 0): Assumption 2.1 fails
    stuck = game.replace(transition=P, mu=[1.0, 0.0])
    for _ in range(2):
        with pytest.raises(AssumptionError, match="never visited"):
            mismatch_coefficient(stuck)
    assert assumption_2_1(stuck) is assumption_2_1(stuck) and assumption_2_1(stuck).state == 1


def test_memory_budget_reads_the_available_memory_at_most_every_ttl(monkeypatch) -> None:
    """The budget read from /proc/meminfo is reused for AVAILABLE_TTL seconds, then read again;
    MPGVERIFY_MEMORY_LIMIT takes effect at once."""
    import mpgverify.memory as memory

    reads = []
    clock = [100.0]
    monkeypatch.delenv("MPGVERIFY_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(memory, "_available", lambda: reads.append(1) or 1000 * len(reads))
    monkeypatch.setattr(memory.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(memory, "_AVAILABLE", [-math.inf, 0.0])
    assert memory.memory_budget() == 1000 and memory.memory_budget() == 1000 and len(reads) == 1
    clock[0] += memory.AVAILABLE_TTL * 1.01
    assert memory.memory_budget() == 2000 and len(reads) == 2
    monkeypatch.setenv("MPGVERIFY_MEMORY_LIMIT", "64M")
    assert memory.memory_budget() == 64 * 2**20


def _changes(game, kind: str):
    """One change of ``kind`` to ``game``, as the hunter's moves and the simplifications make them."""
    gen = torch.Generator().manual_seed(len(kind))
    noise = torch.randn(game.rewards.shape, generator=gen, dtype=torch.float64)
    q = game.transition * torch.exp(torch.randn(game.transition.shape, generator=gen, dtype=torch.float64))
    return {
        "rewards": {"rewards": game.rewards + noise},
        "rewards and potential": {"rewards": game.rewards + noise[0], "potential": game.potential + noise[0]},
        "mu": {"mu": torch.tensor([0.25, 0.75], dtype=torch.float64)},
        "transition": {"transition": q / q.sum(-1, keepdim=True)},
        "gamma": {"gamma": 0.5},
        "name": {"name": "moved"},
        "n_actions": {
            "n_actions": (1, 2),
            "transition": game.transition[:, :1],
            "rewards": game.rewards[:, :, :1],
            "potential": game.potential[:, :1],
        },
    }[kind]


@pytest.mark.parametrize("kind", ["rewards", "rewards and potential", "mu", "transition", "gamma", "name", "n_actions"])
def test_replace_equals_the_constructor_on_every_field(kind: str) -> None:
    """``MarkovGame.replace`` validates only the changed fields (the carried ones come validated):
    each field equals, bit for bit, what the constructor makes of the same fields."""
    from mpgverify.game import MarkovGame

    game = rg.general_mpg_game(seed=3, n_agents=2, n_states=2, n_actions=2, gamma=0.9)
    changes = _changes(game, kind)
    fields = {k: getattr(game, k) for k in ("gamma", "n_actions", "mu", "transition", "rewards", "potential", "name")}
    got, want = game.replace(**changes), MarkovGame(**{**fields, **changes})
    for key in fields:
        a, b = getattr(got, key), getattr(want, key)
        if isinstance(a, torch.Tensor):
            torch.testing.assert_close(a, b, rtol=0, atol=0, msg=f"{kind}: field {key} differs")
        else:
            assert a == b, f"{kind}: field {key} is {a!r}, the constructor's {b!r}"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rewards": torch.full((2, 2, 2, 2), math.nan, dtype=torch.float64)}, r"rewards\[0\]\[0\]\[0\]\[0\]"),
        ({"rewards": torch.full((2, 2, 2, 2), 1e307, dtype=torch.float64)}, "rewards.*overflow"),
        ({"gamma": 1 - 1e-14}, "gamma"),
        ({"mu": torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64)}, "transition"),
        ({"n_actions": (3, 2)}, "transition"),
        ({"potential": torch.zeros(3, dtype=torch.float64)}, "potential"),
        ({"name": 3}, "name"),
    ],
)
def test_replace_refuses_what_the_constructor_refuses(changes: dict, message: str) -> None:
    """A change that breaks a carried field's shape or bound is refused, naming the field."""
    game = rg.general_mpg_game(seed=3, n_agents=2, n_states=2, n_actions=2, gamma=0.9)
    with pytest.raises(FormatError, match=message):
        game.replace(**changes)


def test_replace_with_gamma_bounds_the_carried_rewards_again() -> None:
    """The bound max |r|/(1 − γ) depends on γ: a γ change re-checks the carried rewards."""
    from mpgverify.game import MarkovGame

    big = MarkovGame(gamma=0.0, n_actions=(1,), mu=[1.0], transition=[[[1.0]]], rewards=[[[1e149]]])
    with pytest.raises(FormatError, match="rewards"):
        big.replace(gamma=0.999)


@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_witnesses_parsed_once_returns_the_first_parse_of_the_same_list_only(kind: str) -> None:
    """Inside :func:`~mpgverify.policy.witnesses_parsed_once` a list of logits or of policy probabilities
    seen again (the same object, the same game shape and field) returns its first parse; an equal but
    distinct list, another field, or the same list read as the other kind is parsed afresh; a malformed
    list raises on every ask; outside the scope nothing is kept."""
    from mpgverify.policy import check_logits, check_policy, witnesses_parsed_once

    game = rg.general_mpg_game(seed=3, n_agents=2, n_states=2, n_actions=2)
    if kind == "logits":
        check, other_check = check_logits, check_policy
        value = [[[0.5, -1.0], [2.0, 0.0]], [[1.0, 1.0], [-3.0, 0.25]]]
        bad = [[[0.5, "x"], [2.0, 0.0]], [[1.0, 1.0], [-3.0, 0.25]]]
    else:
        check, other_check = check_policy, check_logits
        value = [[[0.5, 0.5], [1.0, 0.0]], [[0.25, 0.75], [0.0, 1.0]]]
        bad = [[[0.5, 0.6], [1.0, 0.0]], [[0.25, 0.75], [0.0, 1.0]]]
    plain = check(game, value)
    with witnesses_parsed_once():
        first = check(game, value)
        assert all(a is b for a, b in zip(first, check(game, value), strict=True)), "the same list: parsed once"
        twin = check(game, [list(map(list, t)) for t in value])
        other = check(game, value, "witness.field")
        assert not any(a is b for a, b in zip(first, twin, strict=True)), "an equal list is another object"
        assert not any(a is b for a, b in zip(first, other, strict=True)), "another field is another parse"
        if kind == "probs":
            as_logits = other_check(game, value, "probs")
            assert not any(a is b for a, b in zip(first, as_logits, strict=True)), "another kind is another parse"
        for _ in range(2):
            with pytest.raises(FormatError, match=r"\[0\]"):
                check(game, bad)
        for got in (first, twin, other):
            for a, b in zip(got, plain, strict=True):
                torch.testing.assert_close(a, b, rtol=0, atol=0)
    again = check(game, value)
    assert not any(a is b for a, b in zip(again, plain, strict=True)), "outside the scope every ask parses"


def test_movable_keys_are_those_of_a_fresh_computation() -> None:
    """:meth:`properties.moves.Moves._movable` keeps its answer per (moves, game, witness) objects: the
    answer for a new witness of another structure is computed, not the kept one."""
    from mpgverify.verify.claims import Example
    from properties.moves import Moves

    game = rg.general_mpg_game(seed=3, n_agents=2, n_states=2, n_actions=2)
    theta = [[[0.0, 1.0], [2.0, 0.0]], [[1.0, 1.0], [0.0, 0.5]]]
    moves, narrow = Moves(ranges={"eps": (0.0, 1.0)}), Moves()
    first = Example(game, {"theta": theta, "eps": 0.5})
    assert moves._movable(first) == ["theta", "eps"]
    assert moves._movable(first) == ["theta", "eps"], "asked again"
    assert narrow._movable(first) == ["theta"], "another Moves, another answer"
    assert moves._movable(Example(game, {"theta": 3.0, "eps": 0.5})) == ["eps"]
    assert moves._movable(Example(game, {"eps": "x"})) == []


def test_exact_smoothness_kept_by_content_is_that_of_the_game() -> None:
    """Prop 4.3 / Def 4.2's exact pieces are kept by the content of the numbers they read: a game with
    the same rewards but another kernel or γ gets its own ``D = (I − γQ)⁻¹``, and equal content gives
    equal answers (the reference: the computation from the game's own numbers)."""
    from fractions import Fraction

    from properties.smoothness import beta_interval, discount_inverse, discount_matrix, stage_pairs

    game = rg.identical_interest_game(seed=5, n_agents=2, n_states=2, n_actions=2, transitions="action_independent")
    for other in (game.replace(gamma=0.3), game.replace(transition=game.transition.flip(-1).contiguous())):
        Q = other.P[:, 0].tolist()
        want = discount_inverse(Fraction(other.gamma), [[Fraction(q) for q in row] for row in Q])
        discount_matrix(game)  # the game's own D is kept first: it must not be what ``other`` gets
        assert discount_matrix(other) == want, f"D of γ = {other.gamma} differs from its own inverse"
    twin = game.replace(name="twin")
    assert stage_pairs(twin, 1) == stage_pairs(game, 1)
    assert beta_interval(twin, Fraction(1)) == beta_interval(game, Fraction(1))


def test_cache_keys_from_numpy_views_are_the_tensors_bytes() -> None:
    """The keys sliced in numpy — each state's reward bytes (:func:`stage_bytes`), the state-only kernel's
    (``_kernel_bytes``) — are the bytes of the tensor slices they replace, and :func:`same_along` decides
    action-independence as the tensor comparison does, on kernels of every kind and a non-contiguous
    tensor."""
    from mpgverify.arrays import same_along
    from properties.smoothness import _kernel_bytes
    from properties.stage_lines import stage_bytes

    decided = {True: 0, False: 0}
    for k, kind in enumerate(("random", "sparse", "deterministic", "action_independent") * 3):
        game = rg.general_sum_game(
            seed=k, n_agents=1 + k % 3, n_states=1 + k % 3, n_actions=2 + k % 2, transitions=kind
        )
        for s in range(game.n_states):
            assert stage_bytes(game)[s] == game.rewards[:, s].contiguous().numpy().tobytes(), f"game {k}, state {s}"
        assert _kernel_bytes(game) == game.P[:, 0].contiguous().numpy().tobytes(), f"game {k}: kernel bytes"
        want = bool((game.P == game.P[:, :1]).all())
        assert same_along(game.P, 1) is want, f"game {k} ({kind}): same_along {same_along(game.P, 1)}, torch {want}"
        assert same_along(game.P.transpose(0, 2), 1) is bool(
            (game.P.transpose(0, 2) == game.P.transpose(0, 2)[:, :1]).all()
        )
        decided[want] += 1
    assert min(decided.values()) >= 3, decided


def test_zero_agent_terms_need_no_basis(monkeypatch) -> None:
    """Def 2.2's membership test skips the basis of an agent whose term rⁱ − φ is zero (identical interest,
    any kernel): the decision and the largest residual are the full computation's (0 and 0.0), and no basis
    is built; a game with a nonzero term still builds its bases and decides as before."""
    import properties.premises as pm
    from mpgverify.solvers import potential_space

    built: list[int] = []
    real = potential_space.agent_term_basis

    def counted(transition, gamma, agent, **kw):
        built.append(agent)
        return real(transition, gamma, agent, **kw)

    monkeypatch.setattr(pm, "agent_term_basis", counted)
    same = rg.identical_interest_game(seed=5, n_agents=3, n_states=2, n_actions=2)
    assert torch.equal(same.potential, same.rewards[0])
    assert pm._agent_term_residual(same) == (None, 0.0) and pm.mpg_reason(same) is None
    assert built == [], f"bases built for zero terms: {built}"
    general = rg.general_mpg_game(seed=5, n_agents=2, n_states=2, n_actions=2)
    outside, worst = pm._agent_term_residual(general)
    assert outside is None and 0.0 <= worst <= 1e-9 and built == [0, 1], (outside, worst, built)


@pytest.mark.parametrize("kind", POLICIES)
def test_lemma_3_5_norms_are_the_same_alone_and_stacked(kind: str) -> None:
    """Lemma 3.5's gate reads ‖∇L_λ(θ)‖₂ from one stacked gradient: the norms summed over the stack's axes are
    each member's own sum of squares bit for bit, and each member's norm in a stack of 12 (different games,
    θ and λ) equals, exactly, its norm in a stack of one — so the gate decides a member
    alike in the runner, the hunter's populations and replay — and agrees with the dense gradient alone
    to round-off."""
    from properties.section3_log_barrier import _grad_L, _stationarity_norms

    acts = (2, 1, 3)
    games = [
        rg.general_mpg_game(seed=k, n_agents=3, n_states=2, n_actions=acts, gamma=0.3 * (k % 4)) for k in range(12)
    ]
    thetas = [logits_of(kind, [(2, n) for n in acts], seed=k) for k in range(12)]
    lams = [0.05 * (k + 1) for k in range(12)]
    stacked = _stationarity_norms(games, thetas, lams)
    lam = torch.tensor(lams, dtype=torch.float64).reshape(-1, 1, 1)
    g = _grad_L(GameBatch.stack(games), stack_members(thetas), lam)
    per_member = [float(torch.sqrt(sum((x[b] * x[b]).sum() for x in g))) for b in range(len(games))]
    assert stacked == per_member, "the norms over the stack differ from each member's own sum of squares"
    for k, (game, theta, lam) in enumerate(zip(games, thetas, lams, strict=True)):
        alone = _stationarity_norms([game], [theta], [lam])[0]
        assert stacked[k] == alone, f"member {k}: stacked {stacked[k]!r}, alone {alone!r}"
        dense = float(torch.sqrt(sum((g * g).sum() for g in _grad_L(game, theta, lam))))
        assert math.isclose(alone, dense, rel_tol=1e-12, abs_tol=1e-15), f"member {k}: {alone} vs dense {dense}"


def test_broadcast_shape_is_torchs() -> None:
    """The solvers' :func:`broadcast_shape` gives ``torch.broadcast_shapes``'s answer on every pair and
    triple of shapes of rank ≤ 3 over sizes {0, 1, 2, 3} that broadcast, and refuses (ValueError) every
    one that torch refuses; no shapes give ()."""
    import itertools

    from mpgverify.arrays import broadcast_shape

    shapes = [s for r in range(4) for s in itertools.product((0, 1, 2, 3), repeat=r)]
    agreed = refused = 0
    for combo in itertools.chain(
        itertools.product(shapes, repeat=2), itertools.islice(itertools.product(shapes, repeat=3), 0, None, 7)
    ):
        try:
            want = tuple(torch.broadcast_shapes(*combo))
        except RuntimeError:
            with pytest.raises(ValueError):
                broadcast_shape(*combo)
            refused += 1
            continue
        assert broadcast_shape(*combo) == want, f"{combo}: {broadcast_shape(*combo)} vs {want}"
        agreed += 1
    assert broadcast_shape() == () and agreed > 1000 and refused > 1000, (agreed, refused)
