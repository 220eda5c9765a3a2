"""The control kinds on WeCom: one module each, registered here under the ``control`` name WeCom uses.

What a kind is to the bot (read back from Slack, checked, shown) is its module in `bot.kinds`; what it is
to WeCom (template config, apply_data, summary line, detail display) is its module here. A kind WeCom
names but this registry does not know gets `WeComKind`'s defaults: no config, not fillable, shown as
whatever text its value holds.
"""

from __future__ import annotations

from bot.providers.wecom.kinds import (
    attendance,
    bank_account,
    contact,
    date,
    date_range,
    file,
    formula,
    location,
    money,
    number,
    phone_number,
    punch_correction,
    related_approval,
    selector,
    table,
    text,
    textarea,
    tips,
    vacation,
)
from bot.providers.wecom.kinds.base import WeComKind

WECOM_KINDS: dict[str, WeComKind] = {
    kind.name: kind
    for kind in (
        text.KIND,
        textarea.KIND,
        number.KIND,
        money.KIND,
        phone_number.KIND,
        related_approval.KIND,
        date.KIND,
        selector.KIND,
        contact.KIND,
        file.KIND,
        tips.KIND,
        table.KIND,
        vacation.KIND,
        attendance.KIND,
        date_range.KIND,
        punch_correction.KIND,
        location.KIND,
        formula.KIND,
        bank_account.KIND,
    )
}
_UNKNOWN = WeComKind()


def wecom_kind(name: str) -> WeComKind:
    """The kind WeCom calls `name`; the defaults for a kind this bot does not know."""
    return WECOM_KINDS.get(name, _UNKNOWN)
