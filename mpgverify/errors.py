"""Errors raised for bad input and for violated assumptions.

Every error the library raises on purpose derives from :class:`MpgverifyError`; the CLI prints its
message on one line and exits with status 2, never a traceback.
"""

from __future__ import annotations

__all__ = ["AssumptionError", "FormatError", "MpgverifyError"]


class MpgverifyError(ValueError):
    """Base class of every error about user input or unmet premises."""


class FormatError(MpgverifyError):
    """Input that breaks a rule of a format (``docs/FORMATS.md``) or of an argument.

    The message always names the field (with its index, when there is one) and the rule broken,
    e.g. ``transition[1][0][1]: must be a probability vector, sums to 0.8``.
    """

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


class AssumptionError(MpgverifyError):
    """A premise of the paper fails on this input (e.g. Assumption 2.1, a positive social optimum).

    The message names the assumption and the witness (state, policy) showing why it fails.
    """

    def __init__(self, assumption: str, detail: str) -> None:
        self.assumption = assumption
        self.detail = detail
        super().__init__(f"{assumption} fails: {detail}")
