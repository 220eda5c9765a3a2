"""Every Slack listener treats its payload as untrusted: real payloads (as SlackStandIn sends them),
mutated, are answered with a 2xx or a plain 4xx, never a 5xx, and no listener raises."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import BoltRequest, BoltResponse

from bot.config import load_config
from bot.i18n import t
from bot.offline.slack_standin import Posted, SlackStandIn
from bot.runtime import Runtime, build_runtime
from tests.harness import in_process_app

APPLICANT, APPROVER, STRANGER = "U0APPLICANT", "U0APPROVERA", "U0STRANGER"
CONFIG = """
[store]
path = "{store}"
[slack]
bot_token = "xoxb-test-token"
signing_secret = "test-signing-secret"
api_url = "{slack_url}"
language = "en"
[[local.templates]]
alias = "purchase"
name = "采购申请"
controls = [
  {{ control = "Text", id = "Text-1", title = "采购事由", require = true }},
  {{ control = "Table", id = "Table-1", title = "明细", children = [
     {{ control = "Text", id = "Text-2", title = "项目" }},
  ] }},
]
process = [{{ type = 1, apv_rel = 1, users = ["{approver}"] }}]
"""
FORM = "application/x-www-form-urlencoded"


class Bot:
    """The very bolt app `serve` runs (every listener, registered by `register_all`), dispatched in
    process: synchronously (process_before_response), so a listener's exception shows in the answer."""

    def __init__(self, runtime: Runtime, slack: SlackStandIn) -> None:
        self.runtime = runtime
        self.slack = slack
        self.app = in_process_app(runtime)

    def dispatch(self, body: str, content_type: str) -> BoltResponse:
        return self.app.dispatch(BoltRequest(body=body, headers={"content-type": [content_type]}))

    def captured(self, send: Any) -> tuple[str, str]:
        """The body and content type SlackStandIn would have sent for `send()`: the real payload."""
        sent: list[tuple[str, str]] = []

        def capture(body: bytes, content_type: str) -> httpx.Response:
            sent.append((body.decode(), content_type))
            return httpx.Response(200)

        self.slack._send = capture  # type: ignore[method-assign]
        try:
            send()
        finally:
            del self.slack._send
        return sent[0]


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    tmp = tmp_path_factory.mktemp("untrusted")
    with SlackStandIn(users={u: {} for u in (APPLICANT, APPROVER, STRANGER)}) as slack:
        config = tmp / "config.toml"
        config.write_text(
            CONFIG.format(store=tmp / "approvals.json", slack_url=slack.api_url, approver=APPROVER),
            encoding="utf-8",
        )
        runtime = build_runtime(load_config(Path(config)), with_bolt=False)
        try:
            yield Bot(runtime, slack)
        finally:
            runtime.stop()


def send(bot: Bot, request: tuple[str, str]) -> BoltResponse:
    response = bot.dispatch(*request)
    assert response.status < 500, (response.status, response.body)
    return response


@pytest.fixture(scope="module")
def payloads(bot: Bot) -> dict[str, tuple[str, str]]:
    """Real payloads of every kind the bot handles, captured from SlackStandIn along a real run:
    a request filed and its decision card clicked."""
    slack = bot.slack
    found: dict[str, tuple[str, str]] = {}
    found["command new"] = bot.captured(lambda: slack.command(APPLICANT, "new purchase"))
    found["command status"] = bot.captured(lambda: slack.command(APPLICANT, "status 1"))
    send(bot, found["command new"])
    form = slack.open_view(APPLICANT)
    assert form is not None and form["callback_id"] == "approval_form"
    found["table add"] = bot.captured(
        lambda: slack.click(APPLICANT, "form_table_add", "Table-1", in_view=form)
    )
    values = {"form/Text-1": {"value": {"type": "plain_text_input", "value": "Laptops"}}}
    found["form submit"] = bot.captured(lambda: slack.submit(APPLICANT, form, values))
    send(bot, found["form submit"])
    (doc,) = bot.runtime.store.approvals.open()
    block = f"decide|{doc['key']}"
    for action_id, value in (("approval_approve", "approve"), ("approval_more", "transfer"), ("x", "y")):
        found[f"click {value}"] = bot.captured(
            lambda: slack.click(APPROVER, action_id, value, block_id=block)  # noqa: B023
        )
    send(bot, found["click transfer"])
    modal = slack.open_view(APPROVER)
    assert modal is not None and modal["callback_id"] == "approval_decision"
    chosen = {"to": {"value": {"type": "users_select", "selected_user": STRANGER}}}
    found["decision submit"] = bot.captured(lambda: slack.submit(APPROVER, modal, chosen))
    found["home pick"] = bot.captured(lambda: slack.click(APPLICANT, "home_pick_template", "purchase"))
    found["draft edit"] = bot.captured(lambda: slack.click(APPLICANT, "draft_edit", "nope"))
    found["home opened"] = bot.captured(lambda: slack.open_home(APPLICANT))
    card = Posted(slack.dm_channel(APPROVER), "1.000001", "", [], None)
    with bot.runtime.store.transaction():
        bot.runtime.store.cards.set(
            doc["key"], f"{doc['key']}|approver_card:{APPROVER}", card.channel, card.ts
        )
    found["thread reply"] = bot.captured(lambda: slack.reply(APPROVER, card, "Which vendor?"))
    return found


# -- mutations ------------------------------------------------------------------------------------------

odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=12),
    st.sampled_from(["<@U0ADMIN>", "decide|local:0", "decide|", "approve", "{}", "[]", "x" * 5000]),
    st.just([]),
    st.just({}),
    st.builds(
        json.dumps,
        st.dictionaries(
            st.sampled_from(["operation", "key", "draft", "alias", "rows"]),
            st.none() | st.text(max_size=5) | st.integers() | st.just({}),
        ),
    ),
)


def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*prefix, index))


# bolt's own request parsing (`build_context`) and built-in middleware read these, in the payload and in
# its event, before any code of ours runs, and fail when one is of another type: refusing that is for the
# server, ahead of bolt; here they only go missing
READ_BY_BOLT_ITSELF = frozenset(
    ("user", "channel", "team", "enterprise", "event", "message", "previous_message", "item")
)


def mutate(data: st.DataObject, payload: Any) -> Any:
    """One change somewhere in `payload`: a value replaced by one of another type or content, or removed."""
    paths = [p for p in _paths(payload) if p]
    path = data.draw(st.sampled_from(paths))
    parent = payload
    for step in path[:-1]:
        parent = parent[step]
    read_by_bolt = len(path) <= 2 and path[-1] in READ_BY_BOLT_ITSELF
    if isinstance(parent, dict) and (read_by_bolt or data.draw(st.booleans())):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(odd_values)
    return payload


def mutated(data: st.DataObject, request: tuple[str, str]) -> tuple[str, str]:
    body, content_type = request
    if content_type != FORM:
        event = json.loads(body)
        for _ in range(data.draw(st.integers(1, 3))):
            event = mutate(data, event)
        return json.dumps(event), content_type
    form = {k: v[0] for k, v in parse_qs(body).items()}
    if "payload" not in form:  # a slash command: its fields are strings, or missing
        key = data.draw(st.sampled_from(sorted(form)))
        if data.draw(st.booleans()):
            del form[key]
        else:
            form[key] = data.draw(st.text(max_size=30) | st.sampled_from(["new purchase", "status 1"]))
        return urlencode(form), content_type
    payload = json.loads(form["payload"])
    for _ in range(data.draw(st.integers(1, 3))):
        payload = mutate(data, payload)
    return urlencode({"payload": json.dumps(payload)}), content_type


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_real_payloads_get_no_5xx_and_no_listener_fails(
    bot: Bot, payloads: dict[str, tuple[str, str]], caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(payloads)))
    body, content_type = mutated(data, copy.deepcopy(payloads[name]))
    request = BoltRequest(body=body, headers={"content-type": [content_type]})
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        response = bot.app.dispatch(request)
    assert response.status < 500, (name, response.status, body)
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, (name, [r.getMessage() for r in failures], body)


def test_the_real_payloads_work_as_they_are(bot: Bot, payloads: dict[str, tuple[str, str]]) -> None:
    """The base of the mutations is sound: every captured payload is answered without a failure."""
    for name, request in payloads.items():
        assert send(bot, request).status == 200, name


def test_an_unknown_button_is_acked_and_the_user_told_it_is_no_longer_valid(
    bot: Bot, payloads: dict[str, tuple[str, str]]
) -> None:
    before = len(bot.slack.calls_to("chat.postEphemeral"))
    assert send(bot, payloads["click y"]).status == 200
    told = bot.slack.calls_to("chat.postEphemeral")[before:]
    assert [(c["user"], c["text"]) for c in told] == [(APPROVER, t("listener.stale_button", "en"))]


def test_a_decision_modal_with_crafted_metadata_is_refused_in_the_modal(
    bot: Bot, payloads: dict[str, tuple[str, str]]
) -> None:
    body, content_type = payloads["decision submit"]
    payload = json.loads(parse_qs(body)["payload"][0])
    for metadata in ("not json", json.dumps({"operation": "delete", "key": "local:1"}), json.dumps([1])):
        payload["view"]["private_metadata"] = metadata
        response = send(bot, (urlencode({"payload": json.dumps(payload)}), content_type))
        assert response.status == 200
        answer = json.loads(response.body)
        assert answer["response_action"] == "update"
        assert t("listener.stale_form", "en") in json.dumps(answer["view"], ensure_ascii=False)


def test_an_envelope_not_shaped_like_slacks_is_refused_with_a_400(
    bot: Bot, payloads: dict[str, tuple[str, str]]
) -> None:
    body, content_type = payloads["click approve"]
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["actions"] = [{"action_id": 5}]
    assert send(bot, (urlencode({"payload": json.dumps(payload)}), content_type)).status == 400


def test_a_failing_listener_is_logged_without_its_payload_and_the_user_told(
    bot: Bot,
    payloads: dict[str, tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret-ish detail U0APPROVERA")

    monkeypatch.setattr(bot.runtime.decisions, "act", broken)
    before = len(bot.slack.calls_to("chat.postEphemeral"))
    with caplog.at_level(logging.ERROR):
        assert send(bot, payloads["click approve"]).status == 200  # acked before it failed
        answer = send(bot, payloads["decision submit"])  # fails before the ack: the modal says so
    assert json.loads(answer.body)["response_action"] == "update"
    assert t("listener.failed", "en") in answer.body
    told = bot.slack.calls_to("chat.postEphemeral")[before:]
    assert [(c["user"], c["text"]) for c in told] == [(APPROVER, t("listener.failed", "en"))]
    (logged,) = [r for r in caplog.records if r.getMessage() == "Slack listener failed"][:1]
    assert logged.error == "RuntimeError" and logged.at.startswith(__file__)  # type: ignore[attr-defined]
    assert all("U0APPROVERA" not in r.getMessage() and not r.exc_info for r in caplog.records)


def test_a_reply_under_a_card_that_cannot_be_taken_is_answered_not_left_in_silence(
    bot: Bot, payloads: dict[str, tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the store is gone")

    monkeypatch.setattr(bot.runtime.threads, "take", broken)
    before = len(bot.slack.calls_to("chat.postEphemeral"))
    assert send(bot, payloads["thread reply"]).status == 200
    told = bot.slack.calls_to("chat.postEphemeral")[before:]
    assert [(c["user"], c["text"]) for c in told] == [(APPROVER, t("listener.failed", "en"))]
