"""Sweeps on a timer inside `serve`, and on demand (`approvals-bot sweep` beside a running serve).

APScheduler 3 runs every job in every process that starts a scheduler, so
there must be one per store: only `serve` starts one, and the store's lock
file already keeps a second `serve` off the same store. Jobs have fixed ids
(replace_existing), coalesce missed runs into one, never overlap, and are
allowed to start late (the default grace of 1 s would skip them).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.sweep import SweepReport

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

SWEEP_JOB = "sweep"
REMIND_JOB = "remind"
REMIND_EVERY = 15  # minutes between looks for approvals that waited too long
FIRST_RUN_AFTER = 5  # seconds after start: a restart catches up on what it missed at once
MISFIRE_GRACE = 300
SWEEP_PATH = "/internal/sweep"
SWEEP_HEADER = "X-Approvals-Bot-Sweep"
SIGNATURE_SKEW = 60
# What sweep_signature makes: ASCII digits, a dot, hex. Checked before int() and compare_digest: "²".isdigit()
# is True and int("²") fails, and compare_digest refuses non-ASCII text.
_SIGNATURE = re.compile(r"([0-9]{1,20})\.[0-9a-f]{64}")


class Schedule:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.scheduler = BackgroundScheduler(
            timezone=timezone.utc,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
        )

    def start(self) -> None:
        minutes = int(self.runtime.config.schedule.sweep_minutes)
        first = datetime.now(timezone.utc) + timedelta(seconds=FIRST_RUN_AFTER)
        self.scheduler.add_job(
            self.sweep_now,
            IntervalTrigger(minutes=minutes),
            id=SWEEP_JOB,
            replace_existing=True,
            next_run_time=first,
        )
        self.scheduler.add_job(
            self.remind_now, IntervalTrigger(minutes=REMIND_EVERY), id=REMIND_JOB, replace_existing=True
        )
        self.scheduler.start()

    def remind_now(self) -> int:
        queued = self.runtime.reminders.run_once() + self.runtime.reminders.digest_once()
        if queued:
            self.runtime.deliverer.wake()
        return queued

    def stop(self) -> None:
        self.scheduler.shutdown(wait=True)

    def sweep_now(self) -> list[SweepReport]:
        reports = self.runtime.sweeper.run_once()
        self.runtime.deliverer.wake()
        return reports


def sweep_signature(secret: bytes, timestamp: int) -> str:
    """What `approvals-bot sweep` sends to ask a running serve: proof it knows the bot's secret."""
    digest = hmac.new(secret, f"sweep:{timestamp}".encode(), hashlib.sha256).hexdigest()
    return f"{timestamp}.{digest}"


def sweep_endpoint(schedule: Schedule, secret: bytes, clock: Callable[[], float] = time.time) -> Any:
    """POST /internal/sweep: one sweep now, its reports as JSON; 403 without a valid signature."""

    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        given = environ.get("HTTP_" + SWEEP_HEADER.upper().replace("-", "_"), "")
        shaped = _SIGNATURE.fullmatch(given)
        stamp = int(shaped.group(1)) if shaped else 0
        valid = (
            environ.get("REQUEST_METHOD") == "POST"
            and shaped is not None
            and abs(clock() - stamp) <= SIGNATURE_SKEW
            and hmac.compare_digest(given, sweep_signature(secret, stamp))
        )
        if not valid:
            body = b'{"error": "forbidden"}'
            start_response(
                "403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        body = json.dumps([asdict(r) for r in schedule.sweep_now()]).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app
