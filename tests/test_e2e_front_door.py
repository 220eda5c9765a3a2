"""The real `serve` at its front door: huge bodies refused unread, Slack headers checked before bolt,
replays ignored, and no approve-link token in the log even at DEBUG."""

from __future__ import annotations

import re
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from bot.offline.slack_standin import SlackStandIn
from tests.harness import SIGNING_SECRET, BotProcess, store_table, tinydb_only, wait_for
from tests.test_e2e_local import APPLICANT, CC, CONFIG, STRANGER, A, B, C, card_of, click, file_request, text

MIB = 1024 * 1024


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(users={u: {} for u in (APPLICANT, A, B, C, CC, STRANGER)}) as standin:
        yield standin


@pytest.fixture
def start_bot(tmp_path: Path, slack: SlackStandIn) -> Iterator[Callable[..., BotProcess]]:
    """Starts `serve` on the embedded engine, attached to the stand-in; stops it after the test."""
    started: list[BotProcess] = []

    def start(log_level: str = "INFO") -> BotProcess:
        config = tmp_path / "config.toml"
        store = tmp_path / "data" / "approvals.json"
        config.write_text(
            CONFIG.format(
                store=store_table(store),
                slack_url=slack.api_url,
                a=A,
                b=B,
                c=C,
                cc=CC,
                signing_secret=SIGNING_SECRET,
            ),
            encoding="utf-8",
        )
        process = BotProcess(config, log_level=log_level).start()
        slack.attach(f"{process.url}/slack/events", SIGNING_SECRET)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.proc and process.proc.poll() is None:
            process.stop()
        print("".join(process.log))  # shown by pytest only when the test failed


@pytest.fixture
def bot(start_bot: Callable[..., BotProcess]) -> BotProcess:
    return start_bot()


def peak_rss(process: BotProcess) -> int:
    """The process' peak resident memory so far, in bytes (VmHWM)."""
    assert process.proc is not None
    status = Path(f"/proc/{process.proc.pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024


def raw_post(url: str, headers: dict[str, str], body_size: int, chunked: bool = False) -> bytes:
    """POST `body_size` bytes of junk and return the status line; the body is pushed until the server
    answers or closes, as a client that does not wait for an answer would."""
    target = urlparse(url)
    framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(body_size)}
    head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": target.netloc, **headers, **framing}.items())
    chunk = b"x" * (256 * 1024)
    piece = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
    with socket.create_connection((target.hostname, target.port), timeout=15) as sock:
        sock.sendall(f"POST {target.path} HTTP/1.1\r\n{head}\r\n".encode())
        if not chunked:  # waitress answers from Content-Length alone: read before pushing the body
            answer = sock.recv(4096)
        sent = 0
        try:
            while sent < body_size:
                sock.sendall(piece)
                sent += len(chunk)
        except OSError:  # the server closed the connection: what is left is not read
            pass
        if chunked:
            answer = sock.recv(4096)
    return answer.split(b"\r\n", 1)[0]


@tinydb_only("raw HTTP to one process's front door, which a load balancer would answer itself")
def test_a_huge_unsigned_post_is_refused_unread_and_unlogged(bot: BotProcess) -> None:
    before = peak_rss(bot)
    junk = {"Content-Type": "application/json"}
    assert raw_post(f"{bot.url}/slack/events", junk, 100 * MIB) == b"HTTP/1.1 413 Request Entity Too Large"
    assert raw_post(f"{bot.url}/slack/events", junk, 40 * MIB, chunked=True).startswith(b"HTTP/1.1 413")
    form = httpx.post(f"{bot.url}/approve/x", content=b"x" * 64 * 1024, timeout=10)
    assert (form.status_code, form.json()) == (413, {"error": "body too large"})  # the route's own limit
    assert httpx.get(f"{bot.url}/healthz", timeout=5).status_code == 200  # still serving
    assert peak_rss(bot) - before < 64 * MIB
    assert max(len(line) for line in bot.log) < 2000


@tinydb_only("raw HTTP to one process's front door, which a load balancer would answer itself")
def test_a_content_length_of_thousands_of_digits_is_a_400(bot: BotProcess) -> None:
    target = urlparse(bot.url)
    with socket.create_connection((target.hostname, target.port), timeout=15) as sock:
        length = b"9" * 5000  # past Python's limit on the digits int() reads
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 400 Bad Request")


def test_slack_headers_are_checked_before_bolt(bot: BotProcess) -> None:
    body = b'{"type": "event_callback", "event_id": "Ev1"}'
    abc = httpx.post(
        f"{bot.url}/slack/events",
        content=body,
        headers={"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=" + "0" * 64},
        timeout=10,
    )
    assert abc.status_code == 401
    assert httpx.post(f"{bot.url}/slack/events", content=body, timeout=10).status_code == 401
    wait_for(lambda: "Slack request refused" in "".join(bot.log), what="the refusals logged")
    assert "Traceback" not in "".join(bot.log)


def comment_dms(slack: SlackStandIn, comment: str) -> Counter[str]:
    return Counter(call["channel"] for call in slack.calls_to("chat.postMessage") if comment in str(call))


def test_a_replayed_comment_is_stored_once_and_told_once(bot: BotProcess, slack: SlackStandIn) -> None:
    file_request(slack)
    wait_for(lambda: card_of(slack, A), what="A's card")
    click(slack, APPLICANT, card_of(slack, APPLICANT), "approval_comment", "comment")
    modal = wait_for(lambda: slack.open_view(APPLICANT), what="the comment modal")
    comment = "Needed before the Q3 audit"
    values = {"text": {"value": {"type": "plain_text_input", "value": comment}}}
    assert slack.submit(APPLICANT, modal, values).status_code == 200
    first = slack.sent[-1]
    for _ in range(2):
        replayed = slack.replay(first)
        assert (replayed.status_code, replayed.content) == (200, b"")
    wait_for(lambda: comment_dms(slack, comment) and bot.health()["outbox_backlog"] == 0, what="deliveries")
    told = comment_dms(slack, comment)
    assert set(told.values()) == {1}, told
    wait_for(lambda: comment in text(card_of(slack, APPLICANT)), what="the comment on the card")
    assert text(card_of(slack, APPLICANT)).count(comment) == 1  # one comment in the approval's timeline
    assert "".join(bot.log).count("replayed Slack request ignored") == 2


def test_no_approve_token_reaches_the_log_at_debug(
    start_bot: Callable[..., BotProcess], slack: SlackStandIn
) -> None:
    bot = start_bot(log_level="DEBUG")
    file_request(slack)
    card = wait_for(lambda: card_of(slack, B), what="B's card")
    token = re.search(r"/approve/([^|>\"]+)", text(card)).group(1)
    page = httpx.get(f"{bot.url}/approve/{token}", timeout=10)
    assert page.status_code == 200
    log = "".join(bot.log)
    assert " DEBUG slack_sdk" in log and "chat.postMessage" in log  # slack_sdk logged the posts
    assert "/approve/<redacted>" in log
    assert token not in log
