"""Test configuration: load the project's own Hypothesis profile explicitly (never the built-in
``ci`` profile that Hypothesis picks up from ``CI=true``)."""

from mpgverify.verify.profiles import load_profile

load_profile()


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _user_folder(tmp_path_factory, monkeypatch):
    """New counterexamples found without a named folder go to the user folder: keep it per session."""
    monkeypatch.setenv("MPGVERIFY_HOME", str(tmp_path_factory.getbasetemp() / "mpgverify-home"))
