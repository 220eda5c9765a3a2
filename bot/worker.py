"""A background loop that runs `run_once` until stopped, woken early by `wake()`."""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable

log = logging.getLogger(__name__)


class Worker(ABC):
    """Subclasses implement `run_once() -> seconds until it wants to run again`."""

    name = "worker"
    idle_wait = 5.0  # after an unexpected error, or when run_once has no opinion
    longest_give_way = 1.0  # a worker that gives way still does a unit of work this often

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # while this says so, `give_way` holds the worker back: another's work comes first
        self.yield_to: Callable[[], bool] = lambda: False

    def give_way(self) -> None:
        """Wait (at most `longest_give_way`) while `yield_to` says another worker's work comes first."""
        deadline = time.monotonic() + self.longest_give_way
        while self.yield_to() and time.monotonic() < deadline:
            if self._stopping.wait(0.02):
                return

    @abstractmethod
    def run_once(self) -> float | None:
        """Do what is due; return seconds until the next run (None: the default idle wait)."""

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the unit of work in hand, then stop; the rest waits, durably, for the next start."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()  # before the work, so a wake-up during it is not lost
            try:
                wait = self.run_once()
            except Exception:  # the loop must outlive anything one unit of work does
                log.exception("%s loop error", self.name)
                wait = None
            self._wake.wait(timeout=self.idle_wait if wait is None else wait)
