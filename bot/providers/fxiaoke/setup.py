"""FXiaoKe's part of the bot: approvals swept on a schedule and told like WeCom's."""

from __future__ import annotations

from bot.config import Config
from bot.providers.fxiaoke import config_check
from bot.providers.fxiaoke.client import FXiaoKeClient
from bot.providers.fxiaoke.provider import FXiaoKeProvider, FXiaoKeSweeper
from bot.providers.setup import ProviderPackage, ProviderSetup
from bot.store import Store


def setup(config: Config, store: Store) -> ProviderSetup:
    fx = config.fxiaoke
    if not fx.enabled:
        return ProviderSetup()
    client = FXiaoKeClient(fx.app_id, fx.app_secret, fx.permanent_code, api_base=fx.api_base)
    return ProviderSetup(
        providers={"fxiaoke": FXiaoKeProvider(client, fx.approval_url_template)},
        static_users={"fxiaoke": fx.users},
        sweepers={"fxiaoke": FXiaoKeSweeper(client, list(fx.forms))},
        sweep_only_forms={"fxiaoke": tuple(fx.forms)},
        policies=config_check.template_policies(config),
        health=lambda: {"fxiaoke": {"token": client.token_state()}},
        close=client.close,
    )


# what the registry lists: this setup, and this provider's part of check-config
PACKAGE = ProviderPackage(setup, config_check.config_problems, config_check.reach)
