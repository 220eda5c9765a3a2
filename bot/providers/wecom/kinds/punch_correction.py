"""PunchCorrection (补卡): shown from detail responses only."""

from __future__ import annotations

from bot.providers.wecom import codes
from bot.providers.wecom.kinds.base import Json, Render, WeComKind, format_time, join, scalar, timestamp


class PunchCorrection(WeComKind):
    name = "PunchCorrection"

    def show(self, value: Json, render: Render) -> str:
        punch = codes.as_obj(value.get("punch_correction"))
        moment = timestamp(punch.get("time"))
        return join(
            scalar(punch.get("state")), "" if moment is None else format_time(moment, "%Y-%m-%d %H:%M")
        )


KIND = PunchCorrection()
