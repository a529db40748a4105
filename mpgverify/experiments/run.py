"""The run loop: iterate an algorithm on a batch of seeds and record exact metrics every step.

Per iteration t = 0..T (t = 0 is the initial policy) and per seed it records Φ(μ) (when the
game states a potential), every Vⁱ(μ), the Nash-gap (Def 2.4) and the POA (Def 4.1).
"""

from __future__ import annotations

import csv
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from mpgverify.algorithms.api import Algorithm, call_plugin, check_policy_output
from mpgverify.atomic import atomic_path
from mpgverify.cost import Cost, require_cost
from mpgverify.errors import FormatError, MpgverifyError
from mpgverify.game import Game
from mpgverify.memory import recording_bytes, require_memory
from mpgverify.progress import Progress, format_seconds
from mpgverify.solvers.evaluation import at_mu, values_and_potential
from mpgverify.solvers.nash import nash_gap
from mpgverify.solvers.welfare import price_of_anarchy, social_optimum
from mpgverify.threads import apply_thread_policy, work_entries

__all__ = ["RUN_FORMAT", "RunResult", "resolve_device", "run", "run_cost", "run_report", "summarize", "write_curves"]

RUN_FORMAT = "mpgverify.run/1"


@dataclass(frozen=True)
class RunResult:
    """Curves of one batched run (all tensors on the CPU).

    Attributes:
      potential: ``[R, B]`` Φ(μ) at the R recorded iterations, or None without a stated potential.
      values: ``[R, B, N]`` Vⁱ(μ).  nash_gap: ``[R, B]``.  poa: ``[R, B]``.
      seconds: wall time of the iterations and their evaluation (imports excluded).
      steps: the recorded iterations (0, every, 2·every, …, and always T); all of 0..T by default.
    """

    algorithm: str
    game: str
    seeds: int
    iters: int
    device: str
    options: dict[str, Any]
    potential: torch.Tensor | None
    values: torch.Tensor
    nash_gap: torch.Tensor
    poa: torch.Tensor
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)
    steps: tuple[int, ...] = ()
    first_seed: int = 0
    final_policy: tuple[torch.Tensor, ...] = ()  # π_T per agent, [B, S, Aⁱ] (on the CPU)


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else the CPU; ``cpu``; ``cuda`` (must be available)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise FormatError("--device", "cuda was asked for but no CUDA device is available")
        return torch.device("cuda")
    raise FormatError("--device", f"must be auto, cpu or cuda, got {name!r}")


def run(
    algorithm: Algorithm,
    game: Game,
    *,
    seeds: int,
    iters: int,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = False,
    every: int = 1,
) -> RunResult:
    """Run ``algorithm`` for ``iters`` steps on a batch of ``seeds`` runs, recording exact metrics at
    iterations 0, ``every``, 2·``every``, … and T (the exact Nash-gap costs N best responses)."""
    if every < 1:
        raise FormatError("--every", f"must be ≥ 1, got {every}")
    if seeds < 1:
        raise FormatError("--seeds", f"must be ≥ 1, got {seeds}")
    if iters < 0:
        raise FormatError("--iters", f"must be ≥ 0, got {iters}")
    require_memory(recording_bytes(game, seeds), f"{seeds} seeds of exact recording on {game.name}")
    steps = tuple(t for t in range(iters + 1) if t % every == 0 or t == iters)
    what = f"run {algorithm.name} on {game.name}"
    estimate = require_cost(run_cost(algorithm, game, seeds, iters, len(steps)), game, seeds, what)
    if progress and estimate > 10:
        print(f"{what}: about {format_seconds(estimate)} estimated", file=sys.stderr, flush=True)
    apply_thread_policy(work_entries(game, seeds))  # one thread for small tensors (mpgverify.threads)
    dev = resolve_device(device)
    if dev.type != "cpu" and algorithm.name.startswith("sampled"):
        raise FormatError("--device", f"{algorithm.name} samples with a CPU generator; use --device cpu")
    game = game.to(dev)
    start = time.perf_counter()
    optimum = social_optimum(game).value
    pos = float(optimum) > 0
    pot, vals, gaps, poas = [], [], [], []
    final: tuple[torch.Tensor, ...] = ()
    bar = Progress(f"run {algorithm.name} on {game.name}", iters, sys.stderr if progress else None)
    state = call_plugin("init", "iteration 0", algorithm.init, game, seed=seed, batch=seeds)
    responses: torch.Tensor | None = None
    recorded = set(steps)
    for t in range(iters + 1):
        if t in recorded:
            with torch.no_grad():
                where = f"{algorithm.name} {dict(algorithm.options)}, iteration {t}"
                probs = check_policy_output(game, call_plugin("policy", where, algorithm.policy, state), seeds, where)
                if t == iters:
                    final = tuple(p.detach().cpu() for p in probs)
                V, Phi = values_and_potential(game, probs)
                V_mu = at_mu(game, V)
                vals.append(V_mu.cpu())
                if Phi is not None:
                    pot.append(at_mu(game, Phi).cpu())
                if not bool(torch.isfinite(V_mu).all()):
                    raise MpgverifyError(
                        f"{algorithm.name} {dict(algorithm.options)}: the policy at iteration {t} is not finite "
                        "(the dynamics diverged)"
                    )
                # every seed's and agent's best responses in one batched policy iteration, started from
                # the previous record's responses (a warm start; each answer is still certified)
                gap = nash_gap(game, probs, V_mu=V_mu, start=responses)
                responses = gap.responses
                gaps.append(gap.gap.cpu())
                poa = price_of_anarchy(game, probs, optimum=optimum, V_mu=V_mu) if pos else None
                poas.append(poa.cpu() if poa is not None else torch.full((seeds,), math.nan))
        if t < iters:
            state = call_plugin("step", f"{algorithm.name}, iteration {t + 1}", algorithm.step, game, state)
            bar.update(t + 1)
    seconds = time.perf_counter() - start
    return RunResult(
        algorithm=algorithm.name,
        game=game.name,
        seeds=seeds,
        iters=iters,
        device=str(dev),
        options=dict(algorithm.options),
        potential=torch.stack(pot) if pot else None,
        values=torch.stack(vals),
        nash_gap=torch.stack(gaps),
        poa=torch.stack(poas),
        seconds=seconds,
        steps=steps,
        first_seed=seed,
        final_policy=final,
    )


def run_cost(algorithm: Algorithm, game: Game, seeds: int, iters: int, records: int) -> Cost:
    """The estimated cost of :func:`run`: ``iters`` steps, and ``records`` exact recordings of about
    1 + 3N evaluations each (the values, then N best responses by warm-started policy iteration)."""
    record = Cost(
        records * (1.0 + 3 * game.n_agents),
        0.0,
        recording_bytes(game, seeds),
        f"{records} records × (1 + 3N) evaluations",
        "raise --record-every",
    )
    return algorithm.step_cost(game, seeds).times(iters, f"{iters} iterations") + record


def _mean_se(x: torch.Tensor) -> tuple[float, float]:
    mean = float(x.mean())
    se = float(x.std(unbiased=True) / math.sqrt(x.numel())) if x.numel() > 1 else 0.0
    return mean, se


def summarize(result: RunResult) -> dict[str, float]:
    """Final mean ± standard error across seeds of POA and Nash-gap."""
    poa_mean, poa_se = _mean_se(result.poa[-1])
    gap_mean, gap_se = _mean_se(result.nash_gap[-1])
    return {"poa_mean": poa_mean, "poa_se": poa_se, "nash_gap_mean": gap_mean, "nash_gap_se": gap_se}


def write_curves(result: RunResult, path: str | Path) -> Path:
    """Per-iteration, per-seed curves as CSV (``iter, seed, potential, nash_gap, poa, V0, …``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    N = result.values.shape[-1]
    with atomic_path(path) as tmp, tmp.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["iter", "seed", "potential", "nash_gap", "poa", *[f"V{i}" for i in range(N)]])
        for r, t in enumerate(result.steps):
            for b in range(result.seeds):
                pot = "" if result.potential is None else repr(float(result.potential[r, b]))
                w.writerow(
                    [
                        t,
                        result.first_seed + b,
                        pot,
                        repr(float(result.nash_gap[r, b])),
                        repr(float(result.poa[r, b])),
                        *[repr(float(v)) for v in result.values[r, b]],
                    ]
                )
    return path


def run_report(result: RunResult, curves: str | None) -> dict[str, Any]:
    """The ``mpgverify.run/1`` object of a run."""
    return {
        "format": RUN_FORMAT,
        "algorithm": result.algorithm,
        "game": result.game,
        "seeds": result.seeds,
        "first_seed": result.first_seed,
        "iters": result.iters,
        "recorded": list(result.steps),
        "device": result.device,
        "options": result.options,
        "final": summarize(result),
        "seconds": result.seconds,
        "curves": curves,
    }
