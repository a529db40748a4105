"""mpgverify: exact, property-based verification of the claims of *Convergence and Price of
Anarchy Guarantees of the Softmax Policy Gradient in Markov Potential Games*.

Importing the package has no side effects (no global dtype, seed or profile changes), except when
it is loading for the ``mpgverify`` command itself: then a Ctrl-C during the seconds torch takes to
import exits with one line and status 130 instead of a traceback (``main`` restores Python's handler).
"""

import mpgverify._loading  # noqa: F401  (first: Ctrl-C while torch loads, for the command only)
from mpgverify.builtin_games import coordination_game, parse_game_spec
from mpgverify.errors import AssumptionError, FormatError, MpgverifyError
from mpgverify.formats import load_game, load_policy, save_game, save_policy
from mpgverify.game import MarkovGame
from mpgverify.policy import (
    Policy,
    joint_policy,
    random_logits,
    softmax_policy,
    uniform_policy,
)
from mpgverify.solvers import (
    BestResponse,
    Evaluation,
    MDPSolution,
    Mismatch,
    NashGap,
    PotentialRange,
    SocialOptimum,
    at_mu,
    best_response,
    evaluate,
    induced_mdp,
    local_advantages,
    mismatch_coefficient,
    nash_gap,
    policy_iteration,
    potential_range,
    potential_values,
    price_of_anarchy,
    q_values,
    social_optimum,
    social_value,
    state_values,
    visitation,
)

__version__ = "0.1.0"

__all__ = [
    "AssumptionError",
    "BestResponse",
    "Evaluation",
    "FormatError",
    "MDPSolution",
    "MarkovGame",
    "Mismatch",
    "MpgverifyError",
    "NashGap",
    "Policy",
    "PotentialRange",
    "SocialOptimum",
    "__version__",
    "at_mu",
    "best_response",
    "coordination_game",
    "evaluate",
    "induced_mdp",
    "joint_policy",
    "load_game",
    "load_policy",
    "local_advantages",
    "mismatch_coefficient",
    "nash_gap",
    "parse_game_spec",
    "policy_iteration",
    "potential_range",
    "potential_values",
    "price_of_anarchy",
    "q_values",
    "random_logits",
    "save_game",
    "save_policy",
    "social_optimum",
    "social_value",
    "softmax_policy",
    "state_values",
    "uniform_policy",
    "visitation",
]
