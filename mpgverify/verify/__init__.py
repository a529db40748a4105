"""The verification engine: claim records, the entry-point registry, the Hypothesis runner with
exact re-checks, the hunter, counterexample files, certificates, the ledger and its report, and the
project's Hypothesis profiles.

Knows nothing of the paper under test: claims arrive through the ``mpgverify.claims`` entry points.
"""

from mpgverify.verify.certificate import Certificate, certify, certify_file
from mpgverify.verify.claims import Claim, ExactMargin, Example, Outcome, Trace
from mpgverify.verify.counterexamples import COUNTEREXAMPLE_FORMAT, load_counterexample, replay
from mpgverify.verify.hunter import HuntResult, hunt
from mpgverify.verify.ledger import LEDGER_FORMAT, ledger_json, read_ledger, render_markdown, render_table, run_ledger
from mpgverify.verify.ledger_report import write_report
from mpgverify.verify.profiles import PROFILES, load_profile, register_profiles
from mpgverify.verify.registry import ENTRY_POINT_GROUP, load_claims, select_claims
from mpgverify.verify.runner import ClaimResult, run_claim

__all__ = [
    "COUNTEREXAMPLE_FORMAT",
    "ENTRY_POINT_GROUP",
    "LEDGER_FORMAT",
    "PROFILES",
    "Certificate",
    "Claim",
    "ClaimResult",
    "ExactMargin",
    "Example",
    "HuntResult",
    "Outcome",
    "Trace",
    "certify",
    "certify_file",
    "hunt",
    "ledger_json",
    "load_claims",
    "load_counterexample",
    "load_profile",
    "read_ledger",
    "register_profiles",
    "render_markdown",
    "render_table",
    "replay",
    "run_claim",
    "run_ledger",
    "select_claims",
    "write_report",
]
