"""The exact solvers: one interface, three backends.

Every solver is a function of the game dispatched on its type, so a caller writes
``evaluate(game, probs)`` whatever the game's storage:

================  ====================================================================================
interface         ``evaluation`` (V, Q, local advantages, d, Φ; Section 2), ``nash`` (best response,
                  Nash-gap; Def 2.4), ``welfare`` (social optimum, price of anarchy; Def 4.1),
                  ``game_constants`` (Φ range, the mismatch coefficient M, Assumption 2.1), each with
                  its **dense** implementation on :class:`~mpgverify.game.MarkovGame` (``P [S, A, S]``)
backends          ``factored`` (:class:`~mpgverify.factored.FactoredGame`: ``P = Π_i Kⁱ``, no
                  ``S × A × S`` tensor), ``batched`` (:class:`~mpgverify.solvers.batched.GameBatch`: B
                  same-shape dense games on a leading axis), ``exact`` (sympy rationals, for re-checks)
machinery         ``mdp`` (policy evaluation, Howard's policy iteration with its optimality
                  certificate), ``linsolve`` (``(I − γP)⁻¹`` by LU, certified GMRES for large S)
checks            ``mpg_check`` (is a game an MPG: Def 2.2 by linear algebra), ``potential_space``
                  (the potential-game subspace), ``hessian`` (second derivatives of Φ in θ)
================  ====================================================================================

Importing this package registers the factored and batched backends (``import mpgverify`` does).
"""

from mpgverify.solvers import batched, factored  # noqa: F401  (registers the backends)
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.evaluation import (
    Evaluation,
    at_mu,
    evaluate,
    local_advantages,
    potential_values,
    q_values,
    state_values,
    visitation,
)
from mpgverify.solvers.game_constants import Mismatch, PotentialRange, mismatch_coefficient, potential_range
from mpgverify.solvers.mdp import MDPSolution, policy_iteration
from mpgverify.solvers.nash import BestResponse, NashGap, best_response, best_responses, induced_mdp, nash_gap
from mpgverify.solvers.welfare import SocialOptimum, price_of_anarchy, social_optimum, social_value

__all__ = [
    "BestResponse",
    "Evaluation",
    "GameBatch",
    "MDPSolution",
    "Mismatch",
    "NashGap",
    "PotentialRange",
    "SocialOptimum",
    "at_mu",
    "best_response",
    "best_responses",
    "evaluate",
    "induced_mdp",
    "local_advantages",
    "mismatch_coefficient",
    "nash_gap",
    "policy_iteration",
    "potential_range",
    "potential_values",
    "price_of_anarchy",
    "q_values",
    "social_optimum",
    "social_value",
    "state_values",
    "visitation",
]
