"""The `approvals-bot` command, in process and as `python -m bot`."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import cli
from bot.codec import snapshot_to_dict
from bot.config import CONFIG_ENV, SECRET_ENV, load_config
from bot.config_check import problems
from bot.model import ApprovalMode, ApprovalStatus, Member, MemberStatus, Node, NodeType, Snapshot
from bot.offline.slack_standin import SlackStandIn
from bot.store import INBOX_CHECKPOINT, Store, StoreLockedError
from bot.store.tinydb import TinyDBStore
from tests.harness import Approver, approval_xml

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
[server]
public_url = "https://approvals.acme.test"
[store]
path = "{store}"
[[local.templates]]
alias = "purchase"
name = "Purchase"
controls = [{{ control = "Text", id = "Text-1", title = "What", require = true }}]
process = [{{ type = 1, apv_rel = 1, users = ["U0APPROVER"] }}]
[slack]
bot_token = "xoxb-1-2-abc"
signing_secret = "ccf9b3dcbb6e86223886892b9ad410b5"
"""

BAD = """
[server]
port = 0
[slack]
bot_token = "xoxp-user-token"
language = "fr"
audit_channel = "#general"
bot_tokn = "typo"
[wecom]
corp_id = "ww0123"
token = "callback-token"
approval_url_template = "https://wecom.example/approval"
[users]
"alice" = "Alice"
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in [*SECRET_ENV.values(), "PORT", CONFIG_ENV]:
        monkeypatch.delenv(variable, raising=False)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "approvals.json"


@pytest.fixture
def good_config(tmp_path: Path, store_path: Path) -> Path:
    return write(tmp_path / "config.toml", GOOD.format(store=store_path))


# --- check-config ---------------------------------------------------------------------------------


def test_check_config_ok(good_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check-config", "--config", str(good_config)]) == 0
    out = capsys.readouterr().out
    assert f"Checked {good_config}:" in out
    assert "OK (0 warning(s))" in out
    assert "embedded engine" in out


def test_check_config_ok_lists_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "c.toml", GOOD.format(store="x.json") + 'bot_tokn = "typo"\n')
    assert cli.main(["check-config", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"warning: [slack] bot_tokn in {path}: unknown key (typo?)" in out
    assert "OK (1 warning(s))" in out


def test_check_config_lists_every_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "bad.toml", BAD)
    assert cli.main(["check-config", "--config", str(path)]) == 1
    out = capsys.readouterr().out
    expected = problems(load_config(path, env={}))
    errors = [p for p in expected if p.severity == "error"]
    assert len(errors) >= 8
    for problem in expected:
        assert f"  {problem}" in out
    assert {p.key for p in errors} >= {
        "server.port",
        "slack.bot_token",
        "slack.signing_secret",
        "slack.language",
        "slack.audit_channel",
        "wecom.corp_id",
        "wecom.secret",
        "wecom.encoding_aes_key",
        "wecom.approval_url_template",
        "users",
    }
    assert f"error: [server] port in {path}: must be a port from 1 to 65535, got 0" in out
    assert f"error: [users] in {path}: 'alice' is not a Slack user id" in out
    assert f"warning: [slack] bot_tokn in {path}" in out
    assert f"{len(errors)} error(s): the bot will not start" in out
    assert "OK" not in out


def test_check_config_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.toml"
    assert cli.main(["check-config", "--config", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("approvals-bot: config file")
    assert str(missing) in captured.err and "config.example.toml" in captured.err
    assert "Traceback" not in captured.err


def test_check_config_invalid_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "broken.toml", "[slack\n")
    assert cli.main(["check-config", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path} is not valid TOML" in err


def test_check_config_uses_env_variable_then_cwd(
    tmp_path: Path, good_config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert cli.main(["check-config"]) == 2  # no ./config.toml here
    assert "config.toml not found" in capsys.readouterr().err
    monkeypatch.setenv(CONFIG_ENV, str(good_config))
    assert cli.main(["check-config"]) == 0
    assert f"Checked {good_config}:" in capsys.readouterr().out
    monkeypatch.delenv(CONFIG_ENV)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check-config"]) == 0
    assert "Checked config.toml:" in capsys.readouterr().out


def _env() -> dict[str, str]:
    """The environment for `python -m bot` from the repository, without secrets from outside."""
    env = {k: v for k, v in os.environ.items() if k not in {*SECRET_ENV.values(), CONFIG_ENV, "PORT"}}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def test_python_dash_m_bot(tmp_path: Path, good_config: Path) -> None:
    bad = write(tmp_path / "bad.toml", BAD)
    env = _env()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    ok = run("check-config", "--config", str(good_config))
    assert ok.returncode == 0, ok.stderr
    assert "OK (0 warning(s))" in ok.stdout
    failed = run("check-config", "--config", str(bad))
    assert failed.returncode == 1
    assert f"error: [slack] bot_token in {bad}: a bot token starts with 'xoxb-'" in failed.stdout
    missing = run("check-config", "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2
    assert "config.example.toml" in missing.stderr
    usage = run()
    assert usage.returncode == 2
    assert "check-config" in usage.stderr


# --- serve ----------------------------------------------------------------------------------------


def test_serve_refuses_a_bad_config_without_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.runtime
    import bot.server

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("serve started despite config errors")

    monkeypatch.setattr(bot.runtime, "build_runtime", must_not_run)
    monkeypatch.setattr(bot.server, "serve", must_not_run)
    store = tmp_path / "data" / "approvals.json"
    path = write(tmp_path / "bad.toml", BAD + f'[store]\npath = "{store}"\n')
    assert cli.main(["serve", "--config", str(path), "--port", "0"]) == 1
    captured = capsys.readouterr()
    errors = [p for p in problems(load_config(path, env={})) if p.severity == "error"]
    for problem in errors:
        assert f"approvals-bot: {problem}" in captured.err
    assert "check-config" in captured.err
    assert "bot_tokn" not in captured.err  # only errors stop serve; warnings are not repeated
    assert not store.parent.exists()  # not even the store was opened


def serve_config(tmp_path: Path, api_url: str) -> Path:
    store = tmp_path / "data" / "approvals.json"
    return write(tmp_path / "serve.toml", GOOD.format(store=store) + f'api_url = "{api_url}"\n')


def test_serve_refuses_a_token_slack_rejects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.server

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("serve started with a token Slack rejects")

    monkeypatch.setattr(bot.server, "serve", must_not_run)
    with SlackStandIn() as slack:
        slack.fail("auth.test", "invalid_auth")
        assert cli.main(["serve", "--config", str(serve_config(tmp_path, slack.api_url)), "--port", "0"]) == 1
        assert len(slack.calls_to("auth.test")) == 1
    err = capsys.readouterr().err
    assert "approvals-bot: Slack rejected the bot token (invalid_auth)" in err
    assert "slack.bot_token" in err and "SLACK_BOT_TOKEN" in err and "Traceback" not in err
    TinyDBStore(tmp_path / "data" / "approvals.json").close()  # the store was closed: it can be opened again


def test_serve_starts_with_deliveries_held_when_slack_is_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.server

    seen: list[dict[str, Any]] = []

    def serve(runtime: Any, host: str, port: int, **options: Any) -> None:
        seen.append(runtime.health())
        runtime.stop()

    monkeypatch.setattr(bot.server, "serve", serve)
    with SlackStandIn() as slack:
        unreachable = slack.api_url  # nothing listens there once the stand-in stops
    assert cli.main(["serve", "--config", str(serve_config(tmp_path, unreachable)), "--port", "0"]) == 0
    [health] = seen
    assert health["status"] == "degraded"
    [problem] = health["problems"]
    assert "Slack could not be reached" in problem


def test_serve_refuses_an_app_token_that_is_not_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.runtime

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("serve went on with a bot token as its app token")

    monkeypatch.setattr(bot.runtime, "build_runtime", must_not_run)
    text = GOOD.format(store=tmp_path / "s.json") + 'app_token = "xoxb-1-2"\n'
    path = write(tmp_path / "socket.toml", text)
    assert cli.main(["serve", "--config", str(path), "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert f"[slack] app_token in {path}: an app-level token (Socket Mode) starts with 'xapp-'" in err


def test_sweep_does_not_wait_on_slack_refusing_the_bot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_path = tmp_path / "data" / "approvals.json"
    store = TinyDBStore(store_path)
    with store.transaction():
        store.outbox.enqueue(
            {"approval_key": "local:1", "channel": "CAUDIT", "kind": "audit", "text": "queued"}
        )
    store.close()
    with SlackStandIn() as slack:
        slack.fail("chat.postMessage", "invalid_auth")
        assert cli.main(["sweep", "--config", str(serve_config(tmp_path, slack.api_url))]) == 0
        assert len(slack.calls_to("chat.postMessage")) == 1
    captured = capsys.readouterr()
    assert "1 message(s) still waiting for Slack (Slack refuses the bot)" in captured.out
    assert "Slack rejected the bot token (invalid_auth)" in captured.err
    store = TinyDBStore(store_path)
    assert [item["held"]["reason"] for item in store.outbox.items()] == ["invalid_auth"]  # kept, held
    store.close()


def test_serve_missing_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "not found" in capsys.readouterr().err


# --- export ---------------------------------------------------------------------------------------


def pending_purchase() -> Snapshot:
    return Snapshot(
        provider="wecom",
        number="202611210002",
        template_id="tmpl-purchase",
        template_name="采购申请",
        status=ApprovalStatus.PENDING,
        applicant="WangXiaoMing",
        apply_time=1_700_000_200,
        nodes=(
            Node(
                NodeType.APPROVER,
                ApprovalMode.ALL,
                MemberStatus.PENDING,
                (
                    Member("alice", MemberStatus.APPROVED, "ok", 1_700_000_300),
                    Member("bob"),
                ),
            ),
            Node(NodeType.CC, ApprovalMode.ALL, MemberStatus.PENDING, (Member("carol"),)),
        ),
    )


def approved_leave() -> Snapshot:
    return Snapshot(
        provider="local",
        number="L-1",
        template_id="leave",
        template_name="请假",
        status=ApprovalStatus.APPROVED,
        applicant="U012ABCDEF",
        apply_time=1_700_000_100,
        nodes=(
            Node(
                NodeType.APPROVER,
                ApprovalMode.ANY,
                MemberStatus.APPROVED,
                (Member("U034GHIJKL", MemberStatus.APPROVED, "好", 1_700_000_150),),
            ),
        ),
    )


def doc_of(snap: Snapshot, updated: float) -> dict[str, object]:
    return {
        "key": snap.key,
        "snapshot": snapshot_to_dict(snap),
        "final": snap.status.is_final,
        "updated": updated,
        "cards": {},
        "approvers": [],
    }


@pytest.fixture
def filled_store(store_path: Path) -> Path:
    store = TinyDBStore(store_path)
    store.approvals.put(doc_of(pending_purchase(), 1_700_000_400.75))
    store.approvals.put(doc_of(approved_leave(), 1_700_000_160.25))
    store.commit()
    # the finalized one moved to the archive, the open one stayed hot
    assert [d["key"] for d in store.approvals.open()] == ["wecom:202611210002"]
    assert store.approvals.archive.keys() == ["local:L-1"]
    store.close()
    assert list(store.sibling("archive").glob("chunk-*.json"))
    return store_path


def export(config: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(["export", "--config", str(config), "--format", fmt]) == 0
    captured = capsys.readouterr()
    return captured.out


EXPECTED_ROWS = [
    {
        "number": "L-1",
        "provider": "local",
        "template": "请假",
        "applicant": "U012ABCDEF",
        "status": "approved",
        "nodes": [
            {
                "type": "approver",
                "mode": "any",
                "status": "approved",
                "members": [
                    {"user": "U034GHIJKL", "status": "approved", "time": 1_700_000_150, "speech": "好"}
                ],
            }
        ],
        "applied": 1_700_000_100,
        "updated": 1_700_000_160,
    },
    {
        "number": "202611210002",
        "provider": "wecom",
        "template": "采购申请",
        "applicant": "WangXiaoMing",
        "status": "pending",
        "nodes": [
            {
                "type": "approver",
                "mode": "all",
                "status": "pending",
                "members": [
                    {"user": "alice", "status": "approved", "time": 1_700_000_300, "speech": "ok"},
                    {"user": "bob", "status": "pending", "time": 0, "speech": ""},
                ],
            },
            {
                "type": "cc",
                "mode": "all",
                "status": "pending",
                "members": [{"user": "carol", "status": "pending", "time": 0, "speech": ""}],
            },
        ],
        "applied": 1_700_000_200,
        "updated": 1_700_000_400,
    },
]


def test_export_json(filled_store: Path, good_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = export(good_config, "json", capsys)
    rows = json.loads(out)
    assert rows == EXPECTED_ROWS  # hot and archived alike, oldest application first
    assert list(rows[0]) == cli.EXPORT_COLUMNS
    assert "请假" in out  # readable, not \u-escaped


def test_export_json_is_the_default(
    filled_store: Path, good_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["export", "--config", str(good_config)]) == 0
    assert json.loads(capsys.readouterr().out) == EXPECTED_ROWS


def test_export_csv(filled_store: Path, good_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = export(good_config, "csv", capsys)
    lines = out.splitlines()
    assert lines[0] == "number,provider,template,applicant,status,nodes,applied,updated"
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 2
    assert rows[0] == {
        "number": "L-1",
        "provider": "local",
        "template": "请假",
        "applicant": "U012ABCDEF",
        "status": "approved",
        "nodes": "approver/any: U034GHIJKL=approved",
        "applied": "1700000100",
        "updated": "1700000160",
    }
    assert rows[1]["number"] == "202611210002"
    assert rows[1]["status"] == "pending"
    assert rows[1]["nodes"] == "approver/all: alice=approved, bob=pending | cc/all: carol=pending"


def test_export_beside_a_store_holding_the_lock(
    filled_store: Path, good_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running = TinyDBStore(filled_store)  # as `serve` would hold it
    try:
        with pytest.raises(StoreLockedError):
            TinyDBStore(filled_store)  # the lock really is held
        assert json.loads(export(good_config, "json", capsys)) == EXPECTED_ROWS
        rows = list(csv.DictReader(io.StringIO(export(good_config, "csv", capsys))))
        assert [r["number"] for r in rows] == ["L-1", "202611210002"]
        # a change the running process commits is visible to the next export
        running.approvals.put(doc_of(replace(pending_purchase(), number="3"), 5))
        running.commit()
        assert [r["number"] for r in json.loads(export(good_config, "json", capsys))] == [
            "L-1",
            "202611210002",
            "3",
        ]
    finally:
        running.close()
    assert not list(filled_store.parent.glob("*.tmp"))


def test_export_missing_store_prints_empty_list(
    good_config: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not store_path.exists()
    assert export(good_config, "json", capsys) == "[]\n"
    assert export(good_config, "csv", capsys).splitlines() == [",".join(cli.EXPORT_COLUMNS)]
    assert not store_path.parent.exists()  # exporting creates nothing


def test_export_empty_store_file(
    good_config: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_path.parent.mkdir(parents=True)
    store_path.touch()
    assert export(good_config, "json", capsys) == "[]\n"


def test_export_csv_neutralizes_formulas_from_outside(
    store_path: Path, good_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Template names and user ids come from WeCom: a spreadsheet must show them, not run them."""
    hostile = replace(pending_purchase(), template_name='=HYPERLINK("http://x")', applicant="@SUM(A1)")
    store = TinyDBStore(store_path)
    store.approvals.put(doc_of(hostile, 1_700_000_400))
    store.approvals.put(doc_of(replace(approved_leave(), applicant="+cmd", template_name="-1+1"), 5))
    tab_cr = replace(approved_leave(), number="L-2", applicant="\tx", template_name="\ry")
    store.approvals.put(doc_of(tab_cr, 5))
    store.close()

    rows = list(csv.DictReader(io.StringIO(export(good_config, "csv", capsys))))
    cells = {(r["template"], r["applicant"]) for r in rows}
    assert cells == {('\'=HYPERLINK("http://x")', "'@SUM(A1)"), ("'-1+1", "'+cmd"), ("'\ry", "'\tx")}
    assert {r["nodes"] for r in rows} >= {"approver/all: alice=approved, bob=pending | cc/all: carol=pending"}
    # JSON keeps the values as they are
    by_number = {r["number"]: r for r in json.loads(export(good_config, "json", capsys))}
    assert by_number["202611210002"]["template"] == '=HYPERLINK("http://x")'


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@x", "\tx", "\rx"])
def test_every_formula_start_is_neutralized(value: str) -> None:
    assert cli.csv_cell(value) == "'" + value
    assert cli.csv_cell(" " + value) == " " + value  # not at the start: not a formula
    assert cli.csv_cell(12) == "12"


def journaled(store: Store, sp_no: str, *, received: float, **xml: Any) -> int:
    """A WeCom callback the bot acknowledged: in the journal, as the callback route writes it."""
    return store.inbox.append({"source": "wecom", "xml": approval_xml(sp_no, **xml), "received": received})


def test_export_after_a_crash_includes_what_was_acknowledged_but_not_applied(
    filled_store: Path, good_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = TinyDBStore(filled_store)
    applied = journaled(store, "202611219990", received=1_700_000_500, applicant="WuJunJie")
    store.meta.set(INBOX_CHECKPOINT, applied)  # its effects were stored; say it never was (no row)
    store.commit()
    approvers = [(1, [Approver("alice", 2, "ok", 1_700_000_300), Approver("bob", 2, "", 1_700_000_600)])]
    journaled(store, "202611210002", received=1_700_000_700, status=2, action=2, nodes=approvers)
    journaled(store, "202611219999", received=1_700_000_800, applicant="ZhangSan", apply_time=1_700_000_250)
    stale = [(1, [Approver("alice"), Approver("bob")])]
    journaled(store, "202611210002", received=1_700_000_900, nodes=stale)
    journal = sorted(store.sibling("inbox").glob("*.jsonl"))
    with journal[-1].open("ab") as segment:
        segment.write(b'{"seq":5,"record":{"sou')  # a write in progress when serve was killed
    before = {path: path.read_bytes() for path in [*journal, filled_store, store.sibling("changes")]}

    # beside the process that still holds the store, as after `kill -9` and before a restart
    rows = {r["number"]: r for r in json.loads(export(good_config, "json", capsys))}
    after = {path: path.read_bytes() for path in before}
    store.close()

    assert sorted(rows) == ["202611210002", "202611219999", "L-1"]  # the applied one is not re-read
    assert rows["L-1"] == EXPECTED_ROWS[0]
    assert rows["202611210002"]["status"] == "approved"  # the newer journaled state; the older one lost
    assert [m["status"] for m in rows["202611210002"]["nodes"][0]["members"]] == ["approved", "approved"]
    assert rows["202611210002"]["updated"] == 1_700_000_700
    assert (rows["202611219999"]["applicant"], rows["202611219999"]["status"]) == ("ZhangSan", "pending")
    assert after == before  # nothing written, nothing cut off


def test_export_of_a_journal_only_store_creates_nothing(
    good_config: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = TinyDBStore(store_path)
    journaled(store, "202611219999", received=1_700_000_800)
    store.close()
    # killed before the first commit: the hot file holds only its format version, the journal the rest
    assert json.loads(store_path.read_text(encoding="utf-8")).keys() == {"meta"}
    files = sorted(store_path.parent.rglob("*"))
    assert [r["number"] for r in json.loads(export(good_config, "json", capsys))] == ["202611219999"]
    assert sorted(store_path.parent.rglob("*")) == files


SANDBOX_CONFIG = """
[server]
public_url = "http://127.0.0.1:9"
[wecom]
corp_id = "ww-sandbox"
secret = "sandbox-secret"
token = "QDG6eK"
encoding_aes_key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
[wecom.templates]
purchase = "tmpl-purchase"
[users]
"U0APPROVERA" = "alice"
[[local.templates]]
alias = "purchase"
name = "采购申请"
controls = [{ control = "Text", id = "Text-1", title = "事由", require = true }]
process = [{ type = 1, apv_rel = 1, users = ["U0APPROVERA"] }]
"""


def test_sandbox_serves_the_local_templates_as_wecom_ones(tmp_path: Path) -> None:
    config = tmp_path / "sandbox.toml"
    config.write_text(SANDBOX_CONFIG, encoding="utf-8")
    command = [sys.executable, "-m", "bot", "sandbox", "--config", str(config), "--port", "0"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        line = proc.stderr.readline()
        base = re.search(r"on (http://\S+/cgi-bin/)", line).group(1)
        token = httpx.get(
            f"{base}gettoken", params={"corpid": "ww-sandbox", "corpsecret": "sandbox-secret"}
        ).json()
        detail = httpx.post(
            f"{base}oa/gettemplatedetail",
            params={"access_token": token["access_token"]},
            json={"template_id": "tmpl-purchase"},
        ).json()
        assert detail["errcode"] == 0 and detail["template_names"][0]["text"] == "采购申请"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_sandbox_says_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "sandbox.toml"
    config.write_text("[users]\n", encoding="utf-8")
    assert cli.main(["sandbox", "--config", str(config)]) == 1
    assert "[wecom] needs corp_id, secret, token, encoding_aes_key" in capsys.readouterr().err


# --- --version, help, ports -------------------------------------------------------------------------


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.metadata

    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"approvals-bot {importlib.metadata.version('approvals-bot')}"


def test_every_option_of_every_subcommand_has_help() -> None:
    parser = cli.build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands.choices) >= {"init", "serve", "sweep", "check-config", "demo", "sandbox", "export"}
    listed = {choice.dest for choice in commands._choices_actions}
    assert listed == set(commands.choices)  # every subcommand has its one-line help
    assert all(choice.help for choice in commands._choices_actions)
    for name, sub in [("approvals-bot", parser), *commands.choices.items()]:
        for action in sub._actions:
            if action.option_strings:
                assert action.help and action.help != argparse.SUPPRESS, (name, action.option_strings)


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_serve_refuses_a_port_out_of_range(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["serve", "--port", port])
    assert info.value.code == 2
    assert "must be a port from 1 to 65535" in capsys.readouterr().err


def test_serve_refuses_the_untouched_example_before_any_network(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.runtime

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("serve went on with the example's placeholders")

    monkeypatch.setattr(bot.runtime, "build_runtime", must_not_run)
    assert cli.main(["serve", "--config", str(ROOT / "config.example.toml")]) == 1
    err = capsys.readouterr().err
    assert "[slack] bot_token in" in err and "placeholder" in err
    assert "[wecom] corp_id in" in err
