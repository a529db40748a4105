"""Built-in games, and the ``NAME:key=value,...`` specs the CLI accepts for them.

Each built-in is available in both representations: dense (:class:`~mpgverify.game.MarkovGame`) and,
where its structure allows, factored (:class:`~mpgverify.factored.FactoredGame`). ``representation=
"auto"`` picks dense up to its size limit and factored beyond; every solver accepts either.

``coordination`` is the paper's Coordination Game (Section 5, Appendix G, Algorithm 1):
N agents, each with local state sⁱ ∈ {0, 1} and action aⁱ ∈ {0, 1}; the global state is the
tuple of local states (index Σ_i sⁱ 2^{N−1−i}, agent 0 the most significant bit; joint actions
likewise). Each agent's next local state depends only on its own action:
``P(s'ⁱ = 0 | aⁱ = 0) = 1 − ε``, ``P(s'ⁱ = 0 | aⁱ = 1) = ε``. All agents share the reward of the
current state from Algorithm 1, which is also the potential φ.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import torch

from mpgverify.arrays import DTYPE
from mpgverify.errors import FormatError
from mpgverify.factored import FactoredGame
from mpgverify.game import Game, MarkovGame
from mpgverify.literals import DECIMAL, INTEGER

__all__ = [
    "BUILTIN_GAMES",
    "MAX_DENSE_COORDINATION_N",
    "MAX_FACTORED_COORDINATION_N",
    "REPRESENTATIONS",
    "coordination",
    "coordination_game",
    "coordination_reward",
    "factored_coordination_game",
    "parse_game_spec",
]

#: Largest N the dense coordination game is built for (S·A·S = 2^{3N} float64 entries).
MAX_DENSE_COORDINATION_N = 8
#: Largest N of the factored coordination game (2ᴺ states; the solvers' ``S × S`` arrays are checked
#: against the memory budget before any run: N = 14 needs about 8 GiB).
MAX_FACTORED_COORDINATION_N = 20
#: ``--repr`` choices: the size decides (``auto``), or one representation.
REPRESENTATIONS = ("auto", "dense", "factored")


def coordination_reward(local_states: tuple[int, ...]) -> float:
    """Algorithm 1 (Appendix G.1): the team reward of a global state.

    ``difference_bound`` is 1 for N ∈ {2, 3} and 2 otherwise. If ``|#0 − #1| ≤ difference_bound``
    the reward is 1 when ``#0 < #1`` and 0 otherwise; beyond the bound it is 3 when 0s are the
    majority and 2 when 1s are.
    """
    n = len(local_states)
    zeros = sum(1 for x in local_states if x == 0)
    ones = n - zeros
    bound = 1 if n in (2, 3) else 2
    if abs(zeros - ones) <= bound:
        return 1.0 if zeros < ones else 0.0
    return 3.0 if zeros > ones else 2.0


def _coordination_kernel(n: int, eps: float, limit: int, what: str) -> torch.Tensor:
    """The local kernel ``[aⁱ, s'ⁱ]`` (``P(s'ⁱ = 0 | aⁱ = 0) = 1 − ε``), after checking n and ε."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise FormatError("n", f"must be an integer ≥ 1, got {n!r}")
    if n > limit:
        raise FormatError("n", f"the {what} is built for n ≤ {limit}, got {n}")
    if not (0.0 <= eps <= 1.0):
        raise FormatError("eps", f"must lie in [0, 1], got {eps!r}")
    return torch.tensor([[1.0 - eps, eps], [eps, 1.0 - eps]], dtype=DTYPE)


def _coordination_rewards(n: int) -> torch.Tensor:
    """Algorithm 1's reward of every global state, ``[2ⁿ]`` (agent 0 the most significant bit)."""
    bits = ((torch.arange(2**n)[:, None] >> torch.arange(n - 1, -1, -1)[None, :]) & 1).tolist()
    return torch.tensor([coordination_reward(tuple(b)) for b in bits], dtype=DTYPE)


def coordination_game(n: int = 2, *, gamma: float = 0.95, eps: float = 0.1) -> MarkovGame:
    """The Coordination Game of Section 5 with ``n`` agents, μ uniform over the 2ⁿ states.

    Args:
      n: number of agents N ≥ 1 (dense tensors: N ≤ 8).
      gamma: discount (paper: 0.95).
      eps: ε of the local transition (paper: 0.1).
    """
    local = _coordination_kernel(n, eps, MAX_DENSE_COORDINATION_N, "dense coordination game")
    S = 2**n
    kernel = local
    for _ in range(n - 1):
        kernel = torch.kron(kernel, local)  # [A, S'], agent 0 slowest on both axes
    transition = kernel.expand(S, S, S).reshape(S, *([2] * n), S).clone()
    phi = _coordination_rewards(n).reshape(S, *([1] * n)).expand(S, *([2] * n)).clone()
    return MarkovGame(
        gamma=gamma,
        n_actions=(2,) * n,
        mu=torch.full((S,), 1.0 / S, dtype=DTYPE),
        transition=transition,
        rewards=phi.expand(n, *phi.shape).clone(),
        potential=phi,
        name=f"coordination-N{n}",
    )


def factored_coordination_game(n: int = 2, *, gamma: float = 0.95, eps: float = 0.1) -> FactoredGame:
    """The coordination game of Section 5 in factored form (any N ≥ 1; 2ᴺ states)."""
    k = _coordination_kernel(n, eps, MAX_FACTORED_COORDINATION_N, "factored coordination game")
    S = 2**n
    local = tuple(k[None].expand(2, 2, 2).clone() for _ in range(n))
    r = _coordination_rewards(n)
    return FactoredGame(
        gamma, local, r.expand(n, S).clone(), torch.full((S,), 1.0 / S, dtype=DTYPE), r, f"coordination-N{n}"
    )


def coordination(n: int = 2, *, gamma: float = 0.95, eps: float = 0.1, representation: str = "auto") -> Game:
    """The Coordination Game of Section 5 in ``representation``: ``"dense"``, ``"factored"``, or
    ``"auto"`` (dense up to :data:`MAX_DENSE_COORDINATION_N` agents, factored beyond)."""
    if representation not in REPRESENTATIONS:
        raise FormatError("--repr", f"must be one of {', '.join(REPRESENTATIONS)}, got {representation!r}")
    dense = representation == "dense" or (
        representation == "auto" and isinstance(n, int) and n <= MAX_DENSE_COORDINATION_N
    )
    return coordination_game(n, gamma=gamma, eps=eps) if dense else factored_coordination_game(n, gamma=gamma, eps=eps)


_NONFINITE = re.compile(r"[+-]?(nan|inf|infinity)", re.IGNORECASE)  # read, so that the game names why it is refused


def _number(key: str, text: str, kind: type) -> Any:
    if len(text) > 40:  # no option needs more; int() of thousands of digits is slow, and a float overflows
        raise FormatError(key, f"must be {'an integer' if kind is int else 'a number'}, got {len(text)} characters")
    try:
        if not (INTEGER.fullmatch(text) if kind is int else DECIMAL.fullmatch(text) or _NONFINITE.fullmatch(text)):
            raise ValueError(text)
        return kind(text)
    except ValueError:
        raise FormatError(key, f"must be {'an integer' if kind is int else 'a number'}, got {text!r}") from None


#: name → (builder taking ``representation=``, {option: type}).
BUILTIN_GAMES: dict[str, tuple[Callable[..., Game], dict[str, type]]] = {
    "coordination": (coordination, {"n": int, "gamma": float, "eps": float}),
}


def parse_game_spec(spec: str, *, representation: str = "auto") -> Game:
    """Build a game from ``NAME`` or ``NAME:key=value,key=value`` (e.g. ``coordination:n=12``) in
    ``representation`` (``auto``: dense while it fits its limit, factored beyond)."""
    name, _, rest = spec.partition(":")
    if name not in BUILTIN_GAMES:
        raise FormatError("game", f"unknown built-in game {name!r} (known: {', '.join(BUILTIN_GAMES)})")
    builder, options = BUILTIN_GAMES[name]
    kwargs: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq:
            raise FormatError(f"game spec {spec!r}", f"option {item!r} must read key=value")
        if key not in options:
            raise FormatError(f"game spec {spec!r}", f"unknown option {key!r} (known: {', '.join(options)})")
        if key in kwargs:
            raise FormatError(f"game spec {spec!r}", f"option {key!r} is given twice")
        kwargs[key] = _number(key, value.strip(), options[key])
    game = builder(**kwargs, representation=representation)
    return game.renamed(spec) if rest else game
