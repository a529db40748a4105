"""The hunter's moves on this paper's examples: a game plus a witness of policies and constants.

Witness conventions of the claim modules, which the moves rely on:

* an *agent list* — a list of N arrays, the i-th ``[S, Aⁱ]`` — holds logits θ (moved by Gaussian
  noise, any real values are valid) or, under the key ``probs``, policy probabilities (moved by
  log-space noise on their support);
* a ``[S, Aⁱ]`` array beside ``agent = i`` holds one agent's logits;
* a scalar moves only when the claim declares its valid range (``ranges``): the premises of a
  step size, an ε or an α must keep holding;
* integers (iteration counts, agent indices) never move.

Game moves are :func:`randomgames.perturb.perturb_game` (structure-preserving). Simplifications
drop actions and single-action agents (restricting the witness alike) and round the numbers.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mpgverify.game import MarkovGame
from mpgverify.verify.claims import Example
from randomgames.perturb import Keep, drop_action, drop_agent, is_identical_interest, perturb_game

__all__ = ["Moves"]


def _agent_list(game: MarkovGame, value: Any) -> bool:
    if not isinstance(value, list) or len(value) != game.n_agents:
        return False
    try:
        return all(
            np.asarray(v, dtype=float).shape == (game.n_states, n) for v, n in zip(value, game.n_actions, strict=True)
        )
    except (ValueError, TypeError):
        return False


def _agent_array(game: MarkovGame, witness: dict[str, Any], value: Any) -> int | None:
    """The agent whose ``[S, Aⁱ]`` array ``value`` is (per ``witness['agent']``), else None."""
    agent = witness.get("agent")
    if not isinstance(agent, int) or not 0 <= agent < game.n_agents or not isinstance(value, list):
        return None
    try:
        shape = np.asarray(value, dtype=float).shape
    except (ValueError, TypeError):
        return None
    return agent if shape == (game.n_states, game.n_actions[agent]) else None


def _noisy(value: Any, rng: np.random.Generator, scale: float, probs: bool) -> list[Any]:
    x = np.asarray(value, dtype=float)
    if probs:
        y = x * np.exp(scale * rng.standard_normal(x.shape))
        return (y / y.sum(-1, keepdims=True)).tolist()
    return (x + 2.0 * scale * rng.standard_normal(x.shape)).tolist()


def _drop_column(value: Any, action: int, probs: bool) -> list[Any]:
    x = np.delete(np.asarray(value, dtype=float), action, axis=-1)
    if probs:  # a row that put all its mass on the dropped action becomes uniform on the rest
        total = x.sum(-1, keepdims=True)
        x = np.where(total > 0, x / np.where(total > 0, total, 1.0), 1.0 / x.shape[-1])
    return x.tolist()


#: :meth:`Moves._kinds`' last answers, per (moves, game, witness) objects
_MOVABLE: OrderedDict[tuple[int, int, int], tuple[Moves, MarkovGame, dict[str, Any], list[str], frozenset[str]]] = (
    OrderedDict()
)


@dataclass(frozen=True)
class Moves:
    """:class:`~mpgverify.verify.claims.LocalMoves` for this paper's examples.

    Args:
      keep: ``"mpg"`` (the claim's games are potential games) or ``"any"`` (general games).
      ranges: scalar witness fields that may move, each with its valid closed range.
      gamma_cap: γ moves stay in ``[0, gamma_cap]``; None freezes γ (claims whose cost grows
        like ``1/(1−γ)^k`` iterations).
      game_share: the probability that a move changes the game rather than the witness.
      agent_terms: also move MPGs' agent terms ``rⁱ − φ`` inside the space Def 2.2 admits, so the
        local search reaches agent terms of either sign (premises on reward ranges are re-checked
        by the claims).
    """

    keep: Keep = "mpg"
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    gamma_cap: float | None = 0.9
    game_share: float = 0.4
    agent_terms: bool = True

    def _movable(self, example: Example) -> list[str]:
        """The witness keys a move may change."""
        return self._kinds(example)[0]

    def _kinds(self, example: Example) -> tuple[list[str], frozenset[str]]:
        """The witness keys a move may change, and those among them that hold agent lists. The search draws
        many neighbours of one parent: the answer for its (game, witness) objects — neither changes in
        place — is kept for the next ask."""
        game, witness = example.game, example.witness
        key = (id(self), id(game), id(witness))
        hit = _MOVABLE.get(key)
        if hit is not None and hit[0] is self and hit[1] is game and hit[2] is witness:
            return hit[3], hit[4]
        lists = frozenset(k for k in witness if _agent_list(game, witness[k]))
        keys = [k for k in witness if k in lists or _agent_array(game, witness, witness[k]) is not None]
        keys += [k for k in self.ranges if isinstance(witness.get(k), (int, float))]
        _MOVABLE[key] = (self, game, witness, keys, lists)  # the objects kept with their ids: not reused meanwhile
        while len(_MOVABLE) > 64:
            _MOVABLE.popitem(last=False)
        return keys, lists

    def neighbour(self, example: Example, rng: np.random.Generator, scale: float) -> Example:
        keys, lists = self._kinds(example)
        if not keys or rng.random() < self.game_share:
            return Example(
                perturb_game(
                    example.game, rng, scale, keep=self.keep, gamma_cap=self.gamma_cap, agent_terms=self.agent_terms
                ),
                example.witness,
            )
        key = keys[int(rng.integers(len(keys)))]
        witness = dict(example.witness)
        if key in self.ranges:
            lo, hi = self.ranges[key]
            witness[key] = min(max(witness[key] + 0.3 * scale * (hi - lo) * rng.standard_normal(), lo), hi)  # np.clip's
        elif key in lists:
            witness[key] = [_noisy(v, rng, scale, key == "probs") for v in witness[key]]
        else:
            witness[key] = _noisy(witness[key], rng, scale, key == "probs")
        return Example(example.game, witness)

    def _restrict(self, example: Example, agent: int, action: int) -> Example:
        game, witness = example.game, dict(example.witness)
        for key, value in example.witness.items():
            if _agent_list(game, value):
                witness[key] = [
                    _drop_column(v, action, key == "probs") if j == agent else v for j, v in enumerate(value)
                ]
            elif _agent_array(game, example.witness, value) == agent:
                witness[key] = _drop_column(value, action, key == "probs")
        return Example(drop_action(game, agent, action), witness)

    def _without(self, example: Example, agent: int) -> Example | None:
        game, witness = example.game, dict(example.witness)
        if witness.get("agent") == agent:
            return None
        for key, value in example.witness.items():
            if _agent_list(game, value):
                witness[key] = [v for j, v in enumerate(value) if j != agent]
        if isinstance(witness.get("agent"), int) and witness["agent"] > agent:
            witness["agent"] -= 1
        return Example(drop_agent(game, agent), witness)

    def _rounded(self, example: Example, digits: int) -> Example:
        game, witness = example.game, dict(example.witness)
        for key, value in example.witness.items():
            if key in self.ranges and isinstance(value, (int, float)):
                lo, hi = self.ranges[key]
                witness[key] = float(np.clip(float(f"{value:.{digits}g}"), lo, hi))
            elif key != "probs" and (_agent_list(game, value) or _agent_array(game, witness, value) is not None):
                witness[key] = (
                    [np.round(np.asarray(v, dtype=float), digits - 1).tolist() for v in value]
                    if _agent_list(game, value)
                    else np.round(np.asarray(value, dtype=float), digits - 1).tolist()
                )
        if self.keep == "any" or is_identical_interest(game):
            low, high = float(game.rewards.min()), float(game.rewards.max())
            rewards = game.rewards.mul(10**digits).round().div(10**digits).clamp(low, high)
            potential = None if game.potential is None else rewards[0]
            game = game.replace(rewards=rewards, potential=potential)
        return Example(game, witness)

    def simplifications(self, example: Example) -> Iterator[Example]:
        game = example.game
        for agent, n in enumerate(game.n_actions):
            if n == 1 and game.n_agents > 1:
                smaller = self._without(example, agent)
                if smaller is not None:
                    yield smaller
        for agent, n in enumerate(game.n_actions):
            for action in range(n) if n > 1 else ():
                yield self._restrict(example, agent, action)
        for digits in (1, 2, 3):
            rounded = self._rounded(example, digits)
            if rounded.witness != example.witness or not bool((rounded.game.rewards == game.rewards).all()):
                yield rounded
