"""What the Slack edge needs of the bot: its settings, state and use cases — not the wiring that
builds them. `bot.runtime.Runtime` provides it; the listeners depend on this, so the edge never
imports the wiring above it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.admin import Admin
    from bot.away import Away
    from bot.config import Config
    from bot.directory import Directory
    from bot.provider_ports import Decider
    from bot.providers.setup import ProviderSetup
    from bot.service import ApprovalService
    from bot.store import Store
    from bot.submit import Submissions
    from bot.threads import ThreadReplies
    from handlers.delivery import Deliverer
    from handlers.render import Renderer


class BotContext(Protocol):
    config: Config
    store: Store
    directory: Directory
    service: ApprovalService
    submissions: Submissions
    decisions: Decider  # of the providers that decide in Slack (the embedded engine)
    admin: Admin
    away: Away
    deliverer: Deliverer
    parts: ProviderSetup  # the providers' declared capabilities (e.g. template managers)
    render: Renderer  # queued notices -> Block Kit; its clock is what cards take as now
    threads: ThreadReplies  # replies under cards, taken as comments

    def live(self, message: dict[str, Any]) -> dict[str, Any]:
        """A message or view sent at once, never stored: its link placeholders made live links."""

    def provider_name(self, provider: str, lang: str) -> str:
        """What people call the system `provider` (a Snapshot.provider) runs, in `lang`: its display name."""
