"""Callback ingest: the real `serve` and the baseline receiver, each pre-loaded the same, under the same
sustained load from 16 concurrent senders in a process of their own; every callback a new approval whose
details the bot's inbox worker reads from the fake WeCom."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import ROOT, healthz, percentile, running_bot
from tests.harness import fresh_database, wait_for

ENVELOPES_PER_SECOND = 2_500  # prepared per second of load: more than either receiver takes here


def run_senders(url: str, case: str, seconds: float) -> dict[str, Any]:
    """The load generator's samples, from its own process."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "samples.json"
        command = [sys.executable, "-m", "bench.senders", "--url", url, "--case", case]
        command += ["--count", str(int(seconds * ENVELOPES_PER_SECOND)), "--seconds", str(seconds)]
        subprocess.run([*command, "--out", str(out)], check=True, cwd=ROOT)
        return json.loads(out.read_text())


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """Throughput and latency percentiles (ms) of the answered requests; p99 per 1-s bucket for the plot."""
    samples = result["samples"]
    latencies = sorted(s[1] for s in samples if s[2])
    buckets: dict[int, list[float]] = {}
    for start, latency, ok in samples:
        if ok:
            buckets.setdefault(int(start), []).append(latency)
    return {
        "throughput": len(latencies) / result["elapsed"],
        "acked": len(latencies),
        "failed": len(samples) - len(latencies),
        "seconds": result["elapsed"],
        "exhausted": result["exhausted"],
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "p999_ms": percentile(latencies, 0.999) * 1000,
        "max_ms": (latencies[-1] if latencies else 0.0) * 1000,
        "p99_per_second_ms": [
            [second, percentile(sorted(values), 0.99) * 1000] for second, values in sorted(buckets.items())
        ],
    }


@contextmanager
def baseline_process(workdir: Path, stored: int) -> Iterator[str]:
    """`python -m bench.baseline` pre-loaded with `stored` approvals; yields its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.baseline", "--db", str(workdir / "db.json"), "--stored", str(stored)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        match = re.search(r"serving on (http://\S+)", line)
        if match is None:
            raise RuntimeError(f"baseline receiver did not start: {line}{process.stderr.read()}")
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure_baseline(stored: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, baseline_process(Path(tmp), stored) as url:
        return summary(run_senders(url, f"b{stored}x", seconds))


class BacklogWatch:
    """Samples /healthz once a second while the load runs: how far the inbox worker is behind."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.samples: list[tuple[float, int]] = []  # (seconds since start, applied seq)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._began = time.perf_counter()

    def __enter__(self) -> BacklogWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append((time.perf_counter() - self._began, healthz(self.url)["inbox_applied_seq"]))


def measure_bot(
    stored: int,
    seconds: float,
    drain_limit: float,
    *,
    database: str = "",
    replicas: int = 1,
    front_process: bool = True,
) -> dict[str, Any]:
    """The bot's figures, and how long after the load its inbox worker took to apply everything acked.
    `database`: the store on PostgreSQL, served by `replicas` processes behind one round-robin proxy.
    `front_process`: false acknowledges in the applying process, as before the front had its own."""
    store = f"postgresql x{replicas}" if database else "tinydb" + ("" if front_process else ", one process")
    server = "" if front_process else "front_process = false"
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_bot(Path(tmp), stored, database=database, replicas=replicas, server=server) as bot,
    ):
        with BacklogWatch(bot.url) as watch:
            result = summary(run_senders(bot.url, f"n{stored}x", seconds))
        ended = time.perf_counter()
        try:
            wait_for(
                lambda: healthz(bot.url)["inbox_applied_seq"] >= result["acked"],
                timeout=drain_limit,
                what="the inbox backlog to reach zero",
            )
            result["drain_s"] = time.perf_counter() - ended
        except AssertionError:
            result["drain_s"] = None
        health = healthz(bot.url)
        applied = health["inbox_applied_seq"]
        result["backlog_at_end"] = result["acked"] - applied
        # form reads still owed (paced at WeCom's 600/min, apart from the inbox); absent before the queue
        result["details_wanted_at_end"] = health.get("details_wanted")
        result["applied_per_second"] = applied / (time.perf_counter() - ended + result["seconds"])
        result["applied_timeline"] = watch.samples
        result["store"] = store
        return result


def run(
    sizes: tuple[int, ...], seconds: float, drain_limit: float, *, one_process: bool = True
) -> dict[str, Any]:
    """Baseline and bot at each pre-loaded size, one after the other, in this run; then the bot at the
    smallest size acknowledging in its applying process (what the front process moved; `one_process`,
    left out by --quick), and on
    PostgreSQL, one replica and two (the same load, the store on a throwaway server:
    APPROVALS_BOT_TEST_PG's, else a cluster started from the server's binaries)."""
    cases: dict[str, Any] = {}
    for stored in sizes:
        print(f"ingest: baseline, {stored:,} stored, {seconds:g} s", file=sys.stderr, flush=True)
        cases[f"baseline_{stored}"] = measure_baseline(stored, seconds)
        print(f"ingest: serve, {stored:,} stored, {seconds:g} s", file=sys.stderr, flush=True)
        cases[f"bot_{stored}"] = measure_bot(stored, seconds, drain_limit)
    smallest = min(sizes)
    if one_process:
        print(f"ingest: serve as one process, {smallest:,} stored", file=sys.stderr, flush=True)
        cases[f"bot_{smallest}_one_process"] = measure_bot(
            smallest, seconds, drain_limit, front_process=False
        )
    cases.update(run_postgres(smallest, seconds, drain_limit))
    return cases


def run_postgres(stored: int, seconds: float, drain_limit: float) -> dict[str, Any]:
    """`bot_pg_N` (one serve on PostgreSQL) and `bot_pg2_N` (two replicas behind a round-robin proxy)."""
    cases: dict[str, Any] = {}
    for replicas, name in ((1, f"bot_pg_{stored}"), (2, f"bot_pg2_{stored}")):
        print(f"ingest: serve x{replicas} on PostgreSQL, {stored:,} stored", file=sys.stderr, flush=True)
        cases[name] = measure_bot(stored, seconds, drain_limit, database=fresh_database(), replicas=replicas)
    return cases
