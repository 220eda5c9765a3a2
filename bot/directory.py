"""Who is who: provider user ids <-> Slack user ids.

Order of lookup: the identity table admins keep from Slack (`/approval-admin map`,
stored, so a change holds from the next lookup on), the static `[users]` table,
then the cache in the store, then the automatic route (provider profile email ->
Slack users.lookupByEmail, asked through `SlackAccounts`, which the Slack edge provides).
Negative answers are cached too, so an unmapped user costs one lookup a day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Protocol

from bot.store import Store

log = logging.getLogger(__name__)

EmailLookup = Callable[[str], str | None]  # provider user id -> email, or None


class LookupUnavailable(Exception):
    """A lookup failed for a reason that may pass (WeCom or Slack unreachable); try again later."""


class SlackAccounts(Protocol):
    """What the directory asks Slack; the Slack edge provides it (`handlers.slack_accounts`)."""

    def email(self, slack_id: str) -> str | None:
        """A Slack user's email; None when there is no such user. Raises LookupUnavailable."""
        ...

    def by_email(self, email: str) -> str | None:
        """The Slack user with this email, or None. Raises LookupUnavailable."""
        ...

    def open_im(self, slack_id: str) -> str:
        """The DM channel with a user."""
        ...


class Directory:
    def __init__(
        self,
        store: Store,
        slack: SlackAccounts,
        static: Mapping[str, Mapping[str, str]],
        email_lookups: Mapping[str, EmailLookup] | None = None,
        by_email: Mapping[str, Callable[[str], str | None]] | None = None,
    ) -> None:
        """`static` is {identity: {slack id: provider id}}, e.g. {"wecom": config.users};
        `email_lookups` give a provider user's email, `by_email` a provider user id for an email."""
        self._store = store
        self._slack = slack
        self._to_slack = {identity: {v: k for k, v in table.items()} for identity, table in static.items()}
        self._from_slack = {identity: dict(table) for identity, table in static.items()}
        self._email_lookups = dict(email_lookups or {})
        self._by_email = dict(by_email or {})

    def slack_id(self, identity: str, user_id: str) -> str | None:
        """The Slack user for a provider user, or None when there is none.

        Raises LookupUnavailable when the answer cannot be had right now: "unknown" is not "none".
        """
        if identity == "slack":
            return user_id
        mapped = self._store.people.mapped_slack_id(identity, user_id)
        if mapped:
            return mapped
        static = self._to_slack.get(identity, {}).get(user_id)
        if static:
            return static
        cache_key = f"{identity}:{user_id}"
        cached = self._store.people.cached_user(cache_key)
        if cached is not None:
            return cached.get("slack_id")
        slack_id = self._lookup(identity, user_id)
        self._store.people.cache_user(cache_key, slack_id=slack_id)
        return slack_id

    def provider_id(self, identity: str, slack_id: str) -> str | None:
        """The provider's user id for a Slack user, or None when they have none there.

        The admins' table, then `[users]`, then their Slack email looked up in the provider (cached). Raises
        LookupUnavailable when either side cannot answer now.
        """
        if identity == "slack":
            return slack_id
        mapped = self._store.people.mapped_provider_id(identity, slack_id)
        if mapped:
            return mapped
        static = self._from_slack.get(identity, {}).get(slack_id)
        if static:
            return static
        cache_key = f"to:{identity}:{slack_id}"
        cached = self._store.people.cached_user(cache_key)
        if cached is not None:
            return cached.get("provider_id")
        by_email = self._by_email.get(identity)
        provider_id = None
        if by_email is not None:
            email = self.slack_email(slack_id)
            try:
                provider_id = by_email(email) if email else None
            except Exception as exc:
                raise LookupUnavailable(str(exc)) from exc
        self._store.people.cache_user(cache_key, provider_id=provider_id)
        return provider_id

    def forget(self, identity: str, slack_id: str, provider_id: str) -> None:
        """Drop what the cache says about either side of a mapping an admin just changed: the next
        filing and notification look them up again instead of trusting a day-old answer."""
        self._store.people.forget_cached_users([f"{identity}:{provider_id}", f"to:{identity}:{slack_id}"])

    def slack_email(self, slack_id: str) -> str | None:
        return self._slack.email(slack_id)

    def _lookup(self, identity: str, user_id: str) -> str | None:
        lookup = self._email_lookups.get(identity)
        if lookup is None:
            return None
        try:
            email = lookup(user_id)
        except Exception as exc:  # any failure of the provider's API: the answer is unknown, not "none"
            log.warning(
                "user lookup failed", extra={"identity": identity, "user": user_id, "error": str(exc)}
            )
            raise LookupUnavailable(str(exc)) from exc
        if not email:
            return None
        return self._slack.by_email(email)

    def im_channel(self, slack_id: str) -> str:
        """The DM channel with a user (cached; conversations.open is idempotent anyway)."""
        cache_key = f"im:{slack_id}"
        cached = self._store.people.cached_user(cache_key)
        if cached and cached.get("channel"):
            return cached["channel"]
        channel = self._slack.open_im(slack_id)
        self._store.people.cache_user(cache_key, channel=channel)
        return channel
