"""What the benchmarks share: stored approvals shaped like the bot's own, the callbacks that create new
ones, the fakes, the `serve` process, percentiles and resident memory."""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python -m bench` from a fresh clone, uninstalled
    sys.path.insert(0, str(ROOT))

from bot.codec import snapshot_to_dict  # noqa: E402
from bot.offline.slack_standin import SlackStandIn  # noqa: E402
from bot.providers.wecom.detail import parse_approval_detail  # noqa: E402
from bot.store.tinydb.approvals import ARCHIVE_CHUNK  # noqa: E402
from tests.fakes.wecom_api import FakeWeComApi  # noqa: E402
from tests.harness import (  # noqa: E402
    CORP_ID,
    SECRET,
    Approver,
    BotProcess,
    approval_detail,
    approval_xml,
    wait_for,
    write_config,
)

USERS = 200  # Slack users mapped to WeCom ids: notices spread over this many DM channels


def wecom_user(n: int) -> str:
    return f"wu{n % USERS:04d}"


def slack_user(n: int) -> str:
    return f"U{n % USERS:08d}"


def sp_no(case: str, n: int) -> str:
    """Approval numbers unique per case, so one run's cases never see each other's approvals."""
    return f"{case}{n:09d}"


def callback_xml(case: str, n: int) -> str:
    """A new approval, filed by one mapped user and waiting on another."""
    return approval_xml(sp_no(case, n), applicant=wecom_user(n), nodes=[(1, [Approver(wecom_user(n + 1))])])


def detail(case: str, n: int, status: int = 1) -> dict[str, Any]:
    """What getapprovaldetail answers for `callback_xml(case, n)`: its form data and its approver."""
    info = approval_detail(sp_no(case, n), applicant=wecom_user(n))
    info["sp_status"] = status
    info["sp_record"] = [
        {
            "sp_status": status,
            "approverattr": 1,
            "details": [
                {"approver": {"userid": wecom_user(n + 1)}, "speech": "", "sp_status": status, "sptime": 0}
            ],
        }
    ]
    return info


def stored_doc(n: int, *, final: bool = True) -> dict[str, Any]:
    """An approval document as the bot stores it (snapshot with form data, cards, who it concerns)."""
    snap = parse_approval_detail(detail("old", n, status=2 if final else 1))
    applicant, approver = slack_user(n), slack_user(n + 1)
    return {
        "key": snap.key,
        "cards": {"applicant": {"channel": f"D{applicant}", "ts": f"{1_700_000_000 + n}.000100"}},
        "approvers": [approver],
        "created": 1_700_000_000.0 + n,
        "snapshot": snapshot_to_dict(snap),
        "final": final,
        "updated": 1_700_000_000.0 + n,
        "slack": {
            "applicant": applicant,
            "waiting": [] if final else [approver],
            "people": sorted({applicant, approver}),
            "ids": {wecom_user(n): applicant, wecom_user(n + 1): approver},
        },
        "quiet": False,
    }


def prefill_archive(store_path: Path, count: int) -> None:
    """`count` finalized approvals in archive chunks, laid out as the bot leaves them."""
    archive = store_path.with_name(f"{store_path.stem}.archive")
    archive.mkdir(parents=True, exist_ok=True)
    for start in range(0, count, ARCHIVE_CHUNK):
        docs = {str(i + 1): stored_doc(start + i) for i in range(min(ARCHIVE_CHUNK, count - start))}
        chunk = archive / f"chunk-{start // ARCHIVE_CHUNK + 1:06d}.json"
        chunk.write_text(json.dumps({"approvals": docs}, ensure_ascii=False, separators=(",", ":")))


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0 when there are none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def resident_mb(pid: int) -> float:
    """Resident set size of a process and its children (serve's acknowledging front), from /proc
    (Linux)."""
    # a child is listed under the thread that started it (serve starts its front from a worker thread)
    kids = [int(kid) for task in Path(f"/proc/{pid}/task").iterdir() for kid in _children(task)]
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024 + sum(resident_mb(kid) for kid in kids)
    raise RuntimeError(f"no VmRSS for process {pid}")


def _children(task: Path) -> list[str]:
    try:
        return (task / "children").read_text().split()
    except OSError:  # the thread ended meanwhile
        return []


def healthz(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/healthz", timeout=10).json()


class BenchWeCom(FakeWeComApi):
    """The fake WeCom, answering getapprovaldetail for any approval a benchmark numbered (`sp_no`)."""

    def _getapprovaldetail(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        number = str(body.get("sp_no", ""))
        if number not in self.approvals and number[-9:].isdigit():
            return {"info": detail(number[:-9], int(number[-9:]))}
        return super()._getapprovaldetail(query, body)


@dataclass
class Bot:
    """A running `serve` and the fakes it talks to."""

    process: BotProcess
    wecom: BenchWeCom
    slack: SlackStandIn
    started_s: float  # from spawning the process to the first 200 on /healthz

    @property
    def url(self) -> str:
        return self.process.url


@contextmanager
def running_bot(
    workdir: Path,
    stored: int,
    *,
    slack: SlackStandIn | None = None,
    database: str = "",
    replicas: int = 1,
    server: str = "",
) -> Iterator[Bot]:
    """`approvals-bot serve` over a store pre-loaded with `stored` finalized approvals, a fake WeCom
    and a Slack stand-in that knows every mapped user. `database` (postgresql://...): the store is
    there instead (the same approvals copied in as `migrate-store` does), served by `replicas`
    processes behind one round-robin address. `server`: lines added to its [server] table."""
    store = workdir / "data" / "approvals.json"
    prefill_archive(store, stored)
    if database:
        copy_into(store, database)
    slack = slack or SlackStandIn(users={slack_user(n): {} for n in range(USERS)})
    users = {slack_user(n): wecom_user(n) for n in range(USERS)}
    with slack, BenchWeCom(corp_id=CORP_ID, secret=SECRET) as wecom:
        config = write_config(
            workdir / "config.toml",
            slack.api_url,
            wecom.base_url,
            store,
            users,
            store_url=database,
            server=server,
        )
        process = BotProcess(config, log_level="WARNING", count=replicas)
        began = time.perf_counter()
        process.start()
        try:
            wait_for(lambda: _healthy(process.url), timeout=60, what="/healthz 200")
            yield Bot(process, wecom, slack, time.perf_counter() - began)
        finally:
            process.stop()


def copy_into(store: Path, database: str) -> None:
    """The TinyDB store at `store` copied into the empty `database`, as `migrate-store` copies it."""
    from bot.store.postgres import PostgresStore
    from bot.store.postgres.copy import copy_store

    target = PostgresStore(database)
    try:
        copy_store(store, target, {})
    finally:
        target.close()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
