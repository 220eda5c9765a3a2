"""The schema, created and upgraded at start by numbered SQL files (migrations/NNNN_name.sql).

Why numbered SQL files and a version table rather than a migration tool: the schema is a dozen tables
owned by this bot alone, PostgreSQL runs DDL inside transactions (a file applies whole or not at all),
and a tool such as Alembic would bring SQLAlchemy into a project that has no ORM. Each file runs once,
in its own transaction, recorded in `schema_migrations`; replicas starting together take a transaction
advisory lock first, so exactly one of them applies a file and the others find it recorded. A database
recorded at a version newer than the files this bot carries is refused, as the TinyDB store refuses a
newer format.
"""

from __future__ import annotations

import re
from importlib import resources

import psycopg

from bot.store.ports import StoreVersionError

MIGRATION_LOCK = 0x61707072_6D696772  # "apprmigr": the advisory lock every starting replica waits on
_FILE = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) for every migration this bot carries, in order; versions run 1, 2, 3, ..."""
    folder = resources.files(__package__).joinpath("migrations")
    found = sorted(
        (int(m.group(1)), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if (m := _FILE.fullmatch(entry.name))
    )
    if [version for version, _sql in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {[v for v, _ in found]}")
    return found


def current_version() -> int:
    return len(migrations())


def upgrade(conn: psycopg.Connection, where: str) -> int:
    """Brings the database to this bot's schema; returns the version it was at. `where` names the
    database in messages (no password). Refuses a newer schema before changing anything."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())"
        )
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        found = int(row[0]) if row else 0
        carried = migrations()
        if found > len(carried):
            raise StoreVersionError(
                f"the database {where} is at schema version {found}, written by a newer approvals-bot; "
                f"this approvals-bot knows schema version {len(carried)} at most. Run the newer "
                "approvals-bot (upgrade this installation). Nothing was changed."
            )
        for version, sql in carried[found:]:
            with conn.transaction():
                conn.execute(sql.encode())
                conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
    return found


def require_current(conn: psycopg.Connection, where: str) -> None:
    """For the read-only tools: refuse, changing nothing, a database whose schema is not this bot's
    (older: `serve` upgrades it; newer: a newer approvals-bot wrote it; none: not a store)."""
    with conn.transaction():
        found, carried = schema_version(conn), current_version()
    if found == carried:
        return
    if found == 0:
        why = "holds no approvals-bot store (no schema); start serve on it first"
    elif found < carried:
        why = f"is at schema version {found}, older than this approvals-bot's {carried}; serve upgrades it"
    else:
        why = f"is at schema version {found}, written by a newer approvals-bot (this one knows {carried})"
    raise StoreVersionError(f"the database {where} {why}. Opened read-only: nothing was changed.")


def schema_version(conn: psycopg.Connection) -> int:
    """The version recorded in the database; 0 when it has no schema_migrations table yet."""
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not (exists and exists[0]):
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0
