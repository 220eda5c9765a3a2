"""A Slack Web API stand-in on loopback: the real slack_sdk client talks to it.

It keeps what each conversation would show (posts and in-place updates), so
tests and the offline demo see exactly what each person would see, through
the very same bot code that talks to Slack in production. It can also be
told to fail: 429 with Retry-After, or a post that lands but whose answer is
lost (the case that double-posts naive bots).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Posted:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None
    updates: int = 0


@dataclass
class Fault:
    method: str
    kind: str  # "ratelimit" (429) or "lose_response" (do it, then drop the connection) or an error string
    times: int = 1
    retry_after: int = 1


@dataclass
class SlackStandIn:
    """Start with `with SlackStandIn() as slack:`; point the client at `slack.api_url`."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> {"email":..., "tz":...}
    team: str = "T000STANDIN"
    bot_user: str = "U000BOT"

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._ts = itertools.count(1)
        self.messages: dict[str, list[Posted]] = defaultdict(list)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.faults: list[Fault] = []
        self._server: ThreadingHTTPServer | None = None

    # lifecycle -----------------------------------------------------------------

    def __enter__(self) -> SlackStandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, port: int = 0) -> None:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                standin._handle(self)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def api_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    # what people see -----------------------------------------------------------

    def dm_channel(self, user: str) -> str:
        return f"D{user}"

    def conversation(self, channel_or_user: str) -> list[Posted]:
        """Messages in a channel, or in the DM with a user."""
        with self._lock:
            channel = (
                channel_or_user if channel_or_user in self.messages else self.dm_channel(channel_or_user)
            )
            return list(self.messages.get(channel, []))

    def transcript(self) -> str:
        """What every conversation shows now, as readable text, one block per conversation."""
        with self._lock:
            conversations = {channel: list(messages) for channel, messages in self.messages.items()}
        parts = []
        for channel, messages in sorted(conversations.items()):
            who = f"DM with {channel[1:]}" if channel.startswith("D") else f"#{channel}"
            lines = [f"━━ {who} ━━"]
            for message in messages:
                edited = f"  (edited {message.updates}×)" if message.updates else ""
                body = render_blocks(message.blocks) if message.blocks else message.text
                lines += [f"┌ {message.ts}{edited}", *("│ " + line for line in body.splitlines()), "└"]
            parts.append("\n".join(lines))
        return "\n\n".join(parts)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [args for name, args in self.calls if name == method]

    def fail(self, method: str, kind: str, times: int = 1, retry_after: int = 1) -> None:
        with self._lock:
            self.faults.append(Fault(method, kind, times, retry_after))

    # the API -------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlparse(request.path)
        method = url.path.rsplit("/", 1)[-1]
        args = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        if raw:
            if "json" in (request.headers.get("Content-Type") or ""):
                args.update(json.loads(raw))
            else:
                args.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
        with self._lock:
            self.calls.append((method, args))
            fault = next((f for f in self.faults if f.method == method and f.times > 0), None)
            if fault is not None:
                fault.times -= 1
        if fault is not None and fault.kind == "ratelimit":
            self._reply(
                request,
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(fault.retry_after)},
            )
            return
        if fault is not None and fault.kind != "lose_response":
            self._reply(request, {"ok": False, "error": fault.kind})
            return
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        result = handler(args) if handler else {"ok": False, "error": "unknown_method"}
        if fault is not None:  # the call took effect; the answer is lost on the way back
            request.close_connection = True
            request.connection.shutdown(2)
            return
        self._reply(request, result)

    @staticmethod
    def _reply(
        request: BaseHTTPRequestHandler,
        payload: dict[str, Any],
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(body)

    @staticmethod
    def _json_arg(args: dict[str, Any], name: str) -> Any:
        value = args.get(name)
        return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "team_id": self.team, "user_id": self.bot_user, "bot_id": "B000STANDIN"}

    def _api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("users", "")).split(",")[0]
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": self.dm_channel(user)}}

    def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel", "")
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        with self._lock:
            self.messages[channel].append(
                Posted(
                    channel,
                    ts,
                    args.get("text", ""),
                    self._json_arg(args, "blocks") or [],
                    self._json_arg(args, "metadata"),
                )
            )
        return {"ok": True, "channel": channel, "ts": ts}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            for message in self.messages.get(args.get("channel", ""), []):
                if message.ts == args.get("ts"):
                    message.text = args.get("text", message.text)
                    message.blocks = self._json_arg(args, "blocks") or []
                    message.updates += 1
                    return {"ok": True, "channel": message.channel, "ts": message.ts}
        return {"ok": False, "error": "message_not_found"}

    def _api_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        oldest = float(args.get("oldest") or 0)
        with self._lock:
            found = [m for m in self.messages.get(args.get("channel", ""), []) if float(m.ts) >= oldest]
        return {
            "ok": True,
            "messages": [
                {"ts": m.ts, "text": m.text, **({"metadata": m.metadata} if m.metadata else {})}
                for m in reversed(found)
            ],
        }

    def _api_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        for user_id, profile in self.users.items():
            if profile.get("email") == args.get("email"):
                return {"ok": True, "user": {"id": user_id, "tz": profile.get("tz", "Asia/Shanghai")}}
        return {"ok": False, "error": "users_not_found"}

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        profile = self.users.get(args.get("user", ""))
        if profile is None:
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {
                "id": args["user"],
                "tz": profile.get("tz", "Asia/Shanghai"),
                "profile": {"email": profile.get("email", "")},
            },
        }


def render_blocks(blocks: list[dict[str, Any]]) -> str:
    """Block Kit as a person would read it, in plain text (buttons as [label → url])."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"【{_text(block.get('text'))}】")
        elif kind == "section":
            if block.get("text"):
                lines.append(_text(block["text"]))
            lines += [_text(field) for field in block.get("fields", [])]
            if block.get("accessory"):
                lines.append(_element(block["accessory"]))
        elif kind == "context":
            lines.append("  " + "  ".join(_element(e) for e in block.get("elements", [])))
        elif kind == "actions":
            lines.append("  ".join(_element(e) for e in block.get("elements", [])))
        elif kind == "divider":
            lines.append("─" * 24)
        else:
            lines.append(f"<{kind}>")
    return "\n".join(line for line in lines if line.strip())


def _text(obj: dict[str, Any] | None) -> str:
    return _readable((obj or {}).get("text", ""))


def _readable(mrkdwn: str) -> str:
    """Slack's markup as a reader sees it: dates by their fallback, mentions as @id."""
    text = re.sub(r"<!date\^\d+\^[^|>]*\|([^>]*)>", r"\1", mrkdwn)
    text = re.sub(r"<@([UW][A-Z0-9]+)>", r"@\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _element(element: dict[str, Any]) -> str:
    if element.get("type") == "button":
        target = element.get("url") or element.get("action_id", "")
        return f"[{_text(element.get('text'))} → {target}]"
    if element.get("type") in ("mrkdwn", "plain_text"):
        return _text(element)
    return f"<{element.get('type')}>"
