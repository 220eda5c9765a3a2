"""Sweep cost: WeCom API calls and wall time of one sweep of many tracked pending approvals of which a
few changed, against the naive sweep that reads every pending approval's details.

Both run against the fake WeCom with the client's pacing (600 calls a minute per endpoint) measured
apart: the wall time is the sweep's own work; `paced_s` is the least time WeCom's limits allow for
that many calls.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from bench.common import CORP_ID, SECRET, BenchWeCom, detail, sp_no
from bot.model import Snapshot
from bot.providers.wecom.client import _PACING, WeComClient
from bot.providers.wecom.detail import parse_approval_detail
from bot.providers.wecom.sweep import ROTATION, WeComSweeper


def _tracked(wecom: BenchWeCom, pending: int, changed: int, now: int) -> list[Snapshot]:
    """`pending` approvals the bot tracks as pending, filed over the last day; WeCom has `changed` of
    them approved since."""
    tracked = []
    for n in range(pending):
        info = detail("sw", n)
        info["apply_time"] = now - 86_400 + n * 86_000 // pending
        tracked.append(parse_approval_detail(info))
        if n % (pending // changed) == 0:
            info = {**info, "sp_status": 2}
        wecom.approvals[sp_no("sw", n)] = info
    return tracked


def _calls(wecom: BenchWeCom) -> Counter[str]:
    return Counter(call.path for call in wecom.calls if call.path != "gettoken")


def paced_seconds(calls: Counter[str]) -> float:
    """The least time the per-endpoint limits (a sliding minute) allow for these calls."""
    return max(
        (max(0, count - _PACING[path]) * 60 / _PACING[path] for path, count in calls.items()), default=0
    )


def run(pending: int = 10_000, changed_share: float = 0.01) -> dict[str, Any]:
    changed = max(1, int(pending * changed_share))
    now = int(time.time())
    results: dict[str, Any] = {"pending": pending, "changed": changed, "rotation": ROTATION}
    with BenchWeCom(corp_id=CORP_ID, secret=SECRET) as wecom:
        tracked = _tracked(wecom, pending, changed, now)
        with WeComClient(CORP_ID, SECRET, api_base=wecom.base_url, sleep=lambda _s: None) as client:
            client.oa.get_approval_info(now - 60, now)  # the token, fetched before the clock starts
            for name, sweep in (
                ("bot", lambda: WeComSweeper(client).sweep({"watermark": now - 600}, tracked, now)),
                ("naive", lambda: [client.oa.get_approval_detail(s.number) for s in tracked]),
            ):
                before = _calls(wecom)
                began = time.perf_counter()
                sweep()
                wall = time.perf_counter() - began
                calls = _calls(wecom) - before
                results[name] = {
                    "calls": sum(calls.values()),
                    "by_endpoint": dict(calls),
                    "wall_s": wall,
                    "paced_s": paced_seconds(calls),
                }
    list_pages = results["bot"]["by_endpoint"].get("oa/getapprovalinfo", 0)
    results["expected_calls"] = list_pages + changed + ROTATION
    return results
