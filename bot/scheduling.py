"""Sweeps on a timer inside `serve`, and on demand (`approvals-bot sweep` beside a running serve).

APScheduler 3 runs every job in every process that starts a scheduler, so
the sweep and reminder jobs run only in the replica that leads (`bot.store.Leadership`):
on TinyDB the one process (the store's lock file keeps a second `serve` off
it), on PostgreSQL whoever holds the leader's advisory lock. Every replica
checks every LEADER_POLL seconds: the leader keeps its lead (a heartbeat), a
standby takes it over when the leader is gone and resumes the jobs, well
within one sweep interval. Jobs have fixed ids (replace_existing), coalesce
missed runs into one, never overlap, and are allowed to start late (the
default grace of 1 s would skip them).
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
ESCALATE_JOB = "escalate"
LEAD_JOB = "lead"
LEADER_POLL = 2.0  # seconds between a replica's checks of the lead: a standby takes over within this
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
        self.leading = False
        self.scheduler = BackgroundScheduler(
            timezone=timezone.utc,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
        )

    def start(self) -> None:
        """The jobs start paused; the first check of the lead (at once) resumes them in the leader."""
        minutes = int(self.runtime.config.schedule.sweep_minutes)
        for job, every, name in (
            (self.sweep_now, IntervalTrigger(minutes=minutes), SWEEP_JOB),
            (self.remind_now, IntervalTrigger(minutes=REMIND_EVERY), REMIND_JOB),
            (self.escalate_now, IntervalTrigger(minutes=REMIND_EVERY), ESCALATE_JOB),
        ):
            self.scheduler.add_job(job, every, id=name, replace_existing=True, next_run_time=None)
        self.scheduler.add_job(
            self.lead,
            IntervalTrigger(seconds=LEADER_POLL),
            id=LEAD_JOB,
            replace_existing=True,
            next_run_time=datetime.now(timezone.utc),
        )
        self.scheduler.start()

    def lead(self) -> None:
        """Resume the jobs when this replica takes the lead (a sweep soon: it catches up on what the
        last leader may have missed); pause them when it loses it."""
        leading = self.runtime.leadership.check()
        if leading and not self.leading:
            first = datetime.now(timezone.utc) + timedelta(seconds=FIRST_RUN_AFTER)
            self.scheduler.modify_job(SWEEP_JOB, next_run_time=first)
            self.scheduler.resume_job(REMIND_JOB)
            self.scheduler.resume_job(ESCALATE_JOB)
        elif self.leading and not leading:
            self.scheduler.pause_job(SWEEP_JOB)
            self.scheduler.pause_job(REMIND_JOB)
            self.scheduler.pause_job(ESCALATE_JOB)
        self.leading = leading

    def remind_now(self) -> int:
        queued = self.runtime.reminders.run_once() + self.runtime.reminders.digest_once()
        if queued:
            self.runtime.deliverer.wake()
        return queued

    def escalate_now(self) -> int:
        """Escalate, expire and mark overdue what is due (bot.escalation); quiet hours hold."""
        acted = self.runtime.escalations.run_once()
        if acted:
            self.runtime.deliverer.wake()
        return acted

    def stop(self) -> None:
        """Stop the jobs, waiting for one that runs: the providers' clients are closed first, so a sweep
        paced through hundreds of reads fails fast (its watermark stays; the next start redoes it)."""
        self.runtime.parts.close()
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
