"""Delivery: Slack posts per second out of the outbox, and how soon each DM channel has all its cards,
against a Slack that answers one channel with 429 and Retry-After, side by side with a Slack that
throttles none: the other channels must not wait for the throttled one."""

from __future__ import annotations

import io
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from bench.common import USERS, callback_xml, percentile, running_bot, slack_user
from bot.offline.slack_standin import Arrival, SlackStandIn
from tests.harness import WeComSender, wait_for

RETRY_AFTER = 2


class ThrottlingSlack(SlackStandIn):
    """The stand-in, answering every chat.postMessage to one channel with 429 and Retry-After."""

    def __init__(self, throttled: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.throttled = throttled

    def _handle(self, request: Any) -> None:
        if self.throttled and request.path.endswith("/chat.postMessage"):
            raw = request.rfile.read(int(request.headers.get("Content-Length") or 0))
            args = (
                json.loads(raw) if raw[:1] == b"{" else {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            )
            if args.get("channel") == self.throttled:
                with self._lock:
                    self.arrivals.append(Arrival(time.time(), "chat.postMessage", args, "ratelimit"))
                headers = {"Retry-After": str(RETRY_AFTER)}
                self._reply(request, {"ok": False, "error": "ratelimited"}, status=429, headers=headers)
                return
            request.rfile = io.BytesIO(raw)
        super()._handle(request)


def _case(approvals: int, throttled_user: str | None) -> dict[str, Any]:
    slack = ThrottlingSlack(
        throttled_user and f"D{throttled_user}", users={slack_user(n): {} for n in range(USERS)}
    )
    # approval n: user n's applicant card, user n+1's approver card
    cards = Counter(f"D{slack_user(n + k)}" for n in range(approvals) for k in (0, 1))
    cards.pop(f"D{throttled_user}", None)
    with tempfile.TemporaryDirectory() as tmp, running_bot(Path(tmp), 0, slack=slack) as bot:
        sender = WeComSender(bot.url)
        began = time.time()
        for n in range(approvals):
            assert sender.post(callback_xml("dl", n)).text == "success"

        def posted() -> list[Arrival]:
            return [a for a in slack.arrivals_of("chat.postMessage") if a.answer == "ok"]

        def complete() -> bool:
            per_channel: dict[str, int] = {}
            for arrival in posted():
                per_channel[arrival.args["channel"]] = per_channel.get(arrival.args["channel"], 0) + 1
            return all(per_channel.get(channel, 0) >= count for channel, count in cards.items())

        wait_for(complete, timeout=120, what="every unthrottled channel's cards")
        ok = posted()
        done_by: dict[str, float] = {}
        for arrival in ok:
            done_by[arrival.args["channel"]] = arrival.at - began
        ready = sorted(done_by[channel] for channel in cards)
        refused = len(slack.arrivals_of("chat.postMessage")) - len(ok)
        return {
            "posts": len(ok),
            "posts_per_second": len(ok) / (max(a.at for a in ok) - min(a.at for a in ok)),
            "channel_done_p50_s": percentile(ready, 0.5),
            "channel_done_p99_s": percentile(ready, 0.99),
            "channel_done_max_s": ready[-1],
            "refused_429": refused,
        }


def run(approvals: int = USERS) -> dict[str, Any]:
    """`approvals` new approvals told through one Slack throttling nobody, then through one throttling
    the DM channel of user 1 (who has two cards to get)."""
    return {"unthrottled": _case(approvals, None), "one_channel_429": _case(approvals, slack_user(1))}
