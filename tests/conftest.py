"""Hypothesis without its per-example deadline or its too-slow health check (both are timing
thresholds, and on a busy machine they fail properties that hold: speed belongs in `bench/`), and
the root logger as each test found it."""

import logging
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("no-deadline", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("no-deadline")

# a real PostgreSQL for the store's contract and the replicas' tests (tests/pg.py)
from tests.pg import pg_server, pg_template, pg_url  # noqa: E402, F401


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """The CLI's `main()` points the root logger at stderr; every test gets its logging back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
