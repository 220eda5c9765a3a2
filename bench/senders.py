"""The load generator, run as a process of its own (`python -m bench.senders ...`): it shares no GIL
with the receiver it measures. It encrypts every callback before the clock starts, then CLIENTS
keep-alive connections post them back to back for a fixed time; each request's start and latency (sent
to `success` received) go to a JSON file."""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.common import callback_xml
from tests.harness import WeComSender

CLIENTS = 16


def envelopes(case: str, count: int) -> list[tuple[str, bytes]]:
    """Encrypted callbacks of `count` new approvals, ready to post."""
    sender = WeComSender("http://127.0.0.1")
    built = []
    for n in range(count):
        query, body = sender.envelope(callback_xml(case, n))
        built.append((f"/wecom/callback?{urlencode(query)}", body))
    return built


def send(url: str, seconds: float, requests: list[tuple[str, bytes]]) -> dict:
    """Post for `seconds`; every sample is [start offset s, latency s, answered success]."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    samples: list[list[list[float]]] = [[] for _ in range(CLIENTS)]
    start = threading.Barrier(CLIENTS + 1)
    began = 0.0

    def client(i: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=120)
        start.wait()
        deadline = began + seconds
        for path, body in requests[i::CLIENTS]:
            sent = time.perf_counter()
            if sent >= deadline:
                break
            connection.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
            ok = connection.getresponse().read() == b"success"
            samples[i].append([sent - began, time.perf_counter() - sent, ok])
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    flat = sorted((s for per_client in samples for s in per_client), key=lambda s: s[0])
    return {"elapsed": elapsed, "exhausted": len(flat) >= len(requests), "samples": flat}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--case", required=True, help="prefix of the approval numbers")
    parser.add_argument("--count", type=int, required=True, help="callbacks to prepare")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    requests = envelopes(args.case, args.count)
    args.out.write_text(json.dumps(send(args.url, args.seconds, requests)))


if __name__ == "__main__":
    main()
