"""FXiaoKe (open.71360.com) behind the Provider seam: sweep-only, since it sends no callbacks.

`approval/query` lists approvals by when they last changed, so a sweep reads in
detail exactly what changed since its watermark: its cost grows with change,
not with how many approvals exist. Windows are at most 180 days, in
milliseconds, as the API requires.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.i18n import t
from bot.model import Snapshot
from bot.provider_ports import Capabilities, ProviderError, SweepResult
from bot.providers.fxiaoke.client import FXiaoKeClient, FXiaoKeError
from bot.providers.fxiaoke.detail import parse_approval

WINDOW = 180 * 24 * 3600 - 60  # approval/query's limit, with a margin (seconds)
FIRST_LOOKBACK = 30 * 24 * 3600
OVERLAP = 600


class FXiaoKeProvider:
    name = "fxiaoke"
    identity = "fxiaoke"  # FSUID_... open user ids, mapped to Slack by [fxiaoke.users]
    capabilities = Capabilities(sweeps=True)  # no callbacks, no filing: read on a schedule

    def display_name(self, lang: str) -> str:
        return t("provider.fxiaoke", lang)

    def __init__(self, client: FXiaoKeClient, url_template: str = "") -> None:
        self.client = client
        self.url_template = url_template

    def fetch_details(self, snap: Snapshot) -> Snapshot:
        try:
            return parse_approval(self.client.get(_api_id(snap.number)), status=int(snap.status))
        except (FXiaoKeError, ValueError) as exc:
            raise ProviderError(str(exc)) from exc

    def approval_link(self, snap: Snapshot, approver: str | None = None) -> str | None:
        return self.url_template.format(id=snap.number) if self.url_template else None

    def email_of(self, user_id: str) -> str | None:
        return None  # the open API gives no emails: [fxiaoke.users] maps people


class FXiaoKeSweeper:
    name = "fxiaoke"

    def __init__(self, client: FXiaoKeClient, form_ids: Sequence[str] = ()) -> None:
        self.client = client
        self.form_ids = list(form_ids)

    def sweep(self, state: dict[str, Any] | None, tracked: list[Snapshot], now: int) -> SweepResult:
        state = state or {}
        since = state["watermark"] - OVERLAP if "watermark" in state else now - FIRST_LOOKBACK
        names = {}
        try:
            if not self.form_ids:
                names = {str(t.get("id")): str(t.get("name", "")) for t in self.client.approval_types()}
            changed = dict(self._changed(since, now))
            snapshots = [
                parse_approval(self.client.get(approval_id), status=status, form_name=names.get(form, ""))
                for approval_id, (status, form) in changed.items()
            ]
        except (FXiaoKeError, ValueError) as exc:
            raise ProviderError(f"FXiaoKe sweep: {exc}") from exc
        return SweepResult(snapshots, {"watermark": now}, reads=len(snapshots))

    def _changed(self, since: int, now: int) -> Iterable[tuple[Any, tuple[int, str]]]:
        """(approval id, (status, form id)) for everything that changed in [since, now]."""
        start = since
        while start < now:
            end = min(start + WINDOW, now)
            for form_id in self.form_ids or [None]:
                # milliseconds: the window ends with the last millisecond of the current second
                for row in self.client.query(start * 1000, end * 1000 + 999, form_id=form_id):
                    yield row["id"], (int(row.get("status", 1)), form_id or "")
            start = end


def _api_id(number: str) -> int | str:
    """approval/get takes the numeric approvalId the API gave out; our numbers are its text."""
    return int(number) if number.isascii() and number.isdigit() and len(number) <= 20 else number
