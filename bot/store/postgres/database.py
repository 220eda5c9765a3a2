"""The bot's state in PostgreSQL: the same repositories as the TinyDB store, for several replicas.

A pool of connections (psycopg 3, psycopg_pool) serves every thread. A thread inside
`store.transaction()` holds one connection and one database transaction until the outermost
transaction ends (or, with `commit=False`, until its `commit()`): its repositories' reads and writes go
through it, so they commit together or roll back together. Outside a transaction each call is its own
short transaction. What a replica must not do while another does it is a lock in the database, never
in memory: a keyed read inside a transaction takes a transaction advisory lock on that key first
(`Tx.lock`), so a read-modify-write of one approval, draft or meta value runs on one replica at a time.
Transient database trouble (connection lost, deadlock, serialization failure) is raised as
`StoreUnavailableError`: the caller retries later, nothing is half-applied.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from bot.store.ports import StoreUnavailableError
from bot.store.postgres.migrations import require_current, upgrade

log = logging.getLogger(__name__)

POOL_SIZE = 40  # the HTTP threads, the workers and the schedule, each holding one while it writes


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


READ_ONLY = "-c default_transaction_read_only=on"  # libpq options: the server refuses any write


class Database:
    """The pool, and the transaction each thread holds (if any). `read_only` (the tools beside running
    replicas): the schema is checked, never migrated, and every session is read-only in the server."""

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE, read_only: bool = False) -> None:
        self.url = url
        self.where = redacted(url)
        self._local = threading.local()
        self.generation = 0  # counts rollbacks (the Store's `generation`)
        session = {"options": READ_ONLY} if read_only else {}
        try:
            with psycopg.connect(url, autocommit=True, **session) as conn:
                (require_current if read_only else upgrade)(conn, self.where)
        except psycopg.OperationalError as exc:
            raise StoreUnavailableError(f"cannot reach the database {self.where}: {exc}") from exc
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"row_factory": dict_row, **session},
            check=ConnectionPool.check_connection,
            open=True,
            name="approvals-bot",
        )

    # the thread's transaction ------------------------------------------------------

    @property
    def _conn(self) -> psycopg.Connection[Any] | None:
        return getattr(self._local, "conn", None)

    def in_transaction(self) -> bool:
        return self._conn is not None

    def begin(self, commit: bool) -> bool:
        """Enter a (possibly nested) transaction; True when it is the outermost one."""
        local = self._local
        depth = getattr(local, "depth", 0)
        if depth == 0:
            if local.__dict__.get("conn") is None:
                local.conn = self.pool.getconn()
                local.locked = set()
            local.commit_wanted = commit
        local.depth = depth + 1
        return depth == 0

    def end(self) -> bool:
        """Leave a transaction; True when the outermost one ended and wants its commit."""
        self._local.depth -= 1
        return self._local.depth == 0 and self._local.commit_wanted

    def commit(self) -> None:
        """Commit this thread's work, if it has any, and give its connection back."""
        conn = self._conn
        if conn is None:
            return
        try:
            conn.commit()
        except psycopg.Error as exc:
            self.rollback()
            raise _translated(exc) from exc
        self._release()

    def rollback(self) -> None:
        self.generation += 1
        conn = self._conn
        if conn is None:
            return
        try:
            conn.rollback()
        except psycopg.Error:
            log.warning("rollback failed; the connection is dropped", extra={"database": self.where})
        self._release()

    def _release(self) -> None:
        conn, self._local.conn = self._local.conn, None
        self._local.depth = 0
        self.pool.putconn(conn)

    # statements ----------------------------------------------------------------------

    @contextmanager
    def cursor(self) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor in this thread's transaction, or in a transaction of its own committed at once."""
        conn = self._conn
        try:
            if conn is not None:
                with conn.cursor() as cur:
                    yield cur
            else:
                with self.pool.connection() as own, own.cursor() as cur:
                    yield cur
        except psycopg.Error as exc:
            raise _translated(exc) from exc

    def lock(self, cur: psycopg.Cursor[Any], name: str) -> None:
        """Inside a transaction, wait for (and hold until it ends) the lock named `name`; outside one,
        nothing: a plain read locks nothing. A lock the transaction holds already costs no round trip."""
        if self.in_transaction() and name not in self._local.locked:
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (name,))
            self._local.locked.add(name)

    def try_lock(self, cur: psycopg.Cursor[Any], name: str) -> bool:
        """Inside a transaction, take the lock named `name` if no other transaction holds it (held until
        this one ends); False when one does. Outside a transaction, True: nothing to hold."""
        if not self.in_transaction() or name in self._local.locked:
            return True
        taken = "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0)) AS got"
        row = cur.execute(taken, (name,)).fetchone()
        if row is None or not row["got"]:
            return False
        self._local.locked.add(name)
        return True

    def close(self) -> None:
        self.pool.close()


def _translated(exc: psycopg.Error) -> Exception:
    """Passing trouble (the connection, a deadlock, a serialization failure) as StoreUnavailableError;
    anything else, e.g. a constraint that refused a duplicate, as it is."""
    if isinstance(exc, psycopg.OperationalError):
        return StoreUnavailableError(str(exc))
    return exc


def url_path(url: str) -> Path:
    """Not a file: what `Store.path` names for a database (a label, e.g. in messages)."""
    return Path(redacted(url))
