"""Acknowledgements per second: one TinyDB insert per event vs one Journal.append per event.

TinyDB's JSONStorage rereads and rewrites the whole file on every insert, so the
cost of acknowledging grows with the database; the journal appends one line and
shares each fsync between concurrent appenders. Both are measured in one run, on
the same disk, with the same pre-filled database present.

    python bench/journal_vs_tinydb.py [--dir DIR] [--seconds S]

DIR should be on the disk the bot will use (the default is the system temp dir;
on a tmpfs fsync is free and the numbers mean little).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from tinydb import TinyDB
from tinydb.storages import JSONStorage

from bot.store.tinydb.journal import Journal

SIZES = (1_000, 20_000)
THREADS = 16


def event(i: int) -> dict[str, Any]:
    """Roughly the size and shape of an approval callback."""
    return {
        "source": "wecom",
        "sp_no": f"2024{i:010d}",
        "template": "差旅报销",
        "applicant": f"user{i % 500}",
        "status": 1,
        "time": 1_700_000_000 + i,
        "summary": "上海 → 北京 · ¥1,234.00 · 客户拜访",
        "approvers": ["lisi", "wangwu", "zhaoliu"],
    }


@contextmanager
def counted_fsyncs() -> Iterator[list[int]]:
    """Count fsyncs (still performed) to show how many records each one covers."""
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    os.fsync = counting
    try:
        yield calls
    finally:
        os.fsync = real


def rate(ack: Callable[[int], None], threads: int, seconds: float) -> tuple[float, int]:
    """Acknowledgements per second with `threads` acknowledging as fast as they can; and how many."""
    counts = [0] * threads
    start = threading.Barrier(threads + 1)
    stop = threading.Event()

    def work(t: int) -> None:
        start.wait()
        while not stop.is_set():
            ack(t * 10_000_000 + counts[t])
            counts[t] += 1

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    return sum(counts) / elapsed, sum(counts)


def bench_size(root: Path, size: int, seconds: float) -> dict[str, float]:
    path = root / f"db-{size}.json"
    with TinyDB(path, storage=JSONStorage) as db:
        db.insert_multiple(event(i) for i in range(size))
    db_bytes = path.stat().st_size

    with TinyDB(path, storage=JSONStorage) as db:
        os.sync()  # so that no case pays for the previous one's writeback
        tinydb, _ = rate(lambda i: db.insert(event(i)), 1, seconds)

    results = {"size": size, "db_mb": db_bytes / 1e6, "tinydb": tinydb}
    for threads, key in ((1, "1"), (THREADS, "_many")):
        with Journal(root / f"inbox-{size}-{threads}") as journal, counted_fsyncs() as fsyncs:
            os.sync()
            fsyncs.clear()
            results[f"journal{key}"], acks = rate(lambda i: journal.append(event(i)), threads, seconds)
            results[f"per_fsync{key}"] = acks / max(len(fsyncs), 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=None, help="where to put the files (default: temp dir)")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to run each case")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir, prefix="journal-bench-") as tmp:
        print(f"files in {tmp}; {args.seconds:g} s per case; {os.cpu_count()} CPUs")
        rows = [bench_size(Path(tmp), size, args.seconds) for size in SIZES]

    print()
    many = f"{THREADS} thr"
    print(
        f"{'docs':>7} {'DB MB':>6} | {'TinyDB insert':>13} | {'journal 1 thr':>13} {'rec/fsync':>9} | "
        f"{'journal ' + many:>14} {'rec/fsync':>9} | {'1 thr/TinyDB':>12} {many + '/TinyDB':>13}"
    )
    for r in rows:
        print(
            f"{r['size']:>7,} {r['db_mb']:>6.1f} | {r['tinydb']:>10,.0f} /s | {r['journal1']:>10,.0f} /s "
            f"{r['per_fsync1']:>9.1f} | {r['journal_many']:>11,.0f} /s {r['per_fsync_many']:>9.1f} | "
            f"{r['journal1'] / r['tinydb']:>11,.1f}x {r['journal_many'] / r['tinydb']:>12,.1f}x"
        )
    first, last = rows[0], rows[-1]
    print(
        f"\nacks/s at {SIZES[-1]:,} docs relative to {SIZES[0]:,}: "
        f"TinyDB {last['tinydb'] / first['tinydb']:.2f}x, "
        f"journal 1 thread {last['journal1'] / first['journal1']:.2f}x, "
        f"journal {THREADS} threads {last['journal_many'] / first['journal_many']:.2f}x"
    )


if __name__ == "__main__":
    main()
