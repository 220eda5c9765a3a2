"""Creating and updating templates from Slack (handlers.template_admin): reading bodies as people paste
them, building controls one by one, metadata that comes back from Slack, the modals within Slack's limits,
the listeners (nothing reaches WeCom with problems, before confirmation, or for a non-admin), and the
whole path end to end over loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.admin import AdminRefused
from bot.provider_ports import (
    ControlChange,
    ControlOutline,
    ControlSpec,
    KindField,
    TemplateOutline,
    TemplateProblem,
)
from bot.providers.wecom.template_admin import (
    KINDS,
    add_control,
    control_ids,
    kind_fields,
    next_control_id,
    outline,
    remove_control,
    template_diff,
    template_problems,
    with_name,
)
from bot.store import Store
from bot.store.tinydb import TinyDBStore
from handlers.template_admin import TemplateAdmin
from handlers.template_drafts import (
    ALIAS_INPUT,
    COLUMNS,
    FILE,
    JSON_BODY,
    MULTIPLE,
    NAME,
    OPTIONS,
    TITLE,
    BodyUnreadable,
    TemplateDraft,
    command_text,
    field_block,
    pack_draft,
    parse_body,
    read_control,
    unpack_draft,
)
from handlers.template_views import (
    alias_view,
    builder_view,
    control_view,
    diff_view,
    problems_message,
)

LANG = "en"
ADMIN, STRANGER = "U0ADMIN", "U0STRANGER"


def zh(text: str) -> list[dict[str, str]]:
    return [{"text": text, "lang": "zh_CN"}]


def valid_body(name: str = "Seal request") -> dict[str, Any]:
    body, _ = add_control({"template_name": zh(name)}, ControlSpec("Text", "Reason", required=True))
    return body


# --- reading bodies ---------------------------------------------------------------------------------------


def test_smart_quotes_from_slack_are_read_as_json_quotes() -> None:
    pasted = "{“template_name”: [{“text”: “Bob’s form”, “lang”: “zh_CN”}]}"
    assert parse_body(pasted, LANG) == {"template_name": [{"text": "Bob's form", "lang": "zh_CN"}]}


def test_a_json_error_names_its_line_and_column() -> None:
    with pytest.raises(BodyUnreadable) as caught:
        parse_body('{\n  "template_name": [],\n  "template_content": }', LANG)
    assert "line 3, column 23" in str(caught.value)


def test_json_that_is_not_an_object_is_refused_in_words() -> None:
    with pytest.raises(BodyUnreadable, match="must be an object"):
        parse_body("[1, 2]", LANG)


def test_slash_command_escapes_are_undone() -> None:
    assert command_text('{"a": "x &lt;&amp;&gt; y"}') == '{"a": "x <&> y"}'


# --- building controls ------------------------------------------------------------------------------------


def test_ids_are_kind_and_two_digits_one_past_the_highest() -> None:
    assert next_control_id("Text", set()) == "Text-01"
    assert next_control_id("Text", {"Text-07", "Money-12", "Text-x"}) == "Text-08"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_the_builder_offers_makes_a_body_the_validator_accepts(kind: str) -> None:
    spec = ControlSpec(
        kind,
        "Field",
        placeholder="Say it",
        required=True,
        options=("Company seal", "Contract seal"),
        columns=(("Text", "Item"), ("Money", "Amount")),
        tips="Attach the contract",
    )
    body, control_id = add_control({"template_name": zh("Every kind")}, spec)
    assert control_id == f"{kind}-01"
    assert template_problems(body, (), updating=False) == []


def test_controls_added_one_by_one_get_distinct_ids_across_table_columns() -> None:
    body: dict[str, Any] = {"template_name": zh("Expenses")}
    body, first = add_control(body, ControlSpec("Text", "Purpose"))
    body, table = add_control(body, ControlSpec("Table", "Items", columns=(("Text", "Item"),)))
    body, third = add_control(body, ControlSpec("Text", "Notes"))
    assert (first, table, third) == ("Text-01", "Table-01", "Text-03")  # Text-02 is the table's column
    assert control_ids(body) == {"Text-01", "Text-02", "Text-03", "Table-01"}
    assert template_problems(body, (), updating=False) == []
    assert [
        c["property"]["id"] for c in remove_control(body, "Table-01")["template_content"]["controls"]
    ] == [
        "Text-01",
        "Text-03",
    ]


def _state(**inputs: dict[str, Any]) -> dict[str, Any]:
    return {block: {"value": value} for block, value in inputs.items()}


def test_the_editor_reads_a_selector_from_its_inputs() -> None:
    values = _state(
        **{
            TITLE: {"type": "plain_text_input", "value": "  Seal  "},
            OPTIONS: {"type": "plain_text_input", "value": "Company seal\n\n Contract seal \n"},
            MULTIPLE: {"type": "radio_buttons", "selected_option": {"value": "multi"}},
        }
    )
    spec = read_control("Selector", kind_fields("Selector"), values, KINDS, LANG)
    assert spec == ControlSpec("Selector", "Seal", options=("Company seal", "Contract seal"), multiple=True)


def test_a_crafted_choice_or_an_unreadable_column_becomes_a_field_error() -> None:
    crafted = _state(**{MULTIPLE: {"type": "radio_buttons", "selected_option": {"value": "all"}}})
    assert set(read_control("Selector", kind_fields("Selector"), crafted, KINDS, LANG)) == {MULTIPLE}  # type: ignore[arg-type]
    columns = _state(**{COLUMNS: {"type": "plain_text_input", "value": "Text: Item\nNoSuchKind: Price"}})
    errors = read_control("Table", kind_fields("Table"), columns, KINDS, LANG)
    assert isinstance(errors, dict) and "Line 2" in errors[COLUMNS]


# --- metadata ---------------------------------------------------------------------------------------------


def test_a_draft_round_trips_through_private_metadata() -> None:
    draft = TemplateDraft("update", "tmpl-1", valid_body(), builder=True, kind="Date")
    raw = pack_draft(draft, keep=lambda body: pytest.fail("a small draft stays in the metadata"))
    assert len(raw) <= 3000
    assert unpack_draft(raw, fetch=lambda _id: None) == draft


def test_a_draft_too_large_for_metadata_is_kept_by_id() -> None:
    body: dict[str, Any] = {"template_name": zh("Large")}
    for number in range(60):
        body, _ = add_control(body, ControlSpec("Text", f"Question number {number}", placeholder="x" * 40))
    kept: dict[str, dict[str, Any]] = {}
    raw = pack_draft(TemplateDraft("create", "", body), keep=lambda b: kept.setdefault("d1", b) and "d1")
    assert len(raw) <= 3000 and json.loads(raw)["draft"] == "d1"
    assert unpack_draft(raw, fetch=kept.get).body == body  # type: ignore[union-attr]
    assert unpack_draft(raw, fetch=lambda _id: None) is None  # someone else's, or expired


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        json.dumps(
            {
                "v": 2,
                "mode": "create",
                "template_id": "",
                "builder": False,
                "kind": "",
                "nonce": "n",
                "body": {},
            }
        ),
        json.dumps(
            {
                "v": 1,
                "mode": "create",
                "template_id": "tmpl-1",
                "builder": False,
                "kind": "",
                "nonce": "n",
                "body": {},
            }
        ),
        json.dumps(
            {
                "v": 1,
                "mode": "update",
                "template_id": "",
                "builder": False,
                "kind": "",
                "nonce": "n",
                "body": {},
            }
        ),
        json.dumps(
            {
                "v": 1,
                "mode": "delete",
                "template_id": "t",
                "builder": False,
                "kind": "",
                "nonce": "n",
                "body": {},
            }
        ),
        json.dumps(
            {
                "v": 1,
                "mode": "create",
                "template_id": "",
                "builder": "yes",
                "kind": "",
                "nonce": "n",
                "body": {},
            }
        ),
        json.dumps(
            {
                "v": 1,
                "mode": "create",
                "template_id": "",
                "builder": False,
                "kind": "",
                "nonce": "n",
                "body": [1],
            }
        ),
        "{" + " " * 3001 + "}",
    ],
)
def test_crafted_metadata_is_refused(raw: str) -> None:
    assert unpack_draft(raw, fetch=lambda _id: {"template_name": zh("x")}) is None


# --- views within Slack's limits ---------------------------------------------------------------------------


def _valid_view(view: dict[str, Any]) -> dict[str, Any]:
    View(**view).validate_json()
    assert len(view["blocks"]) <= 100 and len(view["title"]["text"]) <= 24
    return view


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_builder_views_stay_within_slacks_limits_however_many_controls(lang: str) -> None:
    body: dict[str, Any] = {"template_name": zh("n" * 40)}
    for number in range(150):
        body, _ = add_control(body, ControlSpec("Text", f"Q{number}"))
    problems = [
        TemplateProblem(f"Text-{n:02d}", "title_duplicate", {"title": "<!channel>"}) for n in range(90)
    ]
    draft = TemplateDraft("create", "", body, builder=True)
    view = _valid_view(builder_view(draft, "{}", outline(body), lang, problems, notice="bad file"))
    text = json.dumps(view, ensure_ascii=False)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text  # a quoted title is never markup
    assert {b.get("block_id") for b in view["blocks"]} >= {NAME, JSON_BODY, FILE}


def test_the_builder_lists_the_outline_the_provider_gives_not_the_body() -> None:
    """The views read no provider's body shape: whatever the body holds, they show the outline."""
    shown = TemplateOutline("Seal <request>", (ControlOutline("Text-07", "Text", "Reason\nwhy"),))
    draft = TemplateDraft("create", "", {"anything": ["a provider's own shape"]}, builder=True)
    view = _valid_view(builder_view(draft, "{}", shown, LANG))
    assert [b["accessory"]["value"] for b in view["blocks"] if "accessory" in b] == ["Text-07"]
    text = json.dumps(view["blocks"], ensure_ascii=False)
    assert "`Text-07`" in text and "Reason why" in text and "Seal <request>" in text
    intro = json.dumps(alias_view(shown, "{}", "WeCom", LANG)["blocks"], ensure_ascii=False)
    assert "Seal &lt;request&gt;" in intro and "1" in intro


def test_wecom_outlines_its_body_in_plain_text_and_blanks_what_a_pasted_body_lacks() -> None:
    body = valid_body("Seal request")
    assert outline(body) == TemplateOutline("Seal request", (ControlOutline("Text-01", "Text", "Reason"),))
    hostile = {"template_name": "not a list", "template_content": {"controls": [7, {"property": {"id": 3}}]}}
    assert outline(hostile) == TemplateOutline("", (ControlOutline("", "", ""),))


@pytest.mark.parametrize("kind", KINDS)
def test_the_control_editor_asks_what_each_kind_needs(kind: str) -> None:
    draft = TemplateDraft("create", "", {}, kind=kind)
    view = _valid_view(control_view(draft, "{}", list(KINDS), kind_fields(kind), LANG))
    asked = {b.get("block_id") for b in view["blocks"]}
    assert asked >= {TITLE, *(field_block(f.name) for f in kind_fields(kind))}


def test_the_confirmations_show_what_will_be_sent() -> None:
    draft = TemplateDraft("update", "tmpl-1", valid_body("New name"))
    changes = [
        ControlChange("added", "Text-02", "Notes"),
        ControlChange("changed", "Text-01", "Reason", ("title", "require")),
    ]
    old = outline({"template_name": zh("Old name")})
    diff = _valid_view(diff_view(draft, "{}", old, outline(draft.body), changes, LANG))
    shown = json.dumps(diff["blocks"], ensure_ascii=False)
    assert "added `Text-02` Notes" in shown and "title, require" in shown and "Old name → New name" in shown
    created = _valid_view(alias_view(outline(valid_body()), "{}", "WeCom", LANG))
    assert ALIAS_INPUT in {b.get("block_id") for b in created["blocks"]}
    assert "WeCom" in json.dumps(created["blocks"])


def test_the_problems_answer_names_every_problem_beside_its_control() -> None:
    problems = template_problems(
        {
            "template_name": zh("x" * 41),
            "template_content": {"controls": [{"property": {"control": "Text"}}]},
        },
        (),
        updating=False,
    )
    message = problems_message(problems, "WeCom", LANG)
    for block in Block.parse_all(message["blocks"]):
        block.validate_json()
    shown = json.dumps(message["blocks"], ensure_ascii=False)
    assert len(problems) >= 3 and f"fix {len(problems)} problem" in shown
    assert "Template name" in shown and "`control 1`" in shown and "WeCom" in message["text"]


# --- the listeners, over a recording Slack client and manager ---------------------------------------------


@dataclass
class Recorder:
    """Plays the WebClient, bolt's ack and respond, the admin use cases and the template manager."""

    provider: str = "wecom"
    calls: list[tuple[str, Any]] = field(default_factory=list)
    live: dict[str, Any] = field(default_factory=dict)
    refuse_track: bool = False

    # WebClient
    def views_open(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("views_open", view))
        return {"view": dict(view, id="V1")}

    def views_update(self, view_id: str, view: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.calls.append(("views_update", view))
        return {"view": dict(view, id=view_id)}

    def chat_postEphemeral(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("ephemeral", kwargs["text"]))
        return {"ok": True}

    # admin
    def is_admin(self, user: str) -> bool:
        return user == ADMIN

    def audit(self, actor: str, action: str, detail: str = "") -> None:
        self.calls.append(("audit", (actor, action, detail)))

    def known_template_names(self) -> set[str]:
        return {"Existing"}

    def track(self, actor: str, template_id: str, alias: str, provider: str = "") -> None:
        if self.refuse_track:
            raise AdminRefused("bad_alias", alias=alias)
        self.calls.append(("track", (template_id, alias, provider)))

    # manager
    def problems(self, body: Any, known_names: Any, *, updating: bool) -> list[TemplateProblem]:
        return template_problems(body, known_names, updating=updating)

    def create(self, body: Any) -> str:
        self.calls.append(("create", body))
        return "tmpl-new"

    def update(self, body: Any) -> None:
        self.calls.append(("update", body))

    def current_body(self, template_id: str) -> dict[str, Any]:
        return self.live

    def diff(self, old: Any, new: Any) -> list[ControlChange]:
        return template_diff(old, new)

    def control_kinds(self) -> list[str]:
        return list(KINDS)

    def kind_fields(self, kind: str) -> tuple[KindField, ...]:
        return kind_fields(kind)

    def with_name(self, body: Any, name: str) -> dict[str, Any]:
        return with_name(body, name)

    def add_control(self, body: Any, spec: ControlSpec) -> tuple[dict[str, Any], str]:
        return add_control(body, spec)

    def remove_control(self, body: Any, control_id: str) -> dict[str, Any]:
        return remove_control(body, control_id)

    def control_ids(self, body: Any) -> set[str]:
        return control_ids(body)

    def outline(self, body: Any) -> TemplateOutline:
        return outline(body)

    def made(self, name: str) -> list[Any]:
        return [arg for call, arg in self.calls if call == name]


@dataclass
class Ack:
    answers: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, **kwargs: Any) -> None:
        self.answers.append(kwargs)


PROVIDER_NAME = "Acme Approvals"  # the display name the runtime answers: texts name the provider by it


class _Runtime:
    def __init__(self, recorder: Recorder, store: Store) -> None:
        self.admin = recorder
        self.store = store
        self.parts = type("Parts", (), {"template_managers": {"wecom": recorder}})()
        self.config = type("Config", (), {"slack": type("Slack", (), {"language": LANG})()})()
        self.directory = type("Directory", (), {"im_channel": staticmethod(lambda user: "D" + user)})()

    def provider_name(self, provider: str, lang: str) -> str:
        return {"wecom": PROVIDER_NAME}[provider]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def admin(tmp_path: Path, recorder: Recorder) -> Iterator[TemplateAdmin]:
    store = TinyDBStore(tmp_path / "a.json")
    yield TemplateAdmin(_Runtime(recorder, store))  # type: ignore[arg-type]
    store.close()


def _start(admin: TemplateAdmin, recorder: Recorder, mode: str, inline: str, template_id: str = "") -> list:
    said: list[Any] = []
    admin.start(recorder, ADMIN, "trigger", mode, template_id, inline, lambda **kw: said.append(kw))  # type: ignore[arg-type]
    return said


def _submitted(view: dict[str, Any], user: str = ADMIN, values: dict[str, Any] | None = None) -> tuple:
    view = dict(view, id="V1", state={"values": values or {}})
    return {"user": {"id": user}, "view": view}, view


def test_an_invalid_inline_body_is_answered_with_its_problems_and_never_sent(
    admin: TemplateAdmin, recorder: Recorder
) -> None:
    body = {"template_name": zh("Existing"), "template_content": {"controls": [{"property": {"id": "T"}}]}}
    [said] = _start(admin, recorder, "create", json.dumps(body))
    assert said["response_type"] == "ephemeral"
    shown = json.dumps(said["blocks"], ensure_ascii=False)
    assert "already exists" in shown and "`T`" in shown
    assert PROVIDER_NAME in said["text"]
    assert recorder.made("create") == [] and recorder.made("views_open") == []


def test_a_valid_inline_body_is_created_after_the_alias_modal_and_tracked(
    admin: TemplateAdmin, recorder: Recorder
) -> None:
    assert _start(admin, recorder, "create", json.dumps(valid_body())) == []
    [modal] = recorder.made("views_open")
    assert PROVIDER_NAME in json.dumps(modal)
    assert recorder.made("create") == []  # nothing is sent before the admin presses Create
    body, view = _submitted(modal, values={ALIAS_INPUT: {"value": {"value": "seal"}}})
    ack = Ack()
    admin.create_confirmed(ack, body, view, recorder)  # type: ignore[arg-type]
    assert ack.answers[0]["response_action"] == "update"
    assert recorder.made("create") == [valid_body()]
    assert recorder.made("track") == [("tmpl-new", "seal", "wecom")]
    assert recorder.made("audit") == [(ADMIN, "template create", "tmpl-new Seal request")]
    assert "tmpl-new" in recorder.made("ephemeral")[0]
    admin.create_confirmed(Ack(), body, view, recorder)  # type: ignore[arg-type]  # Slack retries
    assert len(recorder.made("create")) == 1


def test_a_refused_alias_still_reports_the_created_template(admin: TemplateAdmin, recorder: Recorder) -> None:
    recorder.refuse_track = True
    _start(admin, recorder, "create", json.dumps(valid_body()))
    body, view = _submitted(recorder.made("views_open")[0], values={ALIAS_INPUT: {"value": {"value": "s"}}})
    admin.create_confirmed(Ack(), body, view, recorder)  # type: ignore[arg-type]
    [answer] = recorder.made("ephemeral")
    assert "tmpl-new" in answer and "could not be tracked" in answer


def test_a_non_admin_submitting_a_crafted_confirmation_sends_nothing(
    admin: TemplateAdmin, recorder: Recorder
) -> None:
    metadata = pack_draft(TemplateDraft("create", "", valid_body()), keep=lambda b: "")
    body, view = _submitted({"private_metadata": metadata}, user=STRANGER)
    ack = Ack()
    admin.create_confirmed(ack, body, view, recorder)  # type: ignore[arg-type]
    assert "no longer valid" in json.dumps(ack.answers[0]["view"])
    assert recorder.made("create") == []


def test_an_update_shows_the_diff_and_sends_only_after_confirm(
    admin: TemplateAdmin, recorder: Recorder
) -> None:
    recorder.live = {"template_id": "tmpl-1", **valid_body("Seal request")}
    new, _ = add_control(valid_body("Seal request"), ControlSpec("Date", "When"))
    _start(admin, recorder, "update", json.dumps(new), template_id="tmpl-1")
    diff = recorder.made("views_update")[-1]
    assert diff["callback_id"] == "template_update" and "added `Date-01` When" in json.dumps(diff["blocks"])
    assert recorder.made("update") == []
    body, view = _submitted(diff)
    admin.update_confirmed(Ack(), body, view, recorder)  # type: ignore[arg-type]
    assert recorder.made("update") == [{**new, "template_id": "tmpl-1"}]
    assert recorder.made("audit") == [(ADMIN, "template update", "tmpl-1 Seal request")]


def test_the_builder_adds_a_control_and_creates_what_was_built(
    admin: TemplateAdmin, recorder: Recorder
) -> None:
    _start(admin, recorder, "create", "")
    [builder] = recorder.made("views_open")
    assert builder["callback_id"] == "template_builder"
    click = {
        "user": {"id": ADMIN},
        "actions": [{"value": "add"}],
        "view": dict(builder, id="V1", state={"values": {NAME: {"value": {"value": "Seal request"}}}}),
    }
    admin.add_clicked(lambda: None, click, recorder)  # type: ignore[arg-type]
    editor = recorder.made("views_update")[-1]
    assert editor["callback_id"] == "template_control"
    ack = Ack()
    values = {
        TITLE: {"value": {"value": "Reason"}},
        "tc/require": {"value": {"selected_options": [{"value": "1"}]}},
    }
    admin.control_submitted(ack, *_submitted(editor, values=values))  # type: ignore[arg-type]
    rebuilt = ack.answers[0]["view"]
    assert "`Text-01` · Text · Reason" in json.dumps(rebuilt["blocks"], ensure_ascii=False)
    ack = Ack()
    admin.builder_submitted(ack, *_submitted(rebuilt), recorder)  # type: ignore[arg-type]
    assert ack.answers[0]["view"]["callback_id"] == "template_create"
    assert recorder.made("create") == []


def test_the_builder_refuses_a_duplicate_name_beside_the_name_field(
    admin: TemplateAdmin, recorder: Recorder
) -> None:
    draft = TemplateDraft("create", "", valid_body(), builder=True)
    view = builder_view(draft, pack_draft(draft, keep=lambda b: ""), outline(draft.body), LANG)
    ack = Ack()
    values = {NAME: {"value": {"value": "Existing"}}}
    admin.builder_submitted(ack, *_submitted(view, values=values), recorder)  # type: ignore[arg-type]
    assert ack.answers == [{"response_action": "errors", "errors": {NAME: ack.answers[0]["errors"][NAME]}}]
    assert "already exists" in ack.answers[0]["errors"][NAME]


def test_a_pasted_body_with_a_syntax_error_is_refused_beside_the_paste_field(
    admin: TemplateAdmin, recorder: Recorder
) -> None:
    draft = TemplateDraft("create", "", {}, builder=True)
    view = builder_view(draft, pack_draft(draft, keep=lambda b: ""), outline(draft.body), LANG)
    ack = Ack()
    admin.builder_submitted(
        ack, *_submitted(view, values={JSON_BODY: {"value": {"value": '{"a": }'}}}), recorder
    )  # type: ignore[arg-type]
    assert "line 1, column 7" in ack.answers[0]["errors"][JSON_BODY]


# --- end to end: the real server, signed requests from the Slack stand-in, the fake WeCom API ---------------


@pytest.fixture
def loop(tmp_path: Path) -> Iterator[tuple[Any, Any, Any]]:
    from bot.offline.slack_standin import SlackStandIn
    from tests.fakes.wecom_api import FakeWeComApi
    from tests.harness import CORP_ID, SECRET, SIGNING_SECRET, BotProcess, write_config

    with (
        SlackStandIn(users={ADMIN: {"email": "admin@example.com"}}) as slack,
        FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as wecom,
    ):
        config = write_config(
            tmp_path / "config.toml",
            slack.api_url,
            wecom.base_url,
            tmp_path / "data" / "a.json",
            users={ADMIN: "admin"},
            admins=[ADMIN],
        )
        process = BotProcess(config).start()
        slack.attach(f"{process.url}/slack/events", SIGNING_SECRET)
        yield slack, wecom, process
        process.stop()
        print("".join(process.log))  # shown by pytest only when the test failed


def _modal(slack: Any, callback_id: str) -> dict[str, Any] | None:
    view = slack.open_view(ADMIN)
    return view if view and view.get("callback_id") == callback_id else None


def test_admins_create_track_and_update_templates_end_to_end(loop: tuple[Any, Any, Any]) -> None:
    from tests.harness import wait_for

    slack, wecom, _ = loop
    created = lambda: wecom.calls_to("oa/approval/create_template")  # noqa: E731
    invalid = {"template_name": zh("x" * 41), "template_content": {"controls": [{"property": {"id": "T-1"}}]}}
    assert (
        slack.command(ADMIN, f"template create {json.dumps(invalid)}", "/approval-admin").status_code == 200
    )
    answer = wait_for(lambda: [r for r in slack.responses if "problem" in r.get("text", "")], what="problems")
    shown = json.dumps(answer[0].get("blocks"), ensure_ascii=False)
    assert "Template name" in shown and "`T-1`" in shown and "at most 40" in shown
    assert created() == []

    pasted = json.dumps(valid_body("Seal request"), ensure_ascii=False).replace('"', "“")
    assert slack.command(ADMIN, f"template create {pasted}", "/approval-admin").status_code == 200
    confirm = wait_for(lambda: _modal(slack, "template_create"), what="the alias modal")
    assert created() == []
    reply = slack.submit(
        ADMIN, confirm, {ALIAS_INPUT: {"value": {"type": "plain_text_input", "value": "seal"}}}
    )
    assert reply.json()["response_action"] == "update"
    [told] = wait_for(lambda: slack.ephemeral.get(ADMIN), what="the outcome")
    [call] = created()
    assert call.body["template_name"] == zh("Seal request")
    template_id = next(iter(wecom.templates))
    assert template_id in told["text"] and "seal" in told["text"]

    assert slack.command(ADMIN, "new seal").status_code == 200  # offered at once, no restart
    wait_for(lambda: _modal(slack, "approval_form"), what="the form of the new template")

    changed, _ = add_control(valid_body("Seal request"), ControlSpec("Date", "When"))
    command = f"template update {template_id} {json.dumps(changed)}"
    assert slack.command(ADMIN, command, "/approval-admin").status_code == 200
    diff = wait_for(lambda: _modal(slack, "template_update"), what="the diff")
    assert "added `Date-01` When" in json.dumps(diff["blocks"])
    assert wecom.calls_to("oa/approval/update_template") == []
    assert slack.submit(ADMIN, diff, {}).json()["response_action"] == "update"
    [sent] = wait_for(lambda: wecom.calls_to("oa/approval/update_template"), what="update_template")
    assert sent.body["template_id"] == template_id and len(sent.body["template_content"]["controls"]) == 2
