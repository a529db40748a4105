"""Random Markov (potential) games for property-based testing: seeded generators, Hypothesis
strategies, and an MPG membership checker. Depends on :mod:`mpgverify` only."""

from randomgames.generators import (
    MU_KINDS,
    TRANSITION_KINDS,
    congestion_game,
    constant_offset_game,
    coordination_game,
    dummy_term_game,
    general_mpg_game,
    general_sum_game,
    identical_interest_game,
    normal_form_potential_game,
    positive_potential_mpg_game,
    statewise_potential_game,
)

__all__ = [
    "MU_KINDS",
    "TRANSITION_KINDS",
    "congestion_game",
    "constant_offset_game",
    "coordination_game",
    "dummy_term_game",
    "general_mpg_game",
    "general_sum_game",
    "identical_interest_game",
    "normal_form_potential_game",
    "positive_potential_mpg_game",
    "statewise_potential_game",
]
