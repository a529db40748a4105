"""``python -m mpgverify``."""

from mpgverify.cli import console

console()
