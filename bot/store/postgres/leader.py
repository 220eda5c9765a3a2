"""One leader among the replicas, for the work that must run once: sweeps and reminders.

The leader is whoever holds the session advisory lock LEADER_LOCK, on a connection of its own: the
lock is the lease, and it lasts exactly as long as that connection. A replica that dies (even by
`kill -9`) closes its socket, PostgreSQL ends the session and frees the lock, and the next standby
to `check()` takes it. The leader's `check()` is its heartbeat: a round trip on that connection (the
`leader` row's `heartbeat`); when it fails, this replica stops leading at once, since the database may
have given the lock to another. TCP keepalives bound how long a silently cut connection holds it.
"""

from __future__ import annotations

import logging

import psycopg

log = logging.getLogger(__name__)

LEADER_LOCK = 0x61707072_6C656164  # "apprlead"
ROLE = "schedule"
_KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}


class AdvisoryLeadership:
    def __init__(self, url: str, replica: str) -> None:
        self.url = url
        self.replica = replica
        self.leading = False
        self._conn: psycopg.Connection | None = None

    def check(self) -> bool:
        """Keep leading (heartbeat) or try to take the lead; returns whether this replica leads now."""
        try:
            conn = self._connection()
            if self.leading:
                conn.execute(
                    "UPDATE leader SET heartbeat = now() WHERE name = %s AND replica = %s",
                    (ROLE, self.replica),
                )
            else:
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK,)).fetchone()
                if row and row[0]:
                    conn.execute(
                        "INSERT INTO leader (name, replica, since, heartbeat) VALUES (%s, %s, now(), now()) "
                        "ON CONFLICT (name) DO UPDATE SET replica = EXCLUDED.replica, since = now(), "
                        "heartbeat = now()",
                        (ROLE, self.replica),
                    )
                    self.leading = True
                    log.info("this replica leads the schedule", extra={"replica": self.replica})
        except psycopg.Error as exc:
            if self.leading:
                log.warning("lost the lead", extra={"replica": self.replica, "error": str(exc)})
            self._drop()
        return self.leading

    def leader(self) -> str | None:
        """The replica that took the lead last (None when none has, or the database cannot say)."""
        try:
            row = self._connection().execute("SELECT replica FROM leader WHERE name = %s", (ROLE,)).fetchone()
        except psycopg.Error:
            self._drop()
            return None
        return str(row[0]) if row else None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.url, autocommit=True, **_KEEPALIVE)
        return self._conn

    def _drop(self) -> None:
        self.leading = False
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """Give the lead up (closing the session frees the lock): a standby takes it at its next check."""
        self._drop()
