"""Hypothesis without its per-example deadline or its too-slow health check: both are timing
thresholds, and on a busy machine they fail properties that hold. Speed belongs in `bench/`."""

from hypothesis import HealthCheck, settings

settings.register_profile("no-deadline", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("no-deadline")

# a real PostgreSQL for the store's contract and the replicas' tests (tests/pg.py)
from tests.pg import pg_server, pg_template, pg_url  # noqa: E402, F401
