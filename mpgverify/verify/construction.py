"""Examples whose witness is built by running dynamics, drawn and built in two steps (issue 24).

A strategy that runs an ascent or best-response dynamics inside the draw builds one witness at a time.
Split in two, the cheap part (the game and the starting point) is drawn by Hypothesis, and the dynamics
run over many same-shape seeds at once (:func:`mpgverify.verify.population.build_population`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hypothesis import strategies as st

if TYPE_CHECKING:
    from mpgverify.verify.claims import Example

__all__ = ["Construction"]


@dataclass(frozen=True)
class Construction:
    """Examples whose witness is built by running dynamics (an ascent to a stationary point, best-response
    dynamics), split in two so that many are built at once (issue 24): ``seeds()`` draws what the
    construction starts from (the game and its starting point: cheap), and ``build(seeds)`` runs it over
    seeds whose games share one shape, one example per seed, in order. ``build([s])`` is the
    construction of one seed alone, and ``build(seeds)`` equals it member by member; :meth:`examples`
    is the one-at-a-time strategy, ``seeds().map(build one)``, so both draw the same choices."""

    seeds: Callable[[], st.SearchStrategy[Example]]
    build: Callable[[Sequence[Example]], list[Example]]

    def one(self, seed: Example) -> Example:
        """The example built from ``seed`` alone."""
        return self.build([seed])[0]

    def examples(self) -> st.SearchStrategy[Example]:
        """The strategy of built examples (shrinking as ``seeds()`` shrinks)."""
        return self.seeds().map(self.one)

    def unbuilt(self) -> st.SearchStrategy[Example]:
        """The seeds, drawn as :meth:`examples` draws them: the same strategy shape (a map's span), so
        under one Hypothesis seed the same choices (a bare ``seeds()`` mutates its draws differently)."""
        return self.seeds().map(_deferred)


def _deferred(seed: Example) -> Example:
    return seed
