"""Random Markov (potential) games for property-based testing: seeded generators, Hypothesis
strategies, and fixed suites for checking algorithms. Depends on :mod:`mpgverify` only (the MPG
membership checker is :mod:`mpgverify.solvers.mpg_check`)."""

from randomgames.builders import MU_KINDS, TRANSITION_KINDS
from randomgames.generators import (
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
from randomgames.suites import algorithm_test_games

__all__ = [
    "MU_KINDS",
    "TRANSITION_KINDS",
    "algorithm_test_games",
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
