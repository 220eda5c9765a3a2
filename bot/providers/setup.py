"""What one approval system contributes to the bot, gathered in one place.

Each provider package has a `setup(config, store) -> ProviderSetup`; the runtime
merges them. Adding a provider is one new package and one line in the runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.model import Snapshot
from bot.providers.base import Provider

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from bot.submit import CatalogEntry, Filer

WSGIApp = Callable[[dict[str, Any], Callable], Any]


@dataclass
class ProviderSetup:
    providers: dict[str, Provider] = field(default_factory=dict)  # Snapshot.provider -> Provider
    filers: dict[str, Filer] = field(default_factory=dict)  # Snapshot.provider -> Filer
    catalog: dict[str, CatalogEntry] = field(default_factory=dict)  # alias -> what /approval new offers
    static_users: dict[str, Mapping[str, str]] = field(default_factory=dict)  # identity -> {slack: theirs}
    emails: dict[str, Callable[[str], str | None]] = field(default_factory=dict)  # identity: user -> email
    by_email: dict[str, Callable[[str], str | None]] = field(default_factory=dict)  # identity: email -> user
    decoders: dict[str, Callable[[dict[str, Any]], Snapshot | None]] = field(default_factory=dict)
    routes: Callable[[Runtime], dict[str, WSGIApp]] = lambda runtime: {}  # path (or prefix ending in /)
    health: Callable[[], dict[str, Any]] = dict
    close: Callable[[], None] = lambda: None
