"""Delivery holds of a store one process writes: kept in that process, as nobody else delivers.

A restart forgets a channel's Retry-After (Slack says it again at the next post) and a credentials
fault (the outbox's held items bring it back: the deliverer probes before sending them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any


class InProcessDeliveryHolds:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channels: dict[str, float] = {}
        self._fault: dict[str, Any] | None = None

    def hold_channel(self, channel: str, until: float, now: float) -> None:
        with self._lock:
            self._channels = {name: at for name, at in self._channels.items() if at > now}
            self._channels[channel] = max(until, self._channels.get(channel, 0.0))

    def channels_held(self, now: float) -> dict[str, float]:
        with self._lock:
            return {name: at for name, at in self._channels.items() if at > now}

    def claim_channels(self, channels: Iterable[str], until: float, now: float) -> set[str]:
        with self._lock:
            free = {name for name in channels if self._channels.get(name, 0.0) <= now}
            self._channels.update(dict.fromkeys(free, until))
            return free

    def release_channels(self, channels: Iterable[str], until: float) -> None:
        with self._lock:
            for name in channels:
                if self._channels.get(name, 0.0) <= until:
                    self._channels.pop(name, None)

    def hold_all(self, fault: dict[str, Any], probe_at: float) -> bool:
        with self._lock:
            held = self._fault
            if held is not None and (held["reason"], held["needed"]) == (fault["reason"], fault["needed"]):
                return False
            wait = held["probe_wait"] if held is not None else fault.get("probe_wait", 0.0)
            self._fault = {**fault, "probe_at": probe_at, "probe_wait": wait}
            return True

    def fault(self) -> dict[str, Any] | None:
        with self._lock:
            return dict(self._fault) if self._fault is not None else None

    def claim_probe(self, now: float, probe_wait: float) -> bool:
        with self._lock:
            if self._fault is None or self._fault["probe_at"] > now:
                return False
            self._fault = {**self._fault, "probe_at": now + probe_wait, "probe_wait": probe_wait}
            return True

    def release_all(self) -> bool:
        with self._lock:
            held, self._fault = self._fault, None
            return held is not None
