"""Neural softmax policies trained on the exact gradient (Section 5, Appendix G).

Each agent's policy is ``one-hot(s) → FC(H) → FC(H) → Linear(|Aⁱ|) → softmax`` with H = |S|
(2ᴺ in the coordination game) by default; the activation is not stated in the paper
(``activation="relu"`` by default, ``"tanh"`` available). Weights and biases start N(0, init_scale²)
("initial parameters sampled from N(0, 1)"). All seeds are one batch of networks.

Gradient (``gradient="exact"``): the exact policy gradient through the network,
``∇_{θⁱ} Vⁱ(μ) = Σ_s d^π_μ(s) Σ_a πⁱ(a|s) Aⁱ(s, a) ∇_{θⁱ} log πⁱ(a|s)``, taken by autograd of the
surrogate ``Σ_s d(s) Σ_a Aⁱ(s, a) πⁱ(a|s)`` with d and A held fixed. Section 5 prints the
formula with ``∇πⁱ`` in place of ``∇log πⁱ``; ``gradient="as-printed"`` follows the print. With
``lam > 0`` the log barrier ``λ Σ_{s,a} log πⁱ(a|s)/(|S||Aⁱ|)`` is added (per agent).
``optimizer="sgd"`` is NN-PG, ``optimizer="adam"`` is NN-Adam (ascent; β = (0.9, 0.999)).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import torch

from mpgverify.algorithms.api import Algorithm, register
from mpgverify.algorithms.promises import nothing_promised
from mpgverify.algorithms.tabular import check_lr, member_normals
from mpgverify.arrays import DTYPE
from mpgverify.cost import Cost
from mpgverify.errors import FormatError
from mpgverify.game import Game
from mpgverify.memory import recording_bytes
from mpgverify.solvers.evaluation import evaluate

__all__ = ["NNState", "network_log_policy", "network_policy", "nn_adam", "nn_pg"]

_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh}


class NNState(NamedTuple):
    """Attributes:
    params: per agent ``(W1 [B,S,H], b1 [B,H], W2 [B,H,H], b2 [B,H], W3 [B,H,Aⁱ], b3 [B,Aⁱ])``.
    t: steps done.  moments: Adam's (m, v) per parameter, mirroring ``params`` (empty for SGD).
    """

    params: tuple[tuple[torch.Tensor, ...], ...]
    t: int
    moments: tuple[tuple[tuple[torch.Tensor, torch.Tensor], ...], ...]


def network_log_policy(
    params: tuple[tuple[torch.Tensor, ...], ...], activation: str = "relu"
) -> tuple[torch.Tensor, ...]:
    """Every agent's ``log πⁱ(·|s)`` for all states at once, ``[B, S, Aⁱ]`` (one-hot input = rows of
    W1); ``log_softmax`` of the last layer, finite even where πⁱ underflows to 0."""
    act = _ACTIVATIONS[activation]
    out = []
    for W1, b1, W2, b2, W3, b3 in params:
        h = act(W1 + b1[:, None, :])
        h = act(h @ W2 + b2[:, None, :])
        out.append(torch.log_softmax(h @ W3 + b3[:, None, :], dim=-1))
    return tuple(out)


def network_policy(params: tuple[tuple[torch.Tensor, ...], ...], activation: str = "relu") -> tuple[torch.Tensor, ...]:
    """Every agent's ``πⁱ(·|s)``, ``[B, S, Aⁱ]`` (the exponential of :func:`network_log_policy`)."""
    return tuple(lp.exp() for lp in network_log_policy(params, activation))


def _init_params(game: Game, seed: int, batch: int, hidden: int, scale: float) -> tuple[tuple[torch.Tensor, ...], ...]:
    S = game.n_states
    shapes = [
        s for n in game.n_actions for s in ((S, hidden), (hidden,), (hidden, hidden), (hidden,), (hidden, n), (n,))
    ]
    flat = member_normals(seed, batch, shapes, scale=scale, device=game.mu.device)  # member b: seed + b
    return tuple(tuple(flat[6 * i : 6 * i + 6]) for i in range(game.n_agents))


def _make(
    *,
    optimizer: str,
    lr: float = 0.1,
    lam: float = 0.0,
    gradient: str = "exact",
    activation: str = "relu",
    hidden: int | None = None,
    init_scale: float = 1.0,
) -> Algorithm:
    lr = check_lr(lr)
    if lam < 0:
        raise FormatError("lam", f"must be ≥ 0, got {lam!r}")
    if gradient not in ("exact", "as-printed"):
        raise FormatError("gradient", f"must be 'exact' or 'as-printed', got {gradient!r}")
    if activation not in _ACTIVATIONS:
        raise FormatError("activation", f"must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    if hidden is not None and (isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 1):
        raise FormatError("hidden", f"must be an integer ≥ 1 (the width of the hidden layers), got {hidden!r}")
    b1, b2, eps = 0.9, 0.999, 1e-8

    def init_fn(game: Game, *, seed: int, batch: int) -> NNState:
        params = _init_params(game, seed, batch, hidden or game.n_states, init_scale)
        moments = (
            tuple(tuple((torch.zeros_like(p), torch.zeros_like(p)) for p in agent) for agent in params)
            if optimizer == "adam"
            else ()
        )
        return NNState(params, 0, moments)

    def step(game: Game, state: NNState) -> NNState:
        leaves = tuple(tuple(p.detach().requires_grad_(True) for p in agent) for agent in state.params)
        log_probs = network_log_policy(leaves, activation)
        probs = tuple(lp.exp() for lp in log_probs)
        with torch.no_grad():
            ev = evaluate(game, tuple(p.detach() for p in probs))
        surrogate = torch.zeros((), dtype=DTYPE)
        for i, p in enumerate(probs):
            weight = ev.d[..., :, None] * ev.advantages[i]
            if gradient == "as-printed":
                weight = weight * p.detach()
            surrogate = surrogate + (weight * p).sum()
            if lam > 0:
                surrogate = surrogate + lam * log_probs[i].sum() / (game.n_states * game.n_actions[i])
        flat = [q for agent in leaves for q in agent]
        grads = torch.autograd.grad(surrogate, flat)
        t = state.t + 1
        new_params, new_moments, k = [], [], 0
        for a, agent in enumerate(state.params):
            agent_params, agent_moments = [], []
            for j, p in enumerate(agent):
                g = grads[k]
                k += 1
                if optimizer == "adam":
                    m, v = state.moments[a][j]
                    m = b1 * m + (1 - b1) * g
                    v = b2 * v + (1 - b2) * g * g
                    update = (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + eps)
                    agent_moments.append((m, v))
                else:
                    update = g
                agent_params.append(p + lr * update)
            new_params.append(tuple(agent_params))
            new_moments.append(tuple(agent_moments))
        return NNState(tuple(new_params), t, tuple(new_moments) if optimizer == "adam" else ())

    name = "nn-adam" if optimizer == "adam" else "nn-pg"
    return Algorithm(
        name=name,
        init=init_fn,
        step=step,
        policy=lambda state: tuple(p.detach() for p in network_policy(state.params, activation)),
        options={
            "lr": lr,
            "lam": lam,
            "gradient": gradient,
            "activation": activation,
            "hidden": hidden,
            "init_scale": init_scale,
        },
        promises=nothing_promised(
            "neural softmax policies are a Section 5 experiment: the paper proves nothing for them"
        ),
        cost=lambda game, batch: _network_cost(game, batch, hidden or game.n_states, optimizer == "adam"),
    )


def _factory(optimizer: str, name: str, doc: str) -> Callable[..., Algorithm]:
    """The factory of one optimizer: :func:`_make`'s keyword options, its signature and annotations
    (which type the CLI's ``--option`` values), ``optimizer`` fixed."""

    def factory(**options: Any) -> Algorithm:
        return _make(optimizer=optimizer, **options)

    sig = inspect.signature(_make)
    factory.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[p for p in sig.parameters.values() if p.name != "optimizer"]
    )
    factory.__annotations__ = {k: v for k, v in _make.__annotations__.items() if k != "optimizer"}
    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = doc
    return factory


nn_pg = _factory(
    "sgd",
    "nn_pg",
    """NN-PG: gradient ascent on each agent's network parameters.

    Options (defaults): ``lr`` (0.1), ``lam`` (0.0, the log-barrier λ), ``gradient`` ("exact" or
    "as-printed"), ``activation`` ("relu" or "tanh"), ``hidden`` (|S|), ``init_scale`` (1.0).
    """,
)
nn_adam = _factory("adam", "nn_adam", """NN-Adam: the same gradient through Adam; options as :func:`nn_pg`.""")


def _network_cost(game: Game, batch: int, hidden: int, adam: bool) -> Cost:
    """Memory of the parameters (with gradients, and Adam's two moments) and the flops of one
    forward and backward pass over every state, per agent: ``[S, S]·[S, h]``, ``[S, h]·[h, h]``, ``[S, h]·[h, Aⁱ]``."""
    S, h = game.n_states, hidden
    params = sum(S * h + h + h * h + h + h * n + n for n in game.n_actions)
    flops = 6.0 * batch * sum(S * S * h + S * h * h + S * h * n for n in game.n_actions)
    held = 8 * batch * (params * (4 if adam else 2) + 3 * S * h * game.n_agents)
    return Cost(2.0, flops, max(held, recording_bytes(game, batch)), f"networks of width {h}", "--option hidden")


register("nn-pg", nn_pg)
register("nn-adam", nn_adam)
