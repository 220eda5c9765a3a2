"""JS-SDK signatures for the bot's own pages in WeCom (企业微信).

A self-built app launches an approval only from a web page inside the WeCom client, and that page
must first prove who it is twice: `wx.config` with the corp's jsapi_ticket, then `wx.agentConfig`
with the app's. Both signatures use one formula, and both tickets are scarce (400 fetches an hour
per corp, 100 per app), so each ticket is fetched once and shared until shortly before it expires.

Sources:
- signature and tickets: https://developer.work.weixin.qq.com/document/path/96909 (JS-SDK 签名算法)
- wx.agentConfig: https://developer.work.weixin.qq.com/document/path/94313
- wx.config (`beta: true` for wx.invoke APIs), wx.ready/wx.error, "xxx:ok" results:
  https://developer.work.weixin.qq.com/document/90001/90144/90547 (JS-SDK 使用说明)
- the approval engine (thirdPartyOpenPage): https://developer.work.weixin.qq.com/document/path/14584
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.providers.wecom.client import WeComClient, WeComError

logger = logging.getLogger(__name__)

Clock = Callable[[], float]

JS_API_LIST = ("thirdPartyOpenPage",)  # the only JS API the launch page calls
_RENEW_EARLY = 300.0  # renew a ticket this long before it expires: a page signed now is used seconds later
_STILL_USABLE = 60.0  # if renewal fails, a ticket with this much life left still signs pages


def sign(ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """The JS-SDK signature: sha1 of "jsapi_ticket=…&noncestr=…&timestamp=…&url=…", hex.

    Fields in this fixed order, raw (no URL encoding); the url loses its #fragment, as the page's
    own URL does when the client checks it.
    """
    page = url.split("#", 1)[0]
    plain = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={page}"
    return hashlib.sha1(plain.encode("utf-8")).hexdigest()


class _Ticket:
    """One ticket every thread shares: fetched once, renewed early, one fetch at a time.

    Fetching under the lock is the single flight. A failed renewal keeps serving the old ticket
    while it has life left, so a WeCom hiccup near the renewal time breaks no page.
    """

    def __init__(self, name: str, fetch: Callable[[], tuple[str, float]], clock: Clock) -> None:
        self._name = name
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._current: tuple[str, float, float] | None = None  # (ticket, renew_at, expires_at)

    def get(self) -> str:
        with self._lock:
            now = self._clock()
            if self._current is None or now >= self._current[1]:
                try:
                    self._current = self._renew_locked(now)
                except WeComError:
                    if self._current is None or now >= self._current[2] - _STILL_USABLE:
                        raise
                    logger.warning(
                        "WeCom %s ticket renewal failed; the current one is still valid", self._name
                    )
            return self._current[0]

    def _renew_locked(self, asked_at: float) -> tuple[str, float, float]:
        ticket, lifetime = self._fetch()  # lifetime counted from the request: errs on the early side
        logger.info("WeCom %s ticket renewed; it expires in %d s", self._name, lifetime)
        return ticket, asked_at + lifetime - min(_RENEW_EARLY, lifetime / 2), asked_at + lifetime


class JsSdkSigner:
    """Signs wx.config and wx.agentConfig for a page URL; safe to share between threads.

    `clock` gives Unix seconds: it stamps the signatures and times the tickets.
    """

    def __init__(self, client: WeComClient, corp_id: str, agent_id: str, clock: Clock = time.time) -> None:
        self._corp_id = corp_id
        self._agent_id = agent_id
        self._clock = clock
        self._corp_ticket = _Ticket("corp jsapi", client.ticket.corp_jsapi_ticket, clock)
        self._agent_ticket = _Ticket("agent jsapi", client.ticket.agent_jsapi_ticket, clock)

    def page_config(self, url: str) -> dict[str, dict[str, Any]]:
        """{"config": wx.config params, "agentConfig": wx.agentConfig params} for the page at `url`.

        `url` must be the address the browser shows (query included). Raises WeComError when a
        ticket cannot be fetched.
        """
        corp_ticket, agent_ticket = self._corp_ticket.get(), self._agent_ticket.get()
        timestamp, nonce = int(self._clock()), secrets.token_urlsafe(12)
        common = {"timestamp": timestamp, "nonceStr": nonce, "jsApiList": list(JS_API_LIST)}
        return {
            "config": {
                "beta": True,  # required, or wx.invoke APIs such as thirdPartyOpenPage misbehave
                "appId": self._corp_id,
                "signature": sign(corp_ticket, nonce, timestamp, url),
                **common,
            },
            "agentConfig": {
                "corpid": self._corp_id,
                "agentid": self._agent_id,
                "signature": sign(agent_ticket, nonce, timestamp, url),
                **common,
            },
        }
