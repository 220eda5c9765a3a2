"""A Slack Web API stand-in on loopback: the real slack_sdk client talks to it.

It keeps what each conversation would show (posts and in-place updates), so
tests and the offline demo see exactly what each person would see, through
the very same bot code that talks to Slack in production. It can also be
told to fail: 429 with Retry-After, HTTP 5xx, an error answer, or a post that
lands but whose answer is lost (the case that double-posts naive bots); for a
number of calls or until `clear_faults()`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx


@dataclass
class Posted:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None
    updates: int = 0
    thread_ts: str = ""  # the parent message's ts, for a reply in a thread
    user: str = ""  # who posted it: a person's reply; "" for the bot


@dataclass
class Fault:
    method: str
    # "ratelimit" (429), "lose_response" (do it, then drop the connection), "http_500"/"http_503"...
    # (that status, a body that is not JSON, nothing done) or an error string
    kind: str
    times: int | None = 1  # None: every call until clear_faults()
    retry_after: int = 1


@dataclass(frozen=True)
class Arrival:
    """One Web API call as it reached the stand-in: when (time.time()), and how it was answered
    ("ok", or the kind of the fault that answered it), so tests assert on order and pacing."""

    at: float
    method: str
    args: dict[str, Any]
    answer: str


@dataclass(frozen=True)
class SignedRequest:
    """A request the stand-in sent to the bot, exactly as sent, so a test can replay it."""

    body: bytes
    headers: dict[str, str]


@dataclass
class SlackStandIn:
    """Start with `with SlackStandIn() as slack:`; point the client at `slack.api_url`."""

    # user id -> {"email", "tz", "name", "is_bot", "deleted"}
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # user group id -> its user ids
    team: str = "T000STANDIN"
    bot_user: str = "U000BOT"
    channels: dict[str, str] = field(default_factory=dict)  # public channel id -> name (conversations.list)
    outside: set[str] = field(default_factory=set)  # channels the bot is not in: posts there are refused
    channels_page: int = 2  # conversations.list answers this many a page, as Slack may answer short pages

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._ts = itertools.count(1)
        self.messages: dict[str, list[Posted]] = defaultdict(list)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.faults: list[Fault] = []
        self.arrivals: list[Arrival] = []  # every Web API call, with its arrival time and answer
        self.sent: list[SignedRequest] = []  # every signed request sent to the bot, in order
        self.views: dict[str, dict[str, Any]] = {}  # view id -> {"user", "view"} of open modals
        self.home: dict[str, dict[str, Any]] = {}  # user -> the App Home view published for them
        self.responses: list[dict[str, Any]] = []  # what was sent to response_url (slash command replies)
        self.ephemeral: dict[str, list[dict[str, Any]]] = defaultdict(list)  # user -> chat.postEphemeral
        self.files: dict[str, tuple[str, bytes, str]] = {}  # file id -> (name, content, mimetype)
        self.uploading: dict[str, dict[str, Any]] = {}  # file id -> {"filename", "length", "content"}
        self.shared: dict[str, list[dict[str, Any]]] = defaultdict(list)  # channel -> files the bot shared
        self._triggers: dict[str, str] = {}  # trigger id -> user who caused it
        self.events_url = ""
        self.signing_secret = ""
        self._ids = itertools.count(1)
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
                """Quiet: what matters is recorded in `calls`, not on stderr."""

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

    def replies(self, channel_or_user: str, thread_ts: str) -> list[Posted]:
        """The replies in the thread under the message `thread_ts` of a channel or a user's DM."""
        return [
            m for m in self.conversation(channel_or_user) if m.thread_ts == thread_ts and m.ts != thread_ts
        ]

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
                if message.user:
                    body = f"{message.user}: {body}"
                head = f"┌ {message.ts}{edited}" + (
                    f"  (in the thread of {message.thread_ts})" if message.thread_ts else ""
                )
                lines += [head, *("│ " + line for line in body.splitlines()), "└"]
            parts.append("\n".join(lines))
        return "\n\n".join(parts)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [args for name, args in self.calls if name == method]

    def trigger(self, user: str) -> str:
        """A trigger_id, as Slack attaches to a command or click by `user` (lets a modal open)."""
        trigger_id = f"trigger-{next(self._ids)}"
        with self._lock:
            self._triggers[trigger_id] = user
        return trigger_id

    def response_url(self) -> str:
        return f"{self.api_url.removesuffix('/api/')}/respond/{next(self._ids)}"

    def upload(self, name: str, content: bytes, mimetype: str = "application/octet-stream") -> dict[str, Any]:
        """A file a user attached: its id goes into a file_input's state; the bot fetches it."""
        file_id = f"F{next(self._ids):08d}"
        with self._lock:
            self.files[file_id] = (name, content, mimetype)
        return self._file_object(file_id)

    def _file_object(self, file_id: str) -> dict[str, Any]:
        name, content, mimetype = self.files[file_id]
        base = self.api_url.removesuffix("/api/")
        return {
            "id": file_id,
            "name": name,
            "mimetype": mimetype,
            "size": len(content),
            "url_private": f"{base}/files/{file_id}/{name}",
            "url_private_download": f"{base}/files/{file_id}/{name}",
        }

    def open_view(self, user: str) -> dict[str, Any] | None:
        """The modal `user` has open now (the newest), with its id."""
        with self._lock:
            mine = [dict(v["view"], id=view_id) for view_id, v in self.views.items() if v["user"] == user]
        return mine[-1] if mine else None

    def close_view(self, view_id: str) -> None:
        with self._lock:
            self.views.pop(view_id, None)

    # acting as Slack towards the bot: signed requests to its /slack/events ------------

    def attach(self, events_url: str, signing_secret: str) -> None:
        """Where the bot listens, and the secret Slack signs requests with."""
        self.events_url = events_url
        self.signing_secret = signing_secret

    def _send(self, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> httpx.Response:
        timestamp = str(int(time.time()))
        base = b"v0:" + timestamp.encode() + b":" + body
        signature = "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        headers = {
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
            "Content-Type": content_type,
            **(extra or {}),
        }
        with self._lock:
            self.sent.append(SignedRequest(body, headers))
        return httpx.post(self.events_url, content=body, headers=headers, timeout=10)

    def replay(self, request: SignedRequest) -> httpx.Response:
        """Send an earlier request again, byte for byte and with its signature (a replay attack,
        or Slack retrying a request whose answer it did not get)."""
        return httpx.post(self.events_url, content=request.body, headers=request.headers, timeout=10)

    def _interaction(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self._send(body, "application/x-www-form-urlencoded")

    def command(self, user: str, text: str, command: str = "/approval") -> httpx.Response:
        """`user` types `/approval <text>`."""
        form = {
            "command": command,
            "text": text,
            "user_id": user,
            "user_name": user,
            "team_id": self.team,
            "channel_id": self.dm_channel(user),
            "api_app_id": "A000STANDIN",
            "response_url": self.response_url(),
            "trigger_id": self.trigger(user),
        }
        return self._send(urlencode(form).encode(), "application/x-www-form-urlencoded")

    def click(
        self,
        user: str,
        action_id: str,
        value: str = "",
        *,
        in_view: dict[str, Any] | None = None,
        block_id: str = "",
        message: Posted | None = None,
    ) -> httpx.Response:
        """`user` presses a button (in a modal, on App Home, or on a message)."""
        action = {"type": "button", "action_id": action_id, "block_id": block_id, "value": value}
        return self._block_action(user, action, in_view, message)

    def choose(
        self,
        user: str,
        action_id: str,
        option: dict[str, Any],
        *,
        in_view: dict[str, Any] | None = None,
        block_id: str = "",
        message: Posted | None = None,
    ) -> httpx.Response:
        """`user` picks `option` (an option object) from a static_select menu: Slack sends it at once."""
        action = {
            "type": "static_select",
            "action_id": action_id,
            "block_id": block_id,
            "selected_option": option,
        }
        return self._block_action(user, action, in_view, message)

    def _block_action(
        self, user: str, action: dict[str, Any], in_view: dict[str, Any] | None, message: Posted | None
    ) -> httpx.Response:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": self.team},
            "api_app_id": "A000STANDIN",
            "trigger_id": self.trigger(user),
            "actions": [{**action, "action_ts": str(time.time())}],
        }
        if in_view is not None:
            payload["view"] = in_view
            payload["container"] = {"type": "view", "view_id": in_view["id"]}
        if message is not None:
            payload["container"] = {
                "type": "message",
                "channel_id": message.channel,
                "message_ts": message.ts,
            }
            payload["channel"] = {"id": message.channel}
            payload["message"] = {"ts": message.ts, "text": message.text, "blocks": message.blocks}
            payload["response_url"] = self.response_url()
        return self._interaction(payload)

    def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> httpx.Response:
        """`user` presses the modal's submit button with `values` (view.state.values shape). The answer
        does to the modal what it does in Slack: a plain ack or "clear" closes it, "update" replaces it,
        "errors" leaves it open."""
        submitted = dict(view, state={"values": values})
        payload = {
            "type": "view_submission",
            "user": {"id": user},
            "team": {"id": self.team},
            "api_app_id": "A000STANDIN",
            "trigger_id": self.trigger(user),
            "view": submitted,
        }
        response = self._interaction(payload)
        if response.status_code != 200:
            return response
        action = response.json().get("response_action") if response.content else None
        if action in (None, "clear"):
            self.close_view(view["id"])
        elif action == "update":
            with self._lock:
                self.views[view["id"]] = {"user": user, "view": response.json()["view"]}
        return response

    def open_home(self, user: str) -> httpx.Response:
        event = {"type": "app_home_opened", "user": user, "tab": "home", "channel": self.dm_channel(user)}
        body = {
            "type": "event_callback",
            "team_id": self.team,
            "api_app_id": "A000STANDIN",
            "event": event,
            "event_id": f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
        }
        return self._send(json.dumps(body).encode(), "application/json")

    def reply(self, user: str, card: Posted, text: str) -> httpx.Response:
        """`user` replies `text` in the thread under `card`: the reply shows there, and Slack sends the
        bot the `message` event (message.im in a DM, message.channels in a channel)."""
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        with self._lock:
            self.messages[card.channel].append(
                Posted(card.channel, ts, text, [], None, thread_ts=card.ts, user=user)
            )
        event = {
            "type": "message",
            "channel": card.channel,
            "channel_type": "im" if card.channel.startswith("D") else "channel",
            "user": user,
            "text": text,
            "ts": ts,
            "thread_ts": card.ts,
            "event_ts": ts,
        }
        body = {
            "type": "event_callback",
            "team_id": self.team,
            "api_app_id": "A000STANDIN",
            "event": event,
            "event_id": f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
        }
        return self._send(json.dumps(body).encode(), "application/json")

    def retry(self, request: SignedRequest, attempt: int = 1) -> httpx.Response:
        """Slack retrying an event it thinks was not taken: the same body (its event_id too), signed anew,
        with X-Slack-Retry-Num."""
        return self._send(request.body, request.headers["Content-Type"], {"X-Slack-Retry-Num": str(attempt)})

    def fail(self, method: str, kind: str, times: int | None = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` (every call until clear_faults() when None) fail."""
        with self._lock:
            self.faults.append(Fault(method, kind, times, retry_after))

    def clear_faults(self, method: str | None = None) -> None:
        """Forget the faults of `method` (of every method when None): calls succeed again."""
        with self._lock:
            self.faults = [f for f in self.faults if method is not None and f.method != method]

    def arrivals_of(self, method: str) -> list[Arrival]:
        with self._lock:
            return [arrival for arrival in self.arrivals if arrival.method == method]

    # the API -------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlparse(request.path)
        if url.path.startswith("/files/"):
            self._serve_file(request, url.path.split("/")[2])
            return
        if url.path.startswith("/upload/"):
            self._receive_upload(request, url.path.split("/")[2])
            return
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
            fault = next(
                (f for f in self.faults if f.method == method and (f.times is None or f.times > 0)), None
            )
            if fault is not None and fault.times is not None:
                fault.times -= 1
            if not url.path.startswith("/respond/"):
                self.arrivals.append(Arrival(time.time(), method, args, fault.kind if fault else "ok"))
        if url.path.startswith("/respond/"):
            with self._lock:
                self.responses.append(args)
            self._reply(request, {"ok": True})
            return
        if fault is not None and fault.kind == "ratelimit":
            self._reply(
                request,
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(fault.retry_after)},
            )
            return
        if fault is not None and (status := re.fullmatch(r"http_(5\d\d)", fault.kind)):
            body = b"upstream connect error"
            request.send_response(int(status.group(1)))
            request.send_header("Content-Type", "text/plain")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
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

    def _serve_file(self, request: BaseHTTPRequestHandler, file_id: str) -> None:
        """url_private: only with the bot token, as in Slack."""
        if not (request.headers.get("Authorization") or "").startswith("Bearer xoxb-"):
            request.send_response(302)
            request.send_header("Location", "/login")
            request.end_headers()
            return
        with self._lock:
            found = self.files.get(file_id)
        if found is None:
            request.send_response(404)
            request.end_headers()
            return
        request.send_response(200)
        request.send_header("Content-Type", found[2])
        request.send_header("Content-Length", str(len(found[1])))
        request.end_headers()
        request.wfile.write(found[1])

    def _receive_upload(self, request: BaseHTTPRequestHandler, file_id: str) -> None:
        """The upload URL files.getUploadURLExternal gave: the raw bytes of the file, as Slack takes them."""
        content = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        with self._lock:
            pending = self.uploading.get(file_id)
            if pending is not None:
                pending["content"] = content
        status, body = (200, f"OK - {len(content)}".encode()) if pending is not None else (404, b"")
        request.send_response(status)
        request.send_header("Content-Type", "text/plain")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def files_in(self, channel_or_user: str) -> list[dict[str, Any]]:
        """Files the bot shared in a channel, or in a user's DM: {"id", "name", "content", "comment"}."""
        with self._lock:
            channel = channel_or_user if channel_or_user in self.shared else self.dm_channel(channel_or_user)
            return list(self.shared.get(channel, []))

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
        if channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        with self._lock:
            self.messages[channel].append(
                Posted(
                    channel,
                    ts,
                    args.get("text", ""),
                    self._json_arg(args, "blocks") or [],
                    self._json_arg(args, "metadata"),
                    thread_ts=str(args.get("thread_ts") or ""),
                )
            )
        return {"ok": True, "channel": channel, "ts": ts}

    def _api_conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        """Public channels, `channels_page` at a time; the cursor is where the next page starts."""
        start = int(args.get("cursor") or 0)
        listed = sorted(self.channels.items())
        page = listed[start : start + self.channels_page]
        after = start + len(page)
        return {
            "ok": True,
            "channels": [{"id": cid, "name": name, "is_channel": True} for cid, name in page],
            "response_metadata": {"next_cursor": str(after) if after < len(listed) else ""},
        }

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
        """The channel's messages, newest first: replies in threads are not among them (as in Slack)."""
        return self._messages(args, lambda m: not m.thread_ts or m.thread_ts == m.ts, newest_first=True)

    def _api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread: its parent message, then the replies, oldest first."""
        parent = str(args.get("ts", ""))
        return self._messages(args, lambda m: parent in (m.ts, m.thread_ts), newest_first=False)

    def _messages(
        self, args: dict[str, Any], wanted: Callable[[Posted], bool], *, newest_first: bool
    ) -> dict[str, Any]:
        oldest = float(args.get("oldest") or 0)
        with self._lock:
            found = [
                m
                for m in self.messages.get(args.get("channel", ""), [])
                if float(m.ts) >= oldest and wanted(m)
            ]
        return {
            "ok": True,
            "messages": [
                {"ts": m.ts, "text": m.text, **({"metadata": m.metadata} if m.metadata else {})}
                for m in (reversed(found) if newest_first else found)
            ],
        }

    def _api_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        for user_id, profile in self.users.items():
            if profile.get("email") == args.get("email"):
                return {"ok": True, "user": {"id": user_id, "tz": profile.get("tz", "Asia/Shanghai")}}
        return {"ok": False, "error": "users_not_found"}

    def _api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            user = self._triggers.pop(str(args.get("trigger_id", "")), None)
        if user is None:
            return {"ok": False, "error": "expired_trigger_id"}
        view = self._json_arg(args, "view")
        view_id = f"V{next(self._ids):08d}"
        with self._lock:
            self.views[view_id] = {"user": user, "view": view}
        return {"ok": True, "view": dict(view, id=view_id)}

    def _api_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = str(args.get("view_id", ""))
        with self._lock:
            if view_id not in self.views:
                return {"ok": False, "error": "not_found"}
            self.views[view_id]["view"] = self._json_arg(args, "view")
            view = self.views[view_id]["view"]
        return {"ok": True, "view": dict(view, id=view_id)}

    def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user_id", ""))
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        with self._lock:
            self.home[user] = self._json_arg(args, "view")
        return {"ok": True, "view": self.home[user]}

    def _api_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _api_files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = str(args.get("file", ""))
        if file_id not in self.files:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": self._file_object(file_id)}

    def _api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user", ""))
        with self._lock:
            self.ephemeral[user].append(
                {
                    "channel": args.get("channel", ""),
                    "text": args.get("text", ""),
                    "blocks": self._json_arg(args, "blocks"),
                }
            )
        return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("user") == self.bot_user:
            return {"ok": True, "user": {"id": self.bot_user, "is_bot": True, "name": "approvals"}}
        profile = self.users.get(args.get("user", ""))
        if profile is None:
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {
                "id": args["user"],
                "is_bot": bool(profile.get("is_bot")),
                "deleted": bool(profile.get("deleted")),
                "tz": profile.get("tz", "Asia/Shanghai"),
                "profile": {
                    "email": profile.get("email", ""),
                    "real_name": profile.get("real_name") or profile.get("name", ""),
                },
            },
        }

    def _api_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        filename, length = str(args.get("filename") or ""), str(args.get("length") or "")
        if not filename or not length.isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        with self._lock:
            self.uploading[file_id] = {"filename": filename, "length": int(length), "content": None}
        base = self.api_url.removesuffix("/api/")
        return {"ok": True, "file_id": file_id, "upload_url": f"{base}/upload/{file_id}"}

    def _api_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        """Shares what was uploaded (and only files whose bytes arrived, in full) where it was asked."""
        done = []
        with self._lock:
            for item in self._json_arg(args, "files") or []:
                pending = self.uploading.get(str(item.get("id")))
                arrived = pending["content"] if pending is not None else None
                if arrived is None or len(arrived) != pending["length"]:  # type: ignore[index]
                    return {"ok": False, "error": "file_not_found"}
                self.files[item["id"]] = (pending["filename"], pending["content"], "application/octet-stream")
                done.append({"id": item["id"], "title": item.get("title") or pending["filename"]})
            channel = str(args.get("channel_id") or "")
            for item in done:
                del self.uploading[item["id"]]
                name, content, _ = self.files[item["id"]]
                if channel:
                    shared = {"id": item["id"], "name": name, "content": content}
                    self.shared[channel].append({**shared, "comment": args.get("initial_comment")})
        return {"ok": True, "files": done}


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
