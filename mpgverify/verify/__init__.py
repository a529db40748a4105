"""The verification engine: claim records, the entry-point registry, the Hypothesis runner with
exact re-checks, counterexample files, the ledger, and the project's Hypothesis profiles.

Knows nothing of the paper under test: claims arrive through the ``mpgverify.claims`` entry points.
"""

from mpgverify.verify.claims import Claim, ExactMargin, Example, Outcome
from mpgverify.verify.counterexamples import COUNTEREXAMPLE_FORMAT, load_counterexample, replay
from mpgverify.verify.ledger import LEDGER_FORMAT, ledger_json, render_markdown, render_table, run_ledger
from mpgverify.verify.profiles import PROFILES, load_profile, register_profiles
from mpgverify.verify.registry import ENTRY_POINT_GROUP, load_claims, select_claims
from mpgverify.verify.runner import ClaimResult, run_claim

__all__ = [
    "COUNTEREXAMPLE_FORMAT",
    "ENTRY_POINT_GROUP",
    "LEDGER_FORMAT",
    "PROFILES",
    "Claim",
    "ClaimResult",
    "ExactMargin",
    "Example",
    "Outcome",
    "ledger_json",
    "load_claims",
    "load_counterexample",
    "load_profile",
    "register_profiles",
    "render_markdown",
    "render_table",
    "replay",
    "run_claim",
    "run_ledger",
    "select_claims",
]
