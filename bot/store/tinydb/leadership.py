"""The leadership of a TinyDB store: its lock file lets one process write it, and that process leads."""

from __future__ import annotations


class SoleLeader:
    """The leadership of a store only one process writes (TinyDB): that process."""

    def __init__(self, replica: str) -> None:
        self.replica = replica

    def check(self) -> bool:
        return True

    def leader(self) -> str | None:
        return self.replica

    def close(self) -> None:
        """Nothing is held beyond the store's own lock."""
