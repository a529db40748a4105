"""This paper's claims as Hypothesis properties, one module per paper section, registered under
their catalogue ids (``properties/CLAIMS.md``, a copy of ``../shared/CLAIMS.md``).

The verification engine finds them through the entry point ``mpgverify.claims: paper``.
"""

from __future__ import annotations

from mpgverify.verify.claims import Claim

__all__ = ["PENDING", "all_claims"]

#: Catalogue ids without a property yet, with the issue that adds them (a test keeps this honest:
#: every catalogue id is either registered or listed here).
PENDING: dict[str, str] = {
    **{
        cid: "issue 7 (reference runs)"
        for cid in (
            "exp-5.1-speed",
            "exp-5.1-k",
            "exp-5.1-poa",
            "exp-5.2-nn",
            "exp-5.2-reg",
            "exp-5.2-opt",
            "exp-g.3-time",
        )
    },
}


def all_claims() -> list[Claim]:
    """Every registered claim of the paper, in catalogue order."""
    from properties import section2, section3, section4

    return [*section2.CLAIMS, *section3.CLAIMS, *section4.CLAIMS]
