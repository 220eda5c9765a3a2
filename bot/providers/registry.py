"""The list of providers, in one place: adding a provider is its package and one line in `SETUPS`.

Each entry is a package's `setup(config, store) -> ProviderSetup`; the wiring merges them all and never
names a provider. The order is the order of preference: the first provider that files is what an admin's
`track` means without a provider, the first identity declared is what `map` means alone. Where two
providers would claim the same name, the later wins.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Config
from bot.providers.fxiaoke.setup import setup as fxiaoke_setup
from bot.providers.local.setup import setup as local_setup
from bot.providers.setup import ProviderSetup
from bot.providers.wecom.setup import setup as wecom_setup
from bot.store import Store, StoreView

SETUPS: tuple[Callable[[Config, Store], ProviderSetup], ...] = (wecom_setup, local_setup, fxiaoke_setup)


def provider_parts(config: Config, store: Store | StoreView) -> ProviderSetup:
    """Every provider's parts, merged."""
    parts = ProviderSetup()
    for setup in SETUPS:
        parts = parts.merge(setup(config, store))  # type: ignore[arg-type]  # a reader suffices to build
    return parts
