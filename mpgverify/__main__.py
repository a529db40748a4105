"""``python -m mpgverify``."""

import sys

from mpgverify.cli import main

sys.exit(main())
