"""AtomicJSONStorage: TinyDB's file storage, but replaced atomically and kept private."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tinydb import Query, TinyDB

from bot.store.tinydb import atomic_file as storage_module
from bot.store.tinydb.atomic_file import AtomicJSONStorage, StoreCorruptError


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_missing_and_empty_files_read_as_no_database(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    assert AtomicJSONStorage(path).read() is None
    assert not path.exists()  # opening alone does not create the file
    path.touch()
    assert AtomicJSONStorage(path).read() is None


def test_round_trip_is_compact_utf8(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    data = {"_default": {"1": {"title": "报销 ☕", "n": 3}}}
    AtomicJSONStorage(path).write(data)
    assert AtomicJSONStorage(path).read() == data
    assert path.read_bytes() == json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def test_file_is_0600_and_created_directory_0700(tmp_path: Path) -> None:
    path = tmp_path / "state" / "db.json"
    store = AtomicJSONStorage(path)
    assert mode(path.parent) == 0o700
    store.write({"_default": {}})
    assert mode(path) == 0o600
    store.write({"_default": {"1": {"a": 1}}})  # a replacement keeps the mode
    assert mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["db.json"]  # no temp file left behind


@pytest.mark.parametrize("content", [b'{"_default": {"1": ', b"\xff\xfe garbage", b"[1, 2]", b"  "])
def test_unreadable_file_raises_store_corrupt(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "db.json"
    path.write_bytes(content)
    with pytest.raises(StoreCorruptError) as info:
        AtomicJSONStorage(path).read()
    assert info.value.path == path
    assert str(path) in str(info.value)


def test_unchanged_data_is_not_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "db.json"
    store = AtomicJSONStorage(path)
    replaced: list[Any] = []
    real_replace = os.replace
    monkeypatch.setattr(
        storage_module.os, "replace", lambda src, dst: (replaced.append(dst), real_replace(src, dst))
    )
    data = {"_default": {"1": {"a": 1}}}
    store.write(data)
    store.write(data)
    assert len(replaced) == 1
    store.read()
    store.write(data)  # read back unchanged: still nothing to do
    assert len(replaced) == 1
    store.write({"_default": {}})
    assert len(replaced) == 2


def test_unchanged_data_is_rewritten_if_the_file_was_removed_or_replaced(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    store = AtomicJSONStorage(path)
    data = {"_default": {"1": {"a": 1}}}
    store.write(data)
    path.unlink()
    store.write(data)
    assert json.loads(path.read_bytes()) == data
    AtomicJSONStorage(path).write({"other": {}})  # someone else replaces the file
    store.write(data)
    assert json.loads(path.read_bytes()) == data


def test_tinydb_insert_and_search(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    with TinyDB(path, storage=AtomicJSONStorage) as db:
        db.table("approvals").insert_multiple([{"sp_no": "1", "status": 1}, {"sp_no": "2", "status": 2}])
        db.table("approvals").update({"status": 2}, Query().sp_no == "1")
    with TinyDB(path, storage=AtomicJSONStorage) as db:
        found = db.table("approvals").search(Query().status == 2)
    assert sorted(doc["sp_no"] for doc in found) == ["1", "2"]
    assert mode(path) == 0o600


def test_dumps_options_are_checked_up_front(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        AtomicJSONStorage(tmp_path / "db.json", no_such_option=True)


def text(**kwargs: Any) -> st.SearchStrategy[str]:
    return st.text(st.characters(codec="utf-8"), **kwargs)  # JSON text: no lone surrogates


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text(max_size=5), inner, max_size=4),
    max_leaves=20,
)
tables = st.dictionaries(
    text(min_size=1, max_size=8),
    st.dictionaries(st.integers(1, 10**6).map(str), st.dictionaries(text(max_size=8), json_values)),
    max_size=3,
)


@settings(max_examples=50)
@given(tables)
def test_round_trip_any_json(data: dict[str, dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db.json"
        AtomicJSONStorage(path).write(data)
        assert AtomicJSONStorage(path).read() == data
