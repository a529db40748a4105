"""The README's plug-in example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_plugin_example_runs(capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    example = next(b for b in blocks if "assert_algorithm" in b)
    exec(compile(example, str(README), "exec"), {"__name__": "readme_example"})
    out = capsys.readouterr().out
    assert "PASS nash_within" in out and "PASS monotone_potential" in out, out


def test_premise_space_table_matches_the_registered_claims() -> None:
    # the README's table is rendered from each claim's declared premise space and coverage axes
    from mpgverify.verify.ledger import render_premise_spaces
    from properties import all_claims

    assert render_premise_spaces(all_claims()) in README.read_text(encoding="utf-8"), (
        "README premise-space table is stale: paste render_premise_spaces(all_claims())"
    )


def test_notebook_session_runs(capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    session = next(b for b in blocks if "certify_file" in b)
    assert len(session.strip().splitlines()) <= 11
    scope: dict = {"__name__": "notebook"}
    exec(compile(session, str(README), "exec"), scope)
    assert "fails on a game" in capsys.readouterr().out
    for name in ("row", "found", "cert"):
        assert scope[name]._repr_markdown_().startswith("# ") and "<table>" in scope[name]._repr_html_()
