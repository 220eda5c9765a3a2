"""Selector (附5): ``selector.type`` single | multi; ``selector.options[]`` key + value [{text, lang}]."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.forms import Control, Option
from bot.providers.wecom import codes
from bot.providers.wecom.kinds.base import (
    Fill,
    Json,
    Lookups,
    Parse,
    Piece,
    Render,
    SummaryLookups,
    WeComKind,
    Write,
    option_text,
    shown_options,
    template_localized,
    zh,
)


class Selector(WeComKind):
    name = "Selector"

    def configure(self, control: Control, config: Json, parse: Parse) -> Control:
        selector = codes.as_obj(config.get("selector"))
        options = tuple(
            Option(key, template_localized(o.get("value")) or key)
            for o in codes.as_objs(selector.get("options"))
            if (key := codes.text(o.get("key")))
        )
        return replace(control, multi=selector.get("type") == "multi", options=options)

    def template_config(self, control: Control, write: Write) -> dict[str, Any]:
        options = [{"key": o.key, "value": zh(o.text)} for o in control.options]
        return {"selector": {"type": "multi" if control.multi else "single", "options": options}}

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        kind = "multi" if control.multi else "single"
        return {"selector": {"type": kind, "options": [{"key": key} for key in answer]}}

    def summary(self, control: Control, answer: Any, lookups: SummaryLookups) -> list[Piece]:
        return [", ".join(option_text(control, key) for key in answer)]

    def show(self, value: Json, render: Render) -> str:
        return shown_options(codes.as_obj(value.get("selector")))


KIND = Selector()
