"""The smaller aggregates: dedupe keys, form reads owed, people, drafts, link uses, tracked templates,
absences, meta.

Exactly-once lives in constraints here: a dedupe key or a link use is a primary key inserted once
(`ON CONFLICT DO NOTHING` says whether this replica was first); a draft or a meta value read inside a
transaction is locked first, so its claim (e.g. "filing") is made by one replica only.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from typing import Any

from psycopg.types.json import Jsonb

from bot.store.postgres.database import Database

DEDUPE_LIMIT = 20_000
DEDUPE_TRIM_EVERY = 200  # the table holds at most this many more per replica
DRAFT_TTL = 7 * 24 * 3600
USER_CACHE_TTL = 24 * 3600
DETAIL_LEASE = 120.0  # seconds a replica holds the form reads it took (a batch is read at WeCom's pace)


class PostgresDedupe:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._added = 0  # keys this process added: the bound is kept every DEDUPE_TRIM_EVERY of them

    def seen(self, dedupe_key: str) -> bool:
        with self._db.cursor() as cur:
            return cur.execute("SELECT 1 FROM dedupe WHERE key = %s", (dedupe_key,)).fetchone() is not None

    def remember(self, dedupe_key: str) -> None:
        """Bounded: the oldest keys go first (retries come within minutes, not weeks). The bound is
        kept every DEDUPE_TRIM_EVERY keys this process adds, not at each: a trim reads the newest
        DEDUPE_LIMIT keys in order, and one replica trims at a time (two would wait on each other)."""
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO dedupe (key, at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (dedupe_key, time.time()),
            )
            if not cur.rowcount:
                return
            self._added += 1
            if self._added % DEDUPE_TRIM_EVERY == 0 and self._db.try_lock(cur, "dedupe:trim"):
                cur.execute(
                    "DELETE FROM dedupe WHERE at <= "
                    "(SELECT at FROM dedupe ORDER BY at DESC OFFSET %s LIMIT 1)",
                    (DEDUPE_LIMIT,),
                )

    def claim(self, key: str) -> bool:
        """True, and `key` remembered, if no replica holds it yet; False if one does. Atomic across
        replicas (the key's uniqueness decides), for what must be taken once, e.g. a Slack request."""
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO dedupe (key, at) VALUES (%s, %s) ON CONFLICT DO NOTHING", (key, time.time())
            )
            return cur.rowcount == 1

    def release(self, key: str) -> None:
        """Forget a claimed `key`: what was claimed was not done after all, so a retry may do it."""
        with self._db.cursor() as cur:
            cur.execute("DELETE FROM dedupe WHERE key = %s", (key,))


class PostgresDetailsWanted:
    """Form reads owed, one row per approval; `want` inserts once, so an entry backing off stays as it is."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def want(self, approval_key: str) -> None:
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO details_wanted (key, since) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (approval_key, time.time()),
            )

    def due(self, now: float, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` entries whose time has come, oldest first, each claimed for DETAIL_LEASE seconds:
        replicas reading forms side by side take different ones (SKIP LOCKED), and an entry whose reader
        died comes due again when its lease runs out."""
        with self._db.cursor() as cur:
            claimed = cur.execute(
                "UPDATE details_wanted SET not_before = %(now)s + %(lease)s WHERE key IN ("
                " SELECT key FROM details_wanted WHERE not_before <= %(now)s"
                " ORDER BY since LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
                " RETURNING key, since, not_before, attempts",
                {"now": now, "lease": DETAIL_LEASE, "limit": limit},
            ).fetchall()
        return sorted(claimed, key=lambda entry: entry["since"])

    def retry_at(self, approval_key: str, at: float, attempts: int) -> None:
        with self._db.cursor() as cur:
            cur.execute(
                "UPDATE details_wanted SET not_before = %s, attempts = %s WHERE key = %s",
                (at, attempts, approval_key),
            )

    def done(self, approval_key: str) -> None:
        with self._db.cursor() as cur:
            cur.execute("DELETE FROM details_wanted WHERE key = %s", (approval_key,))

    def has(self, approval_key: str) -> bool:
        with self._db.cursor() as cur:
            row = cur.execute("SELECT 1 FROM details_wanted WHERE key = %s", (approval_key,)).fetchone()
        return row is not None

    def size(self) -> int:
        with self._db.cursor() as cur:
            return cur.execute("SELECT count(*) AS n FROM details_wanted").fetchone()["n"]


class PostgresPeople:
    def __init__(self, db: Database) -> None:
        self._db = db

    def cached_user(self, key: str) -> dict[str, Any] | None:
        with self._db.cursor() as cur:
            row = cur.execute(
                "SELECT doc FROM users WHERE key = %s AND at > %s", (key, time.time() - USER_CACHE_TTL)
            ).fetchone()
        return row["doc"] if row else None

    def cache_user(self, key: str, **values: Any) -> None:
        doc = {"key": key, "at": time.time(), **values}
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO users (key, at, doc) VALUES (%s, %s, %s) "
                "ON CONFLICT (key) DO UPDATE SET at = EXCLUDED.at, doc = EXCLUDED.doc",
                (key, doc["at"], Jsonb(doc)),
            )

    def forget_cached_users(self, keys: Iterable[str]) -> None:
        with self._db.cursor() as cur:
            cur.execute("DELETE FROM users WHERE key = ANY(%s)", (list(keys),))

    def identity_mappings(self) -> list[dict[str, Any]]:
        with self._db.cursor() as cur:
            return [row["doc"] for row in cur.execute("SELECT doc FROM identities ORDER BY key").fetchall()]

    def mapped_provider_id(self, identity: str, slack_id: str) -> str | None:
        with self._db.cursor() as cur:
            row = cur.execute(
                "SELECT provider_id FROM identities WHERE key = %s", (f"{identity}:{slack_id}",)
            ).fetchone()
        return row["provider_id"] if row else None

    def mapped_slack_id(self, identity: str, provider_id: str) -> str | None:
        with self._db.cursor() as cur:
            row = cur.execute(
                "SELECT slack_id FROM identities WHERE identity = %s AND provider_id = %s",
                (identity, provider_id),
            ).fetchone()
        return row["slack_id"] if row else None

    def put_identity(self, identity: str, slack_id: str, provider_id: str, **info: Any) -> list[str]:
        """Map `slack_id` to `provider_id`; an older mapping of `provider_id` to someone else is dropped
        (one provider user has one Slack user: a constraint). Returns the Slack ids dropped."""
        doc = {
            "key": f"{identity}:{slack_id}",
            "identity": identity,
            "slack_id": slack_id,
            "provider_id": provider_id,
            **info,
        }
        with self._db.cursor() as cur:
            replaced = cur.execute(
                "DELETE FROM identities WHERE identity = %s AND provider_id = %s AND slack_id <> %s "
                "RETURNING slack_id",
                (identity, provider_id, slack_id),
            ).fetchall()
            cur.execute(
                "INSERT INTO identities (key, identity, slack_id, provider_id, doc) "
                "VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (key) DO UPDATE SET provider_id = EXCLUDED.provider_id, doc = EXCLUDED.doc",
                (doc["key"], identity, slack_id, provider_id, Jsonb(doc)),
            )
        return [row["slack_id"] for row in replaced]

    def remove_identity(self, identity: str, slack_id: str) -> dict[str, Any] | None:
        with self._db.cursor() as cur:
            row = cur.execute(
                "DELETE FROM identities WHERE key = %s RETURNING doc", (f"{identity}:{slack_id}",)
            ).fetchone()
        return row["doc"] if row else None


class PostgresDrafts:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, draft_id: str) -> dict[str, Any] | None:
        """Inside a transaction, waits for and holds the draft's lock: one replica claims it."""
        with self._db.cursor() as cur:
            self._db.lock(cur, f"draft:{draft_id}")
            row = cur.execute("SELECT doc FROM drafts WHERE id = %s", (draft_id,)).fetchone()
        return row["doc"] if row else None

    def filed_as(self, number: str) -> dict[str, Any] | None:
        with self._db.cursor() as cur:
            row = cur.execute("SELECT doc FROM drafts WHERE number = %s", (number,)).fetchone()
        return row["doc"] if row else None

    def put(self, draft: dict[str, Any]) -> None:
        """Drafts older than DRAFT_TTL are dropped as new ones come: abandoned modals leave no trace."""
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO drafts (id, created, number, doc) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET number = EXCLUDED.number, doc = EXCLUDED.doc",
                (draft["id"], draft["created"], draft.get("number") or None, Jsonb(draft)),
            )
            cur.execute("DELETE FROM drafts WHERE created < %s", (time.time() - DRAFT_TTL,))


class PostgresLinkUses:
    def __init__(self, db: Database) -> None:
        self._db = db

    def use(self, link_id: str, expires: int, now: float) -> bool:
        """Marks a link used, durably (committed before this returns, unless a wider transaction is
        open); False if any replica used it before: the primary key decides."""
        with self._db.cursor() as cur:
            cur.execute("DELETE FROM link_uses WHERE expires < %s", (now,))
            cur.execute(
                "INSERT INTO link_uses (id, expires, at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (link_id, expires, now),
            )
            return cur.rowcount == 1


class PostgresTemplates:
    def __init__(self, db: Database) -> None:
        self._db = db

    def tracked(self) -> list[dict[str, Any]]:
        with self._db.cursor() as cur:
            return [row["doc"] for row in cur.execute("SELECT doc FROM tracked_templates ORDER BY alias")]

    def put(self, doc: dict[str, Any]) -> None:
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO tracked_templates (alias, doc) VALUES (%s, %s) "
                "ON CONFLICT (alias) DO UPDATE SET doc = EXCLUDED.doc",
                (doc["alias"], Jsonb(doc)),
            )


class PostgresPolicyOverrides:
    def __init__(self, db: Database) -> None:
        self._db = db

    def all(self) -> list[dict[str, Any]]:
        with self._db.cursor() as cur:
            return [row["doc"] for row in cur.execute("SELECT doc FROM policy_overrides ORDER BY template")]

    def put(self, doc: dict[str, Any]) -> None:
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO policy_overrides (template, doc) VALUES (%s, %s) "
                "ON CONFLICT (template) DO UPDATE SET doc = EXCLUDED.doc",
                (doc["template"], Jsonb(doc)),
            )


class PostgresAbsences:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, user: str) -> dict[str, Any] | None:
        with self._db.cursor() as cur:
            row = cur.execute("SELECT doc FROM absences WHERE slack_user = %s", (user,)).fetchone()
        return row["doc"] if row else None

    def put(self, doc: dict[str, Any]) -> None:
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO absences (slack_user, doc) VALUES (%s, %s) "
                "ON CONFLICT (slack_user) DO UPDATE SET doc = EXCLUDED.doc",
                (doc["user"], Jsonb(doc)),
            )

    def remove(self, user: str) -> dict[str, Any] | None:
        with self._db.cursor() as cur:
            row = cur.execute("DELETE FROM absences WHERE slack_user = %s RETURNING doc", (user,)).fetchone()
        return row["doc"] if row else None

    def all(self) -> list[dict[str, Any]]:
        with self._db.cursor() as cur:
            return [row["doc"] for row in cur.execute("SELECT doc FROM absences ORDER BY slack_user")]


class PostgresMeta:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, name: str, default: Any = None) -> Any:
        """Inside a transaction, waits for and holds the value's lock (a counter is read to be raised)."""
        with self._db.cursor() as cur:
            self._db.lock(cur, f"meta:{name}")
            row = cur.execute("SELECT value FROM meta WHERE name = %s", (name,)).fetchone()
        return default if row is None or row["value"] is None else row["value"]

    def set(self, name: str, value: Any) -> None:
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO meta (name, value) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET value = "
                "EXCLUDED.value",
                (name, Jsonb(value)),
            )

    def secret(self, name: str) -> bytes:
        """A random secret made once and kept in the database: every replica signs with the same one."""
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO meta (name, value) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (f"secret:{name}", Jsonb(secrets.token_hex(32))),
            )
            row = cur.execute("SELECT value FROM meta WHERE name = %s", (f"secret:{name}",)).fetchone()
        return bytes.fromhex(row["value"])
