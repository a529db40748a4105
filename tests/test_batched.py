"""A batch of games through the solvers (:mod:`mpgverify.solvers.batched`) equals each game solved alone."""

from __future__ import annotations

import pytest
import torch

from mpgverify.errors import FormatError
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.evaluation import evaluate, potential_values
from mpgverify.solvers.hessian import batched_hessians
from mpgverify.solvers.nash import best_response, nash_gap
from mpgverify.solvers.welfare import social_optimum
from randomgames.generators import general_mpg_game, general_sum_game

ACTIONS = (2, 3, 2)


def _games(kind: str, count: int = 9) -> list:
    make = general_mpg_game if kind == "mpg" else general_sum_game
    gammas = [0.0, 0.5, 0.9, 0.99]
    kernels = ["random", "action_independent", "deterministic"]
    return [
        make(seed=k, n_agents=3, n_states=3, n_actions=ACTIONS, gamma=gammas[k % 4], transitions=kernels[k % 3])
        for k in range(count)
    ]


def _policies(kind: str, count: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """One product policy per game: uniform, deterministic, near-deterministic (logit gaps 30) or random."""
    gen = torch.Generator().manual_seed(seed)
    logits = [torch.randn(count, 3, n, generator=gen, dtype=torch.float64) for n in ACTIONS]
    if kind == "uniform":
        logits = [torch.zeros_like(t) for t in logits]
    elif kind == "deterministic":
        return tuple(torch.nn.functional.one_hot(t.argmax(-1), t.shape[-1]).to(torch.float64) for t in logits)
    elif kind == "near-deterministic":
        logits = [30.0 * t for t in logits]
    return softmax_policy(logits)


def _member(probs: tuple[torch.Tensor, ...], b: int) -> tuple[torch.Tensor, ...]:
    return tuple(p[b : b + 1] for p in probs)


def _close(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    scale = 1.0 + float(b.abs().max()) if b.numel() else 1.0
    err = float((a - b).abs().max()) if b.numel() else 0.0
    assert err <= 1e-10 * scale, f"{what}: batched and alone differ by {err:.3g} (scale {scale:.3g})"


@pytest.mark.parametrize("kind", ["mpg", "general-sum"])
@pytest.mark.parametrize("policy", ["uniform", "deterministic", "near-deterministic", "random"])
def test_batched_solvers_equal_each_game_alone(kind: str, policy: str) -> None:
    games = _games(kind)
    batch = GameBatch.stack(games)
    probs = _policies(policy, batch.size)
    ev, gap, opt = evaluate(batch, probs), nash_gap(batch, probs), social_optimum(batch)
    assert (ev.Phi is None) == (kind != "mpg")
    for b, game in enumerate(games):
        one = _member(probs, b)
        alone = evaluate(game, one)
        for name in ("V", "V_mu", "Q", "d", "Phi", "Phi_mu"):
            x, y = getattr(ev, name), getattr(alone, name)
            if y is None:
                assert x is None, name
                continue
            _close(x[b], y[0], f"{game.name} {policy} {name}")
        for i, (x, y) in enumerate(zip(ev.advantages, alone.advantages, strict=True)):
            _close(x[b], y[0], f"{game.name} {policy} advantages[{i}]")
        if kind == "mpg":
            _close(potential_values(batch, probs)[b], potential_values(game, one)[0], f"{game.name} {policy} Φ(s)")
        g = nash_gap(game, one)
        _close(gap.gap[b], g.gap[0], f"{game.name} {policy} Nash-gap")
        _close(gap.best_values[b], g.best_values[0], f"{game.name} {policy} best-response values")
        for i in range(game.n_agents):
            _close(best_response(batch, probs, i).V[b], best_response(game, one, i).V[0], f"{game.name} BR {i}")
        s = social_optimum(game)
        _close(opt.value[b], s.value, f"{game.name} social optimum")
        _close(opt.V[b], s.V, f"{game.name} social optimum per state")


@pytest.mark.parametrize("kind", ["mpg", "general-sum"])
@pytest.mark.parametrize("policy", ["uniform", "deterministic", "near-deterministic", "random"])
def test_grouped_best_responses_and_values_are_the_batchs_own_numbers(kind: str, policy: str) -> None:
    """``best_responses`` of a batch (agents of equal action counts — agents 0 and 2 here — in one policy
    iteration) gives each agent exactly what ``best_response`` gives it alone on the batch, value and rule;
    ``values_and_potential`` of a batch gives exactly ``evaluate``'s V and Φ (the same solve), and the dense
    ``best_responses`` is each agent's ``best_response``. Bit for bit: the dynamics' steps and the
    sequences' numbers must not move."""
    from mpgverify.solvers.evaluation import values_and_potential
    from mpgverify.solvers.nash import best_responses

    games = _games(kind)
    batch = GameBatch.stack(games)
    probs = _policies(policy, batch.size)
    best, rules = best_responses(batch, probs)
    for i in range(batch.n_agents):
        alone = best_response(batch, probs, i)
        assert torch.equal(best[:, i], alone.V_mu), f"{policy}: agent {i}'s value differs from its own solve"
        assert torch.equal(rules[i], alone.policy), f"{policy}: agent {i}'s rule differs from its own solve"
    V, Phi = values_and_potential(batch, probs)
    ev = evaluate(batch, probs)
    assert torch.equal(V, ev.V), f"{policy}: V differs from evaluate's"
    assert (Phi is None and ev.Phi is None) or torch.equal(Phi, ev.Phi), f"{policy}: Φ differs from evaluate's"
    one = _member(probs, 1)
    dense_best, dense_rules = best_responses(games[1], one)
    for i in range(batch.n_agents):
        alone = best_response(games[1], one, i)
        assert torch.equal(dense_best[..., i], alone.V_mu) and torch.equal(dense_rules[i], alone.policy), f"agent {i}"


def test_a_batch_of_one_shape_only() -> None:
    games = [*_games("mpg", 2), general_mpg_game(seed=5, n_agents=3, n_states=3, n_actions=(2, 2, 2))]
    with pytest.raises(FormatError, match=r"games\[2\]: has actions \[2, 2, 2\]"):
        GameBatch.stack(games)
    with pytest.raises(FormatError, match="at least one game"):
        GameBatch.stack([])
    batch = GameBatch.stack(games[:2])
    with pytest.raises(FormatError, match=r"probs\[0\]: must have shape \[2, 3, 2\]"):
        evaluate(batch, _policies("random", 3))


def test_batched_values_are_differentiable_in_the_policy() -> None:
    games = _games("mpg", 4)
    batch = GameBatch.stack(games)
    logits = [torch.zeros(4, 3, n, dtype=torch.float64, requires_grad=True) for n in ACTIONS]
    evaluate(batch, softmax_policy(logits)).Phi_mu.sum().backward()
    for b, game in enumerate(games):
        leaf = [torch.zeros(1, 3, n, dtype=torch.float64, requires_grad=True) for n in ACTIONS]
        evaluate(game, softmax_policy(leaf)).Phi_mu.sum().backward()
        for x, y in zip(logits, leaf, strict=True):
            _close(x.grad[b], y.grad[0], f"{game.name} ∂Φ/∂θ")


@pytest.mark.parametrize("K", [1, 7, "per member"])
def test_batched_npg_br_equals_each_game_alone(K) -> None:
    """An NPG-BR outer step over a batch (mpgverify.algorithms.npg_br.outer_step) — inner loops with a K
    per member, masked — equals each game's step alone: θ_{t+1}, the agent kept and its gain."""
    from mpgverify.algorithms.npg_br import outer_step

    games = _games("mpg")
    batch = GameBatch.stack(games)
    gen = torch.Generator().manual_seed(3)
    theta = tuple(torch.randn(batch.size, 3, n, generator=gen, dtype=torch.float64) for n in ACTIONS)
    Ks = [1 + 3 * (b % 4) for b in range(batch.size)] if K == "per member" else [K] * batch.size
    stacked, mover, gain = outer_step(batch, theta, torch.tensor(Ks), 1.0)
    for b, game in enumerate(games):
        alone, m, g = outer_step(game, _member(theta, b), Ks[b], 1.0)
        assert int(mover[b]) == int(m[0]), f"member {b}: batched kept agent {int(mover[b])}, alone {int(m[0])}"
        _close(gain[b], g[0], f"member {b} gain")
        for i in range(3):
            _close(stacked[i][b], alone[i][0], f"member {b} θ^{i}")


def test_batched_potential_range_and_select() -> None:
    """Φ_min and Φ_max of every member (Assumption 2.3) equal each game's own; select() keeps members
    in the order asked; at_mu dispatches on the batch."""
    from mpgverify.solvers.evaluation import at_mu
    from mpgverify.solvers.game_constants import potential_range

    games = _games("mpg")
    batch = GameBatch.stack(games)
    got = potential_range(batch)
    for b, game in enumerate(games):
        want = potential_range(game)
        _close(got.low[b], torch.tensor(want.low, dtype=torch.float64), f"member {b} Φ_min")
        _close(got.high[b], torch.tensor(want.high, dtype=torch.float64), f"member {b} Φ_max")
    sub = batch.select([4, 1])
    assert sub.games == (games[4], games[1]) and torch.equal(sub.P[0], games[4].P)
    assert float(sub.gamma[1]) == games[1].gamma
    values = torch.ones(batch.size, 2, 3, dtype=torch.float64)
    assert torch.allclose(at_mu(batch, values), torch.ones(batch.size, 2, dtype=torch.float64))
    with pytest.raises(FormatError, match="potential"):
        potential_range(GameBatch.stack(_games("general-sum", 2)))


def test_pg_steps_a_batch_as_each_game_alone() -> None:
    """PG (3) over a batch of games (one θ per game) equals each game's own step."""
    from mpgverify.algorithms.pg import pg
    from mpgverify.algorithms.tabular import TabularState

    games = _games("mpg")
    batch = GameBatch.stack(games)
    gen = torch.Generator().manual_seed(5)
    theta = tuple(torch.randn(batch.size, 3, n, generator=gen, dtype=torch.float64) for n in ACTIONS)
    alg = pg(lr=0.3)
    stepped = alg.step(batch, TabularState(theta=theta, t=0))
    for b, game in enumerate(games):
        alone = alg.step(game, TabularState(theta=_member(theta, b), t=0))
        for i in range(3):
            _close(stepped.theta[i][b], alone.theta[i][0], f"member {b} θ^{i}")


@pytest.mark.parametrize("policy", ["uniform", "near-deterministic", "random"])
def test_batched_hessians_equal_each_members_dense_hessian(policy: str) -> None:
    """Every member's ∇²_θ Φ_θ(s), every s, from one batched graph, against
    torch.autograd.functional.hessian of that member's Φ_θ(s) alone (an independent route)."""
    games = _games("mpg", 5)
    batch = GameBatch.stack(games)
    gen = torch.Generator().manual_seed(1)
    scale = {"uniform": 0.0, "near-deterministic": 8.0, "random": 1.0}[policy]
    x = scale * torch.randn(5, 3 * sum(ACTIONS), generator=gen, dtype=torch.float64)

    def split(v: torch.Tensor) -> list[torch.Tensor]:
        parts = torch.split(v, [3 * n for n in ACTIONS], dim=-1)
        return [t.reshape(*v.shape[:-1], 3, n) for t, n in zip(parts, ACTIONS, strict=True)]

    H = batched_hessians(lambda X: potential_values(batch, softmax_policy(split(X))), x)
    assert H.shape == (5, 3, x.shape[1], x.shape[1])
    for b, game in enumerate(games):
        for s in range(3):
            want = torch.autograd.functional.hessian(
                lambda v, s=s, g=game: potential_values(g, softmax_policy(split(v)))[s], x[b]
            )
            _close(H[b, s], want, f"{game.name} {policy} ∇²Φ(s={s})")


def test_batched_hessians_of_a_constant_are_zero() -> None:
    """An output that does not depend on x (one action: the softmax is 1) has the zero Hessian."""
    x = torch.randn(3, 2, dtype=torch.float64)
    H = batched_hessians(lambda X: torch.ones(X.shape[0], 2, dtype=torch.float64), x)
    assert H.shape == (3, 2, 2, 2) and not H.any(), H
    H = batched_hessians(lambda X: (X**3).sum(-1, keepdim=True), x)
    assert torch.allclose(H[:, 0], torch.diag_embed(6 * x)), (H, x)


def _mdp_games() -> list:
    """MPGs of one shape over every kernel kind, γ from 0 up, uniform and random μ, and two where
    Assumption 2.1 fails (γ = 0 and μ on one state)."""
    kernels = ["random", "action_independent", "deterministic", "sparse"]
    drawn = [
        general_mpg_game(
            seed=k,
            n_agents=2,
            n_states=3,
            n_actions=(2, 3),
            gamma=(k % 9) / 9,
            transitions=kernels[k % 4],
            mu="random" if k % 2 else "uniform",
        )
        for k in range(24)
    ]
    start = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)  # γ = 0: states 1 and 2 are never visited
    return [*drawn, drawn[1].replace(gamma=0.0, mu=start), drawn[2].replace(gamma=0.0, mu=start)]


def test_batched_mismatch_coefficient_equals_each_game_alone_bit_for_bit() -> None:
    """M, its state and both extreme visitations of every member equal each game's own, bit for bit
    (the batch runs the one-game arithmetic); a member where Assumption 2.1 fails is named."""
    from mpgverify.errors import AssumptionError
    from mpgverify.solvers.game_constants import assumption_2_1, mismatch_coefficient

    games = [g for g in _mdp_games() if assumption_2_1(g) is None]
    failing = [g for g in _mdp_games() if assumption_2_1(g) is not None]
    assert len(games) >= 10 and failing, (len(games), len(failing))
    got = mismatch_coefficient(GameBatch.stack(games))
    for b, game in enumerate(games):
        want = mismatch_coefficient(game)
        assert float(got.M[b]) == want.M and int(got.state[b]) == want.state, (b, float(got.M[b]), want.M)
        assert torch.equal(got.d_max[b], want.d_max) and torch.equal(got.d_min[b], want.d_min), f"member {b}"
    with pytest.raises(AssumptionError, match=r"games\[1\]"):
        mismatch_coefficient(GameBatch.stack([games[0], failing[0]]))


def test_primed_constants_are_the_one_game_answers_and_refusals_stay() -> None:
    """prime_game_constants keeps, for each game, exactly what the one-game solver computes afresh; a
    game the solver refuses (Assumption 2.1, no φ) is not kept, so the solver still raises for it."""
    from mpgverify.errors import AssumptionError, MpgverifyError
    from mpgverify.solvers.batched import prime_game_constants
    from mpgverify.solvers.game_constants import (
        _mismatch_coefficient_dense,
        _potential_range_dense,
        mismatch_coefficient,
        potential_range,
    )

    games = _mdp_games()
    no_phi = games[0].replace(potential=None)
    fresh = {}
    for g in games:
        try:
            fresh[id(g)] = (mismatch_coefficient(g), potential_range(g))
        except AssumptionError:
            fresh[id(g)] = (None, potential_range(g))
    _mismatch_coefficient_dense.cache_clear()
    _potential_range_dense.cache_clear()
    prime_game_constants([*games, no_phi], mismatch=True, potential=True)
    for g in games:
        M, rng = fresh[id(g)]
        assert _potential_range_dense.known(g) and potential_range(g) == rng
        if M is None:
            assert not _mismatch_coefficient_dense.known(g)
            with pytest.raises(AssumptionError):
                mismatch_coefficient(g)
        else:
            got = mismatch_coefficient(g)
            assert (got.M, got.state) == (M.M, M.state) and torch.equal(got.d_max, M.d_max), f"{g.name}"
    assert not _potential_range_dense.known(no_phi)
    with pytest.raises(MpgverifyError, match="potential"):
        potential_range(no_phi)
