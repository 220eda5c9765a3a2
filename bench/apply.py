"""Applying a burst in process: how long the inbox worker takes to apply callbacks already journaled.

Why in process: `bench.ingest` shows the backlog not draining, but not where the time goes. Here the
bot's runtime (`build_runtime`, nothing started: no delivery, no form reads) is built over the fakes and
a store pre-loaded with `stored` finalized approvals; `callbacks` new-approval callbacks are journaled as
the WeCom handler journals them, then one `apply_pending` applies them all, timed and (with `profile`)
under cProfile. Nothing is delivered meanwhile, so the outbox grows by thousands of cards, as it does
during a burst. `python -m bench.apply` prints the figures and the profile's top entries.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import USERS, BenchWeCom, callback_xml, prefill_archive, slack_user, wecom_user
from bot.config import load_config
from bot.offline.slack_standin import SlackStandIn
from bot.runtime import build_runtime
from tests.harness import CORP_ID, SECRET, write_config

TOP = 15  # profile entries printed, by cumulative time


def measure(callbacks: int, stored: int, *, profile: bool = False) -> dict[str, Any]:
    """Seconds to apply `callbacks` journaled new approvals over `stored` ones, and what they left."""
    users = {slack_user(n): wecom_user(n) for n in range(USERS)}
    slack = SlackStandIn(users={slack_user(n): {} for n in range(USERS)})
    with tempfile.TemporaryDirectory() as tmp, slack, BenchWeCom(corp_id=CORP_ID, secret=SECRET) as wecom:
        store_path = Path(tmp) / "data" / "approvals.json"
        prefill_archive(store_path, stored)
        config = write_config(Path(tmp) / "config.toml", slack.api_url, wecom.base_url, store_path, users)
        runtime = build_runtime(load_config(config), with_bolt=False)
        try:
            for n in range(callbacks):
                runtime.processor.record("wecom", {"xml": callback_xml("ap", n), "received": time.time()})
            profiler = cProfile.Profile() if profile else None
            began = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            applied = runtime.processor.apply_pending()
            if profiler is not None:
                profiler.disable()
            seconds = time.perf_counter() - began
            result: dict[str, Any] = {
                "callbacks": callbacks,
                "stored": stored,
                "applied": applied,
                "seconds": seconds,
                "per_second": applied / seconds if seconds else 0.0,
                "outbox_at_end": runtime.store.outbox.size(),
            }
            if profiler is not None:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(TOP)
                result["profile"] = out.getvalue()
            return result
        finally:
            runtime.stop()


def run(callbacks: int, stored: int) -> dict[str, Any]:
    """The figures `python -m bench` reports (no profile: cProfile slows the run it measures)."""
    print(f"apply: {callbacks:,} callbacks in process, {stored:,} stored", file=sys.stderr, flush=True)
    return measure(callbacks, stored)


if __name__ == "__main__":
    figures = measure(2_000, 5_000, profile=True)
    print(figures.pop("profile"))
    print(figures)
