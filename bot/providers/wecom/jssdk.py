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
import time
from collections.abc import Callable
from typing import Any

from bot.providers.credentials import SharedCredential
from bot.providers.wecom.client import WeComClient, WeComError

logger = logging.getLogger(__name__)

Clock = Callable[[], float]

JS_API_LIST = ("thirdPartyOpenPage",)  # the only JS API the launch page calls


def sign(ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """The JS-SDK signature: sha1 of "jsapi_ticket=…&noncestr=…&timestamp=…&url=…", hex.

    Fields in this fixed order, raw (no URL encoding); the url loses its #fragment, as the page's
    own URL does when the client checks it.
    """
    page = url.split("#", 1)[0]
    plain = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={page}"
    return hashlib.sha1(plain.encode("utf-8")).hexdigest()


class JsSdkSigner:
    """Signs wx.config and wx.agentConfig for a page URL; safe to share between threads.

    `clock` gives Unix seconds: it stamps the signatures and times the tickets.
    """

    def __init__(self, client: WeComClient, corp_id: str, agent_id: str, clock: Clock = time.time) -> None:
        self._corp_id = corp_id
        self._agent_id = agent_id
        self._clock = clock
        # a failed renewal near the renewal time keeps the current ticket: no page breaks on a hiccup
        self._corp_ticket = SharedCredential(
            "WeCom corp jsapi ticket", client.ticket.corp_jsapi_ticket, clock, keep_on_failure=(WeComError,)
        )
        self._agent_ticket = SharedCredential(
            "WeCom agent jsapi ticket", client.ticket.agent_jsapi_ticket, clock, keep_on_failure=(WeComError,)
        )

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
