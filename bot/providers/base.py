"""The one seam every approval system sits behind."""

from __future__ import annotations

from typing import Protocol

from bot.model import Snapshot


class ProviderError(Exception):
    """A provider could not answer; the message is fit to show a user."""


class Provider(Protocol):
    name: str  # the Snapshot.provider values it owns, e.g. "wecom"
    identity: str  # whose user ids its snapshots carry: "wecom", "fxiaoke" or "slack"

    def fetch_details(self, snap: Snapshot) -> Snapshot:
        """The snapshot completed with form fields and summary; raises ProviderError."""

    def approval_link(self, snap: Snapshot, approver: str | None = None) -> str | None:
        """Where to act on this approval, if anywhere; `approver` (a provider user id) when the
        link is for one approver's card, so it can be made for them alone."""

    def email_of(self, user_id: str) -> str | None:
        """The user's email, for mapping to Slack; None when unknown."""
