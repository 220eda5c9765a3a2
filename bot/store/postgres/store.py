"""`PostgresStore`: the `Store` port on PostgreSQL, shared by every replica (see database.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.store.postgres.approvals import PostgresApprovals, PostgresCards
from bot.store.postgres.database import Database
from bot.store.postgres.delivery_holds import PostgresDeliveryHolds
from bot.store.postgres.inbox import PostgresInbox
from bot.store.postgres.outbox import PostgresFailures, PostgresOutbox
from bot.store.postgres.records import (
    PostgresAbsences,
    PostgresDedupe,
    PostgresDetailsWanted,
    PostgresDrafts,
    PostgresLinkUses,
    PostgresMeta,
    PostgresPeople,
    PostgresPolicyOverrides,
    PostgresTemplates,
)


class PostgresStore:
    """Every read and write of the bot's state, in PostgreSQL. Thread-safe; any number of processes."""

    def __init__(self, url: str, *, replica: str = "tool", read_only: bool = False) -> None:
        """`replica` names this process among those sharing the database (its outbox claims);
        `read_only` opens it for reading only (see Database), as the tools beside serve do."""
        self.db = Database(url, read_only=read_only)
        self.url = url
        self.path = Path(self.db.where)
        self.replica = replica
        self.approvals = PostgresApprovals(self.db)
        self.cards = PostgresCards(self.db)
        self.outbox = PostgresOutbox(self.db, self.replica)
        self.failures = PostgresFailures(self.db)
        self.delivery_holds = PostgresDeliveryHolds(self.db)
        self.dedupe = PostgresDedupe(self.db)
        self.details_wanted = PostgresDetailsWanted(self.db)
        self.people = PostgresPeople(self.db)
        self.drafts = PostgresDrafts(self.db)
        self.link_uses = PostgresLinkUses(self.db)
        self.templates = PostgresTemplates(self.db)
        self.policy_overrides = PostgresPolicyOverrides(self.db)
        self.absences = PostgresAbsences(self.db)
        self.meta = PostgresMeta(self.db)
        self.inbox = PostgresInbox(self.db)

    @property
    def generation(self) -> int:
        return self.db.generation

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[PostgresStore]:
        """One database transaction for everything inside, on this thread's connection. `commit=False`
        leaves the commit to a later `commit()` on the same thread (group commit); an exception out of
        the outermost transaction rolls back."""
        outermost = self.db.begin(commit)
        try:
            yield self
        except BaseException:
            self.db.end()
            if outermost:
                self.db.rollback()
            raise
        if self.db.end():
            self.db.commit()

    def commit(self) -> None:
        self.db.commit()

    def rollback(self) -> None:
        self.db.rollback()

    def close(self) -> None:
        self.db.commit()
        self.db.close()

    def size_bytes(self) -> int:
        """What the database takes on disk."""
        with self.db.cursor() as cur:
            row = cur.execute("SELECT pg_database_size(current_database()) AS n").fetchone()
        return int(row["n"]) if row else 0

    def counts(self, tables: tuple[str, ...]) -> dict[str, int]:
        """Rows per table (names from this package's constants, never outside text)."""
        with self.db.cursor() as cur:
            return {
                table: int(cur.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"])
                for table in tables
            }

    def is_empty(self) -> bool:
        """True when the database holds no state yet (a copy may go into it)."""
        with self.db.cursor() as cur:
            row = cur.execute(
                "SELECT (SELECT count(*) FROM approvals) + (SELECT count(*) FROM outbox) + "
                "(SELECT count(*) FROM drafts) + (SELECT count(*) FROM identities) + "
                "(SELECT count(*) FROM inbox) + (SELECT count(*) FROM meta) AS n"
            ).fetchone()
        return not (row and row["n"])
