"""Experiments: the run loop (and, later, the paper's reference runs and figures)."""

from mpgverify.experiments.run import RunResult, resolve_device, run, summarize, write_curves

__all__ = ["RunResult", "resolve_device", "run", "summarize", "write_curves"]
