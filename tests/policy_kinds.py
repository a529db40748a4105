"""Logits of the policy kinds the speed-path tests hold their shortcuts to (uniform, deterministic,
near-deterministic, random), shared by tests/test_speed_paths.py and tests/test_npg_br_paths.py."""

from __future__ import annotations

import torch

POLICIES = ("uniform", "deterministic", "near-deterministic", "random")


def logits_of(kind: str, shapes: list[tuple[int, ...]], seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Logits of one policy kind: uniform (0), deterministic-like (gaps 100: π underflows to one-hot),
    near-deterministic (gaps 30) or random (standard normal)."""
    gen = torch.Generator().manual_seed(seed)
    raw = [torch.randn(*shape, generator=gen, dtype=torch.float64) for shape in shapes]
    scale = {"uniform": 0.0, "deterministic": 100.0, "near-deterministic": 30.0, "random": 1.0}[kind]
    return tuple(scale * t for t in raw)
