"""The verification engine: Hypothesis profiles (and, later, the claim registry and ledger).

Knows nothing of the paper under test.
"""

from mpgverify.verify.profiles import PROFILES, load_profile, register_profiles

__all__ = ["PROFILES", "load_profile", "register_profiles"]
