"""Files attached in Slack, read for a filing: `url_private` needs the bot token, so the token goes to
Slack's file host only; a payload naming any other host gets the file refused, and never sees it."""

from __future__ import annotations

import logging

import httpx
from slack_sdk import WebClient

from bot.forms import UploadedFile
from bot.i18n import t
from bot.provider_ports import FilingRefused

log = logging.getLogger(__name__)

SLACK_FILE_ORIGIN = "https://files.slack.com"
SLACK_DOMAIN = "slack.com"


class SlackFiles:
    """`fetch(file) -> bytes`, what `Submissions` is given as `fetch_file`."""

    def __init__(self, slack: WebClient, lang: str) -> None:
        self.slack = slack
        self.lang = lang

    def fetch(self, file: UploadedFile) -> bytes:
        if _origin(file.url) not in self._file_origins():
            log.warning("file outside Slack's file host refused", extra={"host": _origin(file.url)[1]})
            raise FilingRefused(t("submit.file_unreadable", self.lang, name=file.name))
        headers = {"Authorization": f"Bearer {self.slack.token}"}
        response = httpx.get(file.url, headers=headers, timeout=30, follow_redirects=False)
        if response.status_code != 200:
            raise FilingRefused(t("submit.file_unreadable", self.lang, name=file.name))
        return response.content

    def _file_origins(self) -> set[tuple[str, str, int | None]]:
        """Slack's file host, and the Web API's own origin when that is not Slack (the stand-in of the
        tests and the demo serve files beside their API)."""
        origins = {_origin(SLACK_FILE_ORIGIN)}
        api = _origin(self.slack.base_url)
        if api[1] and api[1] != SLACK_DOMAIN and not api[1].endswith("." + SLACK_DOMAIN):
            origins.add(api)
        return origins


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) as a browser compares origins; nothing for a URL that does not parse."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return ("", "", None)
    return (parsed.scheme, parsed.host, parsed.port)
