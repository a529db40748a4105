"""This paper's claims as Hypothesis properties, one module per paper section, registered under
their catalogue ids (``docs/CLAIMS.md``).

The verification engine finds them through the entry point ``mpgverify.claims: paper``.
"""

from __future__ import annotations

from pathlib import Path

from mpgverify.verify.claims import Claim

__all__ = ["COUNTEREXAMPLES", "PENDING", "all_claims", "reproduced_ids"]

#: The shipped counterexamples, ``<claim id>.json``: the registry attaches each to its claim, so they
#: are replayed from wherever the package is installed.
COUNTEREXAMPLES = Path(__file__).resolve().parent / "counterexamples"

#: Catalogue ids without a property yet, with the issue that adds them (a test keeps this honest:
#: every catalogue id is either registered, judged by the reproduction report, or listed here).
PENDING: dict[str, str] = {}


def reproduced_ids() -> list[str]:
    """The experimental ids (``exp-*``), judged as ordering statements on the reference curves by
    ``mpgverify figures`` (:mod:`properties.section5`) rather than as properties."""
    from properties.section5 import ORDERINGS

    return [o.id for o in ORDERINGS]


def all_claims() -> list[Claim]:
    """Every registered claim of the paper, in catalogue order."""
    from properties import (
        section2,
        section3_lemmas,
        section3_log_barrier,
        section3_npg,
        section3_pg,
        section4,
        section4_dynamics,
    )

    return [
        *section2.CLAIMS,
        *section3_lemmas.CLAIMS,
        *section3_pg.CLAIMS,
        *section3_log_barrier.CLAIMS,
        *section3_npg.CLAIMS,
        *section4.CLAIMS,
        *section4_dynamics.CLAIMS,
    ]
