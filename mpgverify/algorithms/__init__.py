"""Every dynamics of the paper as pure ``init``/``step`` functions over frozen states, batched
over seeds, plus a registry that user algorithms can join (``register`` or the entry-point group
``mpgverify.algorithms``).

==================  =======================================================================
name                dynamics
==================  =======================================================================
``pg``              policy gradient, eq. (3)
``log-barrier-pg``  PG on L_λ (Section 3.2)
``npg``             natural PG, eq. (4); ``form="fisher"`` or ``"soft-pi"`` (Lemma 3.7)
``npg-br``          approximate-best-response NPG, eqs. (5)–(6)
``nn-pg``           neural softmax policies, exact gradient (Section 5); ``lam`` for the barrier
``nn-adam``         the same through Adam
``sampled-pg``      REINFORCE with a baseline (random-horizon rollouts)
``sampled-npg``     soft policy iteration on Monte Carlo advantages
``br-dynamics``     maximum-gain ε-ratio-best-response dynamics (Section 4.3), exact best responses
==================  =======================================================================
"""

from mpgverify.algorithms import br_dynamics as _br
from mpgverify.algorithms import nn as _nn
from mpgverify.algorithms import npg as _npg
from mpgverify.algorithms import npg_br as _npg_br
from mpgverify.algorithms import pg as _pg
from mpgverify.algorithms import sampled as _sampled
from mpgverify.algorithms.api import (
    ENTRY_POINT_GROUP,
    Algorithm,
    Declarations,
    get_factory,
    load_factory,
    make_algorithm,
    register,
    registered,
)

br_dynamics = _br.br_dynamics
nn_pg, nn_adam = _nn.nn_pg, _nn.nn_adam
npg = _npg.npg
npg_br = _npg_br.npg_br
pg, log_barrier_pg = _pg.pg, _pg.log_barrier_pg
sampled_pg, sampled_npg = _sampled.sampled_pg, _sampled.sampled_npg

__all__ = [
    "ENTRY_POINT_GROUP",
    "Algorithm",
    "Declarations",
    "br_dynamics",
    "get_factory",
    "load_factory",
    "log_barrier_pg",
    "make_algorithm",
    "nn_adam",
    "nn_pg",
    "npg",
    "npg_br",
    "pg",
    "register",
    "registered",
    "sampled_npg",
    "sampled_pg",
]
