"""Template bodies being built in Slack: reading the builder's inputs, carrying the draft in a modal's
private_metadata (or the store), and the ids the modals use. The body itself is the provider's shape: its
`TemplateManager` names it and adds and removes controls, and says what to ask for each kind.

Ids:
  callback_id  ``template_builder`` (the builder), ``template_control`` (adding one control),
               ``template_create`` (alias, then create), ``template_update`` (diff, then update)
  block_id     ``tb/name``, ``tb/json``, ``tb/file`` in the builder; ``tc/<field>`` in the control
               editor; ``ta/alias`` in the create confirmation
  action_id    ``value`` on every input; ``template_add_control``, ``template_remove_control`` (value: the
               control id) and ``template_control_kind`` (the kind select) on buttons and selects
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.i18n import t
from bot.providers.base import ControlSpec, KindField, TemplateProblem
from handlers import field as payload_field
from handlers import text_field
from handlers.cards import one_line

CALLBACK_BUILDER = "template_builder"
CALLBACK_CONTROL = "template_control"
CALLBACK_CREATE = "template_create"
CALLBACK_UPDATE = "template_update"
ACTION_ADD_CONTROL = "template_add_control"
ACTION_REMOVE_CONTROL = "template_remove_control"
ACTION_KIND = "template_control_kind"
ACTION = "value"

NAME, JSON_BODY, FILE = "tb/name", "tb/json", "tb/file"
TITLE, PLACEHOLDER, REQUIRE = "tc/title", "tc/placeholder", "tc/require"
OPTIONS, MULTIPLE, DATE_TYPE = "tc/options", "tc/multiple", "tc/date_type"
CONTACT_MODE, COLUMNS, TIPS = "tc/contact_mode", "tc/columns", "tc/tips"
ATTENDANCE_TYPE, SPAN_UNIT = "tc/attendance_type", "tc/span_unit"
ALIAS_INPUT = "ta/alias"

METADATA_LIMIT = 3000  # Slack's private_metadata
MAX_BLOCKS = 100
VIEW_TITLE_LIMIT = 24
INPUT_LIMIT = 3000  # a plain_text_input's max_length
MAX_LISTED_CONTROLS = 80  # builder rows with a Remove button; the rest are counted
MAX_LISTED_LINES = 60  # problems or changes listed in one answer; the rest are counted
LINES_PER_SECTION = 10
LINE_LIMIT = 280
MAX_FILE_BYTES = 256 * 1024  # a template body is a few KB; anything far larger is refused before reading

SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
# Slack escapes these three in a slash command's text
SLACK_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


class BodyUnreadable(ValueError):
    """The given text is not a template body; the message says why in plain words (with line and column
    for a JSON syntax error)."""


@dataclass(frozen=True)
class TemplateDraft:
    """What a template modal carries: the body being built, and what it is for."""

    mode: str  # "create" | "update"
    template_id: str  # the template updated ("" when creating)
    body: dict[str, Any]
    builder: bool = False  # from the builder modal: problems go back into it, beside the draft
    kind: str = ""  # the kind being added, in the control editor
    nonce: str = field(default_factory=lambda: uuid.uuid4().hex)  # one send per confirmation


# --- pure parts: text -> body, metadata ---------------------------------------------


def parse_body(text: str, lang: str) -> dict[str, Any]:
    """A template body from text as people paste it: Slack's smart quotes straightened; raises
    BodyUnreadable saying where the JSON breaks, or that it is not an object."""
    try:
        body = json.loads(text.translate(SMART_QUOTES))
    except json.JSONDecodeError as exc:
        raise BodyUnreadable(
            t("template.builder.json_error", lang, reason=exc.msg, line=exc.lineno, column=exc.colno)
        ) from exc
    if not isinstance(body, dict):
        raise BodyUnreadable(t("template.builder.json_not_object", lang))
    return body


def command_text(text: str) -> str:
    """A slash command's text as typed: Slack sends <, > and & escaped."""
    for escaped, plain in SLACK_ESCAPES:
        text = text.replace(escaped, plain)
    return text


def first_text(value: Any) -> str:
    """The first text of a WeCom text list ([{"text", "lang"}]); "" for anything else."""
    return text_field(value, 0, "text") or ""


def controls_of(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The body's controls that are objects (a crafted or pasted body may hold anything)."""
    controls = payload_field(body, "template_content", "controls", kind=list) or []
    return [c for c in controls if isinstance(c, dict)]


def pack_draft(draft: TemplateDraft, keep: Callable[[dict[str, Any]], str]) -> str:
    """The draft as private_metadata; a body too large for it goes to `keep` (the store), by id."""
    meta: dict[str, Any] = {
        "v": 1,
        "mode": draft.mode,
        "template_id": draft.template_id,
        "builder": draft.builder,
        "kind": draft.kind,
        "nonce": draft.nonce,
        "body": draft.body,
    }
    packed = json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
    if len(packed) <= METADATA_LIMIT:
        return packed
    meta["draft"] = keep(meta.pop("body"))
    return json.dumps(meta, ensure_ascii=False, separators=(",", ":"))


def unpack_draft(raw: Any, fetch: Callable[[str], dict[str, Any] | None]) -> TemplateDraft | None:
    """The draft `pack_draft` wrote, or None for anything else (metadata is untrusted: it comes back from
    Slack). `fetch` finds a stored body by id, for its owner only."""
    try:
        meta = json.loads(raw) if isinstance(raw, str) and len(raw) <= METADATA_LIMIT else None
    except ValueError:
        return None
    mode, template_id = text_field(meta, "mode"), text_field(meta, "template_id")
    kind, nonce = text_field(meta, "kind"), text_field(meta, "nonce")
    builder = payload_field(meta, "builder", kind=bool)
    if payload_field(meta, "v", kind=int) != 1 or None in (template_id, kind, nonce, builder):
        return None
    if not ((mode == "create" and template_id == "") or (mode == "update" and template_id)):
        return None
    stored = text_field(meta, "draft")
    body = fetch(stored) if stored else payload_field(meta, "body", kind=dict)
    if body is None:
        return None
    return TemplateDraft(mode, template_id, body, builder, kind, nonce)  # type: ignore[arg-type]


# --- reading what was typed into a modal ----------------------------------------------------------------


def input_value(values: Any, block: str) -> Any:
    """The state of one input block of a submitted view ({} when it is missing or malformed)."""
    return payload_field(values, block, ACTION, kind=dict) or {}


def typed_text(values: Any, block: str) -> str:
    """What was typed into a text input, stripped ("" when nothing was)."""
    return (text_field(input_value(values, block), "value") or "").strip()


def _chosen(values: Any, block: str) -> str:
    return text_field(input_value(values, block), "selected_option", "value") or ""


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def field_block(name: str) -> str:
    """The control editor's input block for a kind's field (a ControlSpec field's name)."""
    return f"tc/{name}"


def read_control(
    kind: str, fields: Sequence[KindField], values: Any, kinds: Collection[str], lang: str
) -> ControlSpec | dict[str, str]:
    """The control the editor describes (asking `fields` of its kind, as the provider says), or field
    errors (block id -> text) for what cannot be read: a choice that is not one offered (crafted), a table
    column without a known kind."""
    errors: dict[str, str] = {}
    choices: dict[str, str] = {}
    for asked in fields:
        block = field_block(asked.name)
        if asked.choices:
            choices[block] = _chosen(values, block)
            if choices[block] not in asked.choices:
                errors[block] = t("template.builder.bad_choice", lang)
    columns: list[tuple[str, str]] = []
    if any(asked.name == "columns" for asked in fields):
        for number, line in enumerate(_lines(typed_text(values, COLUMNS)), 1):
            column_kind, _, title = line.replace("：", ":").partition(":")
            if column_kind.strip() not in kinds or column_kind.strip() == "Table" or not title.strip():
                kinds_text = ", ".join(k for k in kinds if k != "Table")
                errors[COLUMNS] = t("template.builder.bad_column", lang, line=number, kinds=kinds_text)
                break
            columns.append((column_kind.strip(), title.strip()))
    if errors:
        return errors
    required = payload_field(input_value(values, REQUIRE), "selected_options", kind=list)
    return ControlSpec(
        kind=kind,
        title=one_line(typed_text(values, TITLE)),
        placeholder=one_line(typed_text(values, PLACEHOLDER)),
        required=bool(required),
        options=_lines(typed_text(values, OPTIONS)),
        multiple=choices.get(MULTIPLE) == "multi",
        date_type=choices.get(DATE_TYPE, "day"),
        contact_mode=choices.get(CONTACT_MODE, "user"),
        columns=tuple(columns),
        attendance_type=int(choices.get(ATTENDANCE_TYPE, "3")),
        span_unit=choices.get(SPAN_UNIT, "halfday"),
        tips=typed_text(values, TIPS),
    )


def field_for(problem: TemplateProblem, fields: Sequence[KindField]) -> str:
    """The editor input a problem of the new control belongs beside (`fields`: what its kind asks)."""
    if "placeholder" in problem.key:
        return PLACEHOLDER
    if "title" in problem.key:
        return TITLE
    return field_block(fields[0].name) if fields else TITLE


# --- rendering ---------------------------------------------------------------------------------------------
