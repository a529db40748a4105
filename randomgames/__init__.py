"""Random Markov (potential) games for property-based testing: seeded generators and Hypothesis
strategies. Depends on :mod:`mpgverify` only."""

from randomgames.generators import (
    MU_KINDS,
    TRANSITION_KINDS,
    constant_offset_game,
    dummy_term_game,
    general_sum_game,
    identical_interest_game,
    random_mu,
    random_transition,
)

__all__ = [
    "MU_KINDS",
    "TRANSITION_KINDS",
    "constant_offset_game",
    "dummy_term_game",
    "general_sum_game",
    "identical_interest_game",
    "random_mu",
    "random_transition",
]
