"""Sweeps: asking each approval system what changed, for whatever callbacks missed.

What a sweep finds goes through the same `apply_snapshot` as callbacks, so a
change already told is never told twice. The first sweep of a provider only
records what exists (nobody is flooded with history); changes after that are
notified, including approvals filed outside the bot.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

from bot.codec import snapshot_from_dict
from bot.provider_ports import ProviderError, Sweepable
from bot.service import ApprovalService
from bot.store import Store

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    provider: str
    at: int
    first: bool = False
    looked_at: int = 0
    changed: int = 0
    reads: int = 0
    error: str = ""
    notes: list[str] = field(default_factory=list)


class Sweeper:
    def __init__(
        self,
        store: Store,
        service: ApprovalService,
        sweepers: Mapping[str, Sweepable],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.service = service
        self.sweepers = dict(sweepers)
        self.clock = clock
        # the scheduled sweep, `approvals-bot sweep` and an admin's never overlap: each reads and then
        # writes a provider's watermark, and an overlapping pair would leave the older one
        self._lock = threading.Lock()

    def run_once(self, only: str = "") -> list[SweepReport]:
        """Sweep every provider, or `only` that one."""
        with self._lock:
            return [
                self._sweep(name, sweeper)
                for name, sweeper in self.sweepers.items()
                if not only or name == only
            ]

    def _sweep(self, name: str, sweeper: Sweepable) -> SweepReport:
        now = int(self.clock())
        state = self.store.meta.get(f"sweep:{name}")
        report = SweepReport(name, now, first=state is None)
        tracked = [
            snapshot_from_dict(doc["snapshot"])
            for doc in self.store.approvals.open()
            if doc["key"].startswith(f"{name}:")
        ]
        try:
            result = sweeper.sweep(state, tracked, now)
        except ProviderError as exc:
            report.error = str(exc)
            log.warning("sweep failed", extra={"provider": name, "error": report.error})
        else:
            for snap in result.snapshots:
                applied = self.service.apply_snapshot(snap, quiet=report.first)
                report.changed += applied.status in ("new", "changed")
            report.looked_at, report.reads = len(result.snapshots), result.reads
            with self.store.transaction():
                self.store.meta.set(f"sweep:{name}", result.state)
        with self.store.transaction():
            self.store.meta.set(f"sweep_report:{name}", asdict(report))
        log.info("sweep done", extra=asdict(report))
        return report
