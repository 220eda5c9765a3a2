"""Store growth: what one recorded change costs as the store grows, and what `serve` needs at 100k.

The change is the one a callback for a new approval makes: `apply_snapshot` queues its notices and
the store commits (atomic write, fsync). Timed in this process over a store pre-loaded with finalized
approvals, as the bot leaves them (archive chunks) plus a few hundred open ones in the hot file.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import detail, prefill_archive, resident_mb, running_bot, stored_doc
from bot.providers.wecom.detail import parse_approval_detail
from bot.service import ApprovalService, People, ServiceSettings
from bot.store.tinydb import TinyDBStore

OPEN = 300  # approvals still moving, in the hot file
CHANGES = 200


def change_cost(stored: int) -> float:
    """Median seconds of one recorded change (apply + commit) with `stored` approvals in the store."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data" / "approvals.json"
        prefill_archive(path, stored)
        store = TinyDBStore(path)
        try:
            with store.transaction():
                for n in range(OPEN):
                    store.approvals.put(stored_doc(stored + n, final=False))
            # a snapshot with its details and its people resolved asks neither a provider nor the directory
            service = ApprovalService(store, None, {}, ServiceSettings())  # type: ignore[arg-type]
            timings = []
            for n in range(CHANGES):
                snap = parse_approval_detail(detail(f"g{stored}x", n))
                known = {snap.applicant: f"U{n:08d}", snap.nodes[0].members[0].user_id: "U00000001"}
                people = People("wecom", known, None)  # type: ignore[arg-type]
                began = time.perf_counter()
                service.apply_snapshot(snap, people)
                timings.append(time.perf_counter() - began)
            return statistics.median(timings)
        finally:
            store.close()


def serve_at(stored: int) -> dict[str, float]:
    """`serve` over `stored` approvals: seconds from spawn to a 200 on /healthz, and resident MB.

    The store is opened and closed once first, so it is laid out as a running bot leaves it (with the
    archive's keys files, which the first start after an upgrade builds from the chunks).
    """
    with tempfile.TemporaryDirectory() as tmp:
        prefill_archive(Path(tmp) / "data" / "approvals.json", stored)
        TinyDBStore(Path(tmp) / "data" / "approvals.json").close()
        with running_bot(Path(tmp), 0) as bot:
            assert bot.process.proc is not None
            return {"start_s": bot.started_s, "rss_mb": resident_mb(bot.process.proc.pid)}


def run(sizes: tuple[int, ...]) -> dict[str, Any]:
    costs = {str(size): change_cost(size) * 1000 for size in sizes}
    largest = max(sizes)
    return {"change_ms": costs, "serve": {"stored": largest, **serve_at(largest)}}
