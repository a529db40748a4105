"""How a number may be written in a command-line value or a built-in game spec: ASCII digits only.

Python's ``int`` and ``float`` also read ``"٢"`` (an Arabic-Indic two) and ``"1_0"`` (ten), which no
user means as a number; every parser of typed text matches one of these patterns first.
"""

from __future__ import annotations

import re

__all__ = ["DECIMAL", "INTEGER"]

#: an optionally signed run of ASCII digits (callers bound its length)
INTEGER = re.compile(r"[+-]?[0-9]+")
#: an optionally signed decimal with an optional exponent: ``0.5``, ``.5``, ``5.``, ``1e-3``
DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
