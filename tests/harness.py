"""End-to-end plumbing: the real `approvals-bot serve` process, callbacks
encrypted by an independent implementation (wechatpy), and polling helpers."""

from __future__ import annotations

import atexit
import http.client
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from xml.sax.saxutils import escape

import httpx
import pytest
from slack_bolt import App

from bot.offline.slack_standin import SlackStandIn
from handlers.listeners import register_all
from tests.pg import PG_ENV, Cluster, server_binaries, with_database

if TYPE_CHECKING:
    from bot.runtime import Runtime

try:
    from wechatpy.work.crypto import WeChatCrypto
except ImportError:  # wechatpy 1.8 calls WeCom "enterprise"
    from wechatpy.enterprise.crypto import WeChatCrypto

T = TypeVar("T")

# Shaped like the real ones, so the config `serve` checks first passes (placeholders would not).
CORP_ID = "ww5a1b9c3d7e2f4680"
TOKEN = "QDG6eK"
AES_KEY = "eblKDLTOLgSven1z+ZcPEjDNflUoaw3ATvXsgeR3Gxs"
SECRET = "fake-secret-0123456789"
SIGNING_SECRET = "5f2b8c1e9a7d4063b1e2c3d4a5f60718"
APPROVAL_URL = "https://wecom.acme.test/approval?sp_no={sp_no}"


def wait_for(check: Callable[[], T], *, timeout: float = 10.0, what: str = "condition") -> T:
    """Poll until `check()` is truthy (and return it); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


# `APPROVALS_BOT_TEST_STORE=postgres-replicas`: every store the harness writes into a config is a fresh
# PostgreSQL database instead of TinyDB files, and BotProcess starts two `serve` replicas on it behind a
# round-robin proxy, so the end-to-end suites check their scenarios on the replicated deployment.
STORE_MODE_ENV = "APPROVALS_BOT_TEST_STORE"
REPLICAS_MODE = "postgres-replicas"
_databases: dict[Path, str] = {}  # a test's store path -> the database standing in for it
_cluster: list[Cluster] = []  # started at most once per process, when no server is given
_template: list[str] = []  # a database at the current schema, made once per process, copied per store


def replicas_mode() -> bool:
    """Whether this test run puts every harness-written store on PostgreSQL, served by two replicas."""
    return os.environ.get(STORE_MODE_ENV, "") == REPLICAS_MODE


def tinydb_only(reason: str) -> pytest.MarkDecorator:
    """Skips a test in replicas mode: what it checks belongs to the TinyDB store (`reason` says what);
    the suite's ordinary run still checks it."""
    return pytest.mark.skipif(replicas_mode(), reason=f"TinyDB store only: {reason}")


def _pg_server() -> str:
    """The server's maintenance DSN: APPROVALS_BOT_TEST_PG, else a throwaway cluster for this process."""
    if os.environ.get(PG_ENV):
        return os.environ[PG_ENV]
    if not _cluster:
        bindir = server_binaries()
        if bindir is None:
            raise AssertionError(f"PostgreSQL is needed here: set {PG_ENV} or install the server")
        cluster = Cluster(bindir)
        cluster.start()
        atexit.register(cluster.stop)
        _cluster.append(cluster)
    return _cluster[0].url


def _drop_databases(server: str, names: list[str]) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrated_template(server: str) -> str:
    """A database at the current schema, made once per process: each store's database is copied from
    it, so replicas find their schema in place and start side by side."""
    import psycopg

    from bot.store.postgres.migrations import upgrade

    if not _template:
        name = f"approvals_e2e_tmpl_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        atexit.register(_drop_databases, server, [name])
        with psycopg.connect(with_database(server, name), autocommit=True) as conn:
            upgrade(conn, name)
        _template.append(name)
    return _template[0]


def fresh_database() -> str:
    """A new database (its URL) on the test server, at the current schema and holding nothing, dropped
    when this process exits."""
    import psycopg

    server = _pg_server()
    template = _migrated_template(server)
    name = f"approvals_e2e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    atexit.register(_drop_databases, server, [name])
    return with_database(server, name)


def replica_database(store: Path) -> str:
    """The PostgreSQL database standing in for the TinyDB store at `store`: the same one each time a
    test writes a config for that store (a restart finds its data), a new empty one for a new store."""
    store = store.resolve()
    if store not in _databases:
        _databases[store] = fresh_database()
    return _databases[store]


def store_table(store: Path, url: str = "") -> str:
    """The config's [store] table: the TinyDB file at `store`, or the database `url` names; in replicas
    mode the database standing in for `store` when no `url` is given."""
    if not url and replicas_mode():
        url = replica_database(store)
    return f'[store]\npath = "{store}"\n' + (f'url = "{url}"\n' if url else "")


def write_config(
    path: Path,
    slack_url: str,
    wecom_url: str,
    store: Path,
    users: dict[str, str],
    extra: str = "",
    app_token: str = "",
    wecom_settings: str = "",
    admins: Sequence[str] = (),
    *,
    server: str = "",
    bot_token: str = "xoxb-test-token",
    signing_secret: str = SIGNING_SECRET,
    audit_channel: str = "CAUDIT01",
    schedule: str = "",
    local_templates: Sequence[str] = (),
    store_url: str = "",
) -> Path:
    """A config with WeCom's approval app over the fakes; `server`, `wecom_settings` and `schedule` are
    lines added to their tables, `local_templates` [[local.templates]] entries (see purchase_template),
    `extra` anything else, written last. `store_url` (postgresql://...) puts the store in that database
    (the bench and the replicas' test start `serve` on one)."""
    user_lines = "\n".join(f'"{k}" = "{v}"' for k, v in users.items())
    admin_list = ", ".join(f'"{admin}"' for admin in admins)
    schedule_table = f"[schedule]\n{schedule}" if schedule else ""
    path.write_text(
        f"""
[server]
public_url = "http://127.0.0.1"
{server}
{store_table(store, store_url)}
[slack]
bot_token = "{bot_token}"
signing_secret = "{signing_secret}"
api_url = "{slack_url}"
language = "en"
app_token = "{app_token}"
audit_channel = "{audit_channel}"
admins = [{admin_list}]
[wecom]
corp_id = "{CORP_ID}"
secret = "{SECRET}"
token = "{TOKEN}"
encoding_aes_key = "{AES_KEY}"
api_base = "{wecom_url}"
approval_url_template = "{APPROVAL_URL}"
{wecom_settings}
[users]
{user_lines}
{schedule_table}
{"".join(local_templates)}
{extra}
""",
        encoding="utf-8",
    )
    return path


# the self-built app's engine: its app id and one template filed through the launch page
OPEN_ENGINE = 'agent_id = "1000002"\n[wecom.open_templates]\npayment = "1234567111"\n'
PURCHASE_REASON = '{ control = "Text", id = "Text-1", title = "采购事由", require = true }'


def purchase_template(approvers: Sequence[str], *controls: str) -> str:
    """The embedded engine's "purchase" template (采购申请): its reason, then `controls` (TOML inline
    tables), decided in one step by `approvers` (Slack ids)."""
    listed = ",\n".join(f"  {control}" for control in (PURCHASE_REASON, *controls))
    users = ", ".join(f'"{approver}"' for approver in approvers)
    return f"""
[[local.templates]]
alias = "purchase"
name = "采购申请"
controls = [
{listed},
]
process = [{{ type = 1, apv_rel = 1, users = [{users}] }}]
"""


HOP_BY_HOP = ("connection", "transfer-encoding", "keep-alive", "content-length")  # the proxy sets its own


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the tests' bursts open dozens of connections at once


class RoundRobinProxy:
    """One loopback url in front of several replicas, as a load balancer: each request goes to the next
    replica in turn (no keep-alive: a connection carries one request), headers and body as they came."""

    def __init__(self, backends: Sequence[str], port: int = 0) -> None:
        self.backends = list(backends)
        turns = itertools.cycle(range(len(self.backends)))
        lock = threading.Lock()
        proxy = self

        class Forward(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                with lock:
                    target = httpx.URL(proxy.backends[next(turns)])
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection(target.host, target.port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body, dict(self.headers.items()))
                    reply = upstream.getresponse()
                    content = reply.read()
                finally:
                    upstream.close()
                self.send_response_only(reply.status, reply.reason)
                for name, value in reply.getheaders():
                    if name.lower() not in (
                        "connection",
                        "transfer-encoding",
                        "keep-alive",
                        "content-length",
                    ):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = _forward

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the replicas log what they served."""

        self.server = _ProxyServer(("127.0.0.1", port), Forward)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _configured_replicas(config: Path) -> int:
    """Two replicas for a store the replicas mode put on PostgreSQL; one for anything else."""
    text = config.read_text(encoding="utf-8")
    return 2 if replicas_mode() and any(f'url = "{url}"' in text for url in _databases.values()) else 1


@dataclass
class BotProcess:
    """`python -m bot serve` on a free loopback port, its stderr captured. In replicas mode (see
    STORE_MODE_ENV) two of them on one database behind a RoundRobinProxy: `url` is the proxy's, `log`
    both replicas' lines, `proc` the first replica's process, and stop/kill act on both."""

    config: Path
    proc: subprocess.Popen[str] | None = None
    url: str = ""
    log: list[str] = field(default_factory=list)
    log_level: str = "INFO"  # APPROVALS_BOT_LOG_LEVEL of the process (the secrets check runs at DEBUG)
    port: int = 0  # 0: any free port; a fixed one when server.public_url must be the address browsers use
    replicas: list[BotProcess] = field(default_factory=list)
    proxy: RoundRobinProxy | None = None
    replicate: bool = True  # False for a replica itself: it is one process
    count: int = 0  # how many replicas; 0: two for a store the replicas mode made, else one
    _ready: threading.Event = field(default_factory=threading.Event, repr=False)

    def start(self) -> BotProcess:
        count = self.count or _configured_replicas(self.config)
        if self.replicate and count > 1:
            return self._start_replicas(count)
        return self._spawn()._until_serving()

    def _spawn(self) -> BotProcess:
        """The process started, its stderr read into `log` (and `url` once it serves)."""
        env = {**os.environ, "APPROVALS_BOT_LOG_LEVEL": self.log_level}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--config",
                str(self.config),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        ready = threading.Event()

        def read() -> None:
            assert self.proc is not None and self.proc.stderr is not None
            for line in self.proc.stderr:
                self.log.append(line)
                match = re.search(r"serving on (http://\S+)", line)
                if match:
                    self.url = match.group(1)
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        self._ready = ready
        return self

    def _until_serving(self) -> BotProcess:
        assert self.proc is not None
        proc, ready = self.proc, self._ready
        wait_for(lambda: ready.is_set() or proc.poll() is not None, timeout=30, what="server start")
        if not self.url:
            raise AssertionError("server did not start:\n" + "".join(self.log))
        return self

    def _start_replicas(self, count: int) -> BotProcess:
        """The replicas side by side (their database is at the current schema already: see
        `fresh_database`), then the proxy before them."""
        self.replicas = [
            BotProcess(self.config, log=self.log, log_level=self.log_level, replicate=False)
            for _ in range(count)
        ]
        for replica in self.replicas:
            replica._spawn()
        for replica in self.replicas:
            replica._until_serving()
        self.proc = self.replicas[0].proc
        self.proxy = RoundRobinProxy([replica.url for replica in self.replicas], self.port)
        self.url = self.proxy.url
        return self

    def health(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/healthz", timeout=5).json()

    def stop(self) -> int:
        if self.replicas:
            self._close_proxy()
            return max(replica.stop() for replica in self.replicas)
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def kill(self) -> None:
        if self.replicas:
            self._close_proxy()
            for replica in self.replicas:
                replica.kill()
            return
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)

    def _close_proxy(self) -> None:
        if self.proxy is not None:
            self.proxy.close()
            self.proxy = None


class WeComSender:
    """Plays WeCom: encrypts with wechatpy and POSTs like the real service."""

    def __init__(
        self, url: str, *, token: str = TOKEN, aes_key: str = AES_KEY, corp_id: str = CORP_ID
    ) -> None:
        self.url = url
        self.crypto = WeChatCrypto(token, aes_key, corp_id)
        self.corp_id = corp_id
        self._nonce = itertools.count(10_000_000, 7919)

    def envelope(self, xml: str, timestamp: int | None = None) -> tuple[dict[str, str], bytes]:
        timestamp = int(time.time()) if timestamp is None else timestamp
        nonce = str(next(self._nonce))
        reply = self.crypto.encrypt_message(xml, nonce, str(timestamp))
        encrypt = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", reply).group(1)
        signature = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]></MsgSignature>", reply).group(1)
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"
        )
        query = {"msg_signature": signature, "timestamp": str(timestamp), "nonce": nonce}
        return query, body.encode()

    def post(self, xml: str, timestamp: int | None = None) -> httpx.Response:
        query, body = self.envelope(xml, timestamp)
        return self.post_raw(query, body)

    def post_raw(self, query: dict[str, str], body: bytes) -> httpx.Response:
        return httpx.post(f"{self.url}/wecom/callback", params=query, content=body, timeout=10)


@dataclass(frozen=True)
class Approver:
    user: str
    status: int = 1
    speech: str = ""
    time: int = 0


def approval_xml(
    sp_no: str,
    *,
    status: int = 1,
    action: int = 1,
    applicant: str = "WuJunJie",
    nodes: Sequence[tuple[int, Sequence[Approver]]] = (),
    cc: Sequence[str] = (),
    comments: Sequence[tuple[str, str, int, str]] = (),  # (id, user, time, content)
    create_time: int | None = None,
    apply_time: int = 1_700_000_000,
) -> str:
    """A sys_approval_change callback shaped like the spec's sample (ProcessList, SpRecord, Notifyer...)."""
    create_time = int(time.time()) if create_time is None else create_time

    def cdata(text: str) -> str:
        return f"<![CDATA[{text}]]>"

    process = ""
    records = ""
    for apv_rel, members in nodes:
        pending = any(m.status == 1 for m in members)
        rejected = any(m.status == 3 for m in members)
        node_status = (
            3 if rejected else (1 if pending and (apv_rel != 2 or all(m.status == 1 for m in members)) else 2)
        )
        subs = "".join(
            f"<SubNodeList><UserInfo><UserId>{cdata(m.user)}</UserId></UserInfo><Speech>{cdata(escape(m.speech))}"
            f"</Speech><SpYj>{m.status}</SpYj><Sptime>{m.time}</Sptime></SubNodeList>"
            for m in members
        )
        process += (
            f"<NodeList><NodeType>1</NodeType><SpStatus>{node_status}</SpStatus><ApvRel>{apv_rel}</ApvRel>"
            f"{subs}</NodeList>"
        )
        details = "".join(
            f"<Details><Approver><UserId>{cdata(m.user)}</UserId></Approver><Speech>{cdata(escape(m.speech))}"
            f"</Speech><SpStatus>{m.status}</SpStatus><SpTime>{m.time}</SpTime></Details>"
            for m in members
        )
        records += (
            f"<SpRecord><SpStatus>{node_status}</SpStatus><ApproverAttr>{1 if apv_rel == 2 else 2}"
            f"</ApproverAttr>{details}</SpRecord>"
        )
    if cc:
        subs = "".join(
            f"<SubNodeList><UserInfo><UserId>{cdata(u)}</UserId></UserInfo></SubNodeList>" for u in cc
        )
        process += f"<NodeList><NodeType>2</NodeType>{subs}</NodeList>"
    notifyer = "".join(f"<Notifyer><UserId>{cdata(u)}</UserId></Notifyer>" for u in cc)
    comment_xml = "".join(
        f"<Comments><CommentUserInfo><UserId>{cdata(user)}</UserId></CommentUserInfo>"
        f"<CommentTime>{at}</CommentTime><CommentContent>{cdata(escape(text))}</CommentContent>"
        f"<CommentId>{cdata(cid)}</CommentId></Comments>"
        for cid, user, at, text in comments
    )
    return (
        f"<xml><ToUserName>{cdata(CORP_ID)}</ToUserName><FromUserName>{cdata('sys')}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType>{cdata('event')}</MsgType>"
        f"<Event>{cdata('sys_approval_change')}</Event><AgentID>3010040</AgentID><ApprovalInfo>"
        f"<SpNoStr>{cdata(sp_no)}</SpNoStr><SpNo>{sp_no}</SpNo><SpName>{cdata('采购申请')}</SpName>"
        f"<SpStatus>{status}</SpStatus><TemplateId>{cdata('tmpl-purchase')}</TemplateId>"
        f"<ApplyTime>{apply_time}</ApplyTime><Applyer><UserId>{cdata(applicant)}</UserId>"
        f"<Party>{cdata('1')}</Party></Applyer>{records}{notifyer}<ProcessList>{process}</ProcessList>"
        f"{comment_xml}<StatuChangeEvent>{action}</StatuChangeEvent></ApprovalInfo></xml>"
    )


def approval_detail(sp_no: str, applicant: str = "WuJunJie") -> dict[str, Any]:
    """A getapprovaldetail `info` with form data (what the callback lacks)."""
    return {
        "sp_no": sp_no,
        "sp_name": "采购申请",
        "sp_status": 1,
        "template_id": "tmpl-purchase",
        "apply_time": 1_700_000_000,
        "applyer": {"userid": applicant, "partyid": "1"},
        "sp_record": [],
        "notifyer": [],
        "apply_data": {
            "contents": [
                {
                    "control": "Text",
                    "id": "Text-1",
                    "title": [{"text": "采购事由", "lang": "zh_CN"}],
                    "value": {"text": "New laptops for the design team"},
                },
                {
                    "control": "Money",
                    "id": "Money-1",
                    "title": [{"text": "金额", "lang": "zh_CN"}],
                    "value": {"new_money": "4839"},
                },
            ]
        },
        "comments": [],
    }


def in_process_app(runtime: Runtime) -> App:
    """The bolt app `serve` runs, every listener registered, dispatching synchronously
    (process_before_response): when dispatch returns the listener has run, and its exception shows."""
    app = App(
        client=runtime.slack,
        signing_secret="unused",
        token_verification_enabled=False,
        request_verification_enabled=False,
        process_before_response=True,
    )
    register_all(app, runtime)
    return app


def exported_numbers(config: Path) -> set[str]:
    """The approval numbers the store holds, read as `export` reads them beside a running serve."""
    exported = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--config", str(config)], capture_output=True, text=True
    )
    return {row["number"] for row in json.loads(exported.stdout)} if exported.returncode == 0 else set()


def started(config: Path, slack: SlackStandIn) -> BotProcess:
    """`serve` on `config`, the Slack stand-in sending its requests there, signed as Slack signs them."""
    process = BotProcess(config).start()
    slack.attach(f"{process.url}/slack/events", SIGNING_SECRET)
    return process
