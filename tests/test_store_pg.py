"""What only a shared database must hold: two replicas' stores on one PostgreSQL, never one at a time.

Exactly once is a constraint or a lock in the database: a link used once, a draft claimed once, an
inbox row applied by one replica and one approval's events in order, an outbox item claimed by one,
one leader. And `migrate-store` copies a TinyDB store, counts it, and never overwrites; `export` only
reads, and refuses a schema that is not its own.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bot.cli import main
from bot.store.postgres import AdvisoryLeadership, PostgresStore, records
from bot.store.postgres.migrations import current_version
from bot.store.postgres.records import DETAIL_LEASE
from bot.store.tinydb import TinyDBStore
from handlers.slack_http import SharedClaims
from tests.harness import wait_for, write_config
from tests.pg import with_database
from tests.test_cli import EXPECTED_ROWS, approved_leave, doc_of, pending_purchase


@pytest.fixture
def pair(pg_url: str) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    first, second = PostgresStore(pg_url, replica="r1"), PostgresStore(pg_url, replica="r2")
    yield first, second
    first.close()
    second.close()


def test_a_link_is_used_once_across_replicas(pair: tuple[PostgresStore, PostgresStore]) -> None:
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda s=s: results.append(s.link_uses.use("l1", 9_999_999_999, time.time())))
        for s in pair * 4
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_a_slack_request_is_accepted_by_one_replica(pair: tuple[PostgresStore, PostgresStore]) -> None:
    """The Slack guard's claims on a shared database: one replica takes a request; a refused one is
    released, and then taken again."""
    guards = [SharedClaims(store.dedupe) for store in pair]
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda g=g: results.append(g.claim("v0=abc:1700000000"))) for g in guards * 4
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    guards[0].release("v0=abc:1700000000")
    assert guards[1].claim("v0=abc:1700000000") and not guards[0].claim("v0=abc:1700000000")


def test_a_draft_is_claimed_by_one_replica(pair: tuple[PostgresStore, PostgresStore]) -> None:
    """The read inside the transaction waits for the other's claim: the second sees "filing"."""
    first, second = pair
    with first.transaction():
        first.drafts.put({"id": "d1", "user": "U1", "status": "open", "created": time.time()})
    claimed: list[str] = []
    inside = threading.Event()

    def claim(store: PostgresStore, hold: bool) -> None:
        with store.transaction():
            draft = store.drafts.get("d1")
            if hold:
                inside.set()
                time.sleep(0.2)  # widen the window the other replica would race into
            if draft["status"] == "open":
                store.drafts.put({**draft, "status": "filing"})
                claimed.append(store.replica)

    holder = threading.Thread(target=claim, args=(first, True))
    holder.start()
    assert inside.wait(10)
    claim(second, False)
    holder.join()
    assert claimed == ["r1"]


def test_inbox_rows_are_claimed_once_and_in_order_per_approval(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = pair
    for n in range(3):
        first.inbox.append({"n": n}, key="wecom:A")
    first.inbox.append({"n": 3}, key="wecom:B")
    mine = first.inbox.pending(10)  # r1's transaction holds them
    assert [r["n"] for _s, r in mine] == [0, 3]  # A's later events wait for its first
    assert second.inbox.pending(10) == []  # held by r1, and A's next waits for A's first
    first.inbox.applied(mine[0][0])
    first.commit()  # A's first applied; B's released unapplied
    assert [r["n"] for _s, r in second.inbox.pending(10)] == [1, 3]
    second.rollback()
    assert first.inbox.checkpoint() == mine[0][0]


def test_an_outbox_item_is_claimed_by_one_replica(pair: tuple[PostgresStore, PostgresStore]) -> None:
    first, second = pair
    with first.transaction():
        first.outbox.enqueue({"approval_key": "A", "user": "U1", "kind": "new", "card_key": "c1"})
        first.outbox.enqueue({"approval_key": "B", "user": "U1", "kind": "new"})
    assert len(first.outbox.items()) == 2
    assert second.outbox.items() == []
    with second.transaction():  # a new item of an approval r1 holds stays with r1
        second.outbox.enqueue({"approval_key": "A", "user": "U2", "kind": "new"})
    assert second.outbox.items() == []
    assert len(first.outbox.items()) == 3
    with first.db.cursor() as cur:  # as when r1 stopped renewing its claims
        cur.execute("UPDATE outbox SET claimed_until = now() - interval '1 second'")
    assert len(second.outbox.items()) == 3  # r1's lease ran out: r2 takes over


def test_listing_the_outbox_claims_nothing(pair: tuple[PostgresStore, PostgresStore]) -> None:
    first, second = pair
    queued = first.outbox.enqueue({"approval_key": "a", "user": "U1", "kind": "comment", "text": "hi"})
    assert [item["id"] for item in first.outbox.all()] == [queued]  # e.g. the admins' outbox report
    assert [item["id"] for item in second.outbox.items()] == [queued]  # still free for any replica


def test_a_card_another_replica_holds_is_queued_apart_without_waiting(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    """Two replicas refreshing one person's App Home in open transactions: neither waits for the other
    (waiting deadlocked replicas that took two people's cards in opposite orders)."""
    first, second = pair
    home = {"approval_key": "home:U1", "card_key": "home:U1", "user": "U1", "kind": "home", "text": ""}
    with first.transaction():
        mine = first.outbox.enqueue(home)
        assert first.outbox.enqueue({**home, "text": "again"}) == mine  # its own card: merged
        done = threading.Event()
        theirs: list[str] = []

        def other_replica() -> None:
            with second.transaction():
                theirs.append(second.outbox.enqueue(home))
            done.set()

        threading.Thread(target=other_replica).start()
        assert done.wait(timeout=30), "the other replica waited for this transaction"
    assert theirs and theirs[0] != mine
    assert sorted(item["id"] for item in first.outbox.all()) == sorted([mine, theirs[0]])
    with second.transaction():
        assert second.outbox.enqueue(home) in (mine, theirs[0])  # no one holds it now: merged again
    assert len(first.outbox.all()) == 2


def test_dedupe_keys_keep_their_bound_trimmed_now_and_then(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "DEDUPE_LIMIT", 5)
    monkeypatch.setattr(records, "DEDUPE_TRIM_EVERY", 3)
    store = PostgresStore(pg_url)
    try:
        for n in range(9):
            with store.transaction():
                store.dedupe.remember(f"k{n}")
            assert store.counts(("dedupe",))["dedupe"] <= 5 + 2
        assert store.counts(("dedupe",))["dedupe"] == 5  # trimmed at the 9th: the newest five kept
        assert [store.dedupe.seen(f"k{n}") for n in (3, 4, 8)] == [False, True, True]
    finally:
        store.close()


def test_a_form_read_owed_is_taken_by_one_replica_until_its_lease_runs_out(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = pair
    with first.transaction():
        for key in ("A", "B", "C"):
            first.details_wanted.want(key)
    now = time.time()
    taken = [d["key"] for d in first.details_wanted.due(now, 2)]
    assert taken == ["A", "B"]
    assert [d["key"] for d in second.details_wanted.due(now, 10)] == ["C"]  # never what r1 is reading
    assert second.details_wanted.due(now, 10) == []
    later = now + DETAIL_LEASE + 1  # r1 died while reading: its entries come due again
    assert sorted(d["key"] for d in second.details_wanted.due(later, 10)) == ["A", "B", "C"]


def test_one_leader_and_a_standby_that_takes_over(pg_url: str) -> None:
    first, second = AdvisoryLeadership(pg_url, "r1"), AdvisoryLeadership(pg_url, "r2")
    try:
        assert first.check() and not second.check()
        assert first.check() and second.leader() == "r1"
        first.close()  # as when its process dies: the session ends, and its lock once the server sees it
        wait_for(second.check, timeout=10, what="the standby taking the lead")
        assert second.leader() == "r2"
        assert not first.check()
    finally:
        first.close()
        second.close()


def test_migrate_store_copies_counts_and_refuses_to_overwrite(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "approvals.json"
    store = TinyDBStore(path)
    with store.transaction():
        store.approvals.put({"key": "wecom:1", "final": False, "snapshot": {}, "cards": {}, "approvers": []})
        store.cards.set("wecom:1", "approver:U1", "D1", "1.1")
        store.approvals.put({"key": "wecom:2", "final": True, "snapshot": {}, "cards": {}, "approvers": []})
        store.outbox.enqueue({"approval_key": "wecom:1", "user": "U1", "kind": "new"})
        store.drafts.put({"id": "d1", "user": "U1", "status": "open", "created": time.time()})
        store.people.put_identity("wecom", "U1", "u1")
        store.meta.set("secret:links", "ab" * 32)
    store.inbox.append({"source": "wecom", "xml": "<xml/>"})
    store.close()
    config = write_config(
        tmp_path / "config.toml", "http://127.0.0.1:9", "http://127.0.0.1:9", path, {"U1": "u1"}
    )
    assert main(["migrate-store", "--config", str(config), "--to", pg_url]) == 0
    out = capsys.readouterr().out
    for line in ("approvals: 2", "cards: 1", "outbox: 1", "drafts: 1", "identities: 1", "inbox: 1"):
        assert line in out
    copied = PostgresStore(pg_url)
    try:
        assert copied.cards.get("wecom:1", "approver:U1") == {"channel": "D1", "ts": "1.1"}
        assert copied.meta.secret("links") == bytes.fromhex("ab" * 32)  # links signed before still work
        assert copied.people.mapped_provider_id("wecom", "U1") == "u1"
    finally:
        copied.close()
    assert main(["migrate-store", "--config", str(config), "--to", pg_url]) == 1
    assert "not empty" in capsys.readouterr().err


def test_export_reads_the_database_and_writes_nothing(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same rows as from TinyDB; the tool's sessions are read-only in the server itself."""
    store = PostgresStore(pg_url)
    with store.transaction():
        store.approvals.put(doc_of(pending_purchase(), 1_700_000_400.75))
        store.approvals.put(doc_of(approved_leave(), 1_700_000_160.25))
    store.close()
    config = write_config(
        tmp_path / "c.toml",
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
        tmp_path / "a.json",
        {},
        store_url=pg_url,
    )
    assert main(["export", "--config", str(config), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == EXPECTED_ROWS
    assert not (tmp_path / "a.json").exists()  # no TinyDB store was opened beside it
    reader = PostgresStore(pg_url, read_only=True)
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            reader.meta.set("written", True)
    finally:
        reader.close()


@pytest.mark.parametrize("recorded", [None, "newer"])
def test_export_refuses_a_schema_not_its_own_and_changes_nothing(
    pg_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], recorded: str | None
) -> None:
    """No schema at all (serve never ran on it) or one a newer bot wrote: refused, left as it was."""
    name = f"approvals_ro_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_database(pg_server, name)
    try:
        if recorded == "newer":
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("CREATE TABLE schema_migrations (version integer PRIMARY KEY)")
                conn.execute("INSERT INTO schema_migrations VALUES (%s)", (current_version() + 1,))
        config = write_config(
            tmp_path / "c.toml",
            "http://127.0.0.1:9",
            "http://127.0.0.1:9",
            tmp_path / "a.json",
            {},
            store_url=url,
        )
        assert main(["export", "--config", str(config)]) == 3
        err = capsys.readouterr().err
        assert ("newer approvals-bot" if recorded else "no schema") in err and "nothing was changed" in err
        with psycopg.connect(url) as conn:
            tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        assert tables == ([("schema_migrations",)] if recorded else [])
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
