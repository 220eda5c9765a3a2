"""The embedded engine's part of the bot: [[local.templates]], filed and decided in Slack,
or from outside Slack with signed approve links."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from bot.config import Config
from bot.links import LinkGrant, LinkPlaceholders, make_token
from bot.model import Snapshot
from bot.provider_ports import CatalogEntry
from bot.providers.local import config_check
from bot.providers.local.approve_page import PREFIX, ApprovePage, approve_link
from bot.providers.local.engine import template_from_config
from bot.providers.local.provider import LocalFiler, LocalProvider
from bot.providers.setup import ProviderPackage, ProviderSetup, RouteContext, WSGIApp, link_secret, public_url
from bot.store import Store


class ApproveLinks:
    """Approve links minted at send time (see LinkPlaceholders): a card's placeholder names the
    approval and approver; the live token's lifetime starts when the message goes out."""

    def __init__(
        self, public_url: str, secret: bytes, ttl: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.prefix = approve_link(public_url, "")
        self.secret = secret
        self.ttl = ttl
        self.clock = clock
        self._placeholders = LinkPlaceholders(self.prefix, secret, "approve-link-placeholder", 3, self._live)
        self.mint = self._placeholders.mint

    def placeholder(self, snap: Snapshot, approver: str) -> str:
        return self._placeholders.make(snap.key, approver, "approve")

    def _live(self, fields: Sequence[str]) -> str:
        approval, approver, decision = fields
        grant = LinkGrant(approval, approver, decision, int(self.clock()) + self.ttl)
        return self.prefix + make_token(grant, self.secret)


def setup(config: Config, store: Store) -> ProviderSetup:
    templates = {entry["alias"]: template_from_config(entry) for entry in config.local_templates}
    secret = link_secret(config, store)
    links = ApproveLinks(public_url(config), secret, config.server.link_ttl_hours * 3600)

    def routes(running: RouteContext) -> dict[str, WSGIApp]:
        page = ApprovePage(
            running.decisions,
            store,
            secret,
            public_url=config.server.public_url,
            display_name=running.display_name,
            templates={entry.template.id: entry.template for entry in templates.values()},
            lang=config.slack.language,
        )
        return {PREFIX: page}

    filer = LocalFiler(templates, store, allow_self_approval=config.allow_self_approval)
    return ProviderSetup(
        providers={"local": LocalProvider(links.placeholder)},
        filers={"local": filer},
        catalog={alias: CatalogEntry(alias, "local", alias) for alias in templates},
        policies={("local", alias): entry.policy for alias, entry in templates.items()},
        routes=routes,
        mint_links=links.mint,
        use_groups=filer.use_groups,
    )


# what the registry lists: this setup, and this provider's part of check-config
PACKAGE = ProviderPackage(setup, config_check.config_problems, config_check.reach)
