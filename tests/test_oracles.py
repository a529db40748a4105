"""Cross-checks against independent peer libraries (the ``oracles`` extra; ``tox -e oracles``).

* Single-agent optimal values: pymdptoolbox's policy iteration.
* One-state games: each agent's best-response gain equals OpenSpiel's per-player ``nash_conv``
  improvement on the same normal-form game, scaled by 1/(1 − γ) (with one state, a stationary
  policy earns its expected stage payoff every step).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import randomgames as rg
from mpgverify import nash_gap, policy_iteration, random_logits, softmax_policy

pytestmark = pytest.mark.oracles


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
def test_mdp_optimum_matches_pymdptoolbox(seed, gamma) -> None:
    mdp = pytest.importorskip("mdptoolbox.mdp")
    game = rg.identical_interest_game(seed=seed, n_agents=1, n_states=4, n_actions=3, gamma=gamma)
    ours = policy_iteration(game.P, game.R[0], gamma).V
    P = game.P.permute(1, 0, 2).numpy()  # pymdptoolbox wants [A, S, S']
    pi = mdp.PolicyIteration(P, game.R[0].numpy(), gamma, eval_type=0)  # eval_type 0: exact solve
    pi.run()
    assert np.allclose(ours.numpy(), np.asarray(pi.V), atol=1e-9 / (1 - gamma)), (ours, pi.V)


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("n_actions", [(2, 2), (3, 2), (2, 3, 2)])
def test_one_state_gains_match_openspiel_nash_conv(seed, n_actions) -> None:
    pyspiel = pytest.importorskip("pyspiel")
    from open_spiel.python import policy as os_policy
    from open_spiel.python.algorithms import exploitability

    gamma = 0.8
    game = rg.general_sum_game(seed=seed, n_agents=len(n_actions), n_states=1, n_actions=n_actions, gamma=gamma)
    probs = softmax_policy(random_logits(game, seed=seed + 100))
    ours = nash_gap(game, probs).gains

    utilities = [game.rewards[i, 0].tolist() for i in range(game.n_agents)]
    normal_form = pyspiel.create_tensor_game(utilities)
    turn_based = pyspiel.convert_to_turn_based(normal_form)
    tabular = os_policy.TabularPolicy(turn_based)
    for i, p in enumerate(probs):
        tabular.action_probability_array[i, :] = 0.0
        tabular.action_probability_array[i, : game.n_actions[i]] = p[0].numpy()
    theirs = exploitability.nash_conv(turn_based, tabular, return_only_nash_conv=False).player_improvements
    expected = torch.tensor(np.asarray(theirs), dtype=torch.float64) / (1 - gamma)
    assert torch.allclose(ours, expected, atol=1e-10), (ours, expected)
