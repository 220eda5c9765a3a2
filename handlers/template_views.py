"""The modals and answers of template management, as Block Kit: the builder, the control editor, the
alias and diff confirmations, and the list of problems, each within Slack's limits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.i18n import t
from bot.providers.base import ControlChange, KindField, TemplateProblem
from handlers import field as payload_field
from handlers import text_field
from handlers.cards import clip, context, escape, one_line, section, user_text
from handlers.form_flow import message_view
from handlers.template_drafts import (
    ACTION,
    ACTION_ADD_CONTROL,
    ACTION_KIND,
    ACTION_REMOVE_CONTROL,
    ALIAS_INPUT,
    CALLBACK_BUILDER,
    CALLBACK_CONTROL,
    CALLBACK_CREATE,
    CALLBACK_UPDATE,
    FILE,
    INPUT_LIMIT,
    JSON_BODY,
    LINE_LIMIT,
    LINES_PER_SECTION,
    MAX_BLOCKS,
    MAX_LISTED_CONTROLS,
    MAX_LISTED_LINES,
    NAME,
    PLACEHOLDER,
    REQUIRE,
    TITLE,
    VIEW_TITLE_LIMIT,
    TemplateDraft,
    controls_of,
    field_block,
    first_text,
)


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit)}


def _view(callback_id: str, title: str, blocks: list[dict[str, Any]], metadata: str, **buttons: str) -> dict:
    """A modal within Slack's limits; `buttons` are `submit` / `close` labels."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": _plain(title, VIEW_TITLE_LIMIT),
        "blocks": blocks[:MAX_BLOCKS],
        "private_metadata": metadata,
    }
    view.update({name: _plain(label, 24) for name, label in buttons.items()})
    return view


def _sections(lines: Sequence[str], lang: str) -> list[dict[str, Any]]:
    """Lines (mrkdwn, each clipped) in sections of a few lines each; past MAX_LISTED_LINES, a count."""
    shown = [line if len(line) <= LINE_LIMIT else line[: LINE_LIMIT - 1] + "…" for line in lines]
    hidden = len(shown) - MAX_LISTED_LINES
    shown = shown[:MAX_LISTED_LINES]
    if hidden > 0:
        shown.append(t("template.builder.more", lang, count=hidden))
    return [
        section("\n".join(shown[i : i + LINES_PER_SECTION])) for i in range(0, len(shown), LINES_PER_SECTION)
    ]


def problem_lines(problems: Iterable[TemplateProblem], lang: str) -> list[str]:
    """Each problem beside where it is: the template's name, or a control."""
    lines = []
    for problem in problems:
        where = (
            t("template.builder.name_label", lang)
            if problem.where == "template_name"
            else f"`{user_text(one_line(problem.where), 60)}`"
        )
        text = escape(t(f"template.problem.{problem.key}", lang, **problem.params))
        lines.append(f"• *{where}*: {text}")
    return lines


def problems_message(problems: Sequence[TemplateProblem], provider: str, lang: str) -> dict[str, Any]:
    """The ephemeral answer to an inline body with problems."""
    header = t(
        "template.builder.problems", lang, provider=t(f"provider.{provider}", lang), count=len(problems)
    )
    return {
        "response_type": "ephemeral",
        "text": header,
        "blocks": [section(header), *_sections(problem_lines(problems, lang), lang)][:50],
    }


def change_lines(changes: Iterable[ControlChange], lang: str) -> list[str]:
    lines = []
    for change in changes:
        about = {"id": user_text(change.control_id, 60), "title": user_text(one_line(change.title), 80)}
        details = ", ".join(escape(d) for d in change.details)
        lines.append(t(f"template.builder.diff_{change.kind}", lang, details=details, **about))
    return lines


def template_name(body: Mapping[str, Any]) -> str:
    return one_line(first_text(body.get("template_name")))


def working_view(lang: str) -> dict[str, Any]:
    return message_view(t("template.builder.title", lang), t("template.builder.working", lang), lang)


def notice_view(text: str, lang: str) -> dict[str, Any]:
    return message_view(t("template.builder.title", lang), text, lang)


def builder_view(
    draft: TemplateDraft,
    metadata: str,
    lang: str,
    problems: Sequence[TemplateProblem] = (),
    notice: str = "",
) -> dict[str, Any]:
    """Step 1: the name, and a body pasted, uploaded, or built control by control (listed with Remove);
    on top, the problems of the last attempt or a `notice` (plain text) saying why it was not taken."""
    top = _sections(problem_lines(problems, lang), lang) if problems else []
    if problems:
        top.insert(0, section(t("template.builder.fix_first", lang)))
    if notice:
        top.insert(0, section(f"⚠️ {escape(notice)}"))
    name_input = {"type": "plain_text_input", "action_id": ACTION, "max_length": 150}
    if template_name(draft.body):
        name_input["initial_value"] = clip(template_name(draft.body), 150)
    blocks = [
        *top,
        {
            "type": "input",
            "block_id": NAME,
            "optional": True,
            "label": _plain(t("template.builder.name_label", lang)),
            "hint": _plain(t("template.builder.name_hint", lang), 2000),
            "element": name_input,
        },
        {
            "type": "input",
            "block_id": JSON_BODY,
            "optional": True,
            "label": _plain(t("template.builder.json_label", lang)),
            "hint": _plain(t("template.builder.json_hint", lang), 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": ACTION,
                "multiline": True,
                "max_length": INPUT_LIMIT,
            },
        },
        {
            "type": "input",
            "block_id": FILE,
            "optional": True,
            "label": _plain(t("template.builder.file_label", lang)),
            "element": {"type": "file_input", "action_id": ACTION, "filetypes": ["json"], "max_files": 1},
        },
        {"type": "divider"},
    ]
    controls = controls_of(draft.body)
    listed = controls[: min(MAX_LISTED_CONTROLS, MAX_BLOCKS - len(blocks) - 3)]
    blocks.append(section(t("template.builder.controls", lang, count=len(controls))))
    for control in listed:
        control_id = text_field(control, "property", "id") or ""
        line = t(
            "template.builder.control_line",
            lang,
            id=user_text(control_id, 60),
            kind=user_text(text_field(control, "property", "control") or "?", 40),
            title=user_text(one_line(first_text(payload_field(control, "property", "title", kind=list))), 80),
        )
        blocks.append(
            {
                **section(line),
                "accessory": _button(
                    t("template.builder.remove", lang), ACTION_REMOVE_CONTROL, control_id[:150]
                ),
            }
        )
    if len(controls) > len(listed):
        blocks.append(context(t("template.builder.more", lang, count=len(controls) - len(listed))))
    blocks.append(
        {
            "type": "actions",
            "elements": [_button(t("template.builder.add_control", lang), ACTION_ADD_CONTROL, "add")],
        }
    )
    title = t(f"template.builder.title_{draft.mode}", lang)
    return _view(
        CALLBACK_BUILDER,
        title,
        blocks,
        metadata,
        submit=t("template.builder.next", lang),
        close=t("template.builder.cancel", lang),
    )


def control_view(
    draft: TemplateDraft, metadata: str, kinds: Sequence[str], fields: Sequence[KindField], lang: str
) -> dict[str, Any]:
    """Adding one control: its kind (changing it re-renders the fields that kind needs: `fields`, as the
    provider says), title, placeholder, required, and the kind's config."""
    options = [{"text": _plain(kind, 75), "value": kind[:150]} for kind in kinds[:100]]
    select: dict[str, Any] = {"type": "static_select", "action_id": ACTION_KIND, "options": options}
    chosen = next((o for o in options if o["value"] == draft.kind), None)
    if chosen:
        select["initial_option"] = chosen
    blocks: list[dict[str, Any]] = [
        {**section(t("template.builder.kind_label", lang)), "block_id": "tc/kind", "accessory": select},
        _text_input(TITLE, t("template.builder.title_label", lang), max_length=40),
        _text_input(PLACEHOLDER, t("template.builder.placeholder_label", lang), optional=True, max_length=80),
        {
            "type": "input",
            "block_id": REQUIRE,
            "optional": True,
            "label": _plain(t("template.builder.require_label", lang)),
            "element": {
                "type": "checkboxes",
                "action_id": ACTION,
                "options": [{"text": _plain(t("template.builder.require_label", lang)), "value": "1"}],
            },
        },
    ]
    for asked in fields:
        block = field_block(asked.name)
        label = t(f"template.builder.{asked.name}_label", lang)
        if asked.choices:
            radios = [
                {"text": _plain(t(f"template.builder.choice_{key}", lang), 75), "value": value}
                for value, key in asked.choices.items()
            ]
            blocks.append(
                {
                    "type": "input",
                    "block_id": block,
                    "label": _plain(label),
                    "element": {
                        "type": "radio_buttons",
                        "action_id": ACTION,
                        "options": radios,
                        "initial_option": radios[0],
                    },
                }
            )
        else:
            blocks.append(_text_input(block, label, multiline=True))
    title = t("template.builder.title_control", lang)
    return _view(
        CALLBACK_CONTROL,
        title,
        blocks,
        metadata,
        submit=t("template.builder.add", lang),
        close=t("template.builder.cancel", lang),
    )


def alias_view(draft: TemplateDraft, metadata: str, provider: str, lang: str) -> dict[str, Any]:
    """Before creating: what will be created, and the alias to track it under (optional)."""
    intro = t(
        "template.builder.create_intro",
        lang,
        name=user_text(template_name(draft.body), 80),
        count=len(controls_of(draft.body)),
        provider=t(f"provider.{provider}", lang),
    )
    blocks = [
        section(intro),
        _text_input(
            ALIAS_INPUT,
            t("template.builder.alias_label", lang),
            optional=True,
            max_length=40,
            hint=t("template.builder.alias_hint", lang),
        ),
    ]
    return _view(
        CALLBACK_CREATE,
        t("template.builder.title_create", lang),
        blocks,
        metadata,
        submit=t("template.builder.create", lang),
        close=t("template.builder.cancel", lang),
    )


def diff_view(
    draft: TemplateDraft,
    metadata: str,
    current: Mapping[str, Any],
    changes: Sequence[ControlChange],
    lang: str,
) -> dict[str, Any]:
    """Before updating: how the controls change; only Confirm sends the update."""
    intro = t(
        "template.builder.update_intro",
        lang,
        id=user_text(draft.template_id, 80),
        name=user_text(template_name(current), 80),
    )
    lines = change_lines(changes, lang) or [t("template.builder.diff_none", lang)]
    if template_name(current) != template_name(draft.body):
        lines.insert(
            0,
            t(
                "template.builder.diff_name",
                lang,
                old=user_text(template_name(current), 80),
                new=user_text(template_name(draft.body), 80),
            ),
        )
    blocks = [section(intro), *_sections(lines, lang)]
    return _view(
        CALLBACK_UPDATE,
        t("template.builder.title_update", lang),
        blocks,
        metadata,
        submit=t("template.builder.confirm", lang),
        close=t("template.builder.cancel", lang),
    )


def _text_input(
    block: str,
    label: str,
    *,
    optional: bool = False,
    multiline: bool = False,
    max_length: int = INPUT_LIMIT,
    hint: str = "",
) -> dict[str, Any]:
    element = {
        "type": "plain_text_input",
        "action_id": ACTION,
        "multiline": multiline,
        "max_length": max_length,
    }
    block_json: dict[str, Any] = {
        "type": "input",
        "block_id": block,
        "optional": optional,
        "label": _plain(label),
        "element": element,
    }
    if hint:
        block_json["hint"] = _plain(hint, 2000)
    return block_json


def _button(text: str, action_id: str, value: str) -> dict[str, Any]:
    return {"type": "button", "text": _plain(text, 75), "action_id": action_id, "value": value}


# --- the Slack edge -----------------------------------------------------------------------------------------
