"""Journal: the durable inbox. Sequence numbers, replay, segments, torn tails, group commit, crashes."""

from __future__ import annotations

import os
import select
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tinydb import TinyDB

from bot.store.tinydb import journal as journal_module
from bot.store.tinydb.atomic_file import AtomicJSONStorage
from bot.store.tinydb.journal import Journal, JournalCorruptError, JournalError

REPO = Path(__file__).resolve().parents[1]


def segments(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every fsync the journal makes, counted (and still performed)."""
    calls: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        calls.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(journal_module.os, "fsync", counting_fsync)
    yield calls


def test_sequence_starts_at_one_and_persists_across_reopen(tmp_path: Path) -> None:
    with Journal(tmp_path / "inbox") as journal:
        assert [journal.append({"n": n}) for n in range(3)] == [1, 2, 3]
    with Journal(tmp_path / "inbox") as journal:
        assert journal.append({"n": 3}) == 4
        assert list(journal.read_after(0)) == [(1, {"n": 0}), (2, {"n": 1}), (3, {"n": 2}), (4, {"n": 3})]
    assert segments(tmp_path / "inbox") == ["journal-000000000001.jsonl"]
    assert (tmp_path / "inbox" / "journal-000000000001.jsonl").read_text().splitlines()[0] == (
        '{"seq":1,"record":{"n":0}}'
    )


def test_files_are_private(tmp_path: Path) -> None:
    with Journal(tmp_path / "inbox") as journal:
        journal.append({"secret": "token"})
    assert stat.S_IMODE((tmp_path / "inbox").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "inbox" / "journal-000000000001.jsonl").stat().st_mode) == 0o600


def test_read_after(tmp_path: Path) -> None:
    with Journal(tmp_path, max_segment_bytes=100) as journal:  # several segments
        for n in range(1, 11):
            journal.append({"n": n})
        assert [seq for seq, _ in journal.read_after(7)] == [8, 9, 10]
        assert [record["n"] for _, record in journal.read_after(0)] == list(range(1, 11))
        assert list(journal.read_after(10)) == []


def test_records_round_trip_whatever_their_text(tmp_path: Path) -> None:
    record = {"zh": "报销审批", "separators": "a\u2028b\u2029c\r\n", "lone": "\ud800", "quote": '"}\n{'}
    with Journal(tmp_path) as journal:
        journal.append(record)
    with Journal(tmp_path) as journal:
        assert list(journal.read_after(0)) == [(1, record)]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=50)
@given(st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=5), min_size=1, max_size=5))
def test_any_json_records_round_trip(records: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with Journal(Path(tmp)) as journal:
            for record in records:
                journal.append(record)
        with Journal(Path(tmp)) as journal:
            assert [record for _, record in journal.read_after(0)] == records


def test_rejected_records_do_not_use_up_a_sequence_number(tmp_path: Path) -> None:
    with Journal(tmp_path) as journal:
        with pytest.raises(TypeError):
            journal.append(["not", "a", "dict"])  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            journal.append({"x": float("nan")})
        with pytest.raises(TypeError):
            journal.append({"x": object()})
        assert journal.append({"ok": True}) == 1


def test_closed_journal_refuses(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.close()
    journal.close()  # idempotent
    with pytest.raises(JournalError):
        journal.append({})
    with pytest.raises(JournalError):
        list(journal.read_after(0))


def test_discard_through_removes_only_fully_applied_segments(tmp_path: Path) -> None:
    line = len('{"seq":1,"record":{"n":1}}\n')
    with Journal(tmp_path, max_segment_bytes=3 * line) as journal:  # three records per segment
        for n in range(1, 11):
            journal.append({"n": n})
        assert segments(tmp_path) == [f"journal-{first:012d}.jsonl" for first in (1, 4, 7, 10)]
        journal.discard_through(5)  # 1-3 are all applied; 4-6 still holds 6
        assert segments(tmp_path) == [f"journal-{first:012d}.jsonl" for first in (4, 7, 10)]
        assert [seq for seq, _ in journal.read_after(5)] == [6, 7, 8, 9, 10]
        journal.discard_through(10)  # everything applied: the newest segment stays, for the sequence
        assert segments(tmp_path) == ["journal-000000000010.jsonl"]
        assert list(journal.read_after(10)) == []
    with Journal(tmp_path, max_segment_bytes=3 * line) as journal:
        assert journal.append({"n": 11}) == 11
        assert list(journal.read_after(9)) == [(10, {"n": 10}), (11, {"n": 11})]


def test_torn_last_line_is_cut_off_on_open(tmp_path: Path) -> None:
    with Journal(tmp_path) as journal:
        for n in range(3):
            journal.append({"n": n})
    path = tmp_path / "journal-000000000001.jsonl"
    intact = path.read_bytes()
    with open(path, "ab") as fh:
        fh.write(b'{"seq":4,"record":{"n":')  # the crash came mid-write
    with Journal(tmp_path) as journal:
        assert path.read_bytes() == intact
        assert journal.append({"n": "new"}) == 4
        assert [record for _, record in journal.read_after(2)] == [{"n": 2}, {"n": "new"}]


def test_empty_newest_segment_carries_the_sequence(tmp_path: Path) -> None:
    """A crash right after a new segment was created leaves it empty; its name still counts."""
    with Journal(tmp_path) as journal:
        journal.append({"n": 1})
        journal.append({"n": 2})
    (tmp_path / "journal-000000000003.jsonl").touch()
    with Journal(tmp_path) as journal:
        assert journal.append({"n": 3}) == 3
        assert [seq for seq, _ in journal.read_after(0)] == [1, 2, 3]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda lines: [lines[0], b"not json", lines[2]], id="garbage"),
        pytest.param(lambda lines: [lines[0], lines[2]], id="missing-seq"),
        pytest.param(lambda lines: [lines[0], b'{"seq":2,"record":[1]}', lines[2]], id="not-an-entry"),
        pytest.param(lambda lines: [lines[0], b"", *lines[1:]], id="blank-line"),
    ],
)
def test_corrupt_line_in_the_middle_is_an_error(tmp_path: Path, damage: Any) -> None:
    with Journal(tmp_path) as journal:
        for n in range(3):
            journal.append({"n": n})
    path = tmp_path / "journal-000000000001.jsonl"
    path.write_bytes(b"\n".join(damage(path.read_bytes().splitlines())) + b"\n")
    with pytest.raises(JournalCorruptError, match=r"journal-000000000001\.jsonl"):
        Journal(tmp_path)


def test_missing_segment_in_the_middle_is_an_error(tmp_path: Path) -> None:
    with Journal(tmp_path, max_segment_bytes=1) as journal:  # one record per segment
        for n in range(3):
            journal.append({"n": n})
    (tmp_path / "journal-000000000002.jsonl").unlink()
    with pytest.raises(JournalCorruptError, match="expected 2"):
        Journal(tmp_path)


def test_failed_fsync_stops_the_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal(tmp_path)
    journal.append({"n": 1})

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(journal_module.os, "fsync", failing_fsync)
    with pytest.raises(JournalError) as info:
        journal.append({"n": 2})
    assert isinstance(info.value.__cause__, OSError)
    monkeypatch.undo()
    with pytest.raises(JournalError):  # not even once the disk works again: restart instead
        journal.append({"n": 3})
    journal.close()
    with Journal(tmp_path) as reopened:
        # Record 2 reached the file before its fsync failed, so it is replayed even though its append
        # raised: delivery is at least once.
        assert [seq for seq, _ in reopened.read_after(0)] == [1, 2]


def run_appenders(journal: Journal, threads: int, per_thread: int) -> dict[int, tuple[int, int]]:
    """Append from many threads at once; return seq -> (thread, n) as each append returned it."""
    results: dict[int, tuple[int, int]] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def work(t: int) -> None:
        try:
            start.wait()
            for n in range(per_thread):
                seq = journal.append({"thread": t, "n": n})
                with lock:
                    results[seq] = (t, n)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    return results


def check_all_present_once(journal: Journal, results: dict[int, tuple[int, int]], total: int) -> None:
    assert sorted(results) == list(range(1, total + 1))  # every append got its own seq
    stored = list(journal.read_after(0))
    assert [seq for seq, _ in stored] == list(range(1, total + 1))
    for seq, record in stored:
        assert (record["thread"], record["n"]) == results[seq]
    per_thread: dict[int, list[int]] = {}
    for _, record in stored:
        per_thread.setdefault(record["thread"], []).append(record["n"])
    assert all(ns == list(range(len(ns))) for ns in per_thread.values())  # each thread's own order kept


def test_concurrent_appends_are_all_stored_once_in_order(tmp_path: Path, fsyncs: list[int]) -> None:
    with Journal(tmp_path) as journal:
        fsyncs.clear()  # the directory's, when the first segment was created
        results = run_appenders(journal, threads=16, per_thread=50)
        check_all_present_once(journal, results, 16 * 50)
    assert 1 <= len(fsyncs) <= 16 * 50


def test_group_commit_shares_fsyncs(tmp_path: Path, fsyncs: list[int]) -> None:
    """The leader waits (on the journal's condition variable, not a clock) until all 16 threads have a
    record queued: every fsync then covers exactly one record of each thread."""
    with Journal(tmp_path, batch_ready=lambda queued: queued >= 16) as journal:
        fsyncs.clear()  # the directory's, when the first segment was created
        results = run_appenders(journal, threads=16, per_thread=50)
        check_all_present_once(journal, results, 16 * 50)
    assert len(fsyncs) == 50 < 16 * 50


WRITER = """
import os, sys, threading
from pathlib import Path
from tinydb import TinyDB
from bot.store.tinydb.journal import Journal
from bot.store.tinydb.atomic_file import AtomicJSONStorage

root = Path(sys.argv[1])
journal = Journal(root / "inbox", max_segment_bytes=2048)
db = TinyDB(root / "db.json", storage=AtomicJSONStorage)
lock = threading.Lock()

def work(t):
    n = 0
    while True:
        n += 1
        seq = journal.append({"pid": os.getpid(), "thread": t, "n": n, "pad": "x" * 100})
        with lock:
            sys.stdout.write(f"{seq}\\n")
            sys.stdout.flush()
            db.insert({"seq": seq, "pad": "y" * 100})

for t in range(4):
    threading.Thread(target=work, args=(t,), daemon=True).start()
threading.Event().wait()
"""


def kill_after_acks(root: Path, want: int) -> list[int]:
    """Run the writer, SIGKILL it once it has acknowledged `want` records; return all it acknowledged."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60  # only against a hang; nothing is timed
    buffer = b""
    try:
        while buffer.count(b"\n") < want:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "the writer acknowledged too little before the deadline"
            ready, _, _ = select.select([proc.stdout], [], [], remaining)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)  # type: ignore[union-attr]
                assert chunk, f"the writer exited: {proc.stderr.read().decode()}"  # type: ignore[union-attr]
                buffer += chunk
    finally:
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    # Whatever it printed before dying was acknowledged too; a line cut short was not.
    return [int(line) for line in (buffer + rest).split(b"\n")[:-1]]


def test_acknowledged_records_survive_sigkill(tmp_path: Path) -> None:
    acked: set[int] = set()
    last_seq = 0
    for want in (0, 1, 10, 60, 200, 3):
        acks = kill_after_acks(tmp_path, want)
        assert len(acks) >= want
        assert all(seq > last_seq for seq in acks)  # sequence numbers carry on across the crash
        acked.update(acks)

        with Journal(tmp_path / "inbox", max_segment_bytes=2048) as journal:
            stored = list(journal.read_after(0))
        seqs = [seq for seq, _ in stored]
        assert seqs == list(range(1, len(seqs) + 1))
        assert acked <= set(seqs)
        assert all(record["pad"] == "x" * 100 for _, record in stored)
        last_seq = len(seqs)

        with TinyDB(tmp_path / "db.json", storage=AtomicJSONStorage) as db:  # never half-written
            applied = [doc["seq"] for doc in db.all()]
        assert len(applied) == len(set(applied))
        assert set(applied) <= set(seqs)  # applied only after being journaled
    assert len(acked) >= 1 + 10 + 60 + 200 + 3
