"""WeCom ``oa/gettemplatedetail`` reply -> `Template`.

The reply (https://developer.work.weixin.qq.com/document/path/91982) is
``{"template_names": [{text, lang}], "template_content": {"controls": [{"property": ..., "config": ...}]}}``:
`property` carries the kind (``control``), ``id``, ``title``, ``placeholder`` and ``require``; `config` the
per-kind extras this module reads:

  Date        ``date.type``: day | hour
  Selector    ``selector.type``: single | multi; ``selector.options[]``: ``key`` + ``value`` [{text, lang}]
  Contact     ``contact.type``: single | multi; ``contact.mode``: user | department
  Tips        ``tips.tips_content[]``: ``lang`` + ``text.sub_text[]`` (type 1 ``content.plain_text.content``,
              type 2 ``content.link`` {title, url})
  Table       ``table.children[]``: controls of one row, shaped like top-level controls
  Vacation    ``vacation_list.item[]``: ``id`` + ``name`` [{text, lang}]; ``attendance.date_range.type``
  Attendance  ``attendance.date_range.type``: halfday | hour; ``attendance.type``: 3 trip, 4 out, 5 overtime
  DateRange   ``date_range.type``: halfday | hour

Every other kind (Text, Number, File, Location, ...) needs no config, and a kind this module has never heard
of still becomes a `Control` of that kind: deciding what can be filled in is the form builder's business.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from bot.forms import Control, Option, Template
from bot.providers.wecom import codes

_Json = Mapping[str, Any]

_TIPS_LINK = 2  # sub_text type: 1 plain text, 2 link


class TemplateParseError(ValueError):
    """The reply is not a template: no template_content, or a control without a kind or an id."""


def parse_template_detail(reply: _Json, *, alias: str, template_id: str) -> Template:
    """The `Template` of a ``gettemplatedetail`` reply; `alias` is what people type, `template_id` what
    WeCom wants back (the reply does not repeat it)."""
    if not isinstance(reply, Mapping):
        raise TemplateParseError("reply is not an object")
    content = reply.get("template_content")
    if not isinstance(content, Mapping):
        raise TemplateParseError("template_content missing")
    return Template(
        provider="wecom",
        id=template_id,
        alias=alias,
        name=_localized(reply.get("template_names")),
        controls=tuple(_control(raw) for raw in codes.as_objs(content.get("controls"))),
    )


def _control(raw: _Json) -> Control:
    prop = codes.as_obj(raw.get("property"))
    kind, control_id = codes.text(prop.get("control")), codes.text(prop.get("id"))
    if not kind or not control_id:
        raise TemplateParseError(f"a control lacks its kind or id: {dict(prop)!r}")
    control = Control(
        kind=kind,
        id=control_id,
        title=_localized(prop.get("title")),
        placeholder=_localized(prop.get("placeholder")),
        required=codes.integer(prop.get("require")) == 1,
    )
    # The docs put config next to property; some SDKs model it inside property, so read either.
    config = codes.as_obj(raw.get("config")) or codes.as_obj(prop.get("config"))
    configure = _CONFIGURE.get(kind)
    return configure(control, config) if configure else control


# -- config per kind ---------------------------------------------------------------------------------------


def _date(control: Control, config: _Json) -> Control:
    return replace(
        control, date_type="hour" if codes.as_obj(config.get("date")).get("type") == "hour" else "day"
    )


def _selector(control: Control, config: _Json) -> Control:
    selector = codes.as_obj(config.get("selector"))
    options = tuple(
        Option(key, _localized(o.get("value")) or key)
        for o in codes.as_objs(selector.get("options"))
        if (key := codes.text(o.get("key")))
    )
    return replace(control, multi=selector.get("type") == "multi", options=options)


def _contact(control: Control, config: _Json) -> Control:
    contact = codes.as_obj(config.get("contact"))
    mode = "department" if contact.get("mode") == "department" else "user"
    return replace(control, multi=contact.get("type") == "multi", contact_mode=mode)


def _tips(control: Control, config: _Json) -> Control:
    """The zh_CN text, else the first: its plain runs as they are, links as "title (url)"."""
    contents = codes.as_objs(codes.as_obj(config.get("tips")).get("tips_content"))
    chosen = next((c for c in contents if c.get("lang") == codes.ZH_CN), contents[0] if contents else {})
    runs = [_tips_run(sub) for sub in codes.as_objs(codes.as_obj(chosen.get("text")).get("sub_text"))]
    return replace(control, text="".join(runs).strip())


def _tips_run(sub: _Json) -> str:
    content = codes.as_obj(sub.get("content"))
    if codes.integer(sub.get("type")) == _TIPS_LINK:
        link = codes.as_obj(content.get("link"))
        title, url = codes.text(link.get("title")), codes.text(link.get("url"))
        return f"{title} ({url})" if title and url else title or url
    plain = codes.as_obj(content.get("plain_text")).get("content")
    return plain if isinstance(plain, str) else ""


def _table(control: Control, config: _Json) -> Control:
    children = tuple(
        _control(child) for child in codes.as_objs(codes.as_obj(config.get("table")).get("children"))
    )
    return replace(control, children=children)


def _attendance(control: Control, config: _Json) -> Control:
    attendance = codes.as_obj(config.get("attendance"))
    return replace(
        control,
        date_type=_span_unit(attendance),
        attendance_type=codes.integer(attendance.get("type")) or control.attendance_type,
    )


def _vacation(control: Control, config: _Json) -> Control:
    """Leave types from vacation_list; the unit from the attendance config when the template has one, else
    half days (how WeCom's own leave template asks)."""
    options = tuple(
        Option(key, _localized(item.get("name")) or key)
        for item in codes.as_objs(codes.as_obj(config.get("vacation_list")).get("item"))
        if (key := codes.text(item.get("id")))
    )
    return _attendance(replace(control, options=options, attendance_type=1), config)


def _date_range(control: Control, config: _Json) -> Control:
    return replace(control, date_type=_span_unit(config))


def _span_unit(holder: _Json) -> str:
    return "hour" if codes.as_obj(holder.get("date_range")).get("type") == "hour" else "halfday"


_CONFIGURE: dict[str, Callable[[Control, _Json], Control]] = {
    "Date": _date,
    "Selector": _selector,
    "Contact": _contact,
    "Tips": _tips,
    "Table": _table,
    "Vacation": _vacation,
    "Attendance": _attendance,
    "DateRange": _date_range,
}


# -- tolerant readers ----------------------------------------------------------------------------------------


def _localized(entries: Any) -> str:
    """The zh_CN text of a [{text, lang}] list, else its first text; a lone {text, lang} object (the shape
    create_template uses for option values) counts as a list of one."""
    return codes.localized([entries] if isinstance(entries, Mapping) else entries)
