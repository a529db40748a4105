"""The project's own Hypothesis profiles, registered and loaded explicitly.

Hypothesis loads its built-in ``ci`` profile by itself whenever ``CI`` is set; the suite never
relies on that and always loads one of these by name (``MPGVERIFY_PROFILE``, default ``quick``).
All are derandomized with no example database, so the same budget gives the same examples.

=============  =============  ==========================================================
profile        max_examples   use
=============  =============  ==========================================================
``quick``      25             the default ``tox`` env and CI (whole suite ≤ 20 min, 2 cores)
``standard``   200            the README ledger
``thorough``   1000           before a release, or to chase a suspected counterexample
=============  =============  ==========================================================
"""

from __future__ import annotations

import os

from hypothesis import Phase, settings

__all__ = ["PROFILES", "load_profile", "register_profiles"]

PROFILES: dict[str, int] = {"quick": 25, "standard": 200, "thorough": 1000}
_PREFIX = "mpgverify-"


def register_profiles() -> None:
    """Register ``mpgverify-quick``, ``mpgverify-standard`` and ``mpgverify-thorough``."""
    for name, n in PROFILES.items():
        settings.register_profile(
            _PREFIX + name,
            max_examples=n,
            derandomize=True,
            database=None,
            deadline=None,
            print_blob=True,
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        )


def load_profile(name: str | None = None) -> str:
    """Register the profiles and load ``name`` (default: ``$MPGVERIFY_PROFILE`` or ``quick``)."""
    name = name or os.environ.get("MPGVERIFY_PROFILE", "quick")
    if name not in PROFILES:
        raise ValueError(f"MPGVERIFY_PROFILE must be one of {sorted(PROFILES)}, got {name!r}")
    register_profiles()
    settings.load_profile(_PREFIX + name)
    return name
