"""Drafts keep answers as JSON; cards show answers in words; refusals reach the applicant in a card Slack
accepts; the bot token is only sent to Slack's file host."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.codec import snapshot_from_dict
from bot.directory import Directory
from bot.forms import (
    Control,
    DateSpan,
    FilledForm,
    Option,
    Template,
    UploadedFile,
    decode_answers,
    encode_answers,
)
from bot.i18n import t
from bot.kinds import display_fields
from bot.model import Action, ApprovalMode, ApprovalStatus, Member, MemberStatus, Node, NodeType, Snapshot
from bot.offline.slack_standin import SlackStandIn
from bot.provider_ports import Capabilities, CatalogEntry, FilingRefused
from bot.service import ApprovalService, ServiceSettings
from bot.store import Store
from bot.store.tinydb import TinyDBStore
from bot.submit import Submissions
from handlers.render import Renderer
from handlers.slack_accounts import SlackAccounts
from handlers.slack_files import SlackFiles

TEMPLATE = Template(
    provider="wecom",
    id="tmpl",
    alias="seal",
    name="用印申请",
    controls=(
        Control("Text", "t", "事由"),
        Control("Selector", "s", "印章", options=(Option("Urgent", "加急"), Option("normal", "普通"))),
        Control("Contact", "c", "经办人", multi=True, contact_mode="user"),
        Control("Date", "d", "日期", date_type="day"),
        Control("File", "f", "附件"),
        Control("Vacation", "v", "请假", options=(Option("3", "病假"),), date_type="halfday"),
        Control(
            "Table", "tb", "明细", children=(Control("Text", "tt", "项目"), Control("Money", "tm", "金额"))
        ),
        Control("Contact", "_flow-0", "审批人", multi=True, contact_mode="user"),
    ),
)
ANSWERS = {
    "t": "Sign the lease",
    "s": ("Urgent",),
    "c": ("U0COLLEAGUE",),
    "d": 1795363200,
    "f": (UploadedFile("F1", "lease.pdf", "https://files/F1", "application/pdf"),),
    "v": ("3", DateSpan(1795363200, 1795406400, "halfday", 43200)),
    "tb": ({"tt": "Desk", "tm": "100.00"}, {"tt": "Chair", "tm": "50.00"}),
    "_flow-0": ("U0BOSS",),
}


def test_answers_survive_a_round_trip_through_json() -> None:
    assert decode_answers(json.loads(json.dumps(encode_answers(ANSWERS)))) == ANSWERS


def test_fields_are_shown_in_words_by_control_kind_and_the_bots_own_controls_left_out() -> None:
    fields = dict((f.title, f.value) for f in display_fields(FilledForm(TEMPLATE, ANSWERS)))
    assert fields == {
        "事由": "Sign the lease",
        "印章": "加急",  # the option's text, even for a key that looks like a Slack id
        "经办人": "<@U0COLLEAGUE>",
        "日期": "2026-11-23 00:00",
        "附件": "lease.pdf",
        "请假": "病假: 2026-11-23 00:00 – 2026-11-23 12:00",
        "明细": "Desk; 100.00 | Chair; 50.00",
    }


# -- filing: what reaches the applicant, and where the bot token goes ----------------------------------

APPLICANT = "U0APPLICANT"
LEAVE = Template("fake", "tpl", "leave", "Leave", controls=(Control("File", "f", "附件"),))
BOSS = "U0BOSS"
CALLED_BACK = Snapshot(
    provider="fake",
    number="202612025001",
    template_id="tpl",
    template_name="Leave",
    status=ApprovalStatus.PENDING,
    applicant="p-applicant",
    apply_time=int(time.time()) - 1,
    nodes=(Node(NodeType.APPROVER, ApprovalMode.ALL, MemberStatus.PENDING, (Member("p-boss"),)),),
    action=Action.SUBMIT,
    has_details=True,
)


class FakeFiler:
    """Fetches every attached file the way a provider's filer does, then refuses with `reason`."""

    name = identity = "fake"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.fetched: list[bytes] = []

    def template(self, template_id: str, alias: str) -> Template:
        return LEAVE

    def file(self, form: FilledForm, creator: str, people: Any, fetch: Any) -> str:
        self.fetched += [fetch(file) for file in form.answers.get("f", ())]
        raise FilingRefused(self.reason)

    def find_filed(self, form: FilledForm, creator: str, since: int, taken: Any) -> str | None:
        return None


class HeaderRecorder(ThreadingHTTPServer):
    """Another host on loopback that serves any path and records the headers it was sent."""

    def __init__(self) -> None:
        self.headers_seen: list[dict[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.headers_seen.append(dict(self.headers))
                self.send_response(200)
                self.send_header("Content-Length", "6")
                self.end_headers()
                self.wfile.write(b"stolen")

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(users={APPLICANT: {}}) as standin:
        yield standin


def submissions_with(tmp_path: Path, slack: SlackStandIn, filer: Any) -> tuple[Store, Submissions]:
    """Submissions of `LEAVE` through `filer`, over a store in `tmp_path`; (store, submissions)."""
    store = TinyDBStore(tmp_path / "approvals.json")
    client = WebClient(token="xoxb-test-token", base_url=slack.api_url)
    accounts = SlackAccounts(client)
    directory = Directory(store, accounts, {"fake": {APPLICANT: "p-applicant", BOSS: "p-boss"}})
    service = ApprovalService(store, directory, {"fake": filer}, ServiceSettings(language="en"))
    filer.service = service
    catalog = {"leave": CatalogEntry("leave", "fake", "tpl")}
    submissions = Submissions(
        store,
        service,
        directory,
        accounts.display_name,
        {"fake": filer},
        catalog,
        "en",
        fetch_file=SlackFiles(client, "en").fetch,
    )
    return store, submissions


def file_with(
    tmp_path: Path, slack: SlackStandIn, reason: str, files: tuple[UploadedFile, ...] = ()
) -> tuple[Store, FakeFiler, dict[str, Any]]:
    """Files a draft of `LEAVE` with `files` attached through a FakeFiler; (store, filer, the draft)."""
    filer = FakeFiler(reason)
    store, submissions = submissions_with(tmp_path, slack, filer)
    draft = submissions.start(APPLICANT, "leave")
    assert submissions.begin_filing(draft["id"], APPLICANT, FilledForm(LEAVE, {"f": files} if files else {}))
    submissions.file(draft["id"])
    return store, filer, store.drafts.get(draft["id"]) or {}


class RacingFiler:
    """Files, and the provider's callback for the filing is applied before its answer comes back
    (`callback_first`) or after; the provider too, as much of it as recording an approval asks."""

    name = identity = "fake"
    capabilities = Capabilities(files=True, decides_in_slack=False, calls_back=True, sweeps=False)
    service: ApprovalService

    def __init__(self, *, callback_first: bool) -> None:
        self.callback_first = callback_first

    def template(self, template_id: str, alias: str) -> Template:
        return LEAVE

    def file(self, form: FilledForm, creator: str, people: Any, fetch: Any) -> str:
        if self.callback_first:
            self.service.apply_snapshot(CALLED_BACK)
        return CALLED_BACK.number

    def find_filed(self, form: FilledForm, creator: str, since: int, taken: Any) -> str | None:
        return None

    def display_name(self, lang: str) -> str:
        return "Fake"

    def fetch_details(self, snap: Snapshot) -> Snapshot:
        """What the provider's detail read says of it: the flow, with the provider's own times."""
        return replace(CALLED_BACK, action=None)

    def approval_link(self, snap: Snapshot, approver: str | None = None) -> str | None:
        return None

    def email_of(self, user_id: str) -> str | None:
        return None


@pytest.mark.parametrize("callback_first", [True, False])
def test_a_filing_and_its_callback_in_either_order_leave_the_approvers_told_once(
    tmp_path: Path, slack: SlackStandIn, callback_first: bool
) -> None:
    """The provider's answer carries only the number. Recorded from the bot's clock and without the
    flow, it wiped the approvers when the callback came first, and made the callback look stale when
    it came after."""
    filer = RacingFiler(callback_first=callback_first)
    store, submissions = submissions_with(tmp_path, slack, filer)
    draft = submissions.start(APPLICANT, "leave")
    assert submissions.begin_filing(draft["id"], APPLICANT, FilledForm(LEAVE, {}))

    submissions.file(draft["id"])
    if not callback_first:
        filer.service.apply_snapshot(CALLED_BACK)

    assert (store.drafts.get(draft["id"]) or {})["status"] == "filed"
    stored = snapshot_from_dict((store.approvals.get(CALLED_BACK.key) or {})["snapshot"])
    assert stored.waiting_on() == ("p-boss",)
    told = [item["kind"] for item in store.outbox.items() if item.get("user") == BOSS]
    assert [kind for kind in told if kind != "home"] == ["approver_card"]
    assert stored.action is Action.SUBMIT  # the audit line says "submitted", whichever came first


@pytest.mark.parametrize("length", [2_998, 10_000])
def test_a_refusal_of_any_length_reaches_the_applicant_as_a_card_slack_accepts(
    tmp_path: Path, slack: SlackStandIn, length: int
) -> None:
    reason = ("<!channel> & " * length)[:length]
    store, _, draft = file_with(tmp_path, slack, reason)
    assert draft["status"] == "refused" and draft["error"] == reason  # kept as said, for the form's notice
    (item,) = [item for item in store.outbox.items() if item["kind"] == "draft"]
    card = Renderer(ApprovalService(store, Directory(store, None, {}), {}, ServiceSettings("en")), "en")(item)  # type: ignore[arg-type]
    assert card is not None
    _, blocks = card
    assert blocks
    for raw in blocks:
        Block.parse(raw).validate_json()
    text = blocks[0]["text"]["text"]
    assert len(text) <= 3000 and text.endswith("…") and "<!channel>" not in text
    assert "&lt;!channel&gt; &amp; " in text


def test_the_bot_token_goes_to_slacks_file_host_only(tmp_path: Path, slack: SlackStandIn) -> None:
    elsewhere = HeaderRecorder()
    try:
        stolen = UploadedFile("F1", "x.pdf", f"{elsewhere.url}/files/F1/x.pdf")
        _, filer, draft = file_with(tmp_path, slack, "unused", (stolen,))
    finally:
        elsewhere.shutdown()
        elsewhere.server_close()
    assert elsewhere.headers_seen == [] and filer.fetched == []
    assert draft["error"] == t("submit.file_unreadable", "en", name="x.pdf")


def test_files_on_slacks_host_are_fetched_with_the_token(tmp_path: Path, slack: SlackStandIn) -> None:
    """The stand-in serves files beside its API, as Slack's file host does: that origin is allowed."""
    uploaded = slack.upload("lease.pdf", b"%PDF-1.7")
    attached = UploadedFile(uploaded["id"], "lease.pdf", uploaded["url_private"])
    _, filer, draft = file_with(tmp_path, slack, "filed elsewhere", (attached,))
    assert filer.fetched == [b"%PDF-1.7"] and draft["error"] == "filed elsewhere"
