"""The Slack side of "who is who": what `bot.directory.Directory`, reminders and filing ask of Slack's
Web API about people (profile email, lookup by email, DM channel, display name, time zone)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.away import AccountKind
from bot.directory import LookupUnavailable

log = logging.getLogger(__name__)


class SlackAccounts:
    def __init__(self, slack: WebClient) -> None:
        self.slack = slack

    def email(self, slack_id: str) -> str | None:
        try:
            profile = self.slack.users_info(user=slack_id)["user"].get("profile", {})
        except SlackApiError as exc:
            if exc.response.get("error") == "user_not_found":
                return None
            raise LookupUnavailable(str(exc.response.get("error"))) from exc
        return profile.get("email") or None

    def by_email(self, email: str) -> str | None:
        try:
            return self.slack.users_lookupByEmail(email=email)["user"]["id"]
        except SlackApiError as exc:
            if exc.response.get("error") == "users_not_found":
                return None
            log.warning("Slack lookupByEmail failed", extra={"error": exc.response.get("error")})
            raise LookupUnavailable(str(exc)) from exc

    def open_im(self, slack_id: str) -> str:
        return self.slack.conversations_open(users=slack_id)["channel"]["id"]

    def display_name(self, slack_id: str) -> str:
        """The name Slack shows for a user (their id when Slack cannot say)."""
        try:
            user = self.slack.users_info(user=slack_id)["user"]
        except SlackApiError:
            return slack_id
        profile = user.get("profile") or {}
        return profile.get("real_name") or user.get("real_name") or user.get("name") or slack_id

    def kind(self, slack_id: str) -> AccountKind:
        """Whether a Slack id is an active person, a bot (or Slackbot), or nobody here (unknown or
        deactivated); raises `LookupUnavailable` when Slack cannot say now."""
        try:
            user = self.slack.users_info(user=slack_id)["user"]
        except SlackApiError as exc:
            if exc.response.get("error") == "user_not_found":
                return "unknown"
            raise LookupUnavailable(str(exc.response.get("error"))) from exc
        if user.get("deleted"):
            return "unknown"
        return "bot" if user.get("is_bot") or slack_id == "USLACKBOT" else "person"

    def time_zone(self, slack_id: str) -> str | None:
        """The user's Slack time zone name (users.info), or None when Slack cannot say."""
        try:
            return self.slack.users_info(user=slack_id)["user"].get("tz") or None
        except SlackApiError:
            return None
