"""Sweeping WeCom's approval app, at a cost that grows with change, not with size.

A sweep lists (getapprovalinfo, cheap: 100 numbers a call) what was filed since
the last sweep and what is still pending, and reads details only for
- approvals it has never seen (filed since, in the bot or outside it),
- tracked pending ones that left the pending list (decided, revoked...),
- a small rotating share of the still-pending ones, for node-level progress
  (one of two 会签 approvers approving does not change the approval's status).
Windows are at most 31 days, in seconds, as getapprovalinfo requires.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from bot.model import ApprovalStatus, Snapshot
from bot.provider_ports import ProviderError, SweepResult
from bot.providers.wecom.client import WeComClient, WeComError, WeComRefused
from bot.providers.wecom.detail import parse_approval_detail, parse_open_approval_data

WINDOW = 31 * 24 * 3600 - 60  # getapprovalinfo's limit, with a margin
FIRST_LOOKBACK = 30 * 24 * 3600  # what the first sweep records
OVERLAP = 600  # seconds re-read before the watermark: clocks and late indexing
ROTATION = 10  # still-pending approvals re-read per sweep for progress inside a step


class WeComSweeper:
    name = "wecom"

    def __init__(self, client: WeComClient, template_ids: Callable[[], Sequence[str]] = tuple) -> None:
        """`template_ids` gives the templates to list at each sweep (admins track and untrack them
        while the bot runs); none: every template."""
        self.client = client
        self.template_ids = template_ids

    def sweep(self, state: dict[str, Any] | None, tracked: list[Snapshot], now: int) -> SweepResult:
        state = state or {}
        since = state["watermark"] - OVERLAP if "watermark" in state else now - FIRST_LOOKBACK
        pending = [s for s in tracked if s.status is ApprovalStatus.PENDING]
        oldest = min((s.apply_time for s in pending), default=since)
        try:
            filed = self._numbers(since, now)
            still_pending = self._numbers(min(oldest, since), now, status=ApprovalStatus.PENDING)
            known = {s.number for s in tracked}
            to_read = [n for n in filed if n not in known]
            to_read += [s.number for s in pending if s.number not in still_pending]
            waiting = sorted(s.number for s in pending if s.number in still_pending)
            start = state.get("rotation", 0) % max(len(waiting), 1)
            to_read += (waiting[start:] + waiting[:start])[:ROTATION]
            snapshots = [
                parse_approval_detail(self.client.oa.get_approval_detail(n)) for n in dict.fromkeys(to_read)
            ]
        except (WeComError, ValueError) as exc:
            raise ProviderError(f"WeCom sweep: {exc}") from exc
        rotation = (start + ROTATION) % max(len(waiting), 1)
        return SweepResult(snapshots, {"watermark": now, "rotation": rotation}, reads=len(snapshots))

    def _numbers(self, start: int, end: int, status: ApprovalStatus | None = None) -> set[str]:
        """Approval numbers filed in [start, end], per tracked template, paging with new_cursor."""
        found: set[str] = set()
        for window_start, window_end in _windows(start, end):
            for template_id in list(dict.fromkeys(self.template_ids())) or [None]:
                filters = [{"key": "template_id", "value": template_id}] if template_id else []
                if status is not None:
                    filters.append({"key": "sp_status", "value": str(int(status))})
                found.update(self._pages(window_start, window_end, filters))
        return found

    def _pages(self, start: int, end: int, filters: list[dict[str, str]]) -> Iterable[str]:
        cursor = ""
        while True:
            page = self.client.oa.get_approval_info(start, end, cursor=cursor, size=100, filters=filters)
            yield from (str(n) for n in page.get("sp_no_list") or [])
            cursor = str(page.get("new_next_cursor") or "")
            if not cursor:
                return


def _windows(start: int, end: int) -> Iterable[tuple[int, int]]:
    while start < end:
        yield start, min(start + WINDOW, end)
        start += WINDOW


class WeComOpenSweeper:
    """Self-built-app approvals have no list API: each tracked, unfinished thirdNo is read."""

    name = "wecom_open"

    def __init__(self, client: WeComClient) -> None:
        self.client = client

    def sweep(self, state: dict[str, Any] | None, tracked: list[Snapshot], now: int) -> SweepResult:
        snapshots = []
        for snap in tracked:
            if snap.status.is_final:
                continue
            try:
                snapshots.append(
                    parse_open_approval_data(self.client.corp.get_open_approval_data(snap.number))
                )
            except WeComRefused:
                continue  # not launched in WeCom yet: nothing to learn
            except (WeComError, ValueError) as exc:
                raise ProviderError(f"WeCom sweep of self-built-app approvals: {exc}") from exc
        return SweepResult(snapshots, {"watermark": now}, reads=len(snapshots))
