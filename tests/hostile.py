"""Plumbing for the hostile-input suites: a raw HTTP client that sends exactly the bytes it is given
(percent-encodings, header bytes, lying lengths, bodies streamed from a generator), signers for
Slack, WeCom and the bot's own links that sign whatever they are handed, and the checks that a
batch of hostile requests left the bot as it was: nothing stored, nothing sent, memory bounded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import select
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from Crypto.Cipher import AES

from bot.offline.slack_standin import SlackStandIn
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import AES_KEY, CORP_ID, TOKEN

ANSWER_WITHIN = 1.0  # seconds: the bound for any answer, hostile or not
MEMORY_GROWTH_LIMIT = 64 * 1024 * 1024  # peak RSS of serve may grow by less than this over a whole run
SOCKET_TIMEOUT = 15.0  # a request not answered by then counts as unanswered
MIB = 1024 * 1024

# What the bot may ask WeCom while it is being attacked: a token and the scheduled sweep's lists.
SWEEP_CALLS = frozenset({"gettoken", "oa/getapprovalinfo", "corp/getopenapprovaldata"})
# What would show people something in Slack (ephemeral replies aside).
VISIBLE_SLACK_CALLS = frozenset({"chat.postMessage", "chat.update", "views.update", "views.publish"})

# Numbers as text that no numeric field or header may accept: non-ASCII digits (superscript, Arabic-Indic,
# full-width, mathematical), absurd sizes, signs, other notations.
HOSTILE_NUMBERS: tuple[str, ...] = (
    "²",
    "1²",
    "٣",
    "١٧٠٠٠٠٠٠٠٠",
    "１７００００００００",
    "𝟙𝟟𝟘𝟘",
    "۱۲",
    "9" * 5000,
    "1" + "0" * 4400,
    str(10**17),
    str(2**64),
    "-1",
    "-1700000000",
    "+5",
    "1e3",
    "0x1F",
    "1.5",
    "1_000",
    "NaN",
    "inf",
    "١٧٠٠٠٠٠٠٠٠" + "0" * 4400,
)


# -- raw HTTP --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpRequest:
    """One request as bytes on the wire. `kind` says what the generator meant, to group findings."""

    kind: str
    method: bytes
    target: bytes  # path and query exactly as sent
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""
    content_length: bool = True  # send a Content-Length matching the body (unless headers set one)

    def __repr__(self) -> str:
        def cut(data: bytes, keep: int = 160) -> str:
            return repr(data[:keep]) + (f"…(+{len(data) - keep} bytes)" if len(data) > keep else "")

        headers = ", ".join(f"{cut(n, 40)}: {cut(v, 80)}" for n, v in self.headers)
        return (
            f"<{self.kind}: {self.method.decode()} {cut(self.target)} [{headers}] "
            f"body={cut(self.body, 120)} ({len(self.body)} bytes)>"
        )


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no status line came back before the connection ended or timed out
    body: bytes
    seconds: float


def exchange(
    address: tuple[str, int],
    request: HttpRequest,
    *,
    stream: Iterable[bytes] | None = None,
    length: int | None = None,
    chunked: bool = False,
) -> Answer:
    """Send `request` (its body, or `stream` announced by `length` or sent chunked) and read the answer.

    A streamed body stops as soon as the server has answered: a server that refuses a 100 MB body
    early must not be made to look slow by a client that keeps sending.
    """
    has_length = any(name.lower() == b"content-length" for name, _ in request.headers)
    lines = [request.method + b" " + request.target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    lines += [name + b": " + value for name, value in request.headers]
    if chunked:
        lines.append(b"Transfer-Encoding: chunked")
    elif stream is not None:
        lines.append(b"Content-Length: %d" % (length or 0))
    elif request.content_length and not has_length and (request.body or request.method == b"POST"):
        lines.append(b"Content-Length: %d" % len(request.body))
    started = time.monotonic()
    with socket.create_connection(address, timeout=SOCKET_TIMEOUT) as sock:
        try:
            sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + (b"" if stream is not None else request.body))
            if stream is not None:
                _send_stream(sock, stream, chunked)
        except OSError:
            pass  # the server answered and closed (or reset) while we sent: read what it said
        raw = _read_answer(sock)
    seconds = time.monotonic() - started
    status_line = raw.split(b"\r\n", 1)[0].split(b" ")
    status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else None
    return Answer(status, raw.partition(b"\r\n\r\n")[2], seconds)


def _send_stream(sock: socket.socket, stream: Iterable[bytes], chunked: bool) -> None:
    for chunk in stream:
        if select.select([sock], [], [], 0)[0]:
            return  # answered (or closed) already
        sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
    if chunked:
        sock.sendall(b"0\r\n\r\n")


def _read_answer(sock: socket.socket) -> bytes:
    received = bytearray()
    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            return bytes(received)
        if not data:
            return bytes(received)
        received += data


def repeated(total: int, block: bytes) -> Iterator[bytes]:
    """`total` bytes made of `block` repeated, produced lazily: a 100 MB body never sits in memory."""
    sent = 0
    while sent < total:
        piece = block[: total - sent]
        sent += len(piece)
        yield piece


# -- signing whatever we are handed ------------------------------------------------------------------------


def slack_signature(secret: str, timestamp: bytes, body: bytes) -> bytes:
    """Slack's v0 signature over any timestamp text and body, as Slack would compute it."""
    base = b"v0:" + timestamp + b":" + body
    return b"v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest().encode()


def wecom_signature(timestamp: str, nonce: str, encrypt: str, token: str = TOKEN) -> str:
    """WeCom's msg_signature: sha1 of the sorted, concatenated fields."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def wecom_encrypt(
    message: bytes,
    *,
    receive_id: bytes = CORP_ID.encode(),
    declared_length: int | None = None,
    pad_byte: int | None = None,
) -> str:
    """WeCom's ciphertext of any bytes; optionally lying about the length or the padding."""
    key = base64.b64decode(AES_KEY + "=")
    length = len(message) if declared_length is None else declared_length
    plain = b"R" * 16 + struct.pack(">I", length) + message + receive_id
    pad = 32 - len(plain) % 32
    plain += bytes([pad if pad_byte is None else pad_byte]) * pad
    return base64.b64encode(AES.new(key, AES.MODE_CBC, key[:16]).encrypt(plain)).decode()


def wecom_envelope(encrypt: str) -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
        "<AgentID><![CDATA[1000002]]></AgentID></xml>"
    ).encode()


def open_event_xml(third_no: str, create_time: int, status: int = 1) -> str:
    """An open_approval_change callback (the self-built app's engine), shaped like the spec's sample;
    `status` is the approval's, its one node's and its one approver's (1 pending, 2 approved)."""
    return (
        f"<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>sys</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType>event</MsgType><Event>open_approval_change</Event>"
        f"<AgentID>1</AgentID><ApprovalInfo><ThirdNo>{third_no}</ThirdNo><OpenSpName>付款</OpenSpName>"
        f"<OpenTemplateId>1234567111</OpenTemplateId><OpenSpStatus>{status}</OpenSpStatus>"
        f"<ApplyTime>{create_time}</ApplyTime><ApplyUserName>吴俊杰</ApplyUserName>"
        "<ApplyUserId>WuJunJie</ApplyUserId><ApplyUserParty>产品部</ApplyUserParty><ApprovalNodes>"
        f"<ApprovalNode><NodeStatus>{status}</NodeStatus><NodeAttr>1</NodeAttr><NodeType>1</NodeType><Items><Item>"
        f"<ItemName>李四</ItemName><ItemUserid>lisi</ItemUserid><ItemStatus>{status}</ItemStatus>"
        "<ItemSpeech></ItemSpeech><ItemOpTime>0</ItemOpTime></Item></Items></ApprovalNode></ApprovalNodes>"
        "<NotifyNodes></NotifyNodes><ApproverStep>0</ApproverStep></ApprovalInfo></xml>"
    )


def link_token(payload: bytes, secret: bytes) -> str:
    """An approve-link token over any payload bytes, signed the way bot/links.py signs."""
    encoded = base64.urlsafe_b64encode(payload).rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(secret, encoded, hashlib.sha256).digest()).rstrip(b"=")
    return (encoded + b"." + signature).decode()


# -- the checks after a batch --------------------------------------------------------------------------------


def peak_rss(pid: int) -> int:
    """VmHWM of a process, in bytes: the most memory it ever held."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for pid {pid}")


def exported_approvals(config: Path) -> list[dict[str, Any]]:
    """What `approvals-bot export` lists beside the running serve."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def journal_records(store: Path) -> list[str]:
    """Every line of every file in the store's durable inbox (`<store>.inbox/`)."""
    inbox = store.with_name(f"{store.stem}.inbox")
    files = sorted(p for p in inbox.rglob("*") if p.is_file()) if inbox.exists() else []
    return [line for path in files for line in path.read_text(errors="replace").splitlines() if line.strip()]


@dataclass
class Timings:
    """Wall time of every request of a batch, and the requests that broke a rule."""

    seconds: list[float] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)  # kinds answered 2xx: suspects when something is stored

    def record(self, request: HttpRequest, answer: Answer, *, kind: str = "") -> None:
        self.seconds.append(answer.seconds)
        if answer.status is not None and 200 <= answer.status < 300:
            self.accepted.append(kind or request.kind)
        problem = (
            "no answer"
            if answer.status is None
            else f"status {answer.status}"
            if answer.status >= 500
            else f"slow ({answer.seconds:.2f}s)"
            if answer.seconds >= ANSWER_WITHIN
            else ""
        )
        if problem:
            self.violations.append(f"{problem}: {kind or request.kind}: {request!r}")

    def summary(self, route: str) -> str:
        ordered = sorted(self.seconds)
        if not ordered:
            return f"{route}: no requests"
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return f"{route}: {len(ordered)} requests, max {ordered[-1] * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"

    def findings(self, per_problem: int = 5) -> str:
        """A few requests of each kind for each problem (5xx, slow, unanswered), and how many in all."""
        first: dict[str, str] = {}
        for violation in self.violations:
            first.setdefault(violation.split(": <")[0], violation)
        shown: dict[str, list[str]] = {}
        for key, violation in first.items():
            problem = key.split(":")[0].split(" (")[0]
            shown.setdefault(problem, [])
            if len(shown[problem]) < per_problem:
                shown[problem].append(violation)
        lines = [line for group in shown.values() for line in group]
        return f"{len(self.violations)} requests broke the rules; some of each kind:\n" + "\n".join(lines)


@dataclass
class Quiet:
    """Where the fakes' call logs stood before a batch: what came after was caused by the batch."""

    slack: SlackStandIn
    wecom: FakeWeComApi
    slack_mark: int = 0
    wecom_mark: int = 0

    def __post_init__(self) -> None:
        self.slack_mark = len(self.slack.calls)
        self.wecom_mark = len(self.wecom.calls)

    def slack_calls(self) -> list[str]:
        with self.slack._lock:
            return [name for name, _ in self.slack.calls[self.slack_mark :]]

    def wecom_calls(self) -> list[str]:
        """Every call the bot made to WeCom beyond a token and the sweep's lists."""
        return [call.path for call in self.wecom.calls[self.wecom_mark :] if call.path not in SWEEP_CALLS]
