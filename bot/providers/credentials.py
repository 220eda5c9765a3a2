"""A credential every thread shares (an access token, a JS-SDK ticket): fetched once, renewed
early, one fetch at a time.

Fetching under the lock is the single flight: concurrent callers wait for one fetch and reuse
its value. The lifetime is counted from the request, which errs on the early side. `_current`
is one tuple, so `state()` reads it without waiting for a fetch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
RENEW_EARLY = 300.0  # renew this long before expiry (at most half the lifetime)
STILL_USABLE = 60.0  # with keep_on_failure, a value with this much life left outlives a failed renewal


class SharedCredential(Generic[T]):
    def __init__(
        self,
        name: str,
        fetch: Callable[[], tuple[T, float]],
        clock: Callable[[], float],
        *,
        keep_on_failure: tuple[type[Exception], ...] = (),
    ) -> None:
        """`fetch` returns (value, lifetime in seconds). A renewal failing with one of
        `keep_on_failure` keeps the current value while it is still usable."""
        self._name = name
        self._fetch = fetch
        self._clock = clock
        self._keep_on_failure = keep_on_failure
        self._lock = threading.Lock()
        self._current: tuple[T, float, float] | None = None  # (value, renew_at, expires_at)

    def get(self) -> T:
        with self._lock:
            current, now = self._current, self._clock()
            if current is None or now >= current[1]:
                try:
                    current = self._renew_locked()
                except self._keep_on_failure:
                    if current is None or now >= current[2] - STILL_USABLE:
                        raise
                    log.warning("%s renewal failed; the current one is still valid", self._name)
            return current[0]

    def renew(self, stale: T) -> T:
        """Replace a value the service rejected, unless another thread already has."""
        with self._lock:
            current = self._current
            if current is None or current[0] == stale:
                current = self._renew_locked()
            return current[0]

    def state(self) -> dict[str, Any]:
        """For /healthz: whether a value is held and for how long; never the value itself."""
        current = self._current
        if current is None:
            return {"valid": False, "expires_in": None}
        left = current[2] - self._clock()
        return {"valid": left > 0, "expires_in": max(0, int(left))}

    def _renew_locked(self) -> tuple[T, float, float]:
        asked_at = self._clock()
        value, lifetime = self._fetch()
        self._current = (value, asked_at + lifetime - min(RENEW_EARLY, lifetime / 2), asked_at + lifetime)
        log.info("%s renewed; it expires in %d s", self._name, lifetime)
        return self._current
