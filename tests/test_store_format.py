"""The store's format version: a newer bot upgrades an older store in place, an older bot refuses a
newer store (serve, sweep and export alike) with a message naming both versions, and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tinydb import TinyDB

import bot.store.tinydb.migrations as migrations
from bot import cli
from bot.config import CONFIG_ENV, SECRET_ENV
from bot.store import StoreVersionError
from bot.store.tinydb import StoreReader, TinyDBStore, read_meta
from bot.store.tinydb.migrations import FORMAT_KEY, current_version
from tests.test_cli import GOOD

APPROVAL = {"key": "local:1", "final": False, "snapshot": {}, "cards": {}, "approvers": []}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in [*SECRET_ENV.values(), "PORT", CONFIG_ENV]:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "approvals.json"


def stored_version(path: Path) -> Any:
    return read_meta_raw(path).get(FORMAT_KEY)


def read_meta_raw(path: Path) -> dict[str, Any]:
    """The hot file's meta table as key -> value, read without the store's own checks."""
    hot = json.loads(path.read_text(encoding="utf-8"))
    return {doc["key"]: doc["value"] for doc in hot.get("meta", {}).values()}


def write_store(path: Path, version: int | None) -> None:
    """A store holding one open approval, in the layout of `version` (None: before versions existed)."""
    store = TinyDBStore(path)
    with store.transaction():
        store.approvals.put(dict(APPROVAL))
        store.meta.set("inbox_applied_seq", 0)
    store.close()
    hot = json.loads(path.read_text(encoding="utf-8"))
    meta = {doc_id: doc for doc_id, doc in hot["meta"].items() if doc["key"] != FORMAT_KEY}
    if version is not None:
        meta["99"] = {"key": FORMAT_KEY, "value": version}
    hot["meta"] = meta
    path.write_text(json.dumps(hot), encoding="utf-8")


def test_a_new_store_records_the_current_format(store_path: Path) -> None:
    TinyDBStore(store_path).close()
    assert stored_version(store_path) == current_version() == 2


def test_an_unversioned_store_is_version_1_and_is_upgraded_in_place(store_path: Path) -> None:
    write_store(store_path, version=None)
    assert stored_version(store_path) is None

    store = TinyDBStore(store_path)
    assert stored_version(store_path) == current_version()  # written at open, before any other change
    assert store.approvals.get("local:1") == APPROVAL
    assert store.meta.get("inbox_applied_seq") == 0
    store.close()
    assert [doc["key"] for doc in StoreReader(store_path).all_approvals()] == ["local:1"]


def test_a_store_from_a_newer_bot_is_refused_untouched(store_path: Path) -> None:
    newer = current_version() + 1
    write_store(store_path, version=newer)
    before = store_path.read_bytes()

    with pytest.raises(StoreVersionError) as refused:
        TinyDBStore(store_path)
    message = str(refused.value)
    assert f"format version {newer}" in message and f"format version {current_version()} at most" in message
    assert "newer approvals-bot" in message
    assert store_path.read_bytes() == before
    with pytest.raises(StoreVersionError):  # not StoreLockedError: the refusal let go of the lock
        TinyDBStore(store_path)
    with pytest.raises(StoreVersionError):
        list(StoreReader(store_path).all_approvals())


def newer_store_config(tmp_path: Path, store_path: Path) -> Path:
    write_store(store_path, version=current_version() + 1)
    config = tmp_path / "config.toml"
    # nothing listens on port 9: a serve that went on anyway could not reach the internet
    config.write_text(GOOD.format(store=store_path) + 'api_url = "http://127.0.0.1:9/api/"\n', "utf-8")
    return config


@pytest.mark.parametrize("command", ["serve", "sweep", "export"])
def test_every_command_refuses_a_newer_store_in_words(
    command: str,
    tmp_path: Path,
    store_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import bot.server

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("serve started on a store from a newer bot")

    monkeypatch.setattr(bot.server, "serve", must_not_run)
    config = newer_store_config(tmp_path, store_path)
    before = store_path.read_bytes()

    assert cli.main([command, "--config", str(config)]) == 3
    captured = capsys.readouterr()
    newer = current_version() + 1
    assert f"approvals-bot: the store {store_path} is in format version {newer}" in captured.err
    assert f"reads format version {current_version()} at most" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert store_path.read_bytes() == before


def add_priority(db: TinyDB, path: Path) -> None:
    """A migration as the next format change would add one: every open approval gains a field."""
    table = db.table("approvals")
    for doc in table.all():
        table.update({"priority": "normal"}, doc_ids=[doc.doc_id])


def test_the_next_format_is_one_migration_and_runs_once(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_store(store_path, version=None)
    ran: list[Path] = []

    def migrate(db: TinyDB, path: Path) -> None:
        ran.append(path)
        add_priority(db, path)

    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, migrate))
    assert current_version() == 3

    with pytest.raises(StoreVersionError) as refused:  # a read-only tool may not upgrade it
        list(StoreReader(store_path).all_approvals())
    assert "format version 1; this approvals-bot reads format version 3" in str(refused.value)
    assert "approvals-bot sweep" in str(refused.value)

    store = TinyDBStore(store_path)
    assert store.approvals.get("local:1") == {**APPROVAL, "priority": "normal"}
    store.close()
    TinyDBStore(store_path).close()
    assert ran == [store_path]  # once: the second open found version 3
    assert read_meta(store_path, FORMAT_KEY) == 3
    assert [doc["priority"] for doc in StoreReader(store_path).all_approvals()] == ["normal"]
