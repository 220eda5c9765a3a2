"""WeCom ``oa/gettemplatedetail`` reply -> `Template`.

The reply (https://developer.work.weixin.qq.com/document/path/91982) is
``{"template_names": [{text, lang}], "template_content": {"controls": [{"property": ..., "config": ...}]}}``:
`property` carries the kind (``control``), ``id``, ``title``, ``placeholder`` and ``require``; `config` the
per-kind extras, which each kind's module in `bot.providers.wecom.kinds` reads:

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

from collections.abc import Mapping
from typing import Any

from bot.forms import Control, Template
from bot.providers.wecom import codes
from bot.providers.wecom.kinds import wecom_kind
from bot.providers.wecom.kinds.base import template_localized

_Json = Mapping[str, Any]


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
        name=template_localized(reply.get("template_names")),
        controls=tuple(parse_control(raw) for raw in codes.as_objs(content.get("controls"))),
    )


def parse_control(raw: _Json) -> Control:
    """One control of the reply (a Table's columns too), configured as its kind reads its config."""
    prop = codes.as_obj(raw.get("property"))
    kind, control_id = codes.text(prop.get("control")), codes.text(prop.get("id"))
    if not kind or not control_id:
        raise TemplateParseError(f"a control lacks its kind or id: {dict(prop)!r}")
    control = Control(
        kind=kind,
        id=control_id,
        title=template_localized(prop.get("title")),
        placeholder=template_localized(prop.get("placeholder")),
        required=codes.integer(prop.get("require")) == 1,
    )
    # The docs put config next to property; some SDKs model it inside property, so read either.
    config = codes.as_obj(raw.get("config")) or codes.as_obj(prop.get("config"))
    return wecom_kind(kind).configure(control, config, parse_control)
