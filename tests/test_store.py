"""Store layout on disk: modes, torn-write leftovers, archive chunks; reading it beside serve."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import bot.store.tinydb.readers
from bot.model import ApprovalStatus, Snapshot
from bot.store.tinydb import StoreReader, TinyDBStore


def test_every_file_is_private_to_the_bot(tmp_path: Path) -> None:
    path = tmp_path / "data" / "approvals.json"
    store = TinyDBStore(path)
    store.approvals.put({"key": "wecom:1", "final": True, "snapshot": {}, "cards": {}, "approvers": []})
    store.inbox.append({"source": "test"})
    store.close()
    files = [p for p in path.parent.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"approvals.json", "approvals.lock"}
    assert any(p.parent.name == "approvals.archive" for p in files)
    assert any(p.parent.name == "approvals.inbox" for p in files)
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    for folder in [path.parent, *(p for p in path.parent.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, folder


def test_temp_files_of_interrupted_writes_are_removed_on_open(tmp_path: Path) -> None:
    path = tmp_path / "approvals.json"
    TinyDBStore(path).close()
    torn = tmp_path / ".approvals.json.abc123.tmp"
    torn.write_text('{"half": ')
    TinyDBStore(path).close()
    assert not torn.exists()


def test_a_link_is_used_once_and_the_record_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "approvals.json"
    store = TinyDBStore(path)
    assert store.link_uses.use("digest", expires=2_000, now=1_000)
    assert not store.link_uses.use("digest", expires=2_000, now=1_001)
    store.close()
    store = TinyDBStore(path)
    assert not store.link_uses.use("digest", expires=2_000, now=1_002)
    assert store.link_uses.use("other", expires=5_000, now=3_000)  # and "digest", expired, is forgotten
    assert "digest" not in store.link_uses._used
    store.close()


def test_a_cards_message_is_found_again_after_a_restart_and_a_rollback(tmp_path: Path) -> None:
    path = tmp_path / "approvals.json"
    store = TinyDBStore(path)
    with store.transaction():
        store.approvals.put({"key": "local:1", "final": False, "snapshot": {}, "cards": {}, "approvers": []})
        store.cards.set("local:1", "local:1|approver_card:U1", "DU1", "1.0001")
    store.close()
    store = TinyDBStore(path)
    assert store.cards.find("DU1", "1.0001") == ("local:1", "local:1|approver_card:U1")
    with pytest.raises(RuntimeError), store.transaction():
        store.cards.set("local:1", "local:1|cc_card:U2", "DU2", "1.0002")
        raise RuntimeError("half-way")
    assert store.cards.find("DU2", "1.0002") is None
    assert store.cards.find("DU1", "1.0001") is not None
    store.close()


def test_reading_beside_serve_reads_again_when_a_journal_segment_is_discarded_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """serve deletes a segment once it applied it; a reader that was about to open it reads anew."""
    path = tmp_path / "approvals.json"
    store = TinyDBStore(path)
    store.inbox.append({"source": "test", "number": "1"})
    store.close()
    real = bot.store.tinydb.readers.read_journal
    calls: list[int] = []

    def discarded_once(directory: Path, *, after: int) -> Iterator[tuple[int, dict[str, Any]]]:
        calls.append(after)
        if len(calls) == 1:
            raise FileNotFoundError(directory / "journal-000000000001.jsonl")
        return real(directory, after=after)

    def decode(record: dict[str, Any]) -> Snapshot:
        return Snapshot("test", record["number"], "t", "T", ApprovalStatus.PENDING, "someone", 1)

    monkeypatch.setattr(bot.store.tinydb.readers, "read_journal", discarded_once)
    assert [doc["key"] for doc in StoreReader(path, {"test": decode}).all_approvals()] == ["test:1"]
    assert len(calls) == 2


def test_tracked_templates_and_identities_survive_a_restart(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path / "a.json")
    with store.transaction():
        store.templates.put({"alias": "leave", "provider": "wecom", "template_id": "T1"})
        store.templates.put({"alias": "seal", "untracked": True})
        store.people.put_identity("wecom", "U1", "lisi")
    store.close()
    again = TinyDBStore(tmp_path / "a.json")
    try:
        tracked = {d["alias"]: d.get("untracked", False) for d in again.templates.tracked()}
        assert tracked == {"leave": False, "seal": True}
        assert again.people.mapped_provider_id("wecom", "U1") == "lisi"
        assert again.people.mapped_slack_id("wecom", "lisi") == "U1"
        assert again.people.mapped_slack_id("fxiaoke", "lisi") is None
    finally:
        again.close()


def test_one_provider_user_is_mapped_to_one_slack_user(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path / "a.json")
    try:
        store.people.put_identity("wecom", "U1", "lisi")
        assert store.people.put_identity("wecom", "U2", "lisi") == ["U1"]
        assert store.people.mapped_provider_id("wecom", "U1") is None
        assert store.people.mapped_slack_id("wecom", "lisi") == "U2"
        assert store.people.remove_identity("wecom", "U2")["provider_id"] == "lisi"
        assert store.people.remove_identity("wecom", "U2") is None
    finally:
        store.close()
