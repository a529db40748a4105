"""One game interface: dense and factored games agree on every shared quantity, through the same
public functions, at every N where both run (the dense coordination game stops at N = 8)."""

from __future__ import annotations

import pytest
import torch

from mpgverify import coordination_game, evaluate, nash_gap
from mpgverify.algorithms import make_algorithm
from mpgverify.algorithms.gradients import autograd_policy_gradients, marginal_policy_gradients, policy_gradients
from mpgverify.builtin_games import factored_coordination_game
from mpgverify.errors import FormatError, MpgverifyError
from mpgverify.factored import FactoredGame
from mpgverify.policy import random_logits, softmax_policy
from mpgverify.solvers.evaluation import potential_values, state_values, visitation
from mpgverify.solvers.game_constants import mismatch_coefficient, potential_range
from mpgverify.solvers.nash import best_response
from mpgverify.solvers.welfare import price_of_anarchy, social_optimum

F64 = torch.float64


def random_factored(seed: int, n: int, *, deterministic: bool = False) -> FactoredGame:
    """Local states and actions of different sizes, kernels that depend on the local state, distinct
    rewards; ``deterministic``: one-hot kernels (local transition probabilities of exactly 0)."""
    gen = torch.Generator().manual_seed(seed)
    sizes = [2 + (i % 2) for i in range(n)]
    acts = [2 + ((i + 1) % 2) for i in range(n)]
    local = []
    for L, A in zip(sizes, acts, strict=True):
        k = torch.rand(L, A, L, generator=gen, dtype=F64)
        local.append(torch.nn.functional.one_hot(k.argmax(-1), L).to(F64) if deterministic else k.softmax(-1))
    S = 1
    for L in sizes:
        S *= L
    rewards = torch.rand(n, S, generator=gen, dtype=F64)
    mu = torch.rand(S, generator=gen, dtype=F64).softmax(-1)
    return FactoredGame(0.9, tuple(local), rewards, mu, rewards.mean(0), f"random-factored-{n}")


def assert_same_quantities(fg, dg, probs, atol: float = 1e-10) -> None:
    """Every quantity both representations compute, through the public functions."""
    fe, de = evaluate(fg, probs), evaluate(dg, probs)
    assert fe.Q is None and de.Q is not None
    for name in ("V", "V_mu", "d", "Phi", "Phi_mu"):
        a, b = getattr(fe, name), getattr(de, name)
        assert torch.allclose(a, b, atol=atol), (name, float((a - b).abs().max()))
    for a, b in zip(fe.advantages, de.advantages, strict=True):
        assert torch.allclose(a, b, atol=atol), float((a - b).abs().max())
    assert torch.allclose(state_values(fg, probs), state_values(dg, probs), atol=atol)
    assert torch.allclose(visitation(fg, probs), visitation(dg, probs), atol=atol)
    assert torch.allclose(potential_values(fg, probs), potential_values(dg, probs), atol=atol)
    for a, b in zip(marginal_policy_gradients(fg, probs), marginal_policy_gradients(dg, probs), strict=True):
        assert torch.allclose(a, b, atol=atol)
    for a, b in zip(policy_gradients(probs, fe), policy_gradients(probs, de), strict=True):
        assert torch.allclose(a, b, atol=atol)
    fn, dn = nash_gap(fg, probs), nash_gap(dg, probs)
    for name in ("gap", "gains", "best_values"):
        a, b = getattr(fn, name), getattr(dn, name)
        assert torch.allclose(a, b, atol=1e-9), (name, float((a - b).abs().max()))
    assert fn.responses.shape == dn.responses.shape
    for i in range(fg.n_agents):
        fb, db = best_response(fg, probs, i), best_response(dg, probs, i)
        assert torch.allclose(fb.V, db.V, atol=1e-9) and torch.allclose(fb.V_mu, db.V_mu, atol=1e-9)
        assert fb.policy.shape == db.policy.shape
    fo, do = social_optimum(fg), social_optimum(dg)
    assert torch.allclose(fo.value, do.value, atol=1e-9) and torch.allclose(fo.V, do.V, atol=1e-9)
    assert fo.actions.shape == do.actions.shape
    assert torch.allclose(price_of_anarchy(fg, probs), price_of_anarchy(dg, probs), atol=1e-10)
    assert potential_range(fg) == pytest.approx(potential_range(dg), abs=1e-9)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 8])
def test_factored_coordination_equals_dense(n) -> None:
    fg, dg = factored_coordination_game(n), coordination_game(n)
    if n <= 5:
        assert torch.equal(fg.dense().transition, dg.transition)
    probs = softmax_policy(random_logits(dg, seed=n, batch=(2,) if n < 8 else ()))
    assert_same_quantities(fg, dg, probs)


@pytest.mark.parametrize("seed, n", [(0, 1), (1, 2), (2, 3), (3, 4)])
def test_random_factored_games_equal_dense(seed, n) -> None:
    fg = random_factored(seed, n)
    assert_same_quantities(fg, fg.dense(), softmax_policy(random_logits(fg.dense(), seed=seed, batch=(2,))))


@pytest.mark.parametrize("seed, n", [(4, 2), (5, 3)])
def test_zero_local_probabilities_take_the_rebuilt_rows(seed, n) -> None:
    """One-hot kernels and a mix of deterministic and stochastic policies make some qⁱ(s, t) exactly 0:
    the leave-one-out sums and the best-response transitions are rebuilt from the other factors there."""
    fg = random_factored(seed, n, deterministic=True)
    dg = fg.dense()
    logits = random_logits(dg, seed=seed, batch=(2,))
    onehot = tuple(torch.nn.functional.one_hot(t[0].argmax(-1), t.shape[-1]).to(F64) for t in logits)
    probs = tuple(torch.stack([o, p[1]]) for o, p in zip(onehot, softmax_policy(logits), strict=True))
    assert_same_quantities(fg, dg, probs, atol=1e-9)


def test_autograd_sees_through_the_factored_evaluation() -> None:
    fg, dg = factored_coordination_game(3), coordination_game(3)
    theta = random_logits(dg, seed=3)
    for a, b in zip(autograd_policy_gradients(fg, theta), autograd_policy_gradients(dg, theta), strict=True):
        assert torch.allclose(a, b, atol=1e-10)


@pytest.mark.parametrize("name", ["pg", "log-barrier-pg", "npg", "npg-br", "br-dynamics"])
def test_algorithms_run_on_a_factored_game_as_on_the_dense_one(name) -> None:
    fg, dg = factored_coordination_game(3), coordination_game(3)
    alg = make_algorithm(name)
    fs, ds = alg.init(fg, seed=0, batch=2), alg.init(dg, seed=0, batch=2)
    for _ in range(4):
        fs, ds = alg.step(fg, fs), alg.step(dg, ds)
    for a, b in zip(alg.policy(fs), alg.policy(ds), strict=True):
        assert torch.allclose(a, b, atol=1e-10)


def test_warm_started_nash_gap_equals_the_cold_one() -> None:
    """Starting policy iteration from the previous policy's best responses changes the work, not the answer."""
    for game in (factored_coordination_game(4), coordination_game(4)):
        before = softmax_policy(random_logits(game, seed=1, batch=(3,)))
        after = softmax_policy(tuple(t + 0.05 for t in random_logits(game, seed=1, batch=(3,))))
        cold = nash_gap(game, after)
        warm = nash_gap(game, after, start=nash_gap(game, before).responses)
        assert torch.equal(warm.gap, cold.gap) and torch.equal(warm.responses, cold.responses)


def test_mismatch_coefficient_of_a_factored_game_is_refused_with_its_reason() -> None:
    with pytest.raises(MpgverifyError, match="2S = 16 MDP optima"):
        mismatch_coefficient(factored_coordination_game(3))


def test_factored_game_validates_its_fields() -> None:
    k = torch.tensor([[[0.5, 0.5], [1.0, 0.0]], [[0.2, 0.8], [0.3, 0.7]]], dtype=F64)
    with pytest.raises(FormatError, match=r"local\[0\]"):
        FactoredGame(0.9, (k[:, :, :1],), torch.zeros(1, 2), torch.tensor([0.5, 0.5]))
    with pytest.raises(FormatError, match="rewards"):
        FactoredGame(0.9, (k,), torch.zeros(1, 3), torch.tensor([0.5, 0.5]))
    with pytest.raises(FormatError, match="gamma"):
        FactoredGame(1.0, (k,), torch.zeros(1, 2), torch.tensor([0.5, 0.5]))
    with pytest.raises(FormatError, match="n"):
        factored_coordination_game(0)


@pytest.mark.parametrize("n", [2, 3])
def test_lanczos_hessian_norm_equals_the_dense_hessian_norm(n) -> None:
    from mpgverify.solvers.hessian import hessian_spectral_norm

    game = coordination_game(n)
    theta = random_logits(game, seed=n)
    sizes = [t.numel() for t in theta]
    x0 = torch.cat([t.reshape(-1) for t in theta])

    def phi(x: torch.Tensor) -> torch.Tensor:
        parts = torch.split(x, sizes)
        probs = softmax_policy(tuple(p.reshape(game.n_states, -1) for p in parts))
        return potential_values(game, probs)[0]

    dense = float(torch.linalg.matrix_norm(torch.autograd.functional.hessian(phi, x0), ord=2))
    assert hessian_spectral_norm(phi, x0, steps=x0.numel()) == pytest.approx(dense, rel=1e-9)
    assert hessian_spectral_norm(phi, x0, steps=4) <= dense * (1 + 1e-9)  # fewer steps: a lower bound


@pytest.mark.parametrize("n", [3, 4])
def test_iterative_batched_best_responses_equal_dense(n, monkeypatch) -> None:
    """From 1024 states on, the agents' best responses are one policy iteration whose solves are
    certified GMRES on products with P_π: forced here at small S, they agree with the dense LU path
    within the certified bound (1e-10 relative)."""
    import mpgverify.solvers.factored as factored
    import mpgverify.solvers.linsolve as linsolve

    monkeypatch.setattr(linsolve, "MATRIX_FREE_FROM", 4)
    monkeypatch.setattr(factored, "MATRIX_FREE_FROM", 4)
    fg, dg = factored_coordination_game(n), coordination_game(n)
    probs = softmax_policy(random_logits(dg, seed=n, batch=(2,)))
    fn, dn = nash_gap(fg, probs), nash_gap(dg, probs)
    assert torch.allclose(fn.best_values, dn.best_values, rtol=0, atol=1e-8)
    fe, de = evaluate(fg, probs), evaluate(dg, probs)
    assert torch.allclose(fe.V, de.V, rtol=0, atol=1e-8) and torch.allclose(fe.d, de.d, rtol=0, atol=1e-8)


def test_iterative_path_with_vanishing_local_probabilities(monkeypatch) -> None:
    """The iterative best responses where some qⁱ(s, t) = 0 go through the rebuilt P_σ."""
    import mpgverify.solvers.factored as factored
    import mpgverify.solvers.linsolve as linsolve

    monkeypatch.setattr(linsolve, "MATRIX_FREE_FROM", 4)
    monkeypatch.setattr(factored, "MATRIX_FREE_FROM", 4)
    fg = random_factored(5, 3, deterministic=True)
    dg = fg.dense()
    logits = random_logits(dg, seed=5, batch=(2,))
    onehot = tuple(torch.nn.functional.one_hot(t[0].argmax(-1), t.shape[-1]).to(F64) for t in logits)
    probs = tuple(torch.stack([o, p[1]]) for o, p in zip(onehot, softmax_policy(logits), strict=True))
    assert torch.allclose(nash_gap(fg, probs).best_values, nash_gap(dg, probs).best_values, rtol=0, atol=1e-8)
