"""The hot file's change log and the archive's keys files: what a reopened store holds after any crash."""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tinydb import Query, TinyDB
from tinydb.storages import MemoryStorage
from tinydb.table import Document, Table

import bot.store.tinydb.approvals as approvals_module
from bot.store.tinydb import StoreReader, TinyDBStore
from bot.store.tinydb.atomic_file import StoreCorruptError
from bot.store.tinydb.change_log import HotDB, change_log_path, read_state

TABLES = ("a", "b")

# One write to the hot tables: (operation, table, document number, value)
operations = st.tuples(
    st.sampled_from(["insert", "update", "remove", "truncate"]),
    st.sampled_from(TABLES),
    st.integers(min_value=0, max_value=5),
    st.text(max_size=6),
)
# Transactions of a few writes each; after a transaction, maybe a compaction
transactions = st.lists(st.tuples(st.lists(operations, min_size=1, max_size=4), st.booleans()), max_size=8)


def apply_write(db: HotDB, op: str, table_name: str, number: int, value: str) -> None:
    table = db.table(table_name)
    ids = [doc.doc_id for doc in table.all()]
    if op == "insert":
        table.insert({"n": number, "v": value})
    elif op == "truncate":
        table.truncate()
    elif ids:
        target = ids[number % len(ids)]
        if op == "update":
            table.update({"v": value}, doc_ids=[target])
        else:
            table.remove(doc_ids=[target])


def files_of(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (path, change_log_path(path)) if p.exists()}


def reopened(files: dict[str, bytes]) -> dict[str, Any]:
    """The state a store restarted from exactly `files` sees, and what a reader beside it sees."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hot.json"
        for name, raw in files.items():
            (Path(folder) / name).write_bytes(raw)
        read = read_state(path)
        db = HotDB(path)
        state = db.storage.read()
        db.close()
        assert read == state
        return {name: table for name, table in state.items() if table}


@settings(max_examples=60, deadline=None)
@given(transactions)
def test_a_store_reopened_after_any_prefix_of_commits_and_a_torn_tail_holds_what_was_committed(
    history: list[tuple[list[tuple[str, str, int, str]], bool]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hot.json"
        db = HotDB(path)
        committed = [({}, files_of(path))]  # (state, files on disk) after each commit
        for writes, compact in history:
            for write in writes:
                apply_write(db, *write)
            db.log.commit()
            state = {name: table for name, table in copy.deepcopy(db.storage.read()).items() if table}
            before_compaction = files_of(path)
            committed.append((state, before_compaction))
            if compact:
                db.log.compact()
                # killed between the new snapshot and the new log: the old log replays over it harmlessly
                assert reopened({**before_compaction, path.name: path.read_bytes()}) == state
                committed.append((state, files_of(path)))
        db.close()

    log_name = change_log_path(path).name
    for (state, files), (_next_state, next_files) in zip(
        committed, [*committed[1:], committed[-1]], strict=True
    ):
        assert reopened(files) == state
        log, next_log = files.get(log_name, b""), next_files.get(log_name, b"")
        if next_log.startswith(log) and len(next_log) > len(log) + 1:
            torn = next_log[: len(log) + (len(next_log) - len(log)) // 2]  # the next commit, cut mid-record
            assert reopened({**files, log_name: torn}) == state


def write_both(table: Table, op: str, number: int, value: str) -> Any:
    """One write of every kind TinyDB offers, as `op` names it; returns what TinyDB returns (or raises)."""
    doc = Query()
    try:
        if op == "insert":
            return table.insert({"n": number, "v": value})
        if op == "insert_at":
            return table.insert(Document({"n": number, "v": value}, doc_id=number + 1))
        if op == "insert_multiple":
            return table.insert_multiple([{"n": number, "v": value}, {"n": number + 1, "v": value}])
        if op == "update":
            return table.update({"v": value}, doc_ids=[number + 1, number + 2])
        if op == "update_where":
            return table.update({"v": value}, doc.n == number)
        if op == "upsert":
            return table.upsert({"n": number, "v": value}, doc.n == number)
        if op == "remove":
            return table.remove(doc_ids=[number + 1, number + 3])
        if op == "remove_where":
            return table.remove(doc.n == number)
        table.truncate()
        return None
    except (ValueError, KeyError) as exc:
        return type(exc)


table_writes = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "insert",
                "insert_at",
                "insert_multiple",
                "update",
                "update_where",
                "upsert",
                "remove",
                "remove_where",
                "truncate",
            ]
        ),
        st.integers(min_value=0, max_value=4),
        st.text(max_size=3),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(table_writes)
def test_hot_tables_are_changed_in_place_with_the_results_tinydb_gives(
    writes: list[tuple[str, int, str]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        hot = HotDB(Path(folder) / "hot.json")
        plain = TinyDB(storage=MemoryStorage)
        stored = hot.storage.read().setdefault("t", {})
        for op, number, value in writes:
            assert write_both(hot.table("t"), op, number, value) == write_both(
                plain.table("t"), op, number, value
            )
            assert hot.storage.read()["t"] is stored  # written in place, never copied
            assert stored == plain.storage.read().get("t", {})
        hot.log.commit()
        assert {n: t for n, t in read_state(Path(folder) / "hot.json").items() if t} == (
            {"t": stored} if stored else {}
        )
        hot.close()


def test_one_transaction_across_tables_is_one_record_and_rollback_forgets_it(tmp_path: Path) -> None:
    path = tmp_path / "approvals.json"
    store = TinyDBStore(path)
    with store.transaction():
        store.meta.set("a", 1)
        store.dedupe.remember("event-1")
    log = change_log_path(path).read_bytes()
    assert log.count(b"\n") == 1 and set(json.loads(log)["docs"]) == {"meta", "dedupe"}
    with pytest.raises(RuntimeError), store.transaction():
        store.meta.set("a", 99)
        raise RuntimeError("half-made")
    assert store.meta.get("a") == 1
    assert change_log_path(path).read_bytes() == log  # nothing of the failed transaction was written
    store.close()


def test_a_killed_store_restarts_from_snapshot_and_log(tmp_path: Path) -> None:
    path = tmp_path / "data" / "approvals.json"
    store = TinyDBStore(path)
    with store.transaction():
        store.meta.set("applied", 7)
        store.approvals.put({"key": "wecom:1", "final": False, "snapshot": {}, "cards": {}, "approvers": []})
    store.meta.set("uncommitted", True)  # never committed
    copy_dir = tmp_path / "after-kill"
    shutil.copytree(path.parent, copy_dir, ignore=shutil.ignore_patterns("*.lock"))
    store.close()
    with change_log_path(copy_dir / "approvals.json").open("ab") as log:
        log.write(b'{"docs":{"meta":{"9":{"key":"torn"')  # a commit the kill cut short
    reopened = TinyDBStore(copy_dir / "approvals.json")
    assert reopened.meta.get("applied") == 7
    assert reopened.meta.get("uncommitted") is None and reopened.meta.get("torn") is None
    assert reopened.approvals.get("wecom:1") is not None
    assert change_log_path(copy_dir / "approvals.json").stat().st_size == 0  # folded into the snapshot
    reopened.close()


def test_a_log_line_that_is_not_a_record_stops_the_open(tmp_path: Path) -> None:
    path = tmp_path / "approvals.json"
    TinyDBStore(path).close()
    change_log_path(path).write_bytes(b'{"docs":{}}\nnot json\n{"docs":{}}\n')
    with pytest.raises(StoreCorruptError, match="line 2"):
        TinyDBStore(path)


def test_the_log_is_compacted_once_it_outgrows_the_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "approvals.json"
    store = TinyDBStore(path)
    sizes = []
    for n in range(400):
        store.meta.set(f"k{n}", "x" * 4000)
        store.commit()
        sizes.append(change_log_path(path).stat().st_size)
    assert sizes[-1] < max(sizes) <= (1 << 20) + 4100  # it started again once past 1 MB (one record)
    assert {f"k{n}" for n in range(400)} <= {d["key"] for d in read_state(path)["meta"].values()}
    store.close()


def put_final(store: TinyDBStore, n: int) -> None:
    with store.transaction():
        store.approvals.put(
            {"key": f"wecom:{n}", "final": True, "snapshot": {}, "cards": {}, "approvers": []}
        )


def archived_store(path: Path, count: int) -> None:
    store = TinyDBStore(path)
    for n in range(count):
        put_final(store, n)
    store.close()


def recording_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    opened: list[str] = []
    real: Callable[[Path], Any] = approvals_module.open_db

    def open_db(chunk: Path) -> Any:
        opened.append(chunk.name)
        return real(chunk)

    monkeypatch.setattr(approvals_module, "open_db", open_db)
    return opened


def test_opening_reads_the_keys_files_and_only_the_chunk_being_filled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(approvals_module, "ARCHIVE_CHUNK", 3)
    path = tmp_path / "approvals.json"
    archived_store(path, 10)  # chunks 1-3 full, chunk 4 holds one
    archive = path.with_name("approvals.archive")
    assert sorted(p.name for p in archive.glob("keys-*.json")) == [f"keys-00000{n}.json" for n in (1, 2, 3)]

    opened = recording_opens(monkeypatch)
    store = TinyDBStore(path)
    assert opened == ["chunk-000004.json"]
    assert sorted(store.approvals.archive.keys()) == sorted(f"wecom:{n}" for n in range(10))
    assert store.approvals.get("wecom:4") == {
        "key": "wecom:4",
        "final": True,
        "snapshot": {},
        "cards": {},
        "approvers": [],
    }
    store.close()
    assert [d["key"] for d in StoreReader(path).all_approvals()] != []


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda keys: keys.unlink(), id="missing"),
        pytest.param(lambda keys: keys.write_text("{"), id="unreadable"),
        pytest.param(
            lambda keys: keys.write_text(json.dumps({**json.loads(keys.read_text()), "chunk": [0, 0, 0]})),
            id="stale",
        ),
    ],
)
def test_a_keys_file_that_does_not_match_its_chunk_is_rebuilt_from_the_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spoil: Callable[[Path], None]
) -> None:
    monkeypatch.setattr(approvals_module, "ARCHIVE_CHUNK", 3)
    path = tmp_path / "approvals.json"
    archived_store(path, 7)
    keys = path.with_name("approvals.archive") / "keys-000002.json"
    good = json.loads(keys.read_text())
    spoil(keys)
    store = TinyDBStore(path)
    assert {f"wecom:{n}" for n in (3, 4, 5)} <= set(store.approvals.archive.keys())
    assert store.approvals.get("wecom:5") is not None
    assert json.loads(keys.read_text()) == good
    store.close()


def test_a_changed_full_chunk_gets_a_matching_keys_file_and_few_chunks_stay_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(approvals_module, "ARCHIVE_CHUNK", 2)
    path = tmp_path / "approvals.json"
    archived_store(path, 20)
    store = TinyDBStore(path)
    store.approvals.replace(
        {"key": "wecom:0", "final": True, "snapshot": {"x": 1}, "cards": {}, "approvers": []}
    )
    for n in range(20):
        assert store.approvals.get(f"wecom:{n}") is not None
    assert len(store.approvals.archive._open) <= approvals_module.OPEN_CHUNKS + 1
    store.close()
    opened = recording_opens(monkeypatch)
    store = TinyDBStore(path)
    assert opened == ["chunk-000010.json"]  # chunk 1 was rewritten, and its keys file with it
    assert store.approvals.get("wecom:0")["snapshot"] == {"x": 1}
    store.close()
