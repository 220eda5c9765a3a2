"""The list of providers, in one place: adding a provider is its package and one line in `PACKAGES`.

Each entry is a package's `ProviderPackage`: its `setup(config, store) -> ProviderSetup`, which the
wiring merges, and its part of check-config, which `bot/config_check.py` asks; neither names a
provider. The order is the order of preference: the first provider that files is what an admin's
`track` means without a provider, the first identity declared is what `map` means alone. Where two
providers would claim the same name, the later wins.
"""

from __future__ import annotations

from bot.config import Config
from bot.providers.fxiaoke.setup import PACKAGE as FXIAOKE
from bot.providers.local.setup import PACKAGE as LOCAL
from bot.providers.setup import ProviderPackage, ProviderSetup, Record, WSGIApp
from bot.providers.wecom.setup import PACKAGE as WECOM
from bot.store import Store, StoreView

PACKAGES: tuple[ProviderPackage, ...] = (WECOM, LOCAL, FXIAOKE)


def provider_parts(config: Config, store: Store | StoreView) -> ProviderSetup:
    """Every provider's parts, merged."""
    parts = ProviderSetup()
    for package in PACKAGES:
        parts = parts.merge(package.setup(config, store))  # type: ignore[arg-type]  # a reader suffices to build
    return parts


def ack_routes(config: Config, record: Record) -> dict[str, WSGIApp]:
    """Every provider's routes that only verify, journal and acknowledge, journaling with `record`."""
    return {path: route for package in PACKAGES for path, route in package.acks(config, record).items()}
