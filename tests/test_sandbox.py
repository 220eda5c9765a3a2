"""The WeCom sandbox, driven by the bot's own WeCom code: the real `WeComClient` for the API, the bot's
`WeComCrypto` and callback parser for the callbacks; and its renderers, read back by the bot's parsers."""

from __future__ import annotations

import functools
import json
import re
import string
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.model import (
    Action,
    ApprovalMode,
    ApprovalStatus,
    Comment,
    FormField,
    Member,
    MemberStatus,
    Node,
    NodeType,
    Snapshot,
)
from bot.offline.sandbox import ApiCall, CallbackAttempt, Sandbox, SandboxTemplate
from bot.providers.local.engine import NotAllowed, Step
from bot.providers.wecom import events, render
from bot.providers.wecom.client import WeComAuthError, WeComClient, WeComRefused
from bot.providers.wecom.crypto import WeComCrypto
from bot.providers.wecom.detail import parse_approval_detail
from bot.providers.wecom.templates import parse_template_detail
from tests.harness import AES_KEY, CORP_ID, SECRET, TOKEN

FIXTURES = Path(__file__).parent / "fixtures" / "wecom"
AGENT_ID = "1000002"

# -- render: what the parsers read back ---------------------------------------------------------------------

ids = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=16)
# What a WeCom text can hold and the parsers give back: no surrounding space (they strip), nothing XML
# cannot carry; with what could break the markup (CDATA ends, tags, entities) thrown in.
texts = (
    st.text(st.characters(exclude_categories=("Cs", "Cc", "Cn"), include_characters="\n"), max_size=30)
    | st.sampled_from(["]]>", "a]]>b]]>", "x]]", "<b>&amp;</b>", "第一行\n第二行"])
).map(str.strip)
times = st.integers(0, 2**31 - 1)
media = st.lists(ids, max_size=3).map(tuple)
flow_nodes = st.builds(
    Node,
    type=st.sampled_from([NodeType.APPROVER, NodeType.HANDLER]),
    mode=st.sampled_from(ApprovalMode),
    status=st.sampled_from(MemberStatus),
    members=st.lists(
        st.builds(Member, ids, st.sampled_from(MemberStatus), texts, times, media), min_size=1, max_size=4
    ).map(tuple),
)
# WeCom's CC nodes carry neither status nor ApvRel, and their members only who they are.
cc_nodes = st.builds(
    Node,
    type=st.just(NodeType.CC),
    mode=st.just(ApprovalMode.ALL),
    status=st.just(MemberStatus.PENDING),
    members=st.lists(st.builds(Member, ids), min_size=1, max_size=3).map(tuple),
)
snapshots = st.builds(
    Snapshot,
    provider=st.just("wecom"),
    number=ids,
    template_id=ids,
    template_name=texts,
    status=st.sampled_from(ApprovalStatus),
    applicant=ids,
    apply_time=times,
    applicant_party=ids | st.just(""),
    nodes=st.lists(flow_nodes | cc_nodes, max_size=5).map(tuple),
    cc=st.lists(ids, max_size=3).map(tuple),
    comments=st.lists(st.builds(Comment, ids, ids, times, texts, media), max_size=3).map(tuple),
    action=st.none() | st.sampled_from(Action),
)
CONTENTS = [
    {
        "control": "Text",
        "id": "Text-1",
        "title": [{"text": "Reason", "lang": "zh_CN"}],
        "value": {"text": "New laptop"},
    }
]


@given(snapshots, times)
def test_callback_xml_reads_back_as_the_same_state(snap: Snapshot, create_time: int) -> None:
    parsed = events.parse_event(render.callback_xml(snap, CORP_ID, AGENT_ID, create_time))

    assert parsed == replace(snap, event_time=create_time)


@given(snapshots, st.lists(texts.filter(bool), max_size=3).map(tuple))
def test_detail_info_reads_back_as_the_same_state(snap: Snapshot, summary: tuple[str, ...]) -> None:
    snap = replace(snap, summary=summary)
    info = json.loads(json.dumps(render.approval_detail_info(snap, CONTENTS, snap.template_name)))

    assert parse_approval_detail(info) == replace(
        snap,
        action=None,
        fields=(FormField("Reason", "New laptop"),),
        summary=summary or ("Reason: New laptop",),  # the parser's stand-in for a missing summary
        has_details=True,
    )


@given(snapshots)
def test_sp_record_carries_the_approver_nodes(snap: Snapshot) -> None:
    """For a reader of the older SpRecord / sp_record only: 依次 shows as 会签, the nearest it knows."""
    approvers = tuple(
        replace(node, mode=ApprovalMode.ANY if node.mode is ApprovalMode.ANY else ApprovalMode.ALL)
        for node in snap.nodes
        if node.type is NodeType.APPROVER
    )
    root = ElementTree.fromstring(render.callback_xml(snap, CORP_ID, AGENT_ID, 0))
    info = root.find("ApprovalInfo")
    info.remove(info.find("ProcessList"))
    detail = {**render.approval_detail_info(snap, [], ""), "process_list": {"node_list": []}}

    assert events.parse_event(ElementTree.tostring(root)).nodes == approvers
    assert parse_approval_detail(detail).nodes == approvers


def test_callback_xml_has_the_spec_samples_structure() -> None:
    sample = (FIXTURES / "sys_approval_change.xml").read_bytes()

    rendered = render.callback_xml(events.parse_event(sample), "ww1cSD21f1e9c0caaa", "3010040", 1571732272)

    assert _paths(rendered) == _paths(sample)
    assert _cdata_tags(rendered) == _cdata_tags(sample)


def _paths(xml: bytes) -> set[str]:
    def walk(element: ElementTree.Element, prefix: str) -> Iterator[str]:
        path = f"{prefix}/{element.tag}"
        yield path
        for child in element:
            yield from walk(child, path)

    return set(walk(ElementTree.fromstring(xml), ""))


def _cdata_tags(xml: bytes) -> set[str]:
    return set(re.findall(rb"<(\w+)><!\[CDATA\[", xml))


# -- the sandbox ---------------------------------------------------------------------------------------------

TEMPLATE_ID = "tpl-purchase"
START = 1_763_690_400  # 2025-11-21 10:00 in Shanghai


def _title(text: str) -> list[dict[str, str]]:
    return [{"text": text, "lang": "zh_CN"}]


def _control(kind: str, control_id: str, title: str, *, require: int = 0, **config: Any) -> dict[str, Any]:
    prop = {"control": kind, "id": control_id, "title": _title(title), "require": require}
    return {"property": prop, "config": config}


DETAIL = {
    "template_names": [{"text": "采购", "lang": "zh_CN"}, {"text": "Purchase", "lang": "en"}],
    "template_content": {
        "controls": [
            _control("Text", "Text-1", "Reason", require=1),
            _control("Money", "Money-1", "Amount"),
            _control("File", "File-1", "Quote"),
            _control(
                "Table",
                "Table-1",
                "Items",
                table={"children": [_control("Text", "Text-2", "Item", require=1)]},
            ),
        ]
    },
}
USERS = {
    "alice": {"name": "Alice", "email": "Alice@Example.com", "department": [2, 3]},
    "bob": {"name": "Bob", "email": "bob@example.com", "department": [2]},
    "carol": {"name": "Carol", "biz_mail": "carol@corp.example"},
}
PROCESS = (
    Step(NodeType.APPROVER, ApprovalMode.ALL, ("bob",)),
    Step(NodeType.CC, ApprovalMode.ALL, ("carol",)),
)


class Clock:
    """The sandbox's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = float(START)

    def __call__(self) -> float:
        return self.now


def filled(kind: str, control_id: str, title: str, **value: Any) -> dict[str, Any]:
    """One control of apply_data.contents, as the bot fills it in."""
    return {"control": kind, "id": control_id, "title": _title(title), "value": value}


AMOUNT = filled("Money", "Money-1", "Amount", new_money="4839.00")
ROW = filled("Text", "Text-2", "Item", text="a laptop")


def contents(*extra: dict[str, Any], reason: str = "New laptop") -> dict[str, Any]:
    """apply_data with the required reason and `extra` controls."""
    return {"contents": [filled("Text", "Text-1", "Reason", text=reason), *extra]}


def request(creator: str = "alice", reason: str = "New laptop", **changes: Any) -> dict[str, Any]:
    """An applyevent body as the bot builds it, with the template's own flow."""
    body = {
        "creator_userid": creator,
        "template_id": TEMPLATE_ID,
        "use_template_approver": 1,
        "apply_data": contents(AMOUNT, reason=reason),
        "summary_list": [{"summary_info": [{"text": f"Reason: {reason}", "lang": "zh_CN"}]}],
    }
    return {**body, **changes}


def flow(*nodes: dict[str, Any]) -> dict[str, Any]:
    """Request changes naming the flow."""
    return {"use_template_approver": 0, "process": {"node_list": list(nodes)}}


class Receiver:
    """The bot's end of the callbacks: checks and decrypts each with the bot's crypto, parses it with the
    bot's parser and answers as scripted (HTTP 200 "success" once the script runs out)."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], bytes]] = []  # every attempt, as received
        self.snapshots: list[Snapshot] = []
        self.replies: deque[tuple[int, str]] = deque()
        self.always: tuple[int, str] | None = None  # answer every attempt so, whatever the script
        self._lock = threading.Lock()
        crypto = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                query = dict(parse_qsl(urlsplit(self.path).query))
                snapshot = events.parse_event(crypto.decrypt_message(body, **query))
                status, text = receiver._record(query, body, snapshot)
                self.send_response(status)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads what it needs from the receiver."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)  # a prompt stop()
        threading.Thread(target=serve, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/wecom/callback"

    def _record(self, query: dict[str, str], body: bytes, snapshot: Snapshot) -> tuple[int, str]:
        with self._lock:
            self.posts.append((query, body))
            self.snapshots.append(snapshot)
            if self.always is not None:
                return self.always
            return self.replies.popleft() if self.replies else (200, "success")

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def sandbox(clock: Clock, receiver: Receiver) -> Iterator[Sandbox]:
    with Sandbox(
        CORP_ID,
        SECRET,
        token=TOKEN,
        encoding_aes_key=AES_KEY,
        agent_id=AGENT_ID,
        callback_url=receiver.url,
        templates={TEMPLATE_ID: SandboxTemplate(DETAIL, PROCESS)},
        users=USERS,
        departments={2: "Design", 3: "Sales"},
        retry_delay=0,
        clock=clock,
    ) as sandbox:
        yield sandbox


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[WeComClient]:
    # The client paces applyevent at 60 a minute; its waits are skipped so a test can file hundreds.
    with WeComClient(CORP_ID, SECRET, api_base=sandbox.base_url, sleep=lambda _seconds: None) as client:
        yield client


def raw(sandbox: Sandbox, path: str, body: Any = None, **query: str) -> dict[str, Any]:
    """One call without the client, which refuses to send some of what the sandbox must refuse."""
    if "access_token" not in query:
        token = httpx.get(sandbox.base_url + "gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET})
        query["access_token"] = token.json()["access_token"]
    content = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
    return httpx.post(sandbox.base_url + path, params=query, content=content).json()


# -- tokens --------------------------------------------------------------------------------------------------


def test_a_token_is_issued_for_the_right_corp_and_secret(sandbox: Sandbox) -> None:
    reply = httpx.get(sandbox.base_url + "gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET}).json()

    assert reply["errcode"] == 0 and reply["expires_in"] == 7200 and reply["access_token"]


@pytest.mark.parametrize(
    ("corp_id", "secret", "code"), [(CORP_ID, "wrong", 40001), ("ww-other", SECRET, 40013)]
)
def test_bad_credentials_are_refused(sandbox: Sandbox, corp_id: str, secret: str, code: int) -> None:
    with (
        WeComClient(corp_id, secret, api_base=sandbox.base_url) as client,
        pytest.raises(WeComAuthError) as caught,
    ):
        client.oa.get_template_detail(TEMPLATE_ID)

    assert caught.value.code == code


@pytest.mark.parametrize(("token", "code"), [("", 41001), ("made-up", 40014)])
def test_calls_without_a_valid_token_are_refused(sandbox: Sandbox, token: str, code: int) -> None:
    assert (
        raw(sandbox, "oa/gettemplatedetail", {"template_id": TEMPLATE_ID}, access_token=token)["errcode"]
        == code
    )


def test_an_expired_token_gets_42001_and_the_client_renews_it(
    sandbox: Sandbox, client: WeComClient, clock: Clock
) -> None:
    token = httpx.get(sandbox.base_url + "gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET})
    client.oa.get_template_detail(TEMPLATE_ID)  # the client holds a token too
    clock.now += 7200

    expired = raw(
        sandbox,
        "oa/gettemplatedetail",
        {"template_id": TEMPLATE_ID},
        access_token=token.json()["access_token"],
    )

    assert expired["errcode"] == 42001
    assert client.oa.get_template_detail(TEMPLATE_ID)["template_names"] == DETAIL["template_names"]


def test_a_body_that_is_not_json_is_refused(sandbox: Sandbox) -> None:
    assert raw(sandbox, "oa/applyevent", b"<xml/>")["errcode"] == 47001


# -- templates -----------------------------------------------------------------------------------------------


def test_template_detail_reads_as_the_configured_template(client: WeComClient) -> None:
    template = parse_template_detail(
        client.oa.get_template_detail(TEMPLATE_ID), alias="buy", template_id=TEMPLATE_ID
    )

    assert template.name == "采购"
    assert [(c.id, c.kind, c.required) for c in template.controls] == [
        ("Text-1", "Text", True),
        ("Money-1", "Money", False),
        ("File-1", "File", False),
        ("Table-1", "Table", False),
    ]


def test_an_unknown_template_is_refused(client: WeComClient) -> None:
    with pytest.raises(WeComRefused) as caught:
        client.oa.get_template_detail("no-such-template")

    assert caught.value.code == 301025


def test_created_templates_are_served_updated_and_filed_with_a_named_flow(client: WeComClient) -> None:
    names, content = _title("请假"), {"controls": [_control("Text", "Text-9", "Why", require=1)]}
    template_id = client.oa.create_template({"template_name": names, "template_content": content})

    client.oa.update_template(
        {"template_id": template_id, "template_name": _title("休假"), "template_content": content}
    )

    assert client.oa.get_template_detail(template_id)["template_names"] == _title("休假")
    why = {"contents": [filled("Text", "Text-9", "Why", text="rest")]}
    with pytest.raises(WeComRefused) as caught:  # a new template has no flow of its own
        client.oa.apply_event(request(template_id=template_id, apply_data=why))
    assert caught.value.code == 301025
    named = flow({"type": 1, "apv_rel": 1, "userid": ["bob"]})
    assert client.oa.apply_event(request(template_id=template_id, apply_data=why, **named))


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda c: c.oa.update_template({"template_id": "nope", "template_name": _title("x")}), 301025),
        (lambda c: c.oa.create_template({"template_content": {}}), 301086),  # 301086: any bad body
        (
            lambda c: c.oa.create_template(
                {"template_name": _title("x"), "template_content": {"controls": [{}]}}
            ),
            301086,
        ),
        (
            lambda c: c.oa.create_template(
                {
                    "template_name": _title("x"),
                    "template_content": {"controls": [_control("Text", "T", "a")] * 2},
                }
            ),
            301086,
        ),
    ],
    ids=["update-unknown", "no-name", "control-without-id", "same-id-twice"],
)
def test_bad_templates_are_refused(
    client: WeComClient, call: Callable[[WeComClient], Any], code: int
) -> None:
    with pytest.raises(WeComRefused) as caught:
        call(client)

    assert caught.value.code == code


# -- filing and reading --------------------------------------------------------------------------------------


def test_applyevent_files_a_pending_approval_numbered_like_wecom(
    sandbox: Sandbox, client: WeComClient
) -> None:
    first, second = client.oa.apply_event(request()), client.oa.apply_event(request(choose_department=3))

    assert (first, second) == ("202511210001", "202511210002")
    snap = parse_approval_detail(client.oa.get_approval_detail(first))
    assert (snap.number, snap.template_id, snap.template_name) == (first, TEMPLATE_ID, "采购")
    assert (snap.status, snap.applicant, snap.applicant_party, snap.apply_time) == (1, "alice", "2", START)
    assert snap.nodes == (
        Node(NodeType.APPROVER, ApprovalMode.ALL, MemberStatus.PENDING, (Member("bob"),)),
        Node(NodeType.CC, ApprovalMode.ALL, MemberStatus.PENDING, (Member("carol"),)),
    )
    assert (snap.cc, snap.waiting_on()) == (("carol",), ("bob",))
    assert snap.fields == (FormField("Reason", "New laptop"), FormField("Amount", "4839.00"))
    assert snap.summary == ("Reason: New laptop",)
    assert parse_approval_detail(client.oa.get_approval_detail(second)).applicant_party == "3"


def test_the_detail_follows_decisions(sandbox: Sandbox, client: WeComClient, clock: Clock) -> None:
    sp_no = client.oa.apply_event(request())
    clock.now += 60

    sandbox.decide(sp_no, "bob", "approve", "fine")

    snap = parse_approval_detail(client.oa.get_approval_detail(sp_no))
    assert snap.status is ApprovalStatus.APPROVED
    assert snap.nodes[0].members == (Member("bob", MemberStatus.APPROVED, "fine", START + 60),)
    # The detail tells the state, and the form; not what changed last, nor when.
    unchanged = replace(sandbox.approval(sp_no), action=None, event_time=0, current_step=None)
    assert snap == replace(unchanged, summary=snap.summary, fields=snap.fields)


def test_applyevent_takes_the_flow_the_request_names(client: WeComClient) -> None:
    named = flow(
        {"type": 1, "apv_rel": 2, "userid": ["bob", "carol"]}, {"type": 3, "apv_rel": 1, "userid": ["alice"]}
    )
    sp_no = client.oa.apply_event(request(**named))

    snap = parse_approval_detail(client.oa.get_approval_detail(sp_no))
    assert [(n.type, n.mode, [m.user_id for m in n.members]) for n in snap.nodes] == [
        (NodeType.APPROVER, ApprovalMode.ANY, ["bob", "carol"]),
        (NodeType.HANDLER, ApprovalMode.ALL, ["alice"]),
    ]
    assert snap.waiting_on() == ("bob", "carol")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        pytest.param({"apply_data": {"contents": []}}, 301025, id="required-missing"),
        pytest.param({"apply_data": contents(reason="  ")}, 301025, id="required-blank"),
        pytest.param(
            {"apply_data": contents(filled("Text", "Text-404", "?", text="?"))}, 301025, id="unknown-control"
        ),
        pytest.param(
            {"apply_data": contents(filled("Number", "Money-1", "Amount", new_number="1"))},
            301025,
            id="wrong-kind",
        ),
        pytest.param(
            {"apply_data": contents(filled("Table", "Table-1", "Items", children=[{"list": []}]))},
            301025,
            id="row-without-its-required-column",
        ),
        pytest.param(
            {"apply_data": contents(filled("File", "File-1", "Quote", files=[{"file_id": "x"}]))},
            301025,
            id="file-never-uploaded",
        ),
        pytest.param({"template_id": "no-such-template"}, 301025, id="unknown-template"),
        pytest.param({"creator_userid": "mallory"}, 301055, id="unknown-creator"),
        pytest.param({"use_template_approver": 0}, 301025, id="no-process"),
        pytest.param(flow({"type": 1, "apv_rel": 1, "userid": ["eve"]}), 301025, id="unknown-approver"),
        pytest.param(flow({"type": 1, "userid": ["bob"]}), 301025, id="no-apv-rel"),
        pytest.param(flow({"type": 2, "userid": ["bob"]}), 301025, id="cc-only"),
        pytest.param({"choose_department": 9}, 301025, id="not-their-department"),
    ],
)
def test_applyevent_refuses_what_wecom_refuses(
    sandbox: Sandbox, client: WeComClient, changes: dict[str, Any], code: int
) -> None:
    with pytest.raises(WeComRefused) as caught:
        client.oa.apply_event(request(**changes))

    assert caught.value.code == code
    filed = raw(sandbox, "oa/getapprovalinfo", {"starttime": START - 60, "endtime": START + 60})
    assert filed["sp_no_list"] == []


def test_tables_and_uploaded_files_are_accepted(client: WeComClient) -> None:
    media_id = client.media.upload("quote.pdf", b"%PDF-1.4 quote")
    files = filled("File", "File-1", "Quote", files=[{"file_id": media_id}])
    table = filled("Table", "Table-1", "Items", children=[{"list": [ROW]}])

    sp_no = client.oa.apply_event(request(apply_data=contents(files, table)))

    fields = parse_approval_detail(client.oa.get_approval_detail(sp_no)).fields
    assert fields[1:] == (FormField("Quote", "1 file"), FormField("Items", "Item: a laptop"))


def test_an_unknown_approval_is_not_found(client: WeComClient) -> None:
    with pytest.raises(WeComRefused) as caught:
        client.oa.get_approval_detail("209901010001")

    assert caught.value.code == 301025


def test_open_approvals_are_never_found(client: WeComClient) -> None:
    with pytest.raises(WeComRefused) as caught:
        client.corp.get_open_approval_data("third-1")

    assert caught.value.code == 301025


# -- getapprovalinfo -----------------------------------------------------------------------------------------


def test_getapprovalinfo_pages_through_250_approvals(client: WeComClient) -> None:
    filed = [client.oa.apply_event(request()) for _ in range(250)]

    pages, cursor = [], ""
    while True:
        page = client.oa.get_approval_info(START - 3600, START + 3600, cursor=cursor)
        pages.append(page["sp_no_list"])
        if not (cursor := page["new_next_cursor"]):
            break

    assert [len(page) for page in pages] == [100, 100, 50]
    assert [sp_no for page in pages for sp_no in page] == filed


def test_getapprovalinfo_filters_by_window_creator_template_and_status(
    sandbox: Sandbox, client: WeComClient, clock: Clock
) -> None:
    alices = [client.oa.apply_event(request()) for _ in range(2)]
    bobs = client.oa.apply_event(request(creator="bob"))
    sandbox.decide(alices[1], "bob", "approve")
    clock.now += 2 * 86400
    later = client.oa.apply_event(request())

    def found(*filters: tuple[str, str], start: int = START, end: int = START + 86400) -> list[str]:
        wanted = [{"key": key, "value": value} for key, value in filters]
        return client.oa.get_approval_info(start, end, filters=wanted)["sp_no_list"]

    assert found() == [*alices, bobs]
    assert found(start=START, end=START + 3 * 86400) == [*alices, bobs, later]
    assert found(("creator", "bob")) == [bobs]
    assert found(("sp_status", "2")) == [alices[1]]
    assert found(("template_id", TEMPLATE_ID), ("creator", "alice"), ("sp_status", "1")) == [alices[0]]
    assert found(("template_id", "other")) == []
    assert client.oa.get_approval_info(START, START + 86400, size=2)["sp_no_list"] == alices


@pytest.mark.parametrize(
    "body",
    [
        {"starttime": START, "endtime": START + 32 * 86400},  # more than 31 days
        {"starttime": START * 1000, "endtime": START * 1000 + 60_000},  # milliseconds
        {"starttime": START + 60, "endtime": START},
        {"starttime": START, "endtime": START + 60, "size": 101},
        {"starttime": START, "endtime": START + 60, "filters": [{"key": "colour", "value": "red"}]},
    ],
    ids=["window-too-long", "milliseconds", "backwards", "page-too-big", "unknown-filter"],
)
def test_getapprovalinfo_refuses_bad_queries(sandbox: Sandbox, body: dict[str, Any]) -> None:
    assert raw(sandbox, "oa/getapprovalinfo", body)["errcode"] == 301025


# -- users, departments, media -------------------------------------------------------------------------------


def test_users_are_found_by_id_and_by_either_email(client: WeComClient) -> None:
    profile = client.user.get("alice")

    assert (profile["userid"], profile["name"], profile["department"]) == ("alice", "Alice", [2, 3])
    assert client.user.get_userid_by_email("alice@example.com") == "alice"
    assert client.user.get_userid_by_email("carol@corp.example") == "carol"
    assert client.user.department(2)["name"] == "Design"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda c: c.user.get("mallory"), 60111),
        (lambda c: c.user.get_userid_by_email("mallory@example.com"), 60111),
        (lambda c: c.user.department(99), 60123),
        (lambda c: c.media.upload("a.txt", b"x", media_type="sticker"), 40004),
    ],
    ids=["unknown-userid", "unknown-email", "unknown-department", "unknown-media-type"],
)
def test_unknown_people_and_bad_uploads_are_refused(
    client: WeComClient, call: Callable[[WeComClient], Any], code: int
) -> None:
    with pytest.raises(WeComRefused) as caught:
        call(client)

    assert caught.value.code == code


def test_an_upload_without_media_is_refused(sandbox: Sandbox) -> None:
    token = httpx.get(sandbox.base_url + "gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET})
    params = {"access_token": token.json()["access_token"], "type": "file"}
    reply = httpx.post(sandbox.base_url + "media/upload", params=params, files={"other": ("a.txt", b"x")})

    assert reply.json()["errcode"] == 41005


# -- decisions and callbacks ---------------------------------------------------------------------------------


def as_callback(snap: Snapshot) -> Snapshot:
    """What a callback tells of an approval: the state, without the form."""
    return replace(snap, summary=(), has_details=False, current_step=None)


def test_filing_and_each_decision_post_exactly_one_callback(
    sandbox: Sandbox, client: WeComClient, receiver: Receiver, clock: Clock
) -> None:
    sp_no = client.oa.apply_event(request())
    assert sandbox.drain_callbacks()
    assert receiver.snapshots == [as_callback(sandbox.approval(sp_no))]
    assert receiver.snapshots[0].action is Action.SUBMIT

    clock.now += 60
    sandbox.decide(sp_no, "bob", "approve", "fine")

    assert sandbox.drain_callbacks()
    assert len(receiver.snapshots) == 2
    approved = receiver.snapshots[1]
    assert (approved.status, approved.action, approved.event_time) == (
        ApprovalStatus.APPROVED,
        Action.APPROVE,
        START + 60,
    )
    assert approved == as_callback(sandbox.approval(sp_no))


def test_callbacks_come_in_wecoms_envelope(sandbox: Sandbox, client: WeComClient, receiver: Receiver) -> None:
    client.oa.apply_event(request())

    assert sandbox.drain_callbacks()
    query, body = receiver.posts[0]
    assert set(query) == {"msg_signature", "timestamp", "nonce"}
    envelope = ElementTree.fromstring(body)
    assert [child.tag for child in envelope] == ["ToUserName", "Encrypt", "AgentID"]
    assert (envelope.findtext("ToUserName"), envelope.findtext("AgentID")) == (CORP_ID, AGENT_ID)


def test_a_rejection_is_announced_with_its_reason(
    sandbox: Sandbox, client: WeComClient, receiver: Receiver
) -> None:
    sp_no = client.oa.apply_event(request())

    sandbox.decide(sp_no, "bob", "reject", "too dear")

    assert sandbox.drain_callbacks()
    rejected = receiver.snapshots[-1]
    assert (rejected.status, rejected.action) == (ApprovalStatus.REJECTED, Action.REJECT)
    assert rejected.nodes[0].members[0].speech == "too dear"


@pytest.mark.parametrize(
    ("userid", "decision", "speech"),
    [("alice", "approve", ""), ("carol", "approve", ""), ("bob", "reject", "")],
    ids=["applicant-not-on-the-step", "cc-is-no-approver", "rejection-without-reason"],
)
def test_decisions_the_engine_forbids_change_nothing(
    sandbox: Sandbox, client: WeComClient, receiver: Receiver, userid: str, decision: Any, speech: str
) -> None:
    sp_no = client.oa.apply_event(request())
    before = sandbox.approval(sp_no)

    with pytest.raises(NotAllowed):
        sandbox.decide(sp_no, userid, decision, speech)

    assert sandbox.drain_callbacks()
    assert sandbox.approval(sp_no) == before
    assert len(receiver.snapshots) == 1  # the filing's only


def test_deciding_an_unknown_approval_raises(sandbox: Sandbox) -> None:
    with pytest.raises(KeyError):
        sandbox.decide("209901010001", "bob", "approve")


def test_a_template_flow_must_name_known_users() -> None:
    strangers = SandboxTemplate(DETAIL, (Step(NodeType.APPROVER, ApprovalMode.ALL, ("eve",)),))

    with pytest.raises(ValueError, match="eve"):
        Sandbox(
            CORP_ID, SECRET, token=TOKEN, encoding_aes_key=AES_KEY, templates={"t": strangers}, users=USERS
        )


def test_lose_callbacks_drops_exactly_the_next_one(
    sandbox: Sandbox, client: WeComClient, receiver: Receiver
) -> None:
    first = client.oa.apply_event(request())

    sandbox.lose_callbacks(1)
    sandbox.decide(first, "bob", "approve")
    second = client.oa.apply_event(request())

    assert sandbox.drain_callbacks()
    assert [(s.number, s.action) for s in receiver.snapshots] == [
        (first, Action.SUBMIT),
        (second, Action.SUBMIT),
    ]
    # The change happened all the same: a sweep reading the detail finds it.
    assert parse_approval_detail(client.oa.get_approval_detail(first)).status is ApprovalStatus.APPROVED


def test_a_callback_not_answered_success_is_sent_again(
    sandbox: Sandbox, client: WeComClient, receiver: Receiver
) -> None:
    receiver.replies.extend([(200, "fail"), (500, "")])

    client.oa.apply_event(request())

    assert sandbox.drain_callbacks()
    assert len(receiver.posts) == 3
    assert (
        receiver.posts[1] == receiver.posts[0] and receiver.posts[2] == receiver.posts[0]
    )  # the same request


def test_a_callback_is_given_up_after_three_retries(
    sandbox: Sandbox, client: WeComClient, receiver: Receiver
) -> None:
    receiver.always = (200, "")
    first = client.oa.apply_event(request())
    assert sandbox.drain_callbacks()
    receiver.always = None

    second = client.oa.apply_event(request())

    assert sandbox.drain_callbacks()
    assert [s.number for s in receiver.snapshots] == [first] * 4 + [second]


def test_a_sandbox_with_a_state_file_carries_on_where_the_last_one_stopped(
    tmp_path: Path, clock: Clock, receiver: Receiver
) -> None:
    """As WeCom outlives the bot: a second run knows the approvals of the first, numbers after them and
    answers for them, so a bot whose store remembers them is never told 301025."""
    state = tmp_path / "wecom.json"
    one = functools.partial(
        Sandbox,
        CORP_ID,
        SECRET,
        token=TOKEN,
        encoding_aes_key=AES_KEY,
        callback_url=receiver.url,
        templates={TEMPLATE_ID: SandboxTemplate(DETAIL, PROCESS)},
        users=USERS,
        clock=clock,
        state_file=state,
        first_serial=5001,
    )
    with one() as first, WeComClient(CORP_ID, SECRET, api_base=first.base_url) as client:
        filed = client.oa.apply_event(request())
        first.decide(filed, "bob", "reject", "no")
        assert first.drain_callbacks()

    with one() as second, WeComClient(CORP_ID, SECRET, api_base=second.base_url) as client:
        again = client.oa.apply_event(request())
        kept = parse_approval_detail(client.oa.get_approval_detail(filed))

    assert (filed, again) == ("202511215001", "202511215002")
    assert kept.status is ApprovalStatus.REJECTED and kept.fields[0] == FormField("Reason", "New laptop")
    assert kept == replace(
        second.approval(filed),
        action=None,
        event_time=0,
        current_step=None,
        summary=kept.summary,
        fields=kept.fields,
        has_details=True,
    )


def test_the_traffic_is_every_call_without_its_token_and_every_callback_with_its_answer(
    sandbox: Sandbox, client: WeComClient, receiver: Receiver
) -> None:
    receiver.replies.append((500, ""))
    filed = client.oa.apply_event(request())
    assert sandbox.drain_callbacks()
    sandbox.lose_callbacks(1)
    sandbox.decide(filed, "bob", "approve")

    traffic = sandbox.traffic()
    calls = [hop for hop in traffic if isinstance(hop, ApiCall)]
    assert [(c.method, c.path) for c in calls] == [("GET", "gettoken"), ("POST", "oa/applyevent")]
    assert calls[1].reply["sp_no"] == filed and calls[1].body["creator_userid"] == "alice"
    assert SECRET not in repr(traffic) and "access_token" not in repr(calls[1])
    callbacks = [hop for hop in traffic if isinstance(hop, CallbackAttempt)]
    assert [(c.sp_no, c.action, c.answer) for c in callbacks] == [
        (filed, Action.SUBMIT, "500"),
        (filed, Action.SUBMIT, "200 success"),
        (filed, Action.APPROVE, ""),  # lost: never posted
    ]
    assert sandbox.traffic(len(traffic) - 1) == traffic[-1:]


def test_local_templates_become_wecom_template_details_that_read_back_the_same() -> None:
    """`approvals-bot sandbox` serves [[local.templates]] as WeCom templates."""
    from bot.providers.local.engine import template_from_config
    from bot.providers.wecom.render import template_detail

    entry = {
        "alias": "purchase",
        "name": "采购申请",
        "controls": [
            {"control": "Text", "id": "Text-1", "title": "事由", "require": True},
            {"control": "Money", "id": "Money-1", "title": "金额", "require": True},
            {"control": "Date", "id": "Date-1", "title": "日期", "date_type": "hour"},
            {
                "control": "Selector",
                "id": "Selector-1",
                "title": "类型",
                "multi": True,
                "options": [{"key": "a", "text": "电脑"}, {"key": "b", "text": "显示器"}],
            },
            {"control": "Contact", "id": "Contact-1", "title": "经办人", "contact_mode": "user"},
            {
                "control": "Table",
                "id": "Table-1",
                "title": "明细",
                "children": [{"control": "Text", "id": "Text-2", "title": "项目"}],
            },
        ],
        "process": [{"type": 1, "apv_rel": 1, "users": ["U0APPROVERA"]}],
    }
    template = template_from_config(entry).template
    again = parse_template_detail(template_detail(template), alias=template.alias, template_id=template.id)
    assert again == replace(template, provider="wecom")
