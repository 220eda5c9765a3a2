"""Approvals and their cards. A card's Slack message is a row of its own: (approval, card) -> one
message, and one message -> one card, both constraints; `get` hands the cards back inside the
document, as the TinyDB store keeps them."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from bot.store.postgres.database import Database

RECENT_FINAL = 1000  # finalized approvals `recent` adds: as many as the TinyDB store's newest chunk


class PostgresApprovals:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, key: str) -> dict[str, Any] | None:
        """Inside a transaction, waits for and holds the approval's lock: one replica changes it at a time."""
        with self._db.cursor() as cur:
            self._db.lock(cur, f"approval:{key}")
            row = cur.execute("SELECT doc FROM approvals WHERE key = %s", (key,)).fetchone()
            if row is None:
                return None
            cards = cur.execute(
                "SELECT card_key, channel, ts FROM cards WHERE approval_key = %s", (key,)
            ).fetchall()
        doc = row["doc"]
        doc["cards"] = {c["card_key"]: {"channel": c["channel"], "ts": c["ts"]} for c in cards}
        return doc

    def put(self, doc: dict[str, Any]) -> None:
        """Insert or replace by doc['key']; its cards are kept by `PostgresCards`, not here."""
        stored = {k: v for k, v in doc.items() if k != "cards"}
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO approvals (key, doc, final, updated) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (key) DO UPDATE SET doc = EXCLUDED.doc, final = EXCLUDED.final, "
                "updated = EXCLUDED.updated",
                (doc["key"], Jsonb(stored), bool(doc.get("final")), float(doc.get("updated") or 0)),
            )

    def open(self) -> list[dict[str, Any]]:
        return self._docs("WHERE NOT final ORDER BY key")

    def involving(self, person: str) -> list[dict[str, Any]]:
        """The open approvals and the most recently finalized ones that `person` filed or that wait on
        them."""
        with self._db.cursor() as cur:
            rows = cur.execute(
                "SELECT doc FROM approvals WHERE (doc->'slack'->>'applicant' = %(person)s "
                "OR doc->'slack'->'waiting' ? %(person)s) AND (NOT final OR key IN "
                f"(SELECT key FROM approvals WHERE final ORDER BY updated DESC LIMIT {RECENT_FINAL}))",
                {"person": person},
            ).fetchall()
        return [row["doc"] for row in rows]

    def all(self) -> list[dict[str, Any]]:
        return self._docs("ORDER BY key")

    def _docs(self, where: str) -> list[dict[str, Any]]:
        """`where` is one of this class's constant clauses, never outside text."""
        with self._db.cursor() as cur:
            rows = cur.execute(f"SELECT doc FROM approvals {where}").fetchall()
        return [row["doc"] for row in rows]


class PostgresCards:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, approval_key: str, card_key: str) -> dict[str, Any] | None:
        with self._db.cursor() as cur:
            row = cur.execute(
                "SELECT channel, ts FROM cards WHERE approval_key = %s AND card_key = %s",
                (approval_key, card_key),
            ).fetchone()
        return dict(row) if row else None

    def find(self, channel: str, ts: str) -> tuple[str, str] | None:
        with self._db.cursor() as cur:
            row = cur.execute(
                "SELECT approval_key, card_key FROM cards WHERE channel = %s AND ts = %s", (channel, ts)
            ).fetchone()
        return (row["approval_key"], row["card_key"]) if row else None

    def set(self, approval_key: str, card_key: str, channel: str, ts: str) -> None:
        """Records the card's message; nothing for an approval the store does not hold."""
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO cards (approval_key, card_key, channel, ts) "
                "SELECT key, %s, %s, %s FROM approvals WHERE key = %s "
                "ON CONFLICT (approval_key, card_key) DO UPDATE SET channel = EXCLUDED.channel, "
                "ts = EXCLUDED.ts",
                (card_key, channel, ts, approval_key),
            )
