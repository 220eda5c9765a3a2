"""How hard the reliability and security suites push: CI sizes by default, the full counts on demand.

`APPROVALS_BOT_FULL_SUITE=1 python -m pytest` runs the counts SECURITY.md states (10,000 hostile
requests per route, 50 kill -9 rounds, ...); without it each suite runs a smaller sample of the same
generators so that `.ci/run` stays within minutes.
"""

from __future__ import annotations

import os

FULL = os.environ.get("APPROVALS_BOT_FULL_SUITE", "") == "1"


def count(ci: int, full: int) -> int:
    """`full` when the full suite is asked for, else `ci`."""
    return full if FULL else ci
