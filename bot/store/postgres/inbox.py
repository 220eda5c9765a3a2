"""The inbox in PostgreSQL: acknowledged callbacks, claimed by whichever replica is free.

`append` commits the row before it returns (the callback is answered `success` only then). A replica
claims the oldest rows with `FOR UPDATE SKIP LOCKED` in its transaction, and deletes each in the same
transaction that stores its effects: a replica that dies mid-way leaves its rows to the others. A row
is claimed only when no older row of the same approval is left, so one approval's events are applied
in the order they were received, by one replica at a time.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from bot.store.postgres.database import Database

CLAIM_LIMIT = 20  # rows per transaction: the locks on their approvals are held until it commits

_CLAIM = """
SELECT seq, record FROM inbox i
WHERE NOT EXISTS (
    SELECT 1 FROM inbox o WHERE i.approval_key <> '' AND o.approval_key = i.approval_key AND o.seq < i.seq
)
ORDER BY seq
LIMIT %s
FOR UPDATE SKIP LOCKED
"""


class PostgresInbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, record: dict[str, Any], key: str = "") -> int:
        """Store `record` (of the approval `key`) and return its sequence number once committed."""
        if self._db.in_transaction():
            raise RuntimeError("an acknowledged callback is committed on its own, not inside a transaction")
        with self._db.cursor() as cur:
            row = cur.execute(
                "INSERT INTO inbox (approval_key, record) VALUES (%s, %s) RETURNING seq", (key, Jsonb(record))
            ).fetchone()
        return int(row["seq"])

    def restore(self, record: dict[str, Any], key: str) -> None:
        """A record copied from another store, inside the copy's transaction (migrate-store)."""
        with self._db.cursor() as cur:
            cur.execute("INSERT INTO inbox (approval_key, record) VALUES (%s, %s)", (key, Jsonb(record)))

    def pending(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """The oldest records no one is applying, claimed for this thread's transaction (one is begun
        when none is open: the caller commits it)."""
        began = self._db.begin(commit=False)
        self._db.end()
        with self._db.cursor() as cur:
            rows = cur.execute(_CLAIM, (min(limit, CLAIM_LIMIT),)).fetchall()
        if not rows and began:
            self._db.commit()
        return [(int(row["seq"]), row["record"]) for row in rows]

    def applied(self, seq: int) -> None:
        """Inside the transaction that stores the effects of record `seq`: it is done with."""
        with self._db.cursor() as cur:
            cur.execute("DELETE FROM inbox WHERE seq = %s", (seq,))

    def discard_applied(self) -> None:
        """Nothing left to do: applied rows went with the transaction that applied them."""

    def checkpoint(self) -> int:
        """Every record up to this one is applied (the one before the oldest left)."""
        with self._db.cursor() as cur:
            row = cur.execute(
                "SELECT coalesce((SELECT min(seq) - 1 FROM inbox), "
                "(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM inbox_seq_seq)) AS seq"
            ).fetchone()
        return int(row["seq"]) if row else 0

    def all(self) -> list[tuple[int, dict[str, Any]]]:
        """Every record not applied yet, oldest first, claimed or not (for readers and copies)."""
        with self._db.cursor() as cur:
            rows = cur.execute("SELECT seq, record FROM inbox ORDER BY seq").fetchall()
        return [(int(row["seq"]), row["record"]) for row in rows]

    def close(self) -> None:
        """Nothing of its own: the pool closes with the store."""
