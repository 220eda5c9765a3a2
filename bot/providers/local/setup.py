"""The embedded engine's part of the bot: [[local.templates]], filed and decided in Slack,
or from outside Slack with signed approve links."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bot.config import Config
from bot.links import LinkGrant, make_token
from bot.model import Snapshot
from bot.providers.local.engine import template_from_config
from bot.providers.local.provider import LocalFiler, LocalProvider
from bot.providers.setup import ProviderSetup, WSGIApp, link_secret, public_url
from bot.store import Store
from bot.submit import CatalogEntry
from handlers.approve_page import PREFIX, ApprovePage, approve_link

if TYPE_CHECKING:
    from bot.runtime import Runtime


def setup(config: Config, store: Store) -> ProviderSetup:
    templates = {entry["alias"]: template_from_config(entry) for entry in config.local_templates}
    url, secret = public_url(config), link_secret(config, store)
    ttl = config.server.link_ttl_hours * 3600

    def link_for(snap: Snapshot, approver: str) -> str:
        grant = LinkGrant(snap.key, approver, "approve", int(time.time()) + ttl)
        return approve_link(url, make_token(grant, secret))

    def routes(runtime: Runtime) -> dict[str, WSGIApp]:
        return {PREFIX: ApprovePage(runtime.decisions, store, secret)}

    return ProviderSetup(
        providers={"local": LocalProvider(link_for)},
        filers={"local": LocalFiler(templates, store)},
        catalog={alias: CatalogEntry(alias, "local", alias) for alias in templates},
        routes=routes,
    )
