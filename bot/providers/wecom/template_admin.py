"""Creating and updating WeCom approval templates (``oa/approval/create_template``, ``update_template``).

WeCom answers a body it dislikes with one code (301086, "a control is invalid") and no hint of which, so
`template_problems` checks everything the spec (wecom-approval-templates.md and its appendix of per-control
config) requires before WeCom is called, and names each problem beside its control. The sandbox runs the
same function, so it accepts and refuses exactly what the bot's own validation does.

The config each kind takes (appendix 附1-附15 of create_template; shapes as gettemplatedetail sends them):

  Date        ``date.type``: day | hour
  Selector    ``selector.type``: single | multi; ``selector.options[]``: unique ``key`` + ``value``
              ({text, lang} or a list of them)
  Contact     ``contact.type``: single | multi; ``contact.mode``: user | department
  Tips        ``tips.tips_content[]``: ``lang`` + ``text.sub_text[]`` (type 1 ``content.plain_text.content``,
              type 2 ``content.link`` {title, url})
  File        ``file.is_only_photo``: 0 | 1, optional (the whole config may be left out)
  Table       ``table.children[]``: controls, checked as top-level ones (ids unique across the template)
  Vacation    ``attendance`` {type 1, ``date_range.type``: halfday | hour}; ``vacation_list.item[]`` optional
  Attendance  ``attendance`` {type 3 trip | 4 out | 5 overtime, ``date_range.type``: halfday | hour}
  DateRange   ``date_range.type``: halfday | hour; ``official_holiday`` 0 | 1 and ``perday_duration`` optional

Text, Textarea, Number, Money, Location, RelatedApproval, PhoneNumber and BankAccount take no config.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any, TypeVar

from bot.i18n import t
from bot.provider_ports import (
    ControlChange,
    ControlOutline,
    ControlSpec,
    KindField,
    ProviderError,
    TemplateOutline,
    TemplateProblem,
)
from bot.providers.wecom import codes
from bot.providers.wecom.client import BUSY, WeComClient, WeComError

log = logging.getLogger(__name__)

_Json = Mapping[str, Any]

KINDS = (
    "Text",
    "Textarea",
    "Number",
    "Money",
    "Date",
    "Selector",
    "Contact",
    "Tips",
    "File",
    "Table",
    "Location",
    "RelatedApproval",
    "DateRange",
    "PhoneNumber",
    "Vacation",
    "Attendance",
    "BankAccount",
)
ATTENDANCE_KINDS = frozenset({"Vacation", "Attendance"})  # 假勤控件: at most one per template
# Chosen (the docs are silent): a table row holds plain fields; WeCom's console offers neither nested tables
# nor leave/attendance controls inside a table.
_NOT_IN_TABLE = frozenset({"Table"}) | ATTENDANCE_KINDS
LANGS = ("zh_CN", "en")
MAX_NAME = 40
MAX_TITLE = 40
MAX_PLACEHOLDER = 80
_MAX_SHOWN = 40  # a value quoted back in a problem is cut to this many characters
_PROPERTY_KEYS = ("control", "id", "title", "placeholder", "require", "un_print")
_FLAGS = ("require", "un_print")

# The config keys each kind takes; a kind not listed takes none.
_CONFIG_KEYS: dict[str, frozenset[str]] = {
    "Date": frozenset({"date"}),
    "Selector": frozenset({"selector"}),
    "Contact": frozenset({"contact"}),
    "Tips": frozenset({"tips"}),
    "File": frozenset({"file"}),
    "Table": frozenset({"table"}),
    "Vacation": frozenset({"vacation_list", "attendance"}),
    "Attendance": frozenset({"attendance"}),
    "DateRange": frozenset({"date_range"}),
}
_SPANS = ("halfday", "hour")
_TRIP_OUT_OVERTIME = (3, 4, 5)
_LEAVE = 1

# WeCom's refusals of a template body -> the i18n key (template.refused.<key>) that says it in plain words.
_REFUSALS = {
    301086: "invalid_control",
    301087: "limit_reached",
    301088: "no_permission",
    620004: "server_error",
    BUSY: "unknown",
}


def template_problems(body: Any, known_names: Collection[str], *, updating: bool) -> list[TemplateProblem]:
    """Everything the spec forbids in a create (or, `updating`, an update) body, in body order; [] when it
    may be sent. `known_names` are the other templates' names (on update, without this template's own)."""
    return list(_Checker(known_names).template(body, updating))


class _Checker:
    """One pass over a body: ids and the attendance-type control are checked across the whole template."""

    def __init__(self, known_names: Collection[str]) -> None:
        self._known = {_folded(name) for name in known_names}
        self._ids: set[str] = set()
        self._attendance: str | None = None  # where the first Vacation/Attendance control is

    def template(self, body: Any, updating: bool) -> Iterator[TemplateProblem]:
        if not isinstance(body, Mapping):
            yield TemplateProblem("template", "body_invalid")
            return
        if updating and not codes.text(body.get("template_id")):
            yield TemplateProblem("template_id", "template_id_missing")
        names = body.get("template_name")
        yield from _texts(names, "template_name", "template_name", limit=MAX_NAME, required=True)
        for name in _text_values(names):
            if _folded(name) in self._known:
                yield TemplateProblem("template_name", "name_duplicate", {"name": _shown(name)})
        content = body.get("template_content", {})
        controls = content.get("controls", []) if isinstance(content, Mapping) else None
        if not isinstance(controls, list):
            yield TemplateProblem("template_content", "controls_invalid")
            return
        yield from self._controls(controls, prefix="control ", in_table=False)

    def _controls(self, controls: list[Any], prefix: str, in_table: bool) -> Iterator[TemplateProblem]:
        # Chosen (the docs say "unique" only): titles are unique among siblings, the top level or one table's
        # columns, in any of their languages.
        titles: set[str] = set()
        for position, raw in enumerate(controls, 1):
            fallback = f"{prefix}{position}"
            prop = raw.get("property") if isinstance(raw, Mapping) else None
            if not isinstance(prop, Mapping):
                yield TemplateProblem(fallback, "control_invalid")
                continue
            where = _where(prop.get("id"), fallback)
            yield from self._control(raw, prop, where, in_table)
            own = {_folded(title): title for title in _text_values(prop.get("title"))}
            for title in sorted(own.keys() & titles):
                yield TemplateProblem(where, "title_duplicate", {"title": _shown(own[title])})
            titles |= own.keys()

    def _control(self, raw: _Json, prop: _Json, where: str, in_table: bool) -> Iterator[TemplateProblem]:
        kind = prop.get("control")
        known_kind = kind in KINDS
        if not known_kind:
            yield TemplateProblem(where, "kind_unknown", {"kind": _shown(kind), "kinds": ", ".join(KINDS)})
        elif in_table and kind in _NOT_IN_TABLE:
            yield TemplateProblem(where, "table_child_kind", {"kind": kind})
        yield from self._id(prop.get("id"), kind if known_kind else None, where)
        if kind in ATTENDANCE_KINDS:
            if self._attendance is None:
                self._attendance = where
            else:
                yield TemplateProblem(where, "attendance_twice", {"first": self._attendance})
        yield from _texts(prop.get("title"), "title", where, limit=MAX_TITLE, required=True)
        yield from _texts(
            prop.get("placeholder"), "placeholder", where, limit=MAX_PLACEHOLDER, required=False
        )
        for flag in _FLAGS:
            if flag in prop and not _one_of(prop[flag], (0, 1)):
                yield TemplateProblem(where, "flag_invalid", {"field": flag, "value": _shown(prop[flag])})
        config = raw.get("config", {})
        if config is None:
            config = {}
        if not isinstance(config, Mapping):
            yield TemplateProblem(where, "config_invalid")
        elif known_kind:
            yield from self._config(kind, config, where)

    def _id(self, control_id: Any, kind: str | None, where: str) -> Iterator[TemplateProblem]:
        example = f"{kind or 'Text'}-01"
        if not isinstance(control_id, str) or not control_id.strip():
            yield TemplateProblem(where, "id_missing", {"example": example})
            return
        well_formed = re.fullmatch(rf"{re.escape(kind)}-[0-9]+", control_id) if kind is not None else True
        if not well_formed or len(control_id) > codes.MAX_ID_CHARS:
            params = {"id": _shown(control_id), "kind": kind, "example": example}
            yield TemplateProblem(where, "id_format", params)
        if control_id in self._ids:
            yield TemplateProblem(where, "id_duplicate", {"id": _shown(control_id)})
        self._ids.add(control_id)

    def _config(self, kind: str, config: _Json, where: str) -> Iterator[TemplateProblem]:
        for key in sorted(set(config) - _CONFIG_KEYS.get(kind, frozenset())):
            yield TemplateProblem(where, "config_unexpected", {"kind": kind, "field": _shown(key)})
        check = _CONFIG_CHECKS.get(kind)
        if check is not None:
            yield from check(self, config, where)

    # -- config per kind -------------------------------------------------------------------------------

    def _date(self, config: _Json, where: str) -> Iterator[TemplateProblem]:
        yield from _choice(config, ("date", "type"), ("day", "hour"), "Date", where)

    def _selector(self, config: _Json, where: str) -> Iterator[TemplateProblem]:
        yield from _choice(config, ("selector", "type"), ("single", "multi"), "Selector", where)
        options = _at(config, ("selector", "options"))
        if not isinstance(options, list) or not options:
            yield TemplateProblem(where, "options_missing")
            return
        keys: set[str] = set()
        for position, option in enumerate(options, 1):
            option = option if isinstance(option, Mapping) else {}
            key = option.get("key")
            if not isinstance(key, str) or not key.strip():
                yield TemplateProblem(where, "option_key_missing", {"position": position})
            elif key in keys:
                yield TemplateProblem(where, "option_key_duplicate", {"key": _shown(key)})
            else:
                keys.add(key)
            # The docs give option texts no length limit; the bot adds none.
            field = f"selector.options[{position}].value"
            yield from _texts(option.get("value"), field, where, limit=None, required=True, single_ok=True)

    def _contact(self, config: _Json, where: str) -> Iterator[TemplateProblem]:
        yield from _choice(config, ("contact", "type"), ("single", "multi"), "Contact", where)
        yield from _choice(config, ("contact", "mode"), ("user", "department"), "Contact", where)

    def _tips(self, config: _Json, where: str) -> Iterator[TemplateProblem]:
        contents = _at(config, ("tips", "tips_content"))
        if not isinstance(contents, list) or not contents:
            yield TemplateProblem(where, "tips_empty")
            return
        langs: set[Any] = set()
        for position, content in enumerate(contents, 1):
            content = content if isinstance(content, Mapping) else {}
            field = f"tips.tips_content[{position}]"
            yield from _lang(content.get("lang"), field, where, langs)
            runs = _at(content, ("text", "sub_text"))
            if not isinstance(runs, list) or not runs or not all(map(_tips_run, runs)):
                yield TemplateProblem(where, "tips_text", {"field": f"{field}.text.sub_text"})

    def _file(self, config: _Json, where: str) -> Iterator[TemplateProblem]:
        if "file" in config:
            yield from _optional_flag(config, ("file", "is_only_photo"), "File", where)

    def _table(self, config: _Json, where: str) -> Iterator[TemplateProblem]:
        children = _at(config, ("table", "children"))
        if not isinstance(children, list) or not children:
            yield TemplateProblem(where, "table_empty")
            return
        yield from self._controls(children, prefix=f"{where}.", in_table=True)

    def _vacation(self, config: _Json, where: str) -> Iterator[TemplateProblem]:
        yield from _choice(config, ("attendance", "type"), (_LEAVE,), "Vacation", where)
        yield from _choice(config, ("attendance", "date_range", "type"), _SPANS, "Vacation", where)
        # Chosen (the create docs are silent): the leave types may be left out, as WeCom takes them from the
        # corp's leave settings; when given, each needs an id and a name.
        if "vacation_list" not in config:
            return
        items = _at(config, ("vacation_list", "item"))
        if not isinstance(items, list):
            yield TemplateProblem(
                where, "config_missing", {"kind": "Vacation", "field": "vacation_list.item"}
            )
            return
        for position, item in enumerate(items, 1):
            item = item if isinstance(item, Mapping) else {}
            if codes.integer(item.get("id")) is None:
                yield TemplateProblem(where, "vacation_item", {"position": position})
            field = f"vacation_list.item[{position}].name"
            yield from _texts(item.get("name"), field, where, limit=None, required=True)

    def _attendance_config(self, config: _Json, where: str) -> Iterator[TemplateProblem]:
        yield from _choice(config, ("attendance", "type"), _TRIP_OUT_OVERTIME, "Attendance", where)
        yield from _choice(config, ("attendance", "date_range", "type"), _SPANS, "Attendance", where)

    def _date_range(self, config: _Json, where: str) -> Iterator[TemplateProblem]:
        yield from _choice(config, ("date_range", "type"), _SPANS, "DateRange", where)
        yield from _optional_flag(config, ("date_range", "official_holiday"), "DateRange", where)
        duration = _at(config, ("date_range", "perday_duration"))
        if duration is not None and not (type(duration) is int and duration > 0):
            params = {"field": "date_range.perday_duration", "value": _shown(duration), "allowed": "> 0"}
            yield TemplateProblem(where, "config_value", params)


_CONFIG_CHECKS = {
    "Date": _Checker._date,
    "Selector": _Checker._selector,
    "Contact": _Checker._contact,
    "Tips": _Checker._tips,
    "File": _Checker._file,
    "Table": _Checker._table,
    "Vacation": _Checker._vacation,
    "Attendance": _Checker._attendance_config,
    "DateRange": _Checker._date_range,
}


# -- shared checks -------------------------------------------------------------------------------------------


def _texts(
    entries: Any, field: str, where: str, *, limit: int | None, required: bool, single_ok: bool = False
) -> Iterator[TemplateProblem]:
    """A ``[{text, lang}]`` list: each text within `limit`, with a lang of LANGS wherever there is text, no
    language twice; `required`: some text at all. `single_ok`: a lone {text, lang} (option values) too."""
    if entries is None:
        entries = []
    if single_ok and isinstance(entries, Mapping):
        entries = [entries]
    if not isinstance(entries, list) or not all(
        isinstance(e, Mapping) and isinstance(e.get("text", ""), str) for e in entries
    ):
        yield TemplateProblem(where, "text_list", {"field": field})
        return
    langs: set[Any] = set()
    for entry in entries:
        text = entry.get("text", "")
        if text.strip() or "lang" in entry:
            yield from _lang(entry.get("lang"), field, where, langs)
        if limit is not None and len(text) > limit:
            yield TemplateProblem(
                where, "text_too_long", {"field": field, "length": len(text), "limit": limit}
            )
    if required and not any(entry.get("text", "").strip() for entry in entries):
        yield TemplateProblem(where, "text_missing", {"field": field})


def _lang(lang: Any, field: str, where: str, seen: set[Any]) -> Iterator[TemplateProblem]:
    if lang is None:
        yield TemplateProblem(where, "lang_missing", {"field": field})
    elif lang not in LANGS:
        yield TemplateProblem(where, "lang_invalid", {"field": field, "lang": _shown(lang)})
    elif lang in seen:
        yield TemplateProblem(where, "lang_repeated", {"field": field, "lang": lang})
    seen.add(lang if isinstance(lang, str) else None)


def _choice(
    config: _Json, path: tuple[str, ...], allowed: tuple[Any, ...], kind: str, where: str
) -> Iterator[TemplateProblem]:
    """The config value at `path` is one of `allowed` (a required setting)."""
    value = _at(config, path)
    field = ".".join(path)
    if value is None:
        yield TemplateProblem(where, "config_missing", {"kind": kind, "field": field})
    elif not _one_of(value, allowed):
        shown = ", ".join(map(str, allowed))
        yield TemplateProblem(
            where, "config_value", {"field": field, "value": _shown(value), "allowed": shown}
        )


def _optional_flag(config: _Json, path: tuple[str, ...], kind: str, where: str) -> Iterator[TemplateProblem]:
    if _at(config, path) is not None:
        yield from _choice(config, path, (0, 1), kind, where)


def _one_of(value: Any, allowed: tuple[Any, ...]) -> bool:
    """`value` is one of `allowed` and of the same JSON type: neither true for 1 nor "1" for 1."""
    return any(type(value) is type(choice) and value == choice for choice in allowed)


def _tips_run(run: Any) -> bool:
    """A Tips run with something to show: plain text (type 1) or a link with a title and a URL (type 2)."""
    if not isinstance(run, Mapping):
        return False
    content = codes.as_obj(run.get("content"))
    if run.get("type") == 1:
        plain = codes.as_obj(content.get("plain_text")).get("content")
        return isinstance(plain, str) and bool(plain.strip())
    link = codes.as_obj(content.get("link"))
    return run.get("type") == 2 and all(codes.text(link.get(key)) for key in ("title", "url"))


def _at(obj: Any, path: tuple[str, ...]) -> Any:
    """The value at `path` inside nested objects; None where a step is missing or not an object."""
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _text_values(entries: Any) -> list[str]:
    """The non-empty texts of a [{text, lang}] list, whatever else is wrong with it."""
    return [e["text"] for e in codes.as_objs(entries) if isinstance(e.get("text"), str) and e["text"].strip()]


def _where(control_id: Any, fallback: str) -> str:
    """The control's id when it can name the control to a person; else its position."""
    usable = isinstance(control_id, str) and control_id.strip() and len(control_id) <= 64
    return control_id if usable and control_id.isprintable() else fallback


def _folded(name: str) -> str:
    return name.strip().casefold()


def _shown(value: Any) -> str:
    """A value quoted back to the admin, short and on one line."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


# -- bodies and diffs ----------------------------------------------------------------------------------------


def body_from_detail(detail: _Json, template_id: str) -> dict[str, Any]:
    """A gettemplatedetail reply as an update body: the spec's property keys, and the config keys the kind
    takes (as WeCom sent them); what gettemplatedetail adds (inner_id, display, ...) is left out."""
    content = codes.as_obj(detail.get("template_content"))
    return {
        "template_id": template_id,
        "template_name": list(codes.as_objs(detail.get("template_names"))),
        "template_content": {"controls": [_control_body(c) for c in codes.as_objs(content.get("controls"))]},
    }


def _control_body(raw: _Json) -> dict[str, Any]:
    prop = codes.as_obj(raw.get("property"))
    kind = prop.get("control")
    body: dict[str, Any] = {"property": {key: prop[key] for key in _PROPERTY_KEYS if key in prop}}
    # The docs put config next to property; some SDKs model it inside property, so read either.
    config = codes.as_obj(raw.get("config")) or codes.as_obj(prop.get("config"))
    kept = {key: value for key, value in config.items() if key in _CONFIG_KEYS.get(kind, ())}
    if kind == "Table" and "table" in kept:
        table = codes.as_obj(kept["table"])
        kept["table"] = {
            **table,
            "children": [_control_body(c) for c in codes.as_objs(table.get("children"))],
        }
    if kept:
        body["config"] = kept
    return body


def template_diff(old: _Json, new: _Json) -> list[ControlChange]:
    """Controls (table columns included) added, removed or changed, compared by id: removed ones in the old
    order, then changed and added ones in the new order."""
    before, after = _by_id(old), _by_id(new)
    changes = [ControlChange("removed", cid, _title(c)) for cid, c in before.items() if cid not in after]
    for cid, control in after.items():
        if cid not in before:
            changes.append(ControlChange("added", cid, _title(control)))
        elif details := _changed(before[cid], control):
            changes.append(ControlChange("changed", cid, _title(control), details))
    return changes


def _by_id(body: _Json) -> dict[str, _Json]:
    found: dict[str, _Json] = {}

    def walk(controls: Any) -> None:
        for raw in codes.as_objs(controls):
            control_id = codes.text(codes.as_obj(raw.get("property")).get("id"))
            found.setdefault(control_id, raw)
            walk(codes.as_obj(_config_of(raw).get("table")).get("children"))

    walk(codes.as_obj(codes.as_obj(body).get("template_content")).get("controls"))
    return found


def _changed(old: _Json, new: _Json) -> tuple[str, ...]:
    """Which of a control's properties differ, and "config" when its settings do (a table's columns are
    compared one by one, not as its config)."""
    before, after = codes.as_obj(old.get("property")), codes.as_obj(new.get("property"))
    defaults: dict[str, Any] = {"placeholder": [], "require": 0, "un_print": 0}
    details = [
        key
        for key in _PROPERTY_KEYS
        if before.get(key, defaults.get(key)) != after.get(key, defaults.get(key))
    ]
    if _own_config(old) != _own_config(new):
        details.append("config")
    return tuple(details)


def _own_config(raw: _Json) -> dict[str, Any]:
    config = dict(_config_of(raw))
    if isinstance(config.get("table"), Mapping):
        config["table"] = {key: value for key, value in config["table"].items() if key != "children"}
    return config


def _config_of(raw: _Json) -> _Json:
    return codes.as_obj(raw.get("config")) or codes.as_obj(codes.as_obj(raw.get("property")).get("config"))


def _title(raw: _Json) -> str:
    return codes.localized(codes.as_obj(raw.get("property")).get("title"))


# -- building a body control by control (the Slack builder's editor, through the manager) --------------------

_T = TypeVar("_T")
CONTROL_ID = re.compile(r"([A-Za-z]+)-(\d+)")
LANG = "zh_CN"  # WeCom's language code for the texts a template shows

# The choices of each radio field: value -> i18n key suffix
_CHOICES: dict[str, dict[str, str]] = {
    "multiple": {"single": "single", "multi": "multi"},
    "date_type": {"day": "day", "hour": "hour"},
    "contact_mode": {"user": "user", "department": "department"},
    "attendance_type": {"3": "trip", "4": "outing", "5": "overtime"},
    "span_unit": {"halfday": "halfday", "hour": "hours"},
}
# What the editor asks for each kind, beyond title, placeholder and "required"
_KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "Selector": ("options", "multiple"),
    "Date": ("date_type",),
    "Contact": ("contact_mode", "multiple"),
    "Table": ("columns",),
    "Attendance": ("attendance_type", "span_unit"),
    "Vacation": ("span_unit",),
    "DateRange": ("span_unit",),
    "Tips": ("tips",),
}


def kind_fields(kind: str) -> tuple[KindField, ...]:
    """What the editor asks for a control of `kind` (a radio choice, or typed lines)."""
    return tuple(KindField(name, _CHOICES.get(name, {})) for name in _KIND_FIELDS.get(kind, ()))


def _field(payload: Any, *path: str, kind: type[_T]) -> _T | None:
    """What sits at `path` when it is a `kind` (JSON true is no number); None otherwise."""
    for step in path:
        if not isinstance(payload, dict) or step not in payload:
            return None
        payload = payload[step]
    if isinstance(payload, bool) and kind is not bool:
        return None
    return payload if isinstance(payload, kind) else None


def texts(text: str) -> list[dict[str, str]]:
    return [{"text": text, "lang": LANG}]


def first_text(value: Any) -> str:
    """The first text of a WeCom text list ([{"text", "lang"}]); "" for anything else."""
    first = value[0] if isinstance(value, list) and value else None
    return _field(first, "text", kind=str) or ""


def controls_of(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The body's controls that are objects (a crafted or pasted body may hold anything)."""
    controls = _field(body, "template_content", "controls", kind=list) or []
    return [c for c in controls if isinstance(c, dict)]


def outline(body: Mapping[str, Any]) -> TemplateOutline:
    """The body's name and top-level controls, each title its first text (WeCom's [{"text", "lang"}])."""
    return TemplateOutline(
        first_text(body.get("template_name")),
        tuple(
            ControlOutline(
                _field(control, "property", "id", kind=str) or "",
                _field(control, "property", "control", kind=str) or "",
                first_text(_field(control, "property", "title", kind=list)),
            )
            for control in controls_of(body)
        ),
    )


def control_ids(body: Mapping[str, Any]) -> set[str]:
    """Every control id in the body, table columns included: ids are unique across the template."""
    ids: set[str] = set()
    for control in controls_of(body):
        ids.add(_field(control, "property", "id", kind=str) or "")
        for column in _field(control, "config", "table", "children", kind=list) or []:
            ids.add(_field(column, "property", "id", kind=str) or "")
    return ids - {""}


def next_control_id(kind: str, taken: Collection[str]) -> str:
    """`Kind-NN`, one past the highest number this kind has in `taken`."""
    numbers = [
        int(match.group(2)) for match in map(CONTROL_ID.fullmatch, taken) if match and match.group(1) == kind
    ]
    return f"{kind}-{max(numbers, default=0) + 1:02d}"


def with_name(body: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {**body, "template_name": texts(name)}


def _property(kind: str, control_id: str, title: str, placeholder: str, required: bool) -> dict[str, Any]:
    prop: dict[str, Any] = {
        "control": kind,
        "id": control_id,
        "title": texts(title),
        "require": int(required),
    }
    if placeholder:
        prop["placeholder"] = texts(placeholder)
    return prop


def _new_config(spec: ControlSpec, taken: set[str]) -> dict[str, Any]:
    """The config WeCom wants for the spec's kind (empty for kinds that take none)."""
    if spec.kind == "Selector":
        options = [{"key": f"option-{i:02d}", "value": texts(text)} for i, text in enumerate(spec.options, 1)]
        return {"selector": {"type": "multi" if spec.multiple else "single", "options": options}}
    if spec.kind == "Date":
        return {"date": {"type": spec.date_type}}
    if spec.kind == "Contact":
        return {"contact": {"type": "multi" if spec.multiple else "single", "mode": spec.contact_mode}}
    if spec.kind == "Table":
        children = []
        for kind, title in spec.columns:
            column_id = next_control_id(kind, taken)
            taken.add(column_id)
            children.append({"property": _property(kind, column_id, title, "", False)})
        return {"table": {"children": children}}
    if spec.kind in ATTENDANCE_KINDS:  # a Vacation is the attendance of type 1, leave
        kind = spec.attendance_type if spec.kind == "Attendance" else _LEAVE
        return {"attendance": {"date_range": {"type": spec.span_unit}, "type": kind}}
    if spec.kind == "DateRange":
        return {"date_range": {"type": spec.span_unit}}
    if spec.kind == "Tips":
        run = {"type": 1, "content": {"plain_text": {"content": spec.tips}}}
        return {"tips": {"tips_content": [{"lang": LANG, "text": {"sub_text": [run]}}]}}
    return {}


def add_control(body: Mapping[str, Any], spec: ControlSpec) -> tuple[dict[str, Any], str]:
    """The body with the spec's control appended under the next free `Kind-NN` id, and that id."""
    taken = control_ids(body)
    control_id = next_control_id(spec.kind, taken)
    taken.add(control_id)
    control = {
        "property": _property(spec.kind, control_id, spec.title, spec.placeholder, spec.required),
        "config": _new_config(spec, taken),
    }
    content = _field(body, "template_content", kind=dict) or {}
    return {**body, "template_content": {**content, "controls": [*controls_of(body), control]}}, control_id


def remove_control(body: Mapping[str, Any], control_id: str) -> dict[str, Any]:
    content = _field(body, "template_content", kind=dict) or {}
    kept = [c for c in controls_of(body) if _field(c, "property", "id", kind=str) != control_id]
    return {**body, "template_content": {**content, "controls": kept}}


# -- the manager ---------------------------------------------------------------------------------------------


class WeComTemplates:
    """The WeCom approval app's `TemplateManager`: callers run `problems()` first, so WeCom is only called
    with bodies it should accept; its refusals still come back in plain words."""

    provider = "wecom"

    def __init__(self, client: WeComClient, lang: str = "zh_CN") -> None:
        self._client = client
        self._lang = lang

    def problems(
        self, body: Mapping[str, Any], known_names: Collection[str], *, updating: bool
    ) -> list[TemplateProblem]:
        return template_problems(body, known_names, updating=updating)

    def create(self, body: Mapping[str, Any]) -> str:
        try:
            return self._client.oa.create_template(dict(body))
        except WeComError as exc:
            raise self._refused(exc) from exc

    def update(self, body: Mapping[str, Any]) -> None:
        try:
            self._client.oa.update_template(dict(body))
        except WeComError as exc:
            raise self._refused(exc) from exc

    def current_body(self, template_id: str) -> dict[str, Any]:
        try:
            detail = self._client.oa.get_template_detail(template_id)
        except WeComError as exc:
            raise self._refused(exc) from exc
        return body_from_detail(detail, template_id)

    def diff(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ControlChange]:
        return template_diff(old, new)

    def outline(self, body: Mapping[str, Any]) -> TemplateOutline:
        return outline(body)

    def control_kinds(self) -> list[str]:
        return list(KINDS)

    def kind_fields(self, kind: str) -> tuple[KindField, ...]:
        return kind_fields(kind)

    def with_name(self, body: Mapping[str, Any], name: str) -> dict[str, Any]:
        return with_name(body, name)

    def add_control(self, body: Mapping[str, Any], spec: ControlSpec) -> tuple[dict[str, Any], str]:
        return add_control(body, spec)

    def remove_control(self, body: Mapping[str, Any], control_id: str) -> dict[str, Any]:
        return remove_control(body, control_id)

    def control_ids(self, body: Mapping[str, Any]) -> set[str]:
        return control_ids(body)

    def _refused(self, exc: WeComError) -> ProviderError:
        """WeCom's refusal in plain words, with WeCom's own explanation when it gave one."""
        reason = _REFUSALS.get(exc.code)
        if reason is None:
            message = exc.message_zh if self._lang == "zh_CN" else exc.message
        else:
            message = t(f"template.refused.{reason}", self._lang, code=exc.code)
        if exc.errmsg and exc.code != BUSY:
            message = f"{message} ({_shown_long(exc.errmsg)})"
        log.warning("WeCom refused a template", extra={"endpoint": exc.endpoint, "errcode": exc.code})
        return ProviderError(message)


def _shown_long(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
