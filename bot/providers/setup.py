"""What one approval system contributes to the bot, gathered in one place.

Each provider package offers a `ProviderPackage`: its `setup(config, store) -> ProviderSetup` and its
part of check-config. `bot.providers.registry` lists them; the runtime merges their setups and
`bot/config_check.py` asks their checks. Adding a provider is one new package and one line there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.auto_approve import GroupMembers
from bot.config import Config
from bot.config_rules import Reach, Say
from bot.model import Snapshot
from bot.provider_ports import CatalogEntry, Decider, Filer, Provider, Sweepable, TemplateManager
from bot.store import Store
from bot.template_policy import TemplatePolicy

WSGIApp = Callable[[dict[str, Any], Callable], Any]
# journals one received event durably and returns its sequence number: (source, payload) -> seq
Record = Callable[[str, dict[str, Any]], int]


class Inbox(Protocol):
    def record(self, source: str, payload: dict[str, Any]) -> int:
        """Durably journals one received event; returns its sequence number once it is on disk."""


class RouteContext(Protocol):
    """What a provider's HTTP routes use of the running bot. The runtime is one; naming only this keeps
    every provider below the runtime that gathers them (no provider imports bot/runtime.py)."""

    @property
    def decisions(self) -> Decider:
        """Decisions on the approvals decided in Slack: the approve page acts through them."""

    @property
    def processor(self) -> Inbox:
        """The inbox a callback is journaled to before it is acknowledged."""

    def display_name(self, slack_id: str) -> str:
        """The name Slack shows for a user (their id when Slack cannot say): pages show people by name."""


@dataclass
class ProviderSetup:
    providers: dict[str, Provider] = field(default_factory=dict)  # Snapshot.provider -> Provider
    filers: dict[str, Filer] = field(default_factory=dict)  # Snapshot.provider -> Filer
    catalog: dict[str, CatalogEntry] = field(default_factory=dict)  # alias -> what /approval new offers
    static_users: dict[str, Mapping[str, str]] = field(default_factory=dict)  # identity -> {slack: theirs}
    emails: dict[str, Callable[[str], str | None]] = field(default_factory=dict)  # identity: user -> email
    by_email: dict[str, Callable[[str], str | None]] = field(default_factory=dict)  # identity: email -> user
    decoders: dict[str, Callable[[dict[str, Any]], Snapshot | None]] = field(default_factory=dict)
    sweepers: dict[str, Sweepable] = field(default_factory=dict)  # Snapshot.provider -> its sweep
    template_managers: dict[str, TemplateManager] = field(default_factory=dict)  # provider -> templates
    # provider -> templates it sweeps that nobody files from Slack: listed with the others
    sweep_only_forms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # (provider, template id) -> what the team decided beyond the form (escalation, channel, rules)
    policies: dict[tuple[str, str], TemplatePolicy] = field(default_factory=dict)
    routes: Callable[[RouteContext], dict[str, WSGIApp]] = lambda running: {}  # path (or prefix ending in /)
    health: Callable[[], dict[str, Any]] = dict
    close: Callable[[], None] = lambda: None
    # a message's link placeholders -> live links, when it is sent (the store keeps no live link)
    mint_links: Callable[[str], str] = lambda text: text
    # handed the Slack edge's user groups once the bot is built (auto_approve rules judge the applicant)
    use_groups: Callable[[GroupMembers], None] = lambda groups: None

    def merge(self, other: ProviderSetup) -> ProviderSetup:
        """Both providers' parts; their routes, health, close and link minting run one after the other."""
        mine, theirs = self.routes, other.routes
        mine_health, their_health = self.health, other.health
        mine_close, their_close = self.close, other.close
        mine_mint, their_mint = self.mint_links, other.mint_links
        mine_groups, their_groups = self.use_groups, other.use_groups

        def close() -> None:
            mine_close()
            their_close()

        def use_groups(groups: GroupMembers) -> None:
            mine_groups(groups)
            their_groups(groups)

        return ProviderSetup(
            providers={**self.providers, **other.providers},
            filers={**self.filers, **other.filers},
            catalog={**self.catalog, **other.catalog},
            static_users={**self.static_users, **other.static_users},
            emails={**self.emails, **other.emails},
            by_email={**self.by_email, **other.by_email},
            decoders={**self.decoders, **other.decoders},
            sweepers={**self.sweepers, **other.sweepers},
            template_managers={**self.template_managers, **other.template_managers},
            sweep_only_forms={**self.sweep_only_forms, **other.sweep_only_forms},
            policies={**self.policies, **other.policies},
            routes=lambda running: {**mine(running), **theirs(running)},
            health=lambda: {**mine_health(), **their_health()},
            close=close,
            mint_links=lambda text: their_mint(mine_mint(text)),
            use_groups=use_groups,
        )


@dataclass(frozen=True)
class ProviderPackage:
    """One provider as the registry lists it: how it joins the running bot, and how check-config judges
    its part of the configuration (so nothing outside the provider names its keys)."""

    setup: Callable[[Config, Store], ProviderSetup]
    check: Callable[[Config, Say, Say], None]  # (config, error, warning): says its problems
    reach: Callable[[Config], Reach]  # whether it files or is swept, for the "nothing to do" warning
    # the routes that only verify, journal and acknowledge (its callbacks): the acknowledging front
    # (bot/front.py) serves them in a process of its own, with no store but the journal
    acks: Callable[[Config, Record], dict[str, WSGIApp]] = lambda config, record: {}


def public_url(config: Config) -> str:
    """The bot's address as browsers see it: links it builds start with it."""
    return config.server.public_url or f"http://{config.server.host}:{config.server.port}"


def link_secret(config: Config, store: Store) -> bytes:
    """Signs the links the bot serves: configured, or made once and kept in the store."""
    return config.server.link_secret.encode() if config.server.link_secret else store.meta.secret("links")
