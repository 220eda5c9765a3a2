"""Contact (附6, 附7): ``contact.type`` single | multi; ``contact.mode`` user | department."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from bot.forms import Control
from bot.providers.wecom import codes
from bot.providers.wecom.kinds.base import (
    Fill,
    Json,
    Lookups,
    Parse,
    Piece,
    Render,
    SummaryLookups,
    Token,
    WeComKind,
    Write,
    join,
    scalar,
)


class Contact(WeComKind):
    name = "Contact"

    def configure(self, control: Control, config: Json, parse: Parse) -> Control:
        contact = codes.as_obj(config.get("contact"))
        mode = "department" if contact.get("mode") == "department" else "user"
        return replace(control, multi=contact.get("type") == "multi", contact_mode=mode)

    def template_config(self, control: Control, write: Write) -> dict[str, Any]:
        return {
            "contact": {
                "type": "multi" if control.multi else "single",
                "mode": control.contact_mode or "user",
            }
        }

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        if control.contact_mode == "department":  # 附7: openapi_id is a string
            departments = [{"openapi_id": key, "name": lookups.department_name(key)} for key in answer]
            return {"departments": departments}
        members = (lookups.wecom_user(slack_id) for slack_id in answer)  # 附6
        return {"members": [{"userid": userid, "name": name} for userid, name in members]}

    def summary(self, control: Control, answer: Any, lookups: SummaryLookups) -> list[Piece]:
        if control.contact_mode == "department":
            return [", ".join(lookups.department_name(key) or key for key in answer)]
        return [] if lookups.wecom_user is None else _members(answer, lookups.wecom_user)

    def show(self, value: Json, render: Render) -> str:
        members = [
            scalar(m.get("name")) or scalar(m.get("userid")) for m in codes.as_objs(value.get("members"))
        ]
        departments = [
            scalar(d.get("name")) or scalar(d.get("openapi_id"))
            for d in codes.as_objs(value.get("departments"))
        ]
        return join(*members, *departments)


def _members(slack_ids: Sequence[str], wecom_user: Callable[[str], tuple[str, str]]) -> list[Piece]:
    pieces: list[Piece] = []
    for slack_id in slack_ids:
        userid, name = wecom_user(slack_id)
        if pieces:
            pieces.append(", ")
        pieces.append(Token(f"$userName={userid}$", len(name or userid)))
    return pieces


KIND = Contact()
