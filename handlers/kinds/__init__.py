"""The Slack elements of the control kinds: one module each, registered here under the kind's name.

The kind itself (what is read back, checked, and said on a card) is its module in `bot.kinds`; adding a
kind adds a module there and one here, each with its line in its registry.
"""

from __future__ import annotations

from handlers.kinds import (
    attendance,
    contact,
    date,
    date_range,
    file,
    money,
    number,
    phone_number,
    related_approval,
    selector,
    table,
    text,
    textarea,
    tips,
    vacation,
)
from handlers.kinds.base import Element

ELEMENTS: dict[str, Element] = {
    "Text": text.blocks,
    "Textarea": textarea.blocks,
    "PhoneNumber": phone_number.blocks,
    "RelatedApproval": related_approval.blocks,
    "Number": number.blocks,
    "Money": money.blocks,
    "Date": date.blocks,
    "Selector": selector.blocks,
    "Contact": contact.blocks,
    "File": file.blocks,
    "Tips": tips.blocks,
    "Table": table.blocks,
    "Vacation": vacation.blocks,
    "Attendance": attendance.blocks,
    "DateRange": date_range.blocks,
}
