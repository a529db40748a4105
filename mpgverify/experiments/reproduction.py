"""Reference runs of Section 5 and Appendix G: every curve of Figures 1, 2 and 4 and of the K grid.

The paper's setup (``docs/CLAIMS.md``, Section 5): the coordination game with N = 2, 3, 5,
γ = 0.95, μ uniform, learning rate 0.1, 400 iterations, initial parameters N(0, 1), 10 seeds for
tabular runs and 20 for NN runs, λ ∈ {0.01, 0.1, 1, 10, 100} picked by best POA, K ∈ {1, 5, 10,
20, 50}. Unstated details are choices, listed in :data:`CHOICES` and in the report.

Every curve is exact: POA and Nash-gap are computed by linear algebra and policy iteration at
every recorded iteration (:func:`mpgverify.experiments.run.run`).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

import torch

from mpgverify.algorithms.api import make_algorithm
from mpgverify.builtin_games import MAX_FACTORED_COORDINATION_N, coordination
from mpgverify.errors import FormatError, MpgverifyError
from mpgverify.experiments.run import resolve_device, run
from mpgverify.progress import Progress

__all__ = ["CHOICES", "PAPER", "Curve", "Reproduction", "Setup", "curve_stats", "reproduce"]


@dataclass(frozen=True)
class Setup:
    """What to run (defaults: the paper's values)."""

    ns: tuple[int, ...] = (2, 3, 5)
    iters: int = 400
    tabular_seeds: int = 10
    nn_seeds: int = 20
    lams: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0, 100.0)
    ks: tuple[int, ...] = (1, 5, 10, 20, 50)
    lr: float = 0.1
    gamma: float = 0.95
    activation: str = "relu"
    record_every: int = 5
    seed: int = 0
    device: str = "auto"
    representation: str = "auto"

    def validate(self) -> Setup:
        for n in self.ns:
            if not 1 <= n <= MAX_FACTORED_COORDINATION_N:
                raise FormatError("--n", f"each N must be in 1..{MAX_FACTORED_COORDINATION_N}, got {n}")
        if self.iters < 1:
            raise FormatError("--iters", f"must be ≥ 1, got {self.iters}")
        if self.tabular_seeds < 1 or self.nn_seeds < 1:
            raise FormatError("--seeds", f"must be ≥ 1, got {self.tabular_seeds}, {self.nn_seeds}")
        if not self.lams or any(not lam > 0 for lam in self.lams):
            raise FormatError("--lams", f"must be positive, got {list(self.lams)}")
        if not self.ks or any(k < 1 for k in self.ks):
            raise FormatError("--ks", f"must be integers ≥ 1, got {list(self.ks)}")
        if self.record_every < 1:
            raise FormatError("--record-every", f"must be ≥ 1, got {self.record_every}")
        resolve_device(self.device)
        return self


PAPER = Setup()

#: The choices the paper leaves open, as made here (each is an option of the algorithm or the setup).
CHOICES: tuple[str, ...] = (
    "NPG is the soft-policy-iteration form θⁱ ← θⁱ + η Aⁱ (Lemma 3.7: eq. (4) with the unnormalized d), η = 0.1.",
    "One NPG-BR iteration is one outer step (every agent runs K inner steps, the max-gain agent's change is "
    "kept); the inner step size is the learning rate 0.1 (eq. (5) prints none); the gain of eq. (6) is measured "
    "by the agent's own value in its induced MDP, which equals the Φ gain in an MPG (Def 2.2).",
    "Log-barrier variants add λ Σ_i (Σ_{s,a} log πⁱ(a|s)/(|S||Aⁱ|) + log|Aⁱ|) to the objective; NPG and NPG-BR "
    "follow its natural gradient (closed form, Fisher weighted by the unnormalized d).",
    'λ and K are picked by the mean POA at the last iteration ("best POA"); NPG-BR\'s λ grid runs at the best K.',
    "NN policy: one-hot global state → Linear(2^N) → ReLU → Linear(2^N) → ReLU → Linear(2) → softmax, one "
    "network per agent; weights and biases N(0, 1); the gradient is the exact one of Vⁱ(μ) (Lemma 3.1 through "
    "the network by autograd), not the printed formula with the extra πⁱ factor.",
    '"The same initial parameters for tabular and NN runs" cannot hold literally (different parameter '
    "spaces): both draw from N(0, 1) with the same seeds.",
    "Metrics are recorded every `record_every` iterations and at the last one; POA is V_π(μ) over the exact "
    "social optimum, the Nash-gap that of Def 2.4, both exact.",
    "Seeds are batched: every seed of one configuration runs as one tensor batch on one device.",
)


@dataclass(frozen=True)
class Curve:
    """One configuration's curves at one N.

    Attributes:
      label: e.g. ``"PG"``, ``"PG λ=0.1"``, ``"NPG-BR K=5"``.
      family: ``"tabular"`` or ``"nn"``.
      algorithm, options: what ran.
      steps: the recorded iterations.
      poa, gap: ``[R, seeds]`` POA and Nash-gap.
      seconds: wall time of the run (iterations and exact metrics).
    """

    label: str
    family: str
    algorithm: str
    options: dict[str, Any]
    n: int
    steps: tuple[int, ...]
    poa: torch.Tensor
    gap: torch.Tensor
    seconds: float

    def mean_se(self, which: str) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.poa if which == "poa" else self.gap
        se = x.std(dim=1, unbiased=True) / math.sqrt(x.shape[1]) if x.shape[1] > 1 else torch.zeros(x.shape[0])
        return x.mean(dim=1), se

    def final(self, which: str) -> float:
        return float(self.mean_se(which)[0][-1])


@dataclass
class Reproduction:
    """All curves of a reproduction, keyed ``(N, label)``, and the λ/K picks."""

    setup: Setup
    device: str
    curves: dict[tuple[int, str], Curve] = field(default_factory=dict)
    picks: dict[tuple[int, str], str] = field(default_factory=dict)
    diverged: dict[tuple[int, str], str] = field(default_factory=dict)
    seconds: float = 0.0

    def get(self, n: int, label: str) -> Curve:
        return self.curves[(n, label)]

    def best(self, n: int, base: str) -> Curve:
        """The picked (best-POA) regularized or K variant of ``base`` at N = n."""
        return self.curves[(n, self.picks[(n, base)])]


def _lam_label(base: str, lam: float) -> str:
    return f"{base} λ={lam:g}"


def _runs(setup: Setup) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(label, family, algorithm, options) of the unregularized and λ-grid runs; NPG-BR's come later."""
    lr, out = setup.lr, []
    for base, name, opts in (
        ("PG", "pg", {"lr": lr}),
        ("NPG", "npg", {"lr": lr, "form": "soft-pi"}),
    ):
        out.append((base, "tabular", name, opts))
        out += [(_lam_label(base, lam), "tabular", name, {**opts, "lam": lam}) for lam in setup.lams]
    for base, name in (("NN-PG", "nn-pg"), ("NN-Adam", "nn-adam")):
        opts = {"lr": lr, "activation": setup.activation}
        out.append((base, "nn", name, opts))
        out += [(_lam_label(base, lam), "nn", name, {**opts, "lam": lam}) for lam in setup.lams]
    return out


def reproduce(setup: Setup = PAPER, *, progress: TextIO | None = sys.stderr) -> Reproduction:
    """Run every configuration of the figures (see the module docstring) and pick λ and K."""
    setup.validate()
    device = str(resolve_device(setup.device))
    rep = Reproduction(setup=replace(setup), device=device)
    start = time.perf_counter()
    per_n = len(_runs(setup)) + len(setup.ks) + len(setup.lams)
    bar = Progress("figures", per_n * len(setup.ns), progress)  # one unit per configuration
    for n in setup.ns:
        game = coordination(n, gamma=setup.gamma, representation=setup.representation)

        def go(label: str, family: str, name: str, opts: dict[str, Any], n: int = n, game: Any = game) -> None:
            seeds = setup.tabular_seeds if family == "tabular" else setup.nn_seeds
            try:
                r = run(
                    make_algorithm(name, **opts),
                    game,
                    seeds=seeds,
                    iters=setup.iters,
                    seed=setup.seed,
                    device=device,
                    every=setup.record_every,
                )
            except MpgverifyError as e:  # a diverging configuration is reported, never picked
                rep.diverged[(n, label)] = str(e)
                bar.advance(f"N={n} {label}: diverged")
                return
            rep.curves[(n, label)] = Curve(label, family, name, opts, n, r.steps, r.poa, r.nash_gap, r.seconds)
            bar.advance(f"N={n} {label}: {r.seconds:.1f} s")

        for label, family, name, opts in _runs(setup):
            go(label, family, name, opts)
        for k in setup.ks:
            go(f"NPG-BR K={k}", "tabular", "npg-br", {"lr": setup.lr, "K": k, "gain": "value"})
        _pick(rep, n, "NPG-BR", [f"NPG-BR K={k}" for k in setup.ks])
        best_k = rep.get(n, rep.picks[(n, "NPG-BR")]).options["K"]
        for lam in setup.lams:
            opts = {"lr": setup.lr, "K": best_k, "gain": "value", "lam": lam}
            go(_lam_label("NPG-BR", lam), "tabular", "npg-br", opts)
        for base in ("PG", "NPG", "NPG-BR", "NN-PG", "NN-Adam"):
            _pick(rep, n, f"{base} reg", [_lam_label(base, lam) for lam in setup.lams])
    rep.seconds = time.perf_counter() - start
    return rep


def _pick(rep: Reproduction, n: int, key: str, labels: list[str]) -> None:
    """The label with the best mean final POA (ties: the first) among the runs that did not diverge."""
    ran = [label for label in labels if (n, label) in rep.curves]
    if not ran:
        raise MpgverifyError(f"N={n}: every configuration of {key} diverged")
    best = max(ran, key=lambda label: (rep.get(n, label).final("poa"), -ran.index(label)))
    rep.picks[(n, key)] = best


def curve_stats(curve: Curve) -> dict[str, float]:
    """Final POA and Nash-gap (mean, standard error), Nash-gap area (mean over the recorded
    iterations of the seed-mean gap) and early POA (mean POA over the first 10 % of iterations)."""
    poa_m, poa_se = curve.mean_se("poa")
    gap_m, gap_se = curve.mean_se("gap")
    steps = torch.tensor(curve.steps, dtype=torch.float64)
    early = steps <= max(steps[-1] * 0.1, steps[1] if len(steps) > 1 else 0)
    return {
        "final_poa": float(poa_m[-1]),
        "final_poa_se": float(poa_se[-1]),
        "final_gap": float(gap_m[-1]),
        "final_gap_se": float(gap_se[-1]),
        "gap_area": float(torch.trapezoid(gap_m, steps) / max(float(steps[-1]), 1.0)),
        "poa_area": float(torch.trapezoid(poa_m, steps) / max(float(steps[-1]), 1.0)),
        "early_poa": float(poa_m[early].mean()),
        "seconds": curve.seconds,
    }
