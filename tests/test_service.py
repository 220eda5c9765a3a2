"""apply_snapshot and the inbox processor, over a real Store, without network."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from slack_sdk import WebClient

import bot.service
from bot.codec import snapshot_from_dict, snapshot_to_dict
from bot.directory import Directory
from bot.model import Action, ApprovalStatus, Snapshot
from bot.processor import OUTAGE_PATIENCE, DetailReader, InboxProcessor
from bot.provider_ports import Capabilities, ProviderError
from bot.service import ApprovalService, ServiceSettings
from bot.store import Store
from bot.store.tinydb import TinyDBStore
from handlers.render import Renderer
from handlers.slack_accounts import SlackAccounts
from tests.factories import member, node, snapshot, with_fields

USERS = {"UAPPLICANT": "applicant", "UA": "a", "UB": "b", "UCAROL": "carol"}


class StubProvider:
    name = "wecom"
    identity = "wecom"
    capabilities = Capabilities(files=True, calls_back=True, sweeps=True)

    def display_name(self, lang: str) -> str:
        return "WeCom"

    def __init__(self) -> None:
        self.details: dict[str, Snapshot] = {}
        self.reads = 0

    def fetch_details(self, snap: Snapshot) -> Snapshot:
        self.reads += 1
        if snap.number not in self.details:
            raise ProviderError("WeCom is down")
        return self.details[snap.number]

    def approval_link(self, snap: Snapshot, approver: str | None = None) -> str | None:
        return f"https://wecom.example/{snap.number}"

    def email_of(self, user_id: str) -> str | None:
        return None


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = TinyDBStore(tmp_path / "approvals.json")
    yield store
    store.close()


@pytest.fixture
def provider() -> StubProvider:
    return StubProvider()


def make_service(store: Store, provider: StubProvider, audit: str = "CAUDIT") -> ApprovalService:
    # static mapping only: never called
    unused_slack = SlackAccounts(WebClient(base_url="http://127.0.0.1:9/"))
    directory = Directory(store, unused_slack, {"wecom": USERS})
    return ApprovalService(store, directory, {"wecom": provider}, ServiceSettings("en", audit))


@pytest.fixture
def service(store: Store, provider: StubProvider) -> ApprovalService:
    return make_service(store, provider)


def audit_lines(store: Store, service: ApprovalService) -> list[str]:
    """The audit channel's lines, as the Slack edge renders them when it delivers."""
    render = Renderer(service, service.settings.language)
    return [render(i)[0] for i in store.outbox.items() if i["kind"] == "audit"]  # type: ignore[index]


def outbox(store: Store) -> list[tuple[str, str]]:
    """Messages queued (App Home refreshes are checked on their own)."""
    return [
        (i["kind"], i.get("user") or i.get("channel")) for i in store.outbox.items() if i["kind"] != "home"
    ]


def test_app_home_is_refreshed_for_the_applicant_and_whoever_it_waits_on(
    store: Store, service: ApprovalService
) -> None:
    service.apply_snapshot(snapshot(node(member("a")), node(member("b"))))
    homes = {i["user"] for i in store.outbox.items() if i["kind"] == "home"}
    assert homes == {"UAPPLICANT", "UA"}
    for item in store.outbox.items():
        store.outbox.remove(item["id"])
    service.apply_snapshot(
        snapshot(node(member("a", 2, 1_700_000_100)), node(member("b")), action=Action.APPROVE)
    )
    homes = {i["user"] for i in store.outbox.items() if i["kind"] == "home"}
    assert homes == {"UAPPLICANT", "UA", "UB"}  # A's list lost it, B's gained it


def test_new_approval_queues_each_card_for_the_mapped_slack_user(
    store: Store, service: ApprovalService
) -> None:
    result = service.apply_snapshot(snapshot(node(member("a"), member("b")), cc=("carol",)))
    assert result.status == "new"
    assert outbox(store) == [
        ("applicant_card", "UAPPLICANT"),
        ("approver_card", "UA"),
        ("approver_card", "UB"),
        ("cc_card", "UCAROL"),
        ("audit", "CAUDIT"),
    ]


def test_unmapped_people_are_reported_not_dropped_silently(store: Store, service: ApprovalService) -> None:
    result = service.apply_snapshot(snapshot(node(member("a"), member("stranger"))))
    assert result.unmapped == ("stranger",)
    audit = audit_lines(store, service)
    assert len(audit) == 2 and "stranger" in audit[1]


def test_same_state_again_is_unchanged_and_queues_nothing(store: Store, service: ApprovalService) -> None:
    snap = snapshot(node(member("a")))
    service.apply_snapshot(snap)
    before = len(store.outbox.items())
    assert service.apply_snapshot(replace(snap, event_time=snap.event_time + 5)).status == "unchanged"
    assert len(store.outbox.items()) == before


def test_an_older_snapshot_never_overwrites_a_newer_one(store: Store, service: ApprovalService) -> None:
    pending = snapshot(node(member("a"), member("b")))
    approved = replace(
        snapshot(node(member("a", 2, 1_700_000_100), member("b", 2, 1_700_000_200)), action=Action.APPROVE),
        status=ApprovalStatus.APPROVED,
    )
    service.apply_snapshot(approved)
    assert service.apply_snapshot(pending).status == "stale"
    stored = snapshot_from_dict(store.approvals.get(approved.key)["snapshot"])
    assert stored.status is ApprovalStatus.APPROVED


def test_form_data_is_read_once_and_kept_for_later_callbacks(
    store: Store, service: ApprovalService, provider: StubProvider
) -> None:
    callback = snapshot(node(member("a"), member("b")))
    provider.details[callback.number] = with_fields(callback)
    service.apply_snapshot(service.complete(callback))
    later = snapshot(node(member("a", 2, 1_700_000_100), member("b")), action=Action.APPROVE)
    completed = service.complete(later)
    assert provider.reads == 1
    assert completed.fields == with_fields(callback).fields
    service.apply_snapshot(later)  # even applied raw, the stored fields survive
    assert snapshot_from_dict(store.approvals.get(later.key)["snapshot"]).has_details


def test_detail_read_failure_still_notifies_from_the_callback(
    store: Store, service: ApprovalService, provider: StubProvider
) -> None:
    callback = snapshot(node(member("a")))
    completed = service.complete(callback)  # the provider raises ProviderError
    assert completed == callback
    assert service.apply_snapshot(completed).status == "new"
    assert ("applicant_card", "UAPPLICANT") in outbox(store)


def test_urge_notifies_current_approvers_without_a_state_change(
    store: Store, service: ApprovalService
) -> None:
    snap = snapshot(node(member("a"), member("b")))
    service.apply_snapshot(snap)
    for item in store.outbox.items():
        store.outbox.remove(item["id"])
    result = service.apply_snapshot(replace(snap, action=Action.URGE, event_time=snap.event_time + 60))
    assert result.status == "urged"
    assert sorted(outbox(store)) == [("audit", "CAUDIT"), ("urge", "UA"), ("urge", "UB")]


def test_final_approvals_move_to_the_archive_once_delivered(store: Store, service: ApprovalService) -> None:
    final = replace(snapshot(node(member("a", 2, 1_700_000_100))), status=ApprovalStatus.APPROVED)
    service.apply_snapshot(final)
    assert [d["key"] for d in store.approvals.open()] == [final.key]  # still delivering
    for item in store.outbox.items():
        store.outbox.remove(item["id"])
    store.commit()
    assert store.approvals.open() == []
    assert store.approvals.archive.keys() == [final.key]
    assert snapshot_from_dict(store.approvals.get(final.key)["snapshot"]) == final


def record_callback(processor: InboxProcessor, snap: Snapshot) -> int:
    return processor.record("test", {"snapshot": snapshot_to_dict(snap)})


def decode(record: dict) -> Snapshot:
    return snapshot_from_dict(record["snapshot"])


def test_acknowledged_events_are_replayed_after_a_restart_and_duplicates_ignored(
    tmp_path: Path, provider: StubProvider
) -> None:
    path = tmp_path / "approvals.json"
    store = TinyDBStore(path)
    processor = InboxProcessor(make_service(store, provider), {"test": decode})
    first = snapshot(node(member("a")))
    record_callback(processor, first)
    record_callback(processor, first)  # WeCom's retry
    store.close()  # "crash" before anything was applied

    store = TinyDBStore(path)
    processor = InboxProcessor(make_service(store, provider), {"test": decode})
    assert processor.apply_pending() == 2
    assert [kind for kind, _ in outbox(store)].count("applicant_card") == 1
    assert processor.apply_pending() == 0  # checkpointed
    store.close()

    store = TinyDBStore(path)
    processor = InboxProcessor(make_service(store, provider), {"test": decode})
    assert processor.apply_pending() == 0  # the checkpoint survived the restart too
    store.close()


class FlakyEmails:
    """An email lookup that is down until `up` is set (WeCom unreachable)."""

    def __init__(self) -> None:
        self.up = False
        self.calls = 0

    def __call__(self, user_id: str) -> str | None:
        self.calls += 1
        if not self.up:
            raise ConnectionError("WeCom unreachable")
        return None  # reachable, but nobody with that email in Slack


def processor_with_lookup(store: Store, provider: StubProvider, emails: FlakyEmails) -> InboxProcessor:
    unused_slack = SlackAccounts(WebClient(base_url="http://127.0.0.1:9/"))
    directory = Directory(store, unused_slack, {"wecom": USERS}, {"wecom": emails})
    service = ApprovalService(store, directory, {"wecom": provider}, ServiceSettings("en", "CAUDIT"))
    return InboxProcessor(service, {"test": decode})


def test_an_outage_during_user_lookup_defers_the_event_instead_of_dropping_people(
    store: Store, provider: StubProvider
) -> None:
    emails = FlakyEmails()
    processor = processor_with_lookup(store, provider, emails)
    record_callback(processor, snapshot(node(member("a"), member("newcomer"))))
    assert processor.apply_pending() == 0
    assert store.outbox.items() == []  # nobody told yet: "newcomer" is unknown, not unmapped
    assert processor.run_once() == 10.0  # backing off: 5 s, then 10 s, ...
    emails.up = True
    assert processor.apply_pending() == 1
    assert ("approver_card", "UA") in outbox(store)


def test_a_long_outage_notifies_whoever_is_known_and_reports_the_rest(
    store: Store, provider: StubProvider
) -> None:
    emails = FlakyEmails()
    processor = processor_with_lookup(store, provider, emails)
    record_callback(processor, snapshot(node(member("a"), member("newcomer"))))
    for _ in range(OUTAGE_PATIENCE):
        assert processor.apply_pending() == 0
    assert processor.apply_pending() == 1
    assert ("approver_card", "UA") in outbox(store)
    audit = audit_lines(store, processor.service)
    assert any("newcomer" in line for line in audit)


def test_an_event_that_breaks_the_code_is_skipped_and_leaves_no_half_state(
    store: Store, provider: StubProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor = InboxProcessor(make_service(store, provider), {"test": decode})
    broken, fine = snapshot(node(member("a")), number="BROKEN"), snapshot(node(member("b")), number="FINE")
    real_view = bot.service._slack_view

    def slack_view(snap: Snapshot, *args: object) -> object:
        if snap.number == "BROKEN":  # after the cards of BROKEN were already queued
            raise RuntimeError("unforeseen data")
        return real_view(snap, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(bot.service, "_slack_view", slack_view)
    record_callback(processor, broken)
    record_callback(processor, fine)
    assert processor.apply_pending() == 2  # both handled: one skipped, one applied
    assert store.approvals.get(broken.key) is None
    assert {i["approval_key"] for i in store.outbox.items() if i["kind"] != "home"} == {fine.key}
    assert processor.apply_pending() == 0  # the broken one is not retried forever


def test_rollback_forgets_uncommitted_changes_and_their_indexes(store: Store) -> None:
    store.approvals.put({"key": "wecom:kept", "final": False, "snapshot": {}, "cards": {}, "approvers": []})
    store.commit()
    with store.transaction(commit=False):
        store.approvals.put(
            {"key": "wecom:lost", "final": True, "snapshot": {}, "cards": {}, "approvers": []}
        )
        store.outbox.enqueue(
            {"approval_key": "wecom:lost", "card_key": "wecom:lost|c", "user": "U1", "text": "x"}
        )
    generation = store.generation
    store.rollback()
    assert store.generation == generation + 1
    assert store.approvals.get("wecom:lost") is None and store.outbox.items() == []  # noqa: RUF100
    assert store.approvals.get("wecom:kept") is not None
    store.outbox.enqueue(
        {"approval_key": "wecom:kept", "card_key": "wecom:kept|c", "user": "U1", "text": "y"}
    )
    assert len(store.outbox.items()) == 1


# the form read apart from the callback (issue 12) ---------------------------------------------------


class ReadingProvider(StubProvider):
    """A provider whose callbacks lack the form (WeCom with API credentials)."""

    capabilities = Capabilities(files=True, calls_back=True, sweeps=True, reads_details=True)


def card_keys(store: Store) -> list[tuple[str, str]]:
    return sorted((i["kind"], i.get("card_key", "")) for i in store.outbox.items() if i["kind"] != "home")


def test_a_callback_is_told_at_once_and_its_form_read_after_updates_the_same_cards(
    store: Store,
) -> None:
    provider = ReadingProvider()
    service = make_service(store, provider)
    callback = snapshot(node(member("a")), cc=("carol",))
    provider.details[callback.number] = with_fields(callback)
    processor = InboxProcessor(service, {"test": decode})
    record_callback(processor, callback)

    assert processor.apply_pending() == 1
    assert provider.reads == 0  # told from the callback alone
    assert store.details_wanted.size() == 1 and service.details_pending(callback)
    told = card_keys(store)
    assert ("approver_card", f"{callback.key}|approver_card:a") in told
    for item in store.outbox.items():  # delivered
        store.outbox.remove(item["id"])

    DetailReader(service).run_once()
    assert provider.reads == 1 and store.details_wanted.size() == 0
    stored = snapshot_from_dict(store.approvals.get(callback.key)["snapshot"])
    assert stored.fields == with_fields(callback).fields and not service.details_pending(stored)
    # the same cards, updated in place (CC's too); no one-off message, no audit line
    assert card_keys(store) == [
        ("applicant_card", f"{callback.key}|applicant_card:applicant"),
        ("approver_card", f"{callback.key}|approver_card:a"),
        ("cc_card", f"{callback.key}|cc_card:carol"),
    ]


def test_a_form_read_that_fails_is_retried_later_and_the_queue_survives_a_restart(
    tmp_path: Path, store: Store
) -> None:
    provider = ReadingProvider()
    service = make_service(store, provider)
    callback = snapshot(node(member("a")))
    now = [1_000_000.0]
    with store.transaction():
        service.apply_callback(callback, service.resolve_people(callback))
    reader = DetailReader(service, clock=lambda: now[0])
    reader.run_once()  # WeCom is down
    assert provider.reads == 1 and store.details_wanted.size() == 1
    reader.run_once()
    assert provider.reads == 1  # backing off
    store.close()

    reopened = TinyDBStore(tmp_path / "approvals.json")
    try:
        provider.details[callback.number] = with_fields(callback)
        now[0] += 5.0
        DetailReader(make_service(reopened, provider), clock=lambda: now[0]).run_once()
        assert provider.reads == 2 and reopened.details_wanted.size() == 0
        assert snapshot_from_dict(reopened.approvals.get(callback.key)["snapshot"]).has_details
    finally:
        reopened.close()
