"""Test configuration: load the project's own Hypothesis profile explicitly (never the built-in
``ci`` profile that Hypothesis picks up from ``CI=true``)."""

from mpgverify.verify.profiles import load_profile

load_profile()
