"""PhoneNumber: "+CC number"; a number written without a country code is taken as mainland China's."""

from __future__ import annotations

import re
from typing import Any

from bot.forms import Control
from bot.providers.wecom.kinds.base import Fill, Lookups, Piece, SummaryLookups, WeComKind, string

_PHONE = re.compile(r"\+(\d{1,3})[\s-]+(\S.*)")  # "+62 87827717730": E.164 country codes have 1-3 digits
_HOME_AREA = "+86"


class PhoneNumber(WeComKind):
    name = "PhoneNumber"

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        """Not in the spec's appendix, nor in SKIT or WxJava's request models. The spec says apply_data has
        the shape of getapprovaldetail's, and WxJava PR #3973 (binarywang/WxJava, merged) records what that
        returns for this control: {"phonenumber": {"area": "+62", "number": "87827717730"}}.
        """
        text = string(control, answer).strip()
        match = _PHONE.fullmatch(text)
        if match:
            area, number = f"+{match[1]}", match[2]
        elif text.startswith("+"):
            raise ValueError(f"{control.title}: put a space after the country code, e.g. +86 13800000000")
        else:
            area, number = _HOME_AREA, text
        return {"phonenumber": {"area": area, "number": number}}

    def summary(self, control: Control, answer: Any, lookups: SummaryLookups) -> list[Piece]:
        return [answer]


KIND = PhoneNumber()
