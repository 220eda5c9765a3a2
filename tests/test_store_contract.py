"""One contract for the store's repositories, held by both backends: TinyDB files and PostgreSQL.

Each test runs against both (`store` is parametrized); PostgreSQL gets a real server (tests/pg.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.tinydb import TinyDBStore

BACKENDS = ["tinydb", "postgresql"]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "tinydb":
        opened: Store = TinyDBStore(tmp_path / "approvals.json")
    else:
        from bot.store.postgres import PostgresStore

        opened = PostgresStore(request.getfixturevalue("pg_url"), replica="r1")
    yield opened
    opened.close()


def approval(
    key: str, *, final: bool = False, updated: float = 1.0, applicant: str = "U0APP", waiting: tuple = ()
) -> dict:
    return {
        "key": key,
        "final": final,
        "updated": updated,
        "snapshot": {"n": key},
        "cards": {},
        "approvers": [],
        "slack": {"applicant": applicant, "waiting": list(waiting)},
    }


def test_approvals_are_stored_by_key_and_listed_open_or_recent(store: Store) -> None:
    with store.transaction():
        store.approvals.put(approval("wecom:1"))
        store.approvals.put(approval("wecom:2", final=True))
    assert store.approvals.get("wecom:1")["snapshot"] == {"n": "wecom:1"}
    assert store.approvals.get("missing") is None
    assert [d["key"] for d in store.approvals.open()] == ["wecom:1"]
    with store.transaction():
        store.approvals.put({**approval("wecom:1", final=True), "snapshot": {"n": "changed"}})
    assert store.approvals.open() == []
    assert store.approvals.get("wecom:1")["snapshot"] == {"n": "changed"}


def test_approvals_involving_a_person_follow_who_filed_and_who_is_waited_on(store: Store) -> None:
    def involving(person: str) -> list[str]:
        return sorted(d["key"] for d in store.approvals.involving(person))

    with store.transaction():
        store.approvals.put(approval("wecom:1", applicant="U0A", waiting=("U0B", "U0C")))
        store.approvals.put(approval("wecom:2", applicant="U0B", final=True))
        store.approvals.put(approval("wecom:3", applicant="U0C"))
    assert involving("U0A") == ["wecom:1"]
    assert involving("U0B") == ["wecom:1", "wecom:2"]  # waited on, and filed one now finished
    assert involving("U0C") == ["wecom:1", "wecom:3"]
    assert involving("U0NOBODY") == []
    with store.transaction():  # U0B decided: the approval waits on U0C alone, then it is finished
        store.approvals.put(approval("wecom:1", applicant="U0A", waiting=("U0C",)))
    assert involving("U0B") == ["wecom:2"]
    with store.transaction():
        store.approvals.put(approval("wecom:1", applicant="U0A", final=True, updated=2.0))
    assert involving("U0A") == ["wecom:1"]  # recently finished: still on the applicant's list
    assert involving("U0C") == ["wecom:3"]


def test_a_card_is_kept_with_its_approval(store: Store) -> None:
    with store.transaction():
        store.approvals.put(approval("wecom:1"))
        store.cards.set("wecom:1", "approver:U1", "D1", "1.0001")
        store.cards.set("missing", "approver:U1", "D1", "1.0002")  # no approval: nothing kept
    assert store.cards.get("wecom:1", "approver:U1") == {"channel": "D1", "ts": "1.0001"}
    assert store.approvals.get("wecom:1")["cards"] == {"approver:U1": {"channel": "D1", "ts": "1.0001"}}
    assert store.cards.get("missing", "approver:U1") is None
    with store.transaction():
        store.cards.set("wecom:1", "channel_card:C1", "C1", "1.0003")
    assert store.approvals.get("wecom:1")["cards"] == {
        "approver:U1": {"channel": "D1", "ts": "1.0001"},
        "channel_card:C1": {"channel": "C1", "ts": "1.0003"},
    }
    with store.transaction():
        doc = store.approvals.get("wecom:1")
        store.approvals.put({**doc, "updated": 2.0})  # a document written back as read keeps its cards
    assert store.cards.get("wecom:1", "approver:U1") == {"channel": "D1", "ts": "1.0001"}


def test_a_card_is_found_by_its_message_for_replies_in_its_thread(store: Store) -> None:
    with store.transaction():
        store.approvals.put(approval("local:1"))
        store.cards.set("local:1", "local:1|applicant_card:U1", "D1", "1.0001")
        store.cards.set("local:1", "local:1|approver_card:U2", "D2", "1.0002")
    assert store.cards.find("D2", "1.0002") == ("local:1", "local:1|approver_card:U2")
    assert store.cards.find("D1", "1.0002") is None  # a ts is one channel's
    assert store.cards.find("D9", "9.0009") is None


def test_a_rolled_back_transaction_leaves_nothing(store: Store) -> None:
    generation = store.generation
    with pytest.raises(RuntimeError), store.transaction():
        store.approvals.put(approval("wecom:1"))
        store.meta.set("k", 1)
        raise RuntimeError("half-way")
    assert store.approvals.get("wecom:1") is None
    assert store.meta.get("k") is None
    assert store.generation > generation


def test_work_left_uncommitted_is_written_by_the_next_commit(store: Store) -> None:
    with store.transaction(commit=False):
        store.meta.set("k", 1)
    store.commit()
    assert store.meta.get("k") == 1


def test_the_outbox_keeps_order_and_merges_a_queued_card(store: Store) -> None:
    with store.transaction():
        first = store.outbox.enqueue({"approval_key": "a", "user": "U1", "kind": "new", "card_key": "c1"})
        second = store.outbox.enqueue({"approval_key": "a", "user": "U2", "kind": "new"})
        merged = store.outbox.enqueue(
            {"approval_key": "a", "user": "U1", "kind": "changed", "card_key": "c1"}
        )
    assert merged == first
    items = store.outbox.items()
    assert [i["id"] for i in items] == [first, second]
    assert items[0]["kind"] == "changed" and items[0]["attempts"] == 0
    assert store.outbox.size() == 2
    with store.transaction():
        store.outbox.update(first, in_flight=True)
        apart = store.outbox.enqueue({"approval_key": "a", "user": "U1", "kind": "done", "card_key": "c1"})
    assert apart not in (first, second)  # one being sent is not merged into
    with store.transaction():
        removed = store.outbox.remove(first)
    assert removed is not None and removed["id"] == first
    assert store.outbox.remove(first) is None
    assert [i["id"] for i in store.outbox.items()] == [second, apart]


def test_every_queued_item_is_listed_without_being_claimed(store: Store) -> None:
    with store.transaction():
        first = store.outbox.enqueue({"approval_key": "a", "user": "U1", "kind": "comment", "text": "1"})
        second = store.outbox.enqueue({"approval_key": "b", "user": "U2", "kind": "comment", "text": "2"})
    assert [item["id"] for item in store.outbox.all()] == [first, second]
    assert [item["id"] for item in store.outbox.items()] == [first, second]  # listing claimed nothing


def test_held_items_wait_for_release(store: Store) -> None:
    with store.transaction():
        store.outbox.enqueue({"approval_key": "a", "user": "U1", "kind": "new"})
        store.outbox.enqueue({"approval_key": "b", "user": "U2", "kind": "new"})
        assert store.outbox.hold({"reason": "invalid_auth"}) == 2
        assert store.outbox.hold({"reason": "other"}) == 0
    assert [i["held"] for i in store.outbox.held()] == [{"reason": "invalid_auth"}] * 2
    with store.transaction():
        assert store.outbox.release_held() == 2
    assert store.outbox.held() == []


def test_failures_are_kept_newest_first(store: Store) -> None:
    with store.transaction():
        store.failures.record({"id": "1", "approval_key": "a", "user": "U1", "kind": "new"}, "gone", 10.0)
        store.failures.record({"id": "2", "approval_key": "b", "channel": "C1", "kind": "new"}, "gone", 20.0)
    assert [f["id"] for f in store.failures.latest()] == ["2", "1"]
    assert store.failures.latest(1)[0]["recipient"] == "C1"
    assert store.failures.count() == 2


def test_a_dedupe_key_is_remembered(store: Store) -> None:
    assert not store.dedupe.seen("k")
    with store.transaction():
        store.dedupe.remember("k")
        store.dedupe.remember("k")
    assert store.dedupe.seen("k")


def test_form_reads_owed_are_kept_once_per_approval_and_come_due_oldest_first(store: Store) -> None:
    with store.transaction():
        store.details_wanted.want("a")
        store.details_wanted.want("b")
        store.details_wanted.want("c")
        store.details_wanted.retry_at("a", 100.0, 1)
        store.details_wanted.want("a")  # already owed: its back-off stays
    assert store.details_wanted.size() == 3 and store.details_wanted.has("a")
    assert [d["key"] for d in store.details_wanted.due(50.0, 1)] == ["b"]
    with store.transaction():
        store.details_wanted.done("b")
    assert [(d["key"], d["attempts"]) for d in store.details_wanted.due(1000.0, 10)] == [("a", 1), ("c", 0)]
    with store.transaction():
        store.details_wanted.done("a")
    assert not store.details_wanted.has("a") and store.details_wanted.size() == 1


def test_people_cache_and_identity_mappings(store: Store) -> None:
    with store.transaction():
        store.people.cache_user("wecom:u1", slack_id="U1")
        assert store.people.put_identity("wecom", "U1", "u1", by="admin") == []
        assert store.people.put_identity("wecom", "U2", "u1") == ["U1"]  # u1 is one Slack user
    assert store.people.cached_user("wecom:u1")["slack_id"] == "U1"
    assert store.people.mapped_provider_id("wecom", "U2") == "u1"
    assert store.people.mapped_provider_id("wecom", "U1") is None
    assert store.people.mapped_slack_id("wecom", "u1") == "U2"
    assert [m["slack_id"] for m in store.people.identity_mappings()] == ["U2"]
    with store.transaction():
        store.people.forget_cached_users(["wecom:u1"])
        assert store.people.remove_identity("wecom", "U2")["provider_id"] == "u1"
        assert store.people.remove_identity("wecom", "U2") is None
    assert store.people.cached_user("wecom:u1") is None
    assert store.people.mapped_slack_id("wecom", "u1") is None
    with store.transaction():  # U3 moves from u2 to u3: u2 is nobody's any more
        store.people.put_identity("wecom", "U3", "u2")
        store.people.put_identity("wecom", "U3", "u3")
    assert store.people.mapped_slack_id("wecom", "u2") is None
    assert store.people.mapped_slack_id("wecom", "u3") == "U3"


def test_drafts_by_id_and_by_the_number_they_were_filed_as(store: Store) -> None:
    now = time.time()
    with store.transaction():
        store.drafts.put({"id": "d1", "user": "U1", "status": "open", "created": now})
        store.drafts.put(
            {"id": "d1", "user": "U1", "status": "filed", "number": "202401010001", "created": now}
        )
        store.drafts.put({"id": "old", "user": "U1", "status": "open", "created": now - 8 * 24 * 3600})
    assert store.drafts.get("d1")["status"] == "filed"
    assert store.drafts.filed_as("202401010001")["id"] == "d1"
    assert store.drafts.get("old") is None  # expired drafts go as new ones come


def test_a_link_is_used_once(store: Store) -> None:
    assert store.link_uses.use("l1", expires=2_000, now=1_000)
    assert not store.link_uses.use("l1", expires=2_000, now=1_001)
    assert store.link_uses.use("l2", expires=5_000, now=3_000)
    assert store.link_uses.use("l1", expires=9_000, now=3_000)  # expired, forgotten: a new link's id


def test_templates_and_meta(store: Store) -> None:
    with store.transaction():
        store.templates.put({"alias": "leave", "provider": "wecom", "template_id": "t1"})
        store.templates.put({"alias": "leave", "provider": "wecom", "template_id": "t2"})
        store.meta.set("n", {"a": [1, 2]})
    assert store.templates.tracked() == [{"alias": "leave", "provider": "wecom", "template_id": "t2"}]
    assert store.meta.get("n") == {"a": [1, 2]}
    assert store.meta.get("none", "default") == "default"
    secret = store.meta.secret("links")
    assert len(secret) == 32 and store.meta.secret("links") == secret


def test_policy_overrides_are_kept_one_per_template_and_survive_a_rollback_of_others(store: Store) -> None:
    first = {"template": "local:trip", "provider": "local", "template_id": "trip", "values": {"a": 1}}
    with store.transaction():
        store.policy_overrides.put(first)
        store.policy_overrides.put({**first, "values": {"expire_after_hours": 168.0}})
        store.policy_overrides.put({**first, "template": "wecom:T1", "provider": "wecom", "template_id": "1"})
    with pytest.raises(RuntimeError), store.transaction():
        store.policy_overrides.put({**first, "values": {"lost": True}})
        raise RuntimeError("rolled back")
    kept = sorted(store.policy_overrides.all(), key=lambda doc: doc["template"])
    assert [(doc["template"], doc["values"]) for doc in kept] == [
        ("local:trip", {"expire_after_hours": 168.0}),
        ("wecom:T1", {"a": 1}),
    ]


def test_the_inbox_gives_what_is_not_applied_in_order(store: Store) -> None:
    seqs = [store.inbox.append({"source": "t", "n": n}, key=f"t:{n}") for n in range(3)]
    assert seqs == sorted(seqs)
    assert [r["n"] for _s, r in store.inbox.pending(10)] == [0, 1, 2]
    with store.transaction(commit=False):
        store.inbox.applied(seqs[0])
    store.commit()
    store.inbox.discard_applied()
    assert store.inbox.checkpoint() == seqs[0]
    assert [r["n"] for _s, r in store.inbox.pending(10)] == [1, 2]
    with pytest.raises(RuntimeError), store.transaction():
        store.inbox.applied(seqs[1])
        raise RuntimeError("not stored")
    assert [r["n"] for _s, r in store.inbox.pending(10)] == [1, 2]
    store.rollback()


def test_absences_are_kept_per_person_replaced_and_removed(store: Store) -> None:
    away = {"user": "U1", "until": 2000, "delegate": "U2", "reason": "leave", "set_by": "U1", "set_at": 1000}
    with store.transaction():
        store.absences.put(away)
        store.absences.put({**away, "user": "U3", "delegate": "U4"})
    assert store.absences.get("U1") == away
    assert store.absences.get("U9") is None
    with store.transaction():
        store.absences.put({**away, "until": 3000, "set_by": "UADMIN"})
    assert store.absences.get("U1")["until"] == 3000
    assert [doc["user"] for doc in store.absences.all()] == ["U1", "U3"]
    with store.transaction():
        removed = store.absences.remove("U1")
        assert store.absences.remove("U9") is None
    assert removed["set_by"] == "UADMIN"
    assert store.absences.get("U1") is None
    assert [doc["user"] for doc in store.absences.all()] == ["U3"]


def test_a_channels_retry_after_holds_until_it_is_over(store: Store) -> None:
    holds = store.delivery_holds
    holds.hold_channel("D1", until=110.0, now=100.0)
    holds.hold_channel("D1", until=105.0, now=100.0)  # an earlier end does not shorten the hold
    holds.hold_channel("C2", until=102.0, now=100.0)
    assert holds.channels_held(now=101.0) == {"D1": 110.0, "C2": 102.0}
    assert holds.channels_held(now=102.0) == {"D1": 110.0}
    holds.hold_channel("C3", until=130.0, now=120.0)
    assert holds.channels_held(now=120.0) == {"C3": 130.0}


def test_a_channels_turn_is_claimed_by_one_caller_at_a_time(store: Store) -> None:
    holds = store.delivery_holds
    assert holds.claim_channels(["D1", "D2"], until=101.0, now=100.0) == {"D1", "D2"}
    assert holds.claim_channels(["D1", "D3"], until=101.5, now=100.5) == {"D3"}  # D1's turn is taken
    holds.hold_channel("D2", until=130.0, now=100.5)  # Slack's Retry-After outlasts the turn
    assert holds.claim_channels(["D1", "D2"], until=102.0, now=101.0) == {"D1"}
    assert holds.channels_held(now=101.0) == {"D1": 102.0, "D2": 130.0, "D3": 101.5}
    assert holds.claim_channels([], until=200.0, now=199.0) == set()
    holds.release_channels(["D1", "D2"], until=102.0)  # D1's unused turn ends; D2's Retry-After stays
    assert holds.claim_channels(["D1", "D2"], until=102.5, now=101.5) == {"D1"}


def test_a_fault_holds_delivery_and_one_caller_claims_each_probe(store: Store) -> None:
    holds = store.delivery_holds
    assert holds.fault() is None
    fault = {"reason": "invalid_auth", "needed": [], "probe_wait": 15.0}
    assert holds.hold_all(fault, probe_at=115.0) is True
    assert holds.hold_all(fault, probe_at=200.0) is False  # already held: its probe's time stays
    assert holds.fault() == {**fault, "probe_at": 115.0}
    assert holds.claim_probe(now=110.0, probe_wait=30.0) is False  # not due yet
    assert holds.claim_probe(now=115.0, probe_wait=30.0) is True
    assert holds.claim_probe(now=115.0, probe_wait=30.0) is False  # claimed: the next is due at 145
    assert holds.fault() == {**fault, "probe_at": 145.0, "probe_wait": 30.0}

    scope = {"reason": "missing_scope", "needed": ["chat:write"], "probe_wait": 15.0}
    assert holds.hold_all(scope, probe_at=175.0) is True  # another fault: recorded, backoff kept
    assert holds.fault() == {**scope, "probe_at": 175.0, "probe_wait": 30.0}
    assert holds.release_all() is True
    assert holds.fault() is None and holds.release_all() is False
    assert holds.claim_probe(now=500.0, probe_wait=30.0) is False


def test_replicas_share_delivery_holds(pg_url: str) -> None:
    from bot.store.postgres import PostgresStore

    first, second = PostgresStore(pg_url, replica="r1"), PostgresStore(pg_url, replica="r2")
    try:
        first.delivery_holds.hold_channel("D1", until=110.0, now=100.0)
        assert second.delivery_holds.channels_held(now=100.0) == {"D1": 110.0}
        first.delivery_holds.hold_all({"reason": "invalid_auth", "needed": [], "probe_wait": 15.0}, 100.0)
        assert second.delivery_holds.hold_all({"reason": "invalid_auth", "needed": []}, 100.0) is False
        assert second.delivery_holds.claim_probe(now=100.0, probe_wait=30.0) is True
        assert first.delivery_holds.claim_probe(now=100.0, probe_wait=30.0) is False
        assert first.delivery_holds.fault()["probe_at"] == 130.0
        assert second.delivery_holds.release_all() is True
        assert first.delivery_holds.fault() is None
    finally:
        first.close()
        second.close()
