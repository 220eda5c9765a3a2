"""The outbox and the failed deliveries, shared by every replica.

Any replica may deliver, but one approval's items go out from one replica at a time and in order:
`items()` claims them for this replica (a lease, renewed at each call) with `FOR UPDATE SKIP LOCKED`,
and never an item of an approval whose items another replica holds a live claim on. A replica that
dies leaves its claims to expire; an item it may have posted carries `maybe_posted`, so the next one
looks for the earlier post before posting again.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from psycopg.types.json import Jsonb

from bot.store.ports import failure_record
from bot.store.postgres.database import Database

CLAIM_LEASE_SECONDS = 20  # an item claimed by a replica that stopped answering is free after this
CLAIM_BATCH = 500
FAILURE_LIMIT = 500

_CLAIM = """
WITH mine AS (
    SELECT id FROM outbox o
    WHERE (claimed_by IS NULL OR claimed_by = %(me)s OR claimed_until < now())
      AND NOT EXISTS (
          SELECT 1 FROM outbox p
          WHERE p.approval_key = o.approval_key AND p.claimed_by <> %(me)s AND p.claimed_until >= now()
      )
      AND pg_try_advisory_xact_lock(hashtextextended('outbox:' || o.approval_key, 0))
    ORDER BY created
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox SET claimed_by = %(me)s, claimed_until = now() + make_interval(secs => %(lease)s)
FROM mine WHERE outbox.id = mine.id
RETURNING outbox.item
"""

_INSERT = "INSERT INTO outbox (id, created, approval_key, item) VALUES (%s, %s, %s, %s)"

# Merge into the card's waiting version when no other transaction holds the card, else queue apart.
_ENQUEUE_CARD = """
WITH card AS (SELECT pg_try_advisory_xact_lock(hashtextextended(%(lock)s, 0)) AS ours),
waiting AS (
    SELECT o.id FROM outbox o, card
    WHERE card.ours AND o.card_key = %(card)s AND NOT o.in_flight
    ORDER BY o.created LIMIT 1
),
merged AS (
    UPDATE outbox SET item = outbox.item || %(changes)s
        || jsonb_build_object('id', outbox.item->'id', 'created', outbox.item->'created')
    FROM waiting WHERE outbox.id = waiting.id AND NOT outbox.in_flight
    RETURNING outbox.id
),
added AS (
    INSERT INTO outbox (id, created, approval_key, item)
    SELECT %(id)s, %(created)s, %(approval)s, %(new)s WHERE NOT EXISTS (SELECT 1 FROM merged)
    RETURNING id
)
SELECT id FROM merged UNION ALL SELECT id FROM added
"""


class PostgresOutbox:
    def __init__(self, db: Database, replica: str) -> None:
        self._db = db
        self._replica = replica

    def enqueue(self, item: dict[str, Any]) -> str:
        """Queue a Slack delivery. A queued (not in-flight) update of the same card is replaced.

        One statement, and it never waits for another transaction: while one still holds the card
        (e.g. a replica applying another approval that refreshes the same person's App Home), this
        version is queued apart, and the deliverer sends a card's versions in order. Waiting there would
        hold this transaction's locks meanwhile, and two replicas taking the same cards in different
        orders deadlock."""
        new = {"id": uuid.uuid4().hex, "created": time.time(), "attempts": 0, "not_before": 0.0, **item}
        with self._db.cursor() as cur:
            if not item.get("card_key"):
                cur.execute(_INSERT, (new["id"], new["created"], new["approval_key"], Jsonb(new)))
                return str(new["id"])
            row = cur.execute(
                _ENQUEUE_CARD,
                {
                    "lock": f"card:{item['card_key']}",
                    "card": item["card_key"],
                    "changes": Jsonb(item),
                    "id": new["id"],
                    "created": new["created"],
                    "approval": new["approval_key"],
                    "new": Jsonb(new),
                },
            ).fetchone()
        return str(row["id"])

    def restore(self, item: dict[str, Any]) -> None:
        """An item copied from another store as it was (migrate-store)."""
        with self._db.cursor() as cur:
            cur.execute(_INSERT, (item["id"], item["created"], item["approval_key"], Jsonb(item)))

    def items(self) -> list[dict[str, Any]]:
        """The items this replica may deliver now, oldest first: claimed for it (see the module)."""
        with self._db.cursor() as cur:
            rows = cur.execute(
                _CLAIM, {"me": self._replica, "limit": CLAIM_BATCH, "lease": CLAIM_LEASE_SECONDS}
            ).fetchall()
        return sorted((row["item"] for row in rows), key=lambda item: item["created"])

    def all(self) -> list[dict[str, Any]]:
        """Every queued item, claimed or not, oldest first (copying and counting, never delivering)."""
        with self._db.cursor() as cur:
            rows = cur.execute("SELECT item FROM outbox ORDER BY created").fetchall()
        return [row["item"] for row in rows]

    def size(self) -> int:
        with self._db.cursor() as cur:
            row = cur.execute("SELECT count(*) AS n FROM outbox").fetchone()
        return int(row["n"]) if row else 0

    def update(self, item_id: str, **changes: Any) -> None:
        with self._db.cursor() as cur:
            cur.execute("UPDATE outbox SET item = item || %s WHERE id = %s", (Jsonb(changes), item_id))

    def remove(self, item_id: str) -> dict[str, Any] | None:
        with self._db.cursor() as cur:
            row = cur.execute("DELETE FROM outbox WHERE id = %s RETURNING item", (item_id,)).fetchone()
        return row["item"] if row else None

    def hold(self, hold: dict[str, Any]) -> int:
        """Mark every queued item not held yet as held for `hold`; they wait for `release_held`."""
        with self._db.cursor() as cur:
            cur.execute(
                "UPDATE outbox SET item = item || jsonb_build_object('held', %s::jsonb) WHERE NOT held",
                (Jsonb(hold),),
            )
            return cur.rowcount

    def release_held(self) -> int:
        with self._db.cursor() as cur:
            cur.execute(
                'UPDATE outbox SET item = item || \'{"held": null, "not_before": 0.0}\'::jsonb WHERE held'
            )
            return cur.rowcount

    def held(self) -> list[dict[str, Any]]:
        with self._db.cursor() as cur:
            rows = cur.execute("SELECT item FROM outbox WHERE held ORDER BY created").fetchall()
        return [row["item"] for row in rows]


class PostgresFailures:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, item: dict[str, Any], reason: str, at: float) -> None:
        """Remember that `item` ended without reaching Slack; the latest FAILURE_LIMIT are kept."""
        self.restore(failure_record(item, reason, at))

    def restore(self, doc: dict[str, Any]) -> None:
        """A failure record as it is (also what migrate-store copies)."""
        at = doc["at"]
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO failed_deliveries (id, at, doc) VALUES (%s, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at, doc = EXCLUDED.doc",
                (doc["id"], at, Jsonb(doc)),
            )
            cur.execute(
                "DELETE FROM failed_deliveries WHERE id IN (SELECT id FROM failed_deliveries "
                "ORDER BY at DESC OFFSET %s)",
                (FAILURE_LIMIT,),
            )

    def latest(self, limit: int | None = None) -> list[dict[str, Any]]:
        with self._db.cursor() as cur:
            rows = cur.execute(
                "SELECT doc FROM failed_deliveries ORDER BY at DESC LIMIT %s", (limit,)
            ).fetchall()
        return [row["doc"] for row in rows]

    def count(self) -> int:
        with self._db.cursor() as cur:
            row = cur.execute("SELECT count(*) AS n FROM failed_deliveries").fetchone()
        return int(row["n"]) if row else 0
