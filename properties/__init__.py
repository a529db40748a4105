"""This paper's claims as Hypothesis properties, one module per paper section (to come)."""

__all__: list[str] = []
