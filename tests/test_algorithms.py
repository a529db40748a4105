"""Algorithms: each update equals the paper's equation, the two NPG forms agree, NPG-BR keeps one
agent's change, sampled gradients are unbiased, runs are reproducible, broken dynamics are caught."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
import torch

import randomgames as rg
from mpgverify import coordination_game, evaluate, nash_gap, softmax_policy
from mpgverify.algorithm_check import check_algorithm
from mpgverify.algorithms import (
    Algorithm,
    Declarations,
    br_dynamics,
    make_algorithm,
    nn_pg,
    npg,
    npg_br,
    pg,
    registered,
)
from mpgverify.algorithms.gradients import (
    autograd_policy_gradients,
    log_barrier_gradients,
    marginal_policy_gradients,
    natural_barrier_directions,
    natural_directions,
    policy_gradients,
)
from mpgverify.algorithms.nn import network_policy
from mpgverify.algorithms.npg_br import inner_loops
from mpgverify.algorithms.sampling import reinforce_gradients
from mpgverify.algorithms.tabular import TabularState, init_theta, tabular_policy
from mpgverify.cli import main
from mpgverify.experiments.run import run
from mpgverify.solvers.nash import best_response
from randomgames import algorithm_test_games
from tests.handgames import matrix_coordination

F64 = torch.float64


def state_of(theta) -> TabularState:
    return TabularState(theta=tuple(theta), t=0)


def test_pg_step_by_hand() -> None:
    # One state, γ = ½, payoff [[2, 0], [0, 1]], uniform policies: d(s) = 1/(1−γ) = 2; against a
    # uniform partner action 0 pays 1 and action 1 pays ½ on average, and (1−γ)V = ¾, so the local
    # advantages are ±¼ and the gradient d·π·A = 2·½·(±¼) = ±¼ (Lemma 3.1). One step with η = 0.1:
    game = matrix_coordination()
    after = pg(lr=0.1).step(game, state_of(torch.zeros(2, 1, 1, 2, dtype=F64)))
    for theta in after.theta:
        assert torch.allclose(theta, torch.tensor([[[0.025, -0.025]]], dtype=F64), atol=1e-15), theta


@pytest.mark.parametrize("seed", range(3))
def test_closed_form_gradient_equals_autograd(seed) -> None:
    game = rg.dummy_term_game(seed=seed, n_agents=3, n_states=3, n_actions=(2, 3, 2))
    theta = init_theta(game, seed=seed, batch=2).theta
    probs = softmax_policy(theta)
    for a, b in zip(
        policy_gradients(probs, evaluate(game, probs)), autograd_policy_gradients(game, theta), strict=True
    ):
        assert torch.allclose(a, b, atol=1e-12), (a - b).abs().max()


def test_log_barrier_gradient_equals_autograd() -> None:
    theta = tuple(torch.randn(2, 3, n, dtype=F64, generator=torch.Generator().manual_seed(n)) for n in (2, 3))
    lam = 0.7
    leaves = tuple(t.clone().requires_grad_() for t in theta)
    barrier = sum(lam * (torch.log_softmax(t, -1).sum() / (t.shape[-2] * t.shape[-1])) for t in leaves)
    auto = torch.autograd.grad(barrier, leaves)
    for a, b in zip(log_barrier_gradients(softmax_policy(theta), lam), auto, strict=True):
        assert torch.allclose(a, b, atol=1e-14)


def test_log_barrier_pg_adds_the_barrier() -> None:
    game = rg.identical_interest_game(seed=2)
    s = init_theta(game, seed=0, batch=1)
    plain, barrier = pg(lr=0.1).step(game, s), pg(lr=0.1, lam=0.5).step(game, s)
    expect = log_barrier_gradients(softmax_policy(s.theta), 0.5)
    for a, b, e in zip(barrier.theta, plain.theta, expect, strict=True):
        assert torch.allclose(a - b, 0.1 * e, atol=1e-14)


def test_two_npg_forms_agree_with_unnormalized_d() -> None:
    game = rg.dummy_term_game(seed=4, n_agents=2, n_states=3, n_actions=3)
    fisher, soft = npg(lr=0.3, form="fisher"), npg(lr=0.3, form="soft-pi")
    a = b = init_theta(game, seed=1, batch=3)
    for _ in range(10):
        a, b = fisher.step(game, a), soft.step(game, b)
    for p, q in zip(tabular_policy(a), tabular_policy(b), strict=True):
        assert torch.allclose(p, q, atol=1e-11), (p - q).abs().max()


def test_normalized_fisher_scales_the_step_by_one_over_one_minus_gamma() -> None:
    game = rg.identical_interest_game(seed=5, gamma=0.8)
    s = init_theta(game, seed=0, batch=2)
    normalized = npg(lr=0.1, form="fisher", fisher_d="normalized").step(game, s)
    soft = npg(lr=0.1 / (1 - game.gamma), form="soft-pi").step(game, s)
    for p, q in zip(tabular_policy(normalized), tabular_policy(soft), strict=True):
        assert torch.allclose(p, q, atol=1e-12)


def test_npg_br_keeps_exactly_one_agents_change() -> None:
    game = rg.dummy_term_game(seed=3, n_agents=3, n_states=2, n_actions=2)
    alg = npg_br(K=3, lr=0.5)
    state = alg.init(game, seed=0, batch=4)
    for _ in range(3):
        cand = inner_loops(game, state.theta, 3, 0.5)
        new = alg.step(game, state)
        for b in range(4):
            changed = [i for i in range(3) if not torch.equal(new.theta[i][b], state.theta[i][b])]
            assert changed == [int(new.last_agent[b])], (b, changed, new.last_agent)
            i = changed[0]
            assert torch.equal(new.theta[i][b], cand[i][i][b]), "the kept change is the K-step inner loop"
        state = new


def test_npg_br_inner_step_is_soft_policy_iteration() -> None:
    game = rg.identical_interest_game(seed=1, n_agents=2)
    theta = init_theta(game, seed=0, batch=1).theta
    cand = inner_loops(game, theta, 1, 0.7)
    adv = evaluate(game, softmax_policy(theta)).advantages
    for i in range(2):
        assert torch.allclose(cand[i][i], theta[i] + 0.7 * adv[i], atol=1e-14)
        for j in range(2):
            if j != i:
                assert torch.equal(cand[j][i], theta[j]), "others stay at θ_t"


def _full_game_inner_loop(game, theta, K, lr, i):
    """Reference: agent i's K inner steps with the whole game evaluated at every step (no induced MDP)."""
    th = list(theta)
    for _ in range(K):
        th[i] = th[i] + lr * evaluate(game, softmax_policy(tuple(th))).advantages[i]
    return th[i]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_npg_br_inner_loop_in_the_induced_mdp_equals_the_full_game_loop(seed) -> None:
    game = rg.dummy_term_game(seed=seed, n_agents=3, n_states=3, n_actions=[2, 3, 2])
    theta = init_theta(game, seed=seed, batch=2).theta
    cand = inner_loops(game, theta, 4, 0.3)
    for i in range(3):
        assert torch.allclose(cand[i][i], _full_game_inner_loop(game, theta, 4, 0.3, i), atol=1e-12)


def test_npg_br_value_gain_picks_the_potential_gain_agent_in_an_mpg() -> None:
    game = coordination_game(3)
    a, b = npg_br(K=5, lr=0.1), npg_br(K=5, lr=0.1, gain="value")
    sa, sb = a.init(game, seed=0, batch=6), b.init(game, seed=0, batch=6)
    for _ in range(5):
        sa, sb = a.step(game, sa), b.step(game, sb)
        assert torch.equal(sa.last_agent, sb.last_agent)
        assert torch.allclose(sa.last_gain, sb.last_gain, atol=1e-10)


def test_marginal_gradients_equal_lemma_3_1() -> None:
    game = rg.dummy_term_game(seed=4, n_agents=3, n_states=2, n_actions=[2, 3, 2])
    probs = softmax_policy(init_theta(game, seed=1, batch=3).theta)
    for g, h in zip(
        marginal_policy_gradients(game, probs), policy_gradients(probs, evaluate(game, probs)), strict=True
    ):
        assert torch.allclose(g, h, atol=1e-13)


@pytest.mark.parametrize("fisher_d", ["unnormalized", "normalized"])
def test_closed_form_barrier_direction_equals_the_pseudo_inverse(fisher_d) -> None:
    game = rg.identical_interest_game(seed=2, n_agents=2, n_states=3, n_actions=3)
    probs = softmax_policy(init_theta(game, seed=5, batch=2).theta)
    d = evaluate(game, probs).d
    ref = natural_directions(probs, log_barrier_gradients(probs, 0.7), d, game.gamma, fisher_d)
    for x, y in zip(natural_barrier_directions(probs, 0.7, d, game.gamma, fisher_d), ref, strict=True):
        assert torch.allclose(x, y, atol=1e-10)


def test_run_records_every_kth_iteration_and_the_last() -> None:
    r = run(pg(), coordination_game(2), seeds=2, iters=7, every=3)
    assert r.steps == (0, 3, 6, 7) and r.poa.shape == (4, 2)
    full = run(pg(), coordination_game(2), seeds=2, iters=7)
    assert torch.equal(full.poa[[0, 3, 6, 7]], r.poa)


def test_br_dynamics_moves_the_max_gain_agent_to_a_best_response() -> None:
    game = rg.identical_interest_game(seed=7, n_agents=3, reward_range=(0.1, 1.0))
    alg = br_dynamics(eps=0.0)
    state = alg.init(game, seed=0, batch=2)
    new = alg.step(game, state)
    V = evaluate(game, state.probs).V_mu
    for b in range(2):
        gains = torch.stack([best_response(game, state.probs, i).V_mu[b] for i in range(3)]) - V[b]
        i = int(gains.argmax())
        assert int(new.last_agent[b]) == i
        assert torch.equal(new.probs[i][b], best_response(game, state.probs, i).policy[b])
    for _ in range(30):
        new = alg.step(game, new)
    assert bool(new.done.all()) and float(nash_gap(game, new.probs).gap.max()) < 1e-9


def test_br_dynamics_as_written_reading_never_stops_on_positive_values() -> None:
    game = rg.identical_interest_game(seed=7, reward_range=(0.1, 1.0))
    alg = br_dynamics(eps=0.1, reading="as-written")
    state = alg.init(game, seed=0, batch=2)
    for _ in range(10):
        state = alg.step(game, state)
    assert not bool(state.done.any())


@pytest.mark.parametrize("gradient", ["exact", "as-printed"])
def test_nn_gradient_matches_its_formula(gradient) -> None:
    game = coordination_game(2)
    alg = nn_pg(lr=1e-3, gradient=gradient, hidden=3)
    state = alg.init(game, seed=0, batch=1)
    new = alg.step(game, state)
    leaves = tuple(tuple(p.clone().requires_grad_() for p in agent) for agent in state.params)
    probs = network_policy(leaves)
    if gradient == "exact":  # the true gradient: autograd of each agent's own value
        for i in range(2):
            V = evaluate(game, probs).V_mu[..., i].sum()
            g = torch.autograd.grad(V, leaves[i])
            for p0, p1, gi in zip(state.params[i], new.params[i], g, strict=True):
                assert torch.allclose((p1 - p0) / 1e-3, gi, atol=1e-9)
    else:  # Σ_s d(s) Σ_a π(a|s) A(s,a) ∇π(a|s), as printed in Section 5
        ev = evaluate(game, tuple(p.detach() for p in probs))
        for i in range(2):
            target = (ev.d[..., None] * probs[i].detach() * ev.advantages[i] * probs[i]).sum()
            g = torch.autograd.grad(target, leaves[i])
            for p0, p1, gi in zip(state.params[i], new.params[i], g, strict=True):
                assert torch.allclose((p1 - p0) / 1e-3, gi, atol=1e-9)


def test_sampled_gradient_is_unbiased() -> None:
    # At a fixed seed, each coordinate of the mean of M = 20000 REINFORCE samples lies within
    # 5 standard errors of the exact gradient (a 5σ two-sided bound per coordinate: the chance
    # that any of the 8 coordinates of an unbiased estimator leaves it is below 5e-6).
    game = rg.dummy_term_game(seed=1, n_agents=2, n_states=2, gamma=0.8)
    probs = softmax_policy(init_theta(game, seed=3, batch=1).theta)
    exact = policy_gradients(probs, evaluate(game, probs))
    mean, per = reinforce_gradients(game, probs, 20000, torch.Generator().manual_seed(0))
    for e, m, ps in zip(exact, mean, per, strict=True):
        se = ps.std(dim=1) / math.sqrt(ps.shape[1])
        z = ((m - e).abs() / se.clamp_min(1e-12)).max()
        assert z < 5, f"|mean − exact| = {(m - e).abs().max():.3g} is {z:.2f} standard errors"


def test_sampled_algorithms_are_seeded() -> None:
    game = coordination_game(2)
    for name in ("sampled-pg", "sampled-npg"):
        alg = make_algorithm(name, samples=4)
        a = alg.step(game, alg.step(game, alg.init(game, seed=5, batch=2)))
        b = alg.step(game, alg.step(game, alg.init(game, seed=5, batch=2)))
        assert all(torch.equal(x, y) for x, y in zip(a.theta, b.theta, strict=True))


@pytest.mark.parametrize("name", [n for n in registered() if not n.startswith("sampled")])
def test_batched_steps_equal_one_by_one(name) -> None:
    game = rg.identical_interest_game(seed=3, n_agents=2, n_states=2)
    alg = make_algorithm(name)
    batch = alg.step(game, alg.init(game, seed=0, batch=3))
    pol = alg.policy(batch)
    init = alg.init(game, seed=0, batch=3)
    for b in range(3):
        single = alg.step(game, type(init)(*[_slice(x, b) for x in init]))
        for p, q in zip(alg.policy(single), pol, strict=True):
            assert torch.allclose(p[0], q[b], atol=1e-12), name


def _slice(x, b):
    if isinstance(x, torch.Tensor):
        return x[b : b + 1]
    if isinstance(x, tuple):
        return tuple(_slice(y, b) for y in x)
    return x


def test_run_is_reproducible_and_cli_writes_report(tmp_path, capsys) -> None:
    game = coordination_game(2)
    a = run(make_algorithm("pg"), game, seeds=2, iters=5)
    b = run(make_algorithm("pg"), game, seeds=2, iters=5)
    assert torch.equal(a.poa, b.poa) and torch.equal(a.nash_gap, b.nash_gap)
    assert a.poa.shape == (6, 2) and a.values.shape == (6, 2, 2)
    assert (
        main(
            [
                "run",
                "npg-br",
                "--game",
                "coordination:n=2",
                "--seeds",
                "2",
                "--iters",
                "3",
                "--option",
                "K=2",
                "--out",
                str(tmp_path),
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "mpgverify.run/1" and report["options"]["K"] == 2
    assert set(report["final"]) == {"poa_mean", "poa_se", "nash_gap_mean", "nash_gap_se"}
    lines = open(report["curves"]).read().splitlines()
    assert lines[0].startswith("iter,seed,potential,nash_gap,poa") and len(lines) == 1 + 4 * 2


def flipped_pg(**options) -> Algorithm:
    """A deliberately broken PG: descends instead of ascending, yet declares PG-like promises."""
    good = pg(**options)

    def step(game, state):
        ascended = good.step(game, state)
        return TabularState(tuple(2 * t - a for t, a in zip(state.theta, ascended.theta, strict=True)), ascended.t)

    return Algorithm(
        "flipped-pg",
        good.init,
        step,
        good.policy,
        declares=Declarations(nash_within=(0.1, 100), monotone_potential=True),
    )


def test_broken_algorithm_fails_check_algorithm() -> None:
    report = check_algorithm(flipped_pg, algorithm_test_games(3), seeds=1)
    failed = {o.name for o in report.outcomes if not o.passed}
    assert {"nash_within", "monotone_potential"} <= failed, report.render()
    assert main(["check-algorithm", "tests.test_algorithms:flipped_pg", "--games", "2", "--seeds", "1"]) == 1


def index2_flipped_pg(**options) -> Algorithm:
    """PG with a sign error on action index 2 only: invisible on 2-action games."""
    good = pg(**options)

    def step(game, state):
        up = good.step(game, state)
        theta = tuple(
            torch.cat([a[..., :2], (2 * t - a)[..., 2:]], dim=-1) for t, a in zip(state.theta, up.theta, strict=True)
        )
        return TabularState(theta, up.t)

    declares = Declarations(nash_within=(0.05, 300), monotone_potential=True)  # what pg(lr=5) meets on these games
    return Algorithm("index2-flipped-pg", good.init, step, good.policy, declares=declares)


def blind_declares() -> Declarations:
    return index2_flipped_pg().declares


def test_check_algorithm_draws_games_with_up_to_four_actions() -> None:
    # issue 13: with 2-action games only, a sign error on action index 2 passed on 12 games
    blind = check_algorithm(index2_flipped_pg, algorithm_test_games(6, max_actions=2), seeds=2, lr=5.0)
    assert blind.ok, blind.render()  # the blind spot, as it was
    report = check_algorithm(index2_flipped_pg, algorithm_test_games(6), seeds=2, lr=5.0)
    assert {"nash_within", "monotone_potential"} <= {o.name for o in report.outcomes if not o.passed}, report.render()
    declared_pg = lambda **o: dataclasses.replace(pg(**o), declares=blind_declares())
    honest = check_algorithm(declared_pg, algorithm_test_games(6), seeds=2, lr=5.0)
    assert honest.ok, honest.render()  # the correct PG meets the same declarations on 2–4 actions
    # the built-in PG at its default step promises nothing on these games: nothing checked, exit 3 (issue 22)
    assert main(["check-algorithm", "pg", "--games", "3", "--seeds", "1", "--seed", "5", "--max-actions", "3"]) == 3


# -- long runs: iterate past convergence (issue 13: the Fisher-form NPG diverged after converging) ------------
def _objective(name: str, options: dict, game, probs) -> torch.Tensor:
    """What the dynamics ascends, per seed: Φ(μ), or L_λ = Φ(μ) + λ·barrier for the log-barrier PG (Section 3.2)."""
    from mpgverify.solvers.evaluation import evaluate

    phi = evaluate(game, probs).Phi_mu
    if name != "log-barrier-pg":
        return phi
    barrier = sum(torch.log(p).sum((-2, -1)) / (p.shape[-2] * p.shape[-1]) + math.log(p.shape[-1]) for p in probs)
    return phi + options["lam"] * barrier


@pytest.mark.parametrize(
    ("name", "options", "converged_at"),
    [
        ("npg", {}, 1e-6),
        ("pg", {"lr": 2.0}, 1e-2),  # softmax PG converges like 1/t: a gap of 1e-3 after 1000 steps
        ("log-barrier-pg", {"lr": 2.0, "lam": 0.01}, 1e-2),  # the barrier keeps a gap of about 5e-3
        ("br-dynamics", {"eps": 0.0}, 1e-6),  # ε > 0 stops at an ε-ratio-Nash policy, not a Nash one
        ("npg-br", {"K": 20}, 1e-6),
        ("nn-pg", {"lr": 2.0}, 1e-4),
        ("nn-adam", {}, 1e-2),  # Adam leaves two of ten seeds near a gap of 5e-3 after 1000 steps
    ],
)
def test_long_runs_never_lower_the_objective_once_converged(name, options, converged_at) -> None:
    """1000 iterations on the coordination game (N = 2, 10 seeds): once an iterate is within
    ``converged_at`` of Nash, no later step lowers Φ(μ) (L_λ for the barrier) by more than float error."""
    from mpgverify.algorithms import make_algorithm
    from mpgverify.builtin_games import coordination_game
    from mpgverify.solvers.nash import nash_gap

    game, iters = coordination_game(2), 1000
    alg = make_algorithm(name, **options)
    state = alg.init(game, seed=0, batch=10)
    values, gaps = [], []
    for _ in range(iters + 1):
        probs = alg.policy(state)
        values.append(_objective(name, options, game, probs))
        gaps.append(nash_gap(game, probs).gap)
        state = alg.step(game, state)
    value, gap = torch.stack(values), torch.stack(gaps)  # [T + 1, seeds]
    assert bool(torch.isfinite(value).all()), f"{name}: a non-finite objective in {iters} iterations"
    converged = (gap <= converged_at).int().cummax(dim=0).values.bool()[:-1]  # from the first converged iterate on
    assert bool(converged[-1].all()), f"{name}: not every seed converged in {iters} iterations: {gap[-1]}"
    drops = (value[:-1] - value[1:])[converged]
    worst = float(drops.max())
    assert worst <= 1e-9 * (1 + float(value.abs().max())), (
        f"{name}: the objective fell by {worst:.3g} after convergence"
    )


@pytest.mark.parametrize("name", ["sampled-pg", "sampled-npg"])
def test_sampled_long_runs_stay_valid(name) -> None:
    """Sampled steps carry Monte Carlo noise by design, so Φ may fall after convergence; 1000 of them
    must still leave every policy a finite probability distribution (no NaN from log 0 or overflow)."""
    from mpgverify.algorithms import make_algorithm
    from mpgverify.builtin_games import coordination_game

    game = coordination_game(2)
    alg = make_algorithm(name, samples=2)
    state = alg.init(game, seed=0, batch=2)
    for t in range(1000):
        state = alg.step(game, state)
        if t % 100 == 99:
            for p in alg.policy(state):
                assert bool(torch.isfinite(p).all()) and bool(((p.sum(-1) - 1).abs() < 1e-12).all()), (name, t)


@pytest.mark.parametrize("name", ["pg", "npg-br", "nn-pg", "sampled-pg", "sampled-npg"])
def test_a_batch_member_reruns_alone(name) -> None:
    """Issue 13: member b of a batch starting at seed s is the lone run of seed s + b."""
    from mpgverify.algorithms import make_algorithm
    from mpgverify.builtin_games import coordination_game

    game, alg = coordination_game(2), make_algorithm(name)
    batch = alg.init(game, seed=7, batch=3)
    alone = alg.init(game, seed=9, batch=1)
    for _ in range(3):
        batch, alone = alg.step(game, batch), alg.step(game, alone)
    for p, q in zip(alg.policy(batch), alg.policy(alone), strict=True):
        assert torch.equal(p[2:3], q), f"{name}: member 2 of seeds 7.. differs from seed 9 alone"


def test_the_curves_seed_column_names_the_seed_that_reruns_the_member(tmp_path) -> None:
    from mpgverify.algorithms import make_algorithm
    from mpgverify.builtin_games import coordination_game
    from mpgverify.experiments.run import run, write_curves

    game, alg = coordination_game(2), make_algorithm("pg")
    rows = {}
    for seed, seeds in ((3, 4), (5, 1)):
        path = write_curves(run(alg, game, seeds=seeds, iters=5, seed=seed), tmp_path / f"{seed}.csv")
        rows[seed] = [line.split(",") for line in path.read_text().splitlines()[1:]]
    member = [r for r in rows[3] if r[1] == "5"]
    assert len(member) == len(rows[5]) == 6
    for a, b in zip(member, rows[5], strict=True):  # a batched solve may differ from a lone one in the last bits
        close = all(math.isclose(float(x), float(y), rel_tol=1e-12) for x, y in zip(a[2:], b[2:], strict=True))
        assert a[:2] == b[:2] and close, (a, b)
