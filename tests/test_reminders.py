"""Reminders: once after the threshold, then at most every N hours, never at night."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

from bot.config import parse_quiet_hours
from bot.directory import Directory
from bot.offline.slack_standin import SlackStandIn
from bot.reminders import Reminders, ReminderSettings
from bot.service import ApprovalService, ServiceSettings
from bot.store import Store
from bot.store.tinydb import TinyDBStore
from bot.template_policy import Policies, TemplatePolicy
from handlers.render import Renderer
from handlers.slack_accounts import SlackAccounts
from tests.factories import member, node, snapshot
from tests.test_service import USERS, StubProvider

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUBMITTED = 1_700_000_000  # the factory's apply_time: 2023-11-15 06:13 in Shanghai


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Store, Reminders, Clock]]:
    tz = {"UA": {"tz": "Asia/Shanghai"}, "UB": {"tz": "America/New_York"}, "UAPPLICANT": {}, "UCAROL": {}}
    with SlackStandIn(users=tz) as slack:
        store = TinyDBStore(tmp_path / "a.json")
        client = WebClient(base_url=slack.api_url, token="xoxb-test")
        accounts = SlackAccounts(client)
        directory = Directory(store, accounts, {"wecom": USERS})
        service = ApprovalService(store, directory, {"wecom": StubProvider()}, ServiceSettings("en"))
        service.apply_snapshot(snapshot(node(member("a"), member("b"))), quiet=True)
        clock = Clock(SUBMITTED)
        settings = ReminderSettings(after_hours=24, every_hours=24, quiet_hours=(21, 8), language="en")
        yield store, Reminders(store, service, accounts.time_zone, settings, clock=clock), clock
        store.close()


def rendered(reminders: Reminders, item: dict[str, Any]) -> str:
    """An item's text as the Slack edge renders it when it delivers."""
    message = Renderer(reminders.service, "en")(item)
    assert message is not None
    return message[0]


def reminders_for(store: Store) -> list[str]:
    return sorted(i["user"] for i in store.outbox.items() if i["kind"] == "reminder")


def at_shanghai(day: int, hour: int) -> float:
    return datetime(2023, 11, day, hour, tzinfo=SHANGHAI).timestamp()


def test_nobody_is_reminded_before_the_threshold(world: tuple[Store, Reminders, Clock]) -> None:
    store, reminders, clock = world
    clock.now = SUBMITTED + 23 * 3600
    assert reminders.run_once() == 0 and reminders_for(store) == []


def test_after_the_threshold_each_approver_is_reminded_once_in_their_daytime(
    world: tuple[Store, Reminders, Clock],
) -> None:
    store, reminders, clock = world
    clock.now = at_shanghai(16, 10)  # 10:00 in Shanghai, 21:00 in New York
    assert reminders.run_once() == 1
    assert reminders_for(store) == ["UA"]  # B's night: not now
    cards = [i for i in store.outbox.items() if i["kind"] == "approver_card" and i["user"] == "UA"]
    assert cards, "the approver's card is refreshed too"
    nudge = next(i for i in store.outbox.items() if i["kind"] == "reminder")
    assert "waited 27 h" in rendered(reminders, nudge)

    assert reminders.run_once() == 0  # the same hour: not again

    clock.now = at_shanghai(16, 22)  # 09:00 in New York
    assert reminders.run_once() == 1
    assert reminders_for(store) == ["UA", "UB"]

    clock.now = at_shanghai(17, 11)  # a day after A's first nudge
    assert reminders.run_once() == 1
    assert reminders_for(store) == ["UA", "UA", "UB"]


@pytest.mark.parametrize(("text", "hours"), [("21-8", (21, 8)), ("0-6", (0, 6)), (" 22 - 7 ", (22, 7))])
def test_quiet_hours_are_read_from_config(text: str, hours: tuple[int, int]) -> None:
    assert parse_quiet_hours(text) == hours


@pytest.mark.parametrize("text", ["", "9", "25-3", "a-b", "21:00-08:00"])
def test_bad_quiet_hours_are_explained(text: str) -> None:
    with pytest.raises(ValueError, match="21-8"):
        parse_quiet_hours(text)


def test_the_daily_digest_comes_once_at_the_approvers_morning_when_switched_on(
    world: tuple[Store, Reminders, Clock],
) -> None:
    store, reminders, clock = world
    assert reminders.digest_once() == 0  # off by default
    reminders.settings = ReminderSettings(language="en", digest_hour=9)
    clock.now = at_shanghai(16, 9)  # 09:00 for A in Shanghai; 20:00 for B in New York
    assert reminders.digest_once() == 1
    [digest] = [i for i in store.outbox.items() if i["kind"] == "digest"]
    assert digest["user"] == "UA" and "1 request(s) wait for your decision" in rendered(reminders, digest)
    assert reminders.digest_once() == 0  # once a day
    clock.now = at_shanghai(16, 22)  # 09:00 in New York
    assert reminders.digest_once() == 1


def test_without_dm_cards_the_reminder_is_the_nudge_alone(world: tuple[Store, Reminders, Clock]) -> None:
    store, reminders, clock = world
    no_dms = TemplatePolicy(channel="C0FINANCE", direct_messages=False)
    reminders.service.policies = Policies({("wecom", "tmpl"): no_dms})
    clock.now = at_shanghai(16, 10)
    assert reminders.run_once() == 1 and reminders_for(store) == ["UA"]
    assert [i for i in store.outbox.items() if i["kind"] == "approver_card"] == []
