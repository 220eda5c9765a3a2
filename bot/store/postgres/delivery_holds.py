"""Delivery holds shared by every replica: one replica meeting Slack's 429 or a refused token holds
delivery on all of them (the `delivery_holds` table; the port is `DeliveryHolds`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg.types.json import Jsonb

from bot.store.postgres.database import Database

FAULT = "fault"
CHANNEL = "channel:"


class PostgresDeliveryHolds:
    def __init__(self, db: Database) -> None:
        self._db = db

    def hold_channel(self, channel: str, until: float, now: float) -> None:
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO delivery_holds (name, until_at) VALUES (%s, %s) ON CONFLICT (name) "
                "DO UPDATE SET until_at = greatest(delivery_holds.until_at, EXCLUDED.until_at)",
                (CHANNEL + channel, until),
            )
            cur.execute("DELETE FROM delivery_holds WHERE name LIKE 'channel:%%' AND until_at <= %s", (now,))

    def channels_held(self, now: float) -> dict[str, float]:
        with self._db.cursor() as cur:
            rows = cur.execute(
                "SELECT name, until_at FROM delivery_holds WHERE name LIKE 'channel:%%' AND until_at > %s",
                (now,),
            ).fetchall()
        return {row["name"].removeprefix(CHANNEL): row["until_at"] for row in rows}

    def claim_channels(self, channels: Iterable[str], until: float, now: float) -> set[str]:
        """One statement: a channel another replica claims at the same moment is decided by its row
        lock (the second UPDATE finds the hold not over and returns nothing)."""
        names = [CHANNEL + channel for channel in channels]
        if not names:
            return set()
        with self._db.cursor() as cur:
            rows = cur.execute(
                "INSERT INTO delivery_holds (name, until_at) SELECT unnest(%(names)s::text[]), %(until)s "
                "ON CONFLICT (name) DO UPDATE SET until_at = EXCLUDED.until_at "
                "WHERE delivery_holds.until_at <= %(now)s RETURNING name",
                {"names": names, "until": until, "now": now},
            ).fetchall()
        return {row["name"].removeprefix(CHANNEL) for row in rows}

    def release_channels(self, channels: Iterable[str], until: float) -> None:
        with self._db.cursor() as cur:
            cur.execute(
                "DELETE FROM delivery_holds WHERE name = ANY(%s::text[]) AND until_at <= %s",
                ([CHANNEL + channel for channel in channels], until),
            )

    def hold_all(self, fault: dict[str, Any], probe_at: float) -> bool:
        """Inserted, or replaced when the reason or scopes differ (the probe's backoff carries on)."""
        with self._db.cursor() as cur:
            row = cur.execute(
                "INSERT INTO delivery_holds (name, until_at, doc) VALUES (%(name)s, %(at)s, %(doc)s) "
                "ON CONFLICT (name) DO UPDATE SET until_at = EXCLUDED.until_at, "
                "doc = EXCLUDED.doc || jsonb_build_object('probe_wait', delivery_holds.doc->'probe_wait') "
                "WHERE (delivery_holds.doc->'reason', delivery_holds.doc->'needed') "
                "IS DISTINCT FROM (EXCLUDED.doc->'reason', EXCLUDED.doc->'needed') "
                "RETURNING name",
                {"name": FAULT, "at": probe_at, "doc": Jsonb(fault)},
            ).fetchone()
        return row is not None

    def fault(self) -> dict[str, Any] | None:
        with self._db.cursor() as cur:
            row = cur.execute("SELECT until_at, doc FROM delivery_holds WHERE name = %s", (FAULT,)).fetchone()
        return {**row["doc"], "probe_at": row["until_at"]} if row else None

    def claim_probe(self, now: float, probe_wait: float) -> bool:
        """One replica's UPDATE moves the probe on; another's, waiting for its row lock, then finds it
        not due and updates nothing."""
        with self._db.cursor() as cur:
            cur.execute(
                "UPDATE delivery_holds SET until_at = %(now)s + %(wait)s, "
                "doc = doc || jsonb_build_object('probe_wait', %(wait)s::double precision) "
                "WHERE name = %(name)s AND until_at <= %(now)s",
                {"name": FAULT, "now": now, "wait": probe_wait},
            )
            return cur.rowcount == 1

    def release_all(self) -> bool:
        with self._db.cursor() as cur:
            cur.execute("DELETE FROM delivery_holds WHERE name = %s", (FAULT,))
            return cur.rowcount == 1
