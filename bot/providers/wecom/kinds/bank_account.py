"""BankAccount: shown from detail responses only (Slack has no input for it)."""

from __future__ import annotations

from bot.providers.wecom import codes
from bot.providers.wecom.kinds.base import Json, Render, WeComKind, any_text, join, scalar


class BankAccount(WeComKind):
    name = "BankAccount"

    def show(self, value: Json, render: Render) -> str:
        account = codes.as_obj(value.get("bank_account"))
        return join(
            scalar(account.get("account_name")),
            scalar(account.get("account_number")),
            any_text(account.get("bank"), render),
        )


KIND = BankAccount()
