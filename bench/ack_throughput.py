"""Callback acknowledgements per second: approvals-bot vs a wechatpy + TinyDB-default receiver.

Both run on the same WSGI server (waitress, 8 threads) on loopback and receive
the same encrypted sys_approval_change callbacks from 16 concurrent clients for
a fixed time. The baseline decrypts with wechatpy and inserts each event into
a TinyDB with its default JSONStorage (the whole file rewritten per write);
approvals-bot journals the event with a group-committed fsync and applies it
after answering. Each is measured with 1,000, 10,000 and 100,000 approvals already
stored. Run from the repository root:

    python bench/ack_throughput.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from tinydb import TinyDB
from waitress.server import create_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.offline.slack_standin import SlackStandIn
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    AES_KEY,
    CORP_ID,
    SECRET,
    TOKEN,
    Approver,
    BotProcess,
    WeChatCrypto,
    WeComSender,
    approval_xml,
    write_config,
)

CLIENTS = 16


def stored_doc(n: int) -> dict:
    return {
        "key": f"wecom:old{n:06d}",
        "final": True,
        "cards": {},
        "approvers": [],
        "updated": 0,
        "snapshot": {},
    }


def prefill_bot_store(path: Path, count: int) -> None:
    """`count` finalized approvals in archive chunks, as the bot leaves them."""
    archive = path.with_name(f"{path.stem}.archive")
    archive.mkdir(parents=True)
    for start in range(0, count, 1000):
        docs = {str(i + 1): stored_doc(start + i) for i in range(min(1000, count - start))}
        (archive / f"chunk-{start // 1000 + 1:06d}.json").write_text(json.dumps({"approvals": docs}))


def baseline_app(db_path: Path, count: int) -> Callable:
    """The receiver the issue measures against: wechatpy decrypts, TinyDB (defaults) stores."""
    db = TinyDB(db_path)
    db.insert_multiple(stored_doc(n) for n in range(count))
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
    lock = threading.Lock()  # TinyDB is not thread-safe

    def app(environ: dict, start_response: Callable) -> list[bytes]:
        query = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        xml = crypto.decrypt_message(body, query["msg_signature"], query["timestamp"], query["nonce"])
        with lock:
            db.insert({"xml": xml})
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"success"]

    return app


def envelopes(url: str, count: int) -> list[tuple[str, bytes]]:
    """Encrypted requests built before the clock starts, so the load generator stays light."""
    sender = WeComSender(url)
    built = []
    for n in range(count):
        query, body = sender.envelope(approval_xml(f"{n:09d}", nodes=[(1, [Approver("alice")])]))
        built.append((f"/wecom/callback?{urlencode(query)}", body))
    return built


def load(url: str, seconds: float, requests: list[tuple[str, bytes]]) -> float:
    """Acknowledgements per second from CLIENTS keep-alive connections posting distinct approvals."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    deadline = time.monotonic() + seconds
    counts = [0] * CLIENTS

    def client(i: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        for path, body in requests[i::CLIENTS]:
            if time.monotonic() >= deadline:
                break
            connection.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
            if connection.getresponse().read() == b"success":
                counts[i] += 1
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def measure_baseline(count: int, seconds: float, requests: list[tuple[str, bytes]]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        server = create_server(
            baseline_app(Path(tmp) / "db.json", count), host="127.0.0.1", port=0, threads=8
        )
        threading.Thread(target=server.run, daemon=True).start()
        try:
            return load(f"http://127.0.0.1:{server.effective_port}", seconds, requests)
        finally:
            server.close()


def measure_bot(count: int, seconds: float, requests: list[tuple[str, bytes]]) -> float:
    with (
        tempfile.TemporaryDirectory() as tmp,
        SlackStandIn(users={"U0A": {}}) as slack,
        FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as wecom,
    ):
        store = Path(tmp) / "data" / "approvals.json"
        prefill_bot_store(store, count)
        config = write_config(
            Path(tmp) / "config.toml", slack.api_url, wecom.base_url, store, {"U0A": "alice"}
        )
        bot = BotProcess(config).start()
        try:
            return load(bot.url, seconds, requests)
        finally:
            bot.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--requests", type=int, default=30_000, help="distinct callbacks prepared")
    args = parser.parse_args()
    print(f"{CLIENTS} clients, {args.seconds:.0f} s per case, acknowledgements per second")
    print(f"{'stored':>8} | {'wechatpy+TinyDB':>16} | {'approvals-bot':>14} | {'ratio':>7}")
    requests = envelopes("http://127.0.0.1", args.requests)
    for count in (1_000, 10_000, 100_000):
        baseline = measure_baseline(count, args.seconds, requests)
        ours = measure_bot(count, args.seconds, requests)
        print(f"{count:>8,} | {baseline:>14.0f}/s | {ours:>12.0f}/s | {ours / baseline:>6.1f}x", flush=True)


if __name__ == "__main__":
    main()
