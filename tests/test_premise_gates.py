"""The premise gate (one function per claim) from the outside: ``replay`` refuses every witness outside
a premise with exit 0 and the reason, one test per premise kind; malformed fields stay exit 2;
Assumption 3.3 cannot be faked by an underflowing step; the ledger counts informative examples and an
all-trivial search cannot report a plain "holds"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import strategies as st

from mpgverify.algorithms.pg import pg
from mpgverify.cli import main
from mpgverify.formats import game_to_json
from mpgverify.game import MarkovGame
from mpgverify.verify.claims import ClaimBook, Example, Outcome, Premises
from mpgverify.verify.counterexamples import COUNTEREXAMPLE_FORMAT
from mpgverify.verify.registry import load_claims
from mpgverify.verify.runner import run_claim
from properties.section3_pg import premises_thm_3_4
from randomgames import generators as gen
from tests.handgames import smooth_only_as_a_whole

BY_ID = {c.id: c for c in load_claims()}


def _unit_mpg() -> MarkovGame:
    """One agent, one state, two actions, φ = r ∈ [0, 1]: every Section 3 premise on the game holds."""
    return MarkovGame(
        gamma=0.5,
        n_actions=(2,),
        mu=torch.ones(1, dtype=torch.float64),
        transition=torch.ones(1, 2, 1, dtype=torch.float64),
        rewards=torch.tensor([[[0.0, 1.0]]], dtype=torch.float64),
        potential=torch.tensor([[0.0, 1.0]], dtype=torch.float64),
    )


def _file(tmp_path: Path, claim: str, game: MarkovGame | dict[str, Any], witness: dict[str, Any]) -> Path:
    obj = {
        "format": COUNTEREXAMPLE_FORMAT,
        "claim": claim,
        "game": game if isinstance(game, dict) else game_to_json(game),
        "witness": witness,
    }
    path = tmp_path / f"{claim}.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def _replay(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["replay", str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


THETA = [[[0.3, -0.2]]]
#: (claim, witness outside its premises, a word the reason must contain): one per premise kind
OUTSIDE: list[tuple[str, dict[str, Any], str]] = [
    ("lemma-c.3", {"theta": THETA, "eta_fraction": 1.5}, "eta_fraction"),  # a step above Lemma C.3's bound
    ("lemma-c.3", {"theta": THETA, "eta_fraction": -0.1}, "eta_fraction"),  # a negative step
    ("lemma-c.3", {"theta": THETA, "eta_fraction": 0.0}, "eta_fraction"),  # η > 0 (open end)
    ("thm-3.4", {"theta": THETA, "steps": 1000, "eta_fraction": 2.0}, "eta_fraction"),
    ("thm-3.4", {"theta": THETA, "steps": 0}, "steps"),
    ("thm-3.4", {"theta": [[[40.0, -40.0]]], "steps": 1000}, "not stationary"),  # Assumption 3.3 faked by underflow
    ("lemma-3.5", {"theta": THETA, "lam": -0.5}, "λ"),
    ("thm-3.6", {"eps": -0.1}, "ε"),
    ("thm-3.6", {"eps": 0.0}, "ε"),
    ("thm-3.6@smoothness", {"theta": THETA, "lam": -1.0}, "λ"),
    ("lemma-3.7@unnormalized-d", {"theta": THETA, "eta": -1.0}, "η"),
    ("thm-3.8", {"theta": THETA, "eps": -1.0}, "ε"),
    ("thm-3.8", {"theta": THETA, "eps": 0.5, "K": 3}, "K"),  # K below 4/((1−γ)²ε) = 32
    ("thm-3.8@inner-br", {"theta": THETA, "eps": 0.5, "K": 31}, "K"),
]


@pytest.mark.parametrize(("claim", "witness", "word"), OUTSIDE, ids=[f"{c}-{w}" for c, _, w in OUTSIDE])
def test_replay_refuses_a_witness_outside_a_section_3_premise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], claim: str, witness: dict[str, Any], word: str
) -> None:
    code, out = _replay(_file(tmp_path, claim, _unit_mpg(), witness), capsys)
    assert code == 0, out
    assert "premises not met" in out and word in out, out


#: Section 4: witnesses on the shipped files' games moved outside one premise each
OUTSIDE_4: list[tuple[str, dict[str, Any], str]] = [
    ("def-4.4@as-written", {"eps": 100.0}, "ε"),  # ε ∈ [0, 1)
    ("def-4.4@as-written", {"eps": -0.5}, "ε"),
    ("thm-4.7", {"sigma": -1.0}, "σ"),
    ("thm-4.7", {"sigma": 0.0}, "σ"),
    ("thm-4.7", {"eps": 1.5}, "ε"),
    ("cor-4.8", {"eps": 0.0}, "ε"),  # NPG-BR needs ε > 0 (K ≥ 4/((1−γ)²ε))
    ("thm-4.5@as-used", {"beta": -50.0}, "smooth"),  # a stated β below the least valid one
    ("thm-4.5@as-used", {"beta_choice": 1.5}, "beta_choice"),
    ("prop-4.3", {"nu": -1.0}, "ν"),  # the printed reading needs κ, ν ≥ 0
]


def _coordination() -> MarkovGame:
    """Two agents, one state, identical interest r = φ = [[1, 0.5], [0.5, 0.8]], γ = 0.5: (1, β)-smooth for
    β in an interval, Assumption 4.6 holds (Φ > 0, V − Φ = Φ ≥ 0), every Section 4 premise on the game met."""
    phi = torch.tensor([[[1.0, 0.5], [0.5, 0.8]]], dtype=torch.float64)
    return MarkovGame(
        gamma=0.5,
        n_actions=(2, 2),
        mu=torch.ones(1, dtype=torch.float64),
        transition=torch.ones(1, 2, 2, 1, dtype=torch.float64),
        rewards=phi.expand(2, 1, 2, 2).clone(),
        potential=phi,
    )


UNIFORM = [[[0.5, 0.5]], [[0.5, 0.5]]]
BASE_4 = {"theta": [[[0.0, 0.0]], [[0.0, 0.0]]], "probs": UNIFORM, "eps": 0.1, "sigma": 0.5, "alpha": 1.0}


@pytest.mark.parametrize(("claim", "change", "word"), OUTSIDE_4, ids=[f"{c}-{w}" for c, _, w in OUTSIDE_4])
def test_replay_refuses_a_witness_outside_a_section_4_premise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], claim: str, change: dict[str, Any], word: str
) -> None:
    witness = dict(BASE_4)
    if claim == "prop-4.3":
        witness = {"lambda_choice": 0.0, "mu_choice": 0.0, "nu": 0.5}
    code, out = _replay(_file(tmp_path, claim, _coordination(), witness | change), capsys)
    assert code == 0, out
    assert "premises not met" in out and word in out, out


def test_the_section_4_base_witness_meets_every_premise() -> None:
    """Meta-test: the base witness above is inside every premise, so each refusal is the change's doing."""
    for claim in ("def-4.4@as-used", "thm-4.7", "cor-4.8", "thm-4.5@as-used"):
        gate = BY_ID[claim].premises(
            _coordination(), dict(BASE_4) | ({"eps": 0.0} if claim == "def-4.4@as-used" else {})
        )
        assert gate.met is True or "ratio-Nash" in gate.reason, (claim, gate)
    assert BY_ID["prop-4.3"].premises(_coordination(), {"lambda_choice": 0.0, "mu_choice": 0.0, "nu": 0.5}).met


def test_replay_says_premises_not_met_when_assumption_2_1_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A valid game whose Assumption 2.1 fails (μ on state 0, state 1 never entered) is "premises not
    met", exit 0 — not bad input."""
    P = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]], dtype=torch.float64).expand(2, 2, 2).clone()
    P[1] = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    game = MarkovGame(
        gamma=0.5,
        n_actions=(2,),
        mu=torch.tensor([1.0, 0.0], dtype=torch.float64),
        transition=P,
        rewards=torch.tensor([[[0.0, 1.0], [0.5, 0.5]]], dtype=torch.float64),
        potential=torch.tensor([[0.0, 1.0], [0.5, 0.5]], dtype=torch.float64),
    )
    code, out = _replay(_file(tmp_path, "thm-3.6", game, {"eps": 0.5}), capsys)
    assert code == 0 and "Assumption 2.1" in out, out


@pytest.mark.parametrize("bad", ['"0.5"', "true", "null", "[0.5]", "1e999"])
def test_a_malformed_witness_constant_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    path = _file(tmp_path, "thm-3.6@smoothness", _unit_mpg(), {"theta": THETA, "lam": 0.5})
    path.write_text(path.read_text(encoding="utf-8").replace('"lam": 0.5', f'"lam": {bad}'), encoding="utf-8")
    code, out = _replay(path, capsys)
    assert code == 2 and "witness.lam" in out and "Traceback" not in out, out


def test_assumption_3_3_is_never_certified_by_an_underflowing_step() -> None:
    """A game with no stationary point (one agent, actions worth 0 and 1) at logits ±40: PG's float step
    underflows (θ does not change), yet the gate does not call θ_t convergent."""
    game = _unit_mpg()
    theta = (torch.tensor([[40.0, -40.0]], dtype=torch.float64),)
    alg = pg(lr=0.01)
    state = alg.init(game, seed=0, batch=1)._replace(theta=tuple(t[None] for t in theta))
    assert bool((alg.step(game, state).theta[0] == state.theta[0]).all()), "the step underflows in float64"
    gate = premises_thm_3_4(game, {"theta": [t.tolist() for t in theta], "steps": 1000})
    assert gate.met is False and "not stationary" in gate.reason, gate
    for logit in (5.0, 20.0, 40.0, 100.0):
        gate = premises_thm_3_4(game, {"theta": [[[logit, -logit]]], "steps": 200})
        assert gate.met is False, f"logits ±{logit}: {gate}"


def test_a_game_with_a_stationary_point_is_certified() -> None:
    """The certificate is not vacuous: all actions tied (every point stationary) is converged at once."""
    game = _unit_mpg().replace(
        rewards=torch.full((1, 1, 2), 0.5, dtype=torch.float64), potential=torch.full((1, 2), 0.5, dtype=torch.float64)
    )
    gate = premises_thm_3_4(game, {"theta": [[[3.0, -1.0]]], "steps": 10})
    assert gate.met is True and gate.facts["moved"] == 0.0, gate


def _toy(informative_every: int, n: int = 50) -> Any:
    book = ClaimBook(section="t")

    @book.claim(
        "toy",
        ref="r",
        statement="s",
        examples=lambda: st.integers(0, 10**6).map(lambda k: Example(_unit_mpg(), {"k": k})),
        mutants={"m": {}},
        premises=lambda game, witness: Premises.hold(),
    )
    def check(game: Any, witness: dict[str, Any], *, gate: Premises) -> Outcome:
        return Outcome(True, 1.0, 1e-9, 0.0, 1.0, None, "", informative=witness["k"] % informative_every == 0)

    return book.claims[0]


def test_all_trivial_examples_cannot_report_a_plain_holds() -> None:
    """Every example meets the premises and none is informative: the verdict is inconclusive, and the
    row counts informative examples beside premises met."""
    result = run_claim(_toy(10**9 + 7), budget="quick", max_examples=40)
    assert result.status == "inconclusive" and result.premises_met > 0, result
    assert result.informative is not None and result.informative <= 1, result
    assert "informative" in result.note and result.to_json()["informative"] == result.informative


def test_a_gate_that_fails_keeps_the_check_from_running() -> None:
    calls: list[int] = []
    book = ClaimBook(section="t")

    @book.claim(
        "toy",
        ref="r",
        statement="s",
        examples=st.nothing,
        mutants={"m": {}},
        premises=lambda game, witness: Premises.fail("no"),
    )
    def check(game: Any, witness: dict[str, Any], *, gate: Premises) -> Outcome:
        calls.append(1)
        return Outcome(True, -1.0, 0.0, 0.0, 0.0)

    out = book.claims[0].check(None, {})
    assert not out.premises_met and out.note == "no" and not out.informative and not calls


def test_undecided_is_counted_apart_from_not_met() -> None:
    """A kernel that depends on actions leaves (α, β)-smoothness undecided, not "not met"."""
    game = gen.general_sum_game(seed=0, n_agents=2, n_states=2, n_actions=2, transitions="random")
    gate = BY_ID["def-4.2"].premises(
        game, {"theta": [[[0.0, 0.0]] * 2] * 2, "theta_prime": [[[0.0, 0.0]] * 2] * 2, "alpha": 1.0}
    )
    assert gate.met is None and "undecided" in gate.reason, gate
    out = BY_ID["def-4.2"].check(
        game, {"theta": [[[0.0, 0.0]] * 2] * 2, "theta_prime": [[[0.0, 0.0]] * 2] * 2, "alpha": 1.0}
    )
    assert out.undecided and not out.premises_met


def test_every_claim_has_a_gate_with_its_definition_in_the_docstring() -> None:
    for claim in BY_ID.values():
        assert claim.premises is not None, claim.id
        fn = getattr(claim.premises, "func", claim.premises)
        assert fn.__doc__ and len(fn.__doc__) > 40, f"{claim.id}: the gate's docstring must state what it decides"


def test_assumption_4_6_is_decided_as_printed_not_as_v_minus_n_phi() -> None:
    """Assumption 4.6 bounds V_π = Σ_i Vⁱ_π: with φ = 1, r¹ = 1, r² = 0.5 (one state, one action each)
    V − Φ = 0.5/(1−γ) ≥ 0 holds while V − 2Φ < 0 (what the previous decision computed): met."""
    from properties.section4_dynamics import assumption_4_6

    game = MarkovGame(
        gamma=0.5,
        n_actions=(1, 1),
        mu=torch.ones(1, dtype=torch.float64),
        transition=torch.ones(1, 1, 1, 1, dtype=torch.float64),
        rewards=torch.tensor([1.0, 0.5], dtype=torch.float64).reshape(2, 1, 1, 1),
        potential=torch.ones(1, 1, 1, dtype=torch.float64),
    )
    gate = assumption_4_6(game)
    assert gate.met is True and gate.facts["surplus_floor"] == pytest.approx(1.0), gate
    per_agent = assumption_4_6(game, per_agent=True)
    assert per_agent.met is False and "V^1" in per_agent.reason, per_agent


def test_a_two_state_game_smooth_only_as_a_whole_meets_def_4_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The 2-state game of tests/test_premise_definitions.py (no stage smooth on its own at the least β):
    replay with the least β stated is "holds here" (exit 0), not "premises not met"."""
    from fractions import Fraction

    from properties.smoothness import beta_interval

    game = smooth_only_as_a_whole()
    interval = beta_interval(game, Fraction(2))
    assert interval is not None and interval[0] is not None
    beta = float(interval[0]) + 1e-9
    witness = {
        "theta": [[[0.3, -0.2], [1.0, 0.0]]],
        "theta_prime": [[[2.0, 0.0], [0.0, 3.0]]],
        "alpha": 2.0,
        "beta": beta,
    }
    code, out = _replay(_file(tmp_path, "def-4.2", game, witness), capsys)
    assert code == 0 and "holds here" in out, out


def test_m_is_finite_and_exact_when_gamma_is_tiny() -> None:
    """γ = 1e-13 and μ on one state: d^π_μ(1) ≈ 1e-14 > 0 for every π, so Assumption 2.1 holds and M is
    the ratio of the extremes (here 0.7791/0.7637 · …), not infinite."""
    from mpgverify.solvers.game_constants import assumption_2_1, mismatch_coefficient

    P = torch.tensor([[[0.7637, 0.2363], [0.7791, 0.2209]], [[0.6121, 0.3879], [0.3534, 0.6466]]], dtype=torch.float64)
    game = MarkovGame(
        gamma=1e-13,
        n_actions=(2,),
        mu=torch.tensor([1.0, 0.0], dtype=torch.float64),
        transition=P,
        rewards=torch.zeros(1, 2, 2, dtype=torch.float64),
        potential=torch.zeros(2, 2, dtype=torch.float64),
    )
    assert assumption_2_1(game) is None
    M = mismatch_coefficient(game).M
    assert M == pytest.approx(0.2363 / 0.2209, rel=1e-6), M


@pytest.mark.parametrize("bad", ["[[1.0]]", "[[NaN, 0.0]]", '"x"'])
def test_a_malformed_deviation_of_def_2_2_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    """def-2.2's θ̄ⁱ is read with its shape [S, Aⁱ] and finite entries, like every other witness array."""
    game = _unit_mpg()
    path = _file(tmp_path, "def-2.2", game, {"theta": THETA, "agent": 0, "theta_bar_i": "BAD"})
    path.write_text(path.read_text(encoding="utf-8").replace('"BAD"', bad), encoding="utf-8")
    code, out = _replay(path, capsys)
    assert code == 2 and "witness.theta_bar_i" in out and "Traceback" not in out, out
