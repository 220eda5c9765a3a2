"""The Slack side of `auto_approve`'s `applicant_in`: who is in a user group (usergroups.users.list),
kept for a few minutes so that a burst of filings asks Slack once per group."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

CACHE_SECONDS = 300.0


class SlackUserGroups:
    """`GroupMembers` over Slack's Web API, cached per group for `ttl` seconds."""

    def __init__(
        self, slack: WebClient, *, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.slack = slack
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._known: dict[str, tuple[float, frozenset[str]]] = {}

    def members(self, group_id: str) -> frozenset[str]:
        """The group's user ids; raises LookupError when Slack cannot say (the caller does not guess)."""
        now = self.clock()
        with self._lock:
            known = self._known.get(group_id)
        if known is not None and now - known[0] < self.ttl:
            return known[1]
        try:
            users = self.slack.usergroups_users_list(usergroup=group_id)["users"]
        except SlackApiError as exc:
            raise LookupError(str(exc.response.get("error"))) from exc
        members = frozenset(u for u in users if isinstance(u, str))
        with self._lock:
            self._known[group_id] = (now, members)
        return members
