"""RelatedApproval: approval numbers."""

from __future__ import annotations

from typing import Any

from bot.forms import Control
from bot.providers.wecom import codes
from bot.providers.wecom.kinds.base import (
    Fill,
    Json,
    Lookups,
    Piece,
    Render,
    SummaryLookups,
    WeComKind,
    join,
    localized,
    scalar,
)


class RelatedApproval(WeComKind):
    name = "RelatedApproval"

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        # Not in the spec's appendix; SKIT.FlurlHttpClient.Wechat's CgibinOAApplyEventRequest
        # (RelatedApprovalControlValue) sends a list of {"sp_no": "..."}; WxJava's
        # ContentValue.RelatedApproval agrees (the other fields there are read-only, filled in by WeCom in
        # detail responses).
        return {"related_approval": [{"sp_no": number} for number in answer]}

    def summary(self, control: Control, answer: Any, lookups: SummaryLookups) -> list[Piece]:
        return [", ".join(answer)]

    def show(self, value: Json, render: Render) -> str:
        related = (
            (scalar(r.get("sp_no")), localized(r.get("template_names")))
            for r in codes.as_objs(value.get("related_approval"))
        )
        return join(
            *(f"{number} ({name})" if number and name else number or name for number, name in related)
        )


KIND = RelatedApproval()
