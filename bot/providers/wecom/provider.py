"""WeCom behind the Provider protocol: the approval app ("wecom") and the
self-built-app approval engine ("wecom_open") share a client and identities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.i18n import t
from bot.model import Snapshot
from bot.provider_ports import Capabilities, ProviderError
from bot.providers.wecom.client import WeComClient, WeComError, WeComRefused
from bot.providers.wecom.detail import parse_approval_detail, parse_open_approval_data
from bot.providers.wecom.events import parse_event


class WeComProvider:
    name = "wecom"
    identity = "wecom"
    # approvers decide in WeCom (the card links there); WeCom calls back, and is swept for what it missed
    capabilities = Capabilities(files=True, calls_back=True, sweeps=True)

    def display_name(self, lang: str) -> str:
        return t(f"provider.{self.name}", lang)  # "wecom_open" too: the same WeCom to people

    def __init__(self, client: WeComClient | None, url_template: str = "") -> None:
        self.client = client
        self.url_template = url_template
        # a callback carries the flow, not the form: read with the API, when there are credentials for it
        self.capabilities = replace(self.capabilities, reads_details=client is not None)

    def _api(self) -> WeComClient:
        if self.client is None:
            raise ProviderError("WeCom API credentials (wecom.corp_id, wecom.secret) are not configured")
        return self.client

    def fetch_details(self, snap: Snapshot) -> Snapshot:
        try:
            return parse_approval_detail(self._api().oa.get_approval_detail(snap.number))
        except (WeComError, ValueError) as exc:
            raise ProviderError(str(exc)) from exc

    def approval_link(self, snap: Snapshot, approver: str | None = None) -> str | None:
        if not self.url_template:
            return None
        return self.url_template.format(sp_no=snap.number, third_no=snap.number)

    def email_of(self, user_id: str) -> str | None:
        """None when WeCom says there is no such (visible) user; other failures propagate."""
        try:
            profile = self._api().user.get(user_id)
        except WeComRefused:
            return None
        return profile.get("email") or profile.get("biz_mail") or None

    def userid_by_email(self, email: str) -> str | None:
        """None when no WeCom member has that email; other failures propagate."""
        try:
            return self._api().user.get_userid_by_email(email)
        except WeComRefused:
            return None


class WeComOpenProvider(WeComProvider):
    """Approvals launched from the bot's own pages (thirdNo), read with getopenapprovaldata."""

    name = "wecom_open"

    def __init__(
        self,
        client: WeComClient | None,
        url_template: str = "",
        launch_link: Callable[[str, bool], str] | None = None,
    ) -> None:
        super().__init__(client, url_template)
        self.launch_link = launch_link

    def approval_link(self, snap: Snapshot, approver: str | None = None) -> str | None:
        """A configured {third_no} URL, else the bot's launch page: it launches the request until
        WeCom has reported on it (nodes known), then shows it."""
        if "{third_no}" in self.url_template:
            return self.url_template.format(third_no=snap.number, sp_no=snap.number)
        return self.launch_link(snap.number, bool(snap.nodes)) if self.launch_link else None

    def fetch_details(self, snap: Snapshot) -> Snapshot:
        try:
            return parse_open_approval_data(self._api().corp.get_open_approval_data(snap.number))
        except (WeComError, ValueError) as exc:
            raise ProviderError(str(exc)) from exc


def decode_callback(record: dict[str, Any]) -> Snapshot | None:
    """A journaled callback (decrypted XML) -> Snapshot; None for events we do not track."""
    return parse_event(record["xml"].encode("utf-8"))
