"""FXiaoKe (纷享销客, open.71360.com) open platform client for approvals.

One `FXiaoKeClient` owns the httpx pool, the timeouts and the one corpAccessToken every thread
shares. FXiaoKe has no callbacks for approvals, so the bot sweeps: list the types, query a window
of last updates, read each approval. Every call is a JSON POST carrying the token and corpId in
its body; `errorCode` ≠ 0 is an error, told apart by its code only (messages change, codes do not).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from bot.providers.credentials import SharedCredential

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
JSON = dict[str, Any]

UNAVAILABLE = -1  # our own code: FXiaoKe could not be reached, timed out or sent something not its JSON
_STALE_TOKEN = frozenset({20016})  # "corpAccessToken error": the only token code the spec lists
_MAX_WINDOW_MS = 180 * 86400 * 1000  # approval/query refuses longer windows
_MAX_PAGE_SIZE = 1000
_TEXTS: dict[int, str] = {  # errorCode → plain words for users
    UNAVAILABLE: "FXiaoKe cannot be reached or sent an unexpected reply; try again later",
    15002: "A parameter sent to FXiaoKe is invalid",
    20016: "FXiaoKe rejected the corpAccessToken",
}

_TOKEN = "corpAccessToken/get/V2"
_APPROVAL_TYPES = "approvalTypeForms/get"
_APPROVAL_QUERY = "approval/query"
_APPROVAL_GET = "approval/get"


class FXiaoKeError(Exception):
    """A FXiaoKe call failed. `message` can be shown to users; `code` is FXiaoKe's errorCode."""

    def __init__(self, code: int, endpoint: str, text: str | None = None) -> None:
        self.code = code
        self.endpoint = endpoint
        self.message = f"{text or _TEXTS.get(code, 'FXiaoKe refused the request')} (FXiaoKe error {code})"
        super().__init__(self.message)


class FXiaoKeAuthError(FXiaoKeError):
    """The app credentials or the token were rejected even after a fresh token: a configuration problem."""


class FXiaoKeUnavailable(FXiaoKeError):
    """FXiaoKe could not be reached, timed out or answered with something that is not its JSON."""


class FXiaoKeClient:
    """A FXiaoKe open platform client for one app and one corp; safe to share between threads."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        permanent_code: str,
        *,
        api_base: str = "https://open.71360.com/cgi/",
        timeout: float = 10.0,
        http: httpx.Client | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._credentials = {"appId": app_id, "appSecret": app_secret, "permanentCode": permanent_code}
        self._api_base = api_base.rstrip("/") + "/"
        self._timeout = httpx.Timeout(timeout)
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=self._timeout)
        self._token: SharedCredential[tuple[str, str]] = SharedCredential(
            "FXiaoKe corpAccessToken", self._fetch_token, clock
        )

    def token_state(self) -> dict[str, Any]:
        """For /healthz: whether a token is held and for how long; never the token itself."""
        return self._token.state()

    def approval_types(self) -> list[JSON]:
        """The approval types ({"approveType", "name", "id"}): what a sweep may filter on."""
        return list(self._call(_APPROVAL_TYPES, {}).get("approvalTypeForms") or [])

    def query(
        self, start_ms: int, end_ms: int, *, form_id: str | None = None, page_size: int = _MAX_PAGE_SIZE
    ) -> list[JSON]:
        """Every approval last updated in [start_ms, end_ms] (epoch milliseconds, ≤ 180 days apart),
        as [{"id", "status"}, ...], all pages read. Bad arguments fail here, before any call."""
        if not 0 <= end_ms - start_ms <= _MAX_WINDOW_MS or end_ms < 10**11:
            raise ValueError("approval/query takes epoch milliseconds and a window of at most 180 days")
        if not 1 <= page_size <= _MAX_PAGE_SIZE:
            raise ValueError("approval/query pages hold 1 to 1000 approvals")
        request: JSON = {"startTime": start_ms, "endTime": end_ms, "pageSize": page_size}
        if form_id is not None:
            request["approvalFormId"] = form_id
        found: list[JSON] = []
        page_number = 1
        while True:
            body = self._call(_APPROVAL_QUERY, {**request, "pageNumber": page_number})
            page = body.get("approvals") or []
            found.extend({"id": item.get("id"), "status": item.get("status")} for item in page)
            if not page or page_number * page_size >= int(body.get("totalCount") or 0):
                return found
            page_number += 1

    def get(self, approval_id: int) -> JSON:
        """The "approval" object of one approval: status, tasks and form, which query does not give."""
        body = self._call(_APPROVAL_GET, {"approvalId": approval_id})
        if not isinstance(body.get("approval"), dict):
            raise FXiaoKeUnavailable(UNAVAILABLE, _APPROVAL_GET, "FXiaoKe's reply has no approval")
        return body["approval"]

    def close(self) -> None:
        """Close the connection pool, if this client created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> FXiaoKeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, endpoint: str, payload: JSON) -> JSON:
        """One call with the shared token. A rejected token is renewed and the call repeated, once:
        a second rejection means the credentials are wrong, not the token old."""
        token, corp_id = self._token.get()
        try:
            return self._post(endpoint, {"corpAccessToken": token, "corpId": corp_id, **payload})
        except FXiaoKeAuthError as exc:
            if exc.code not in _STALE_TOKEN:
                raise
            logger.info("FXiaoKe %s: corpAccessToken rejected (%d), renewing it", endpoint, exc.code)
            token, corp_id = self._token.renew(stale=(token, corp_id))
            return self._post(endpoint, {"corpAccessToken": token, "corpId": corp_id, **payload})

    def _fetch_token(self) -> tuple[tuple[str, str], float]:
        try:
            body = self._post(_TOKEN, self._credentials)
        except FXiaoKeUnavailable:
            raise
        except FXiaoKeError as exc:  # any refusal of the token request is a credentials problem
            raise FXiaoKeAuthError(exc.code, _TOKEN, "FXiaoKe rejected the app credentials") from None
        try:
            return (str(body["corpAccessToken"]), str(body["corpId"])), float(body["expiresIn"])
        except (KeyError, TypeError, ValueError):
            raise FXiaoKeUnavailable(UNAVAILABLE, _TOKEN, "FXiaoKe's token reply is incomplete") from None

    def _post(self, endpoint: str, payload: JSON) -> JSON:
        """POST the JSON body; the reply, or the error its errorCode names. The body is never logged:
        it carries the token or the app secret."""
        logger.debug("FXiaoKe POST %s", endpoint)
        try:
            response = self._http.post(self._api_base + endpoint, json=payload, timeout=self._timeout)
            body = response.json()
        except httpx.TimeoutException as exc:
            raise FXiaoKeUnavailable(UNAVAILABLE, endpoint, "FXiaoKe did not answer in time") from exc
        except httpx.RequestError as exc:
            raise FXiaoKeUnavailable(UNAVAILABLE, endpoint, "FXiaoKe cannot be reached") from exc
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("errorCode"), int):
            text = f"FXiaoKe sent an unexpected reply (HTTP {response.status_code})"
            raise FXiaoKeUnavailable(UNAVAILABLE, endpoint, text)
        code = body["errorCode"]
        if code == 0:
            return body
        logger.info("FXiaoKe %s: errorCode %d: %s", endpoint, code, body.get("errorMessage", ""))
        raise (FXiaoKeAuthError if code in _STALE_TOKEN else FXiaoKeError)(code, endpoint)
