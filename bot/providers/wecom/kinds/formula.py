"""Formula: computed by WeCom, shown from detail responses only."""

from __future__ import annotations

from bot.providers.wecom import codes
from bot.providers.wecom.kinds.base import Json, Render, WeComKind, scalar


class Formula(WeComKind):
    name = "Formula"

    def show(self, value: Json, render: Render) -> str:
        return scalar(codes.as_obj(value.get("formula")).get("value"))


KIND = Formula()
