"""Escalation and expiry: the policy keys and their checks, the pure rules (how long a step has waited,
what is due), the engine's expiry, the cards, and the use case over a real store: told once per step,
durably, never in the quiet hours, overdue marked once on the cards already out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.directory import Directory
from bot.escalation import Due, Escalations, TemplatePolicies, due, step_key
from bot.i18n import LANGUAGES
from bot.model import ApprovalMode, ApprovalStatus, MemberStatus
from bot.offline.slack_standin import SlackStandIn
from bot.provider_ports import Capabilities, NotAllowed
from bot.providers.local import engine
from bot.providers.local.engine import TemplateConfigError, template_from_config
from bot.reminders import Reminders, ReminderSettings
from bot.service import ApprovalService, ServiceSettings
from bot.store.tinydb import TinyDBStore
from bot.template_policy import (
    Policies,
    PolicyConfigError,
    TemplatePolicy,
    overridden,
    parse_overrides,
    policy_from_config,
)
from handlers import cards
from handlers.render import Renderer
from handlers.slack_accounts import SlackAccounts
from tests.factories import member, node, snapshot
from tests.test_cards import assert_valid
from tests.test_service import USERS, StubProvider

T0 = 1_700_000_000  # the factory's filing time: 2023-11-15 06:13 in Shanghai
HOUR = 3600
DAY_IN_SHANGHAI = T0 + 4 * HOUR  # 10:13
NIGHT_IN_SHANGHAI = T0 + 16 * HOUR  # 22:13
ESCALATING = TemplatePolicy(escalate_after_hours=48.0, escalate_to="UCAROL", expire_after_hours=168.0)


# -- the keys ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ({"escalate_after_hours": 48}, "needs escalate_to"),
        ({"escalate_to": "U0BOSS"}, "needs escalate_after_hours"),
        ({"escalate_after_hours": 48, "escalate_to": "#managers"}, "is not looked up"),
        ({"escalate_after_hours": 48, "escalate_to": "boss"}, "Slack user id"),
        ({"expire_after_hours": 0}, "above 0"),
    ],
)
def test_a_policy_that_cannot_work_is_refused_saying_why(raw: dict[str, Any], why: str) -> None:
    with pytest.raises(PolicyConfigError, match=why):
        policy_from_config(raw, "[wecom.policies.leave]")


def test_a_person_or_a_channel_may_be_told() -> None:
    for target in ("U0BOSS", "W0BOSS", "C0MANAGERS", "G0PRIVATE"):
        policy = policy_from_config({"escalate_after_hours": 1.5, "escalate_to": target}, "here")
        assert policy == TemplatePolicy(escalate_after_hours=1.5, escalate_to=target)


def test_check_config_reports_a_local_templates_escalation_mistake() -> None:
    entry = {"alias": "trip", "process": [{"type": 1, "apv_rel": 1, "users": ["U0A"]}]}
    with pytest.raises(TemplateConfigError, match="escalate_after_hours needs escalate_to"):
        template_from_config({**entry, "escalate_after_hours": 24})


def test_admins_words_become_overrides_and_off_clears_a_key() -> None:
    words = ["escalate_after_hours=24", "escalate_to=C0TEAM", "expire_after_hours=off"]
    assert parse_overrides(words) == {
        "escalate_after_hours": 24.0,
        "escalate_to": "C0TEAM",
        "expire_after_hours": None,
    }
    for bad in (["escalate_after_hours=soon"], ["channel=C0X"], ["escalate_to"]):
        with pytest.raises(PolicyConfigError):
            parse_overrides(bad)


def test_overrides_win_over_the_config_and_an_incoherent_one_is_skipped() -> None:
    assert overridden(ESCALATING, {"escalate_after_hours": 24}, "t").escalate_after_hours == 24.0
    with pytest.raises(PolicyConfigError, match="Slack user id"):
        overridden(ESCALATING, {"escalate_to": "nobody"}, "t")
    configured = Policies({("local", "trip"): ESCALATING})
    stored = [
        {"template": f"local:{t}", "provider": "local", "template_id": t, "values": {"escalate_to": "U0Z"}}
        for t in ("trip", "x")
    ]
    policies = configured.with_overrides(stored)
    assert policies.of("local", "trip").escalate_to == "U0Z"
    assert policies.of("local", "x") == TemplatePolicy()  # escalate_to alone cannot work: the config holds


# -- the pure rules ------------------------------------------------------------------------------------


def test_a_step_waits_from_the_last_decision_before_it_not_from_a_colleagues_in_it() -> None:
    first = node(member("a", 2, T0 + 5 * HOUR))
    both = node(member("b", 2, T0 + 9 * HOUR), member("c"))
    assert snapshot(node(member("a"))).step_waiting_since() == T0
    assert snapshot(first, both).step_waiting_since() == T0 + 5 * HOUR
    transferred = node(member("b", int(MemberStatus.TRANSFERRED), T0 + 9 * HOUR), member("d"))
    assert snapshot(first, transferred).step_waiting_since() == T0 + 5 * HOUR  # the step waited all along
    assert snapshot(first, status=ApprovalStatus.APPROVED).step_waiting_since() is None


def test_a_return_starts_the_step_anew_and_so_may_climb_again() -> None:
    waiting = snapshot(node(member("a")), node(member("b")))
    returned = snapshot(
        node(member("a")), node(member("b", int(MemberStatus.RETURNED), T0 + 5 * HOUR), member("b"))
    )
    assert returned.step_waiting_since() == T0 + 5 * HOUR
    assert step_key(waiting) == f"0:{T0}" and step_key(returned) == f"0:{T0 + 5 * HOUR}"


def test_what_is_due_expiry_from_filing_escalation_from_the_step() -> None:
    snap = snapshot(node(member("a", 2, T0 + 30 * HOUR)), node(member("b")))
    assert due(snap, ESCALATING, T0 + 77 * HOUR).escalate is False  # the step began at 30 h
    assert due(snap, ESCALATING, T0 + 78 * HOUR).escalate is True
    assert due(snap, ESCALATING, T0 + 167 * HOUR).expire is False
    assert due(snap, ESCALATING, T0 + 168 * HOUR).expire is True
    assert due(replace(snap, status=ApprovalStatus.APPROVED), ESCALATING, T0 + 999 * HOUR) == Due()
    assert step_key(snap) == f"1:{T0 + 30 * HOUR}"


@pytest.mark.parametrize(
    ("seconds", "lang", "said"),
    [
        (2 * 86400 + 3 * HOUR + 59, "en", "2 d 3 h"),
        (5 * HOUR + 1800, "en", "5 h"),
        (40 * 60, "en", "40 min"),
        (-5, "en", "0 min"),
        (2 * 86400 + 3 * HOUR, "zh_CN", "2 天 3 小时"),
    ],
)
def test_how_long_a_step_waited_is_said_coarsely(seconds: int, lang: str, said: str) -> None:
    assert cards.duration_text(seconds, lang) == said


def test_the_engine_ends_an_expired_request_revoked_by_the_system_once() -> None:
    snap = replace(snapshot(node(member("U0A")), provider="local"), current_step=0)
    ended = engine.expire(snap, T0 + 200 * HOUR)
    assert ended.status is ApprovalStatus.REVOKED and ended.expired_at == T0 + 200 * HOUR
    assert ended.progress_key() > snap.progress_key()  # the store takes it as newer
    with pytest.raises(NotAllowed, match="final"):
        engine.expire(ended, T0 + 201 * HOUR)


# -- the cards -----------------------------------------------------------------------------------------


def names(user: str) -> str | None:
    return {"a": "UA", "b": "UB", "applicant": "UAPPLICANT"}.get(user)


def venue(in_slack: bool) -> cards.Venue:
    return cards.Venue("Bot" if in_slack else "WeCom", in_slack)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_cards_show_the_wait_the_overdue_mark_and_the_bots_own_timeline_entries(lang: str) -> None:
    snap = snapshot(node(member("a"), member("b"), mode=ApprovalMode.ANY))
    watch = cards.Watch(
        now=T0 + 51 * HOUR,
        overdue_at=T0 + 50 * HOUR,
        overdue_hours=48.0,
        escalations=((T0 + 49 * HOUR, "C0MGR"),),
    )
    applicant = cards.applicant_card(snap, names, lang, None, venue(False), watch=watch)
    approver = cards.approver_card(snap, "a", names, lang, None, venue(False), watch=watch)
    cc = cards.cc_card(snap, names, lang, None, watch=watch)
    for message in (applicant, approver, cc):
        assert_valid(message)
        assert "48" in str(message.blocks)  # each says it is overdue
    shown = str(applicant.blocks)
    assert cards.duration_text(51 * HOUR, lang) in shown and "<#C0MGR>" in shown and "48" in shown
    assert cards.duration_text(51 * HOUR, lang) in str(approver.blocks)
    plain = cards.applicant_card(snap, names, lang, None, venue(False))
    assert cards.duration_text(51 * HOUR, lang) not in str(plain.blocks)  # no time known: no wait shown


def test_an_expired_request_says_expired_not_revoked() -> None:
    snap = replace(snapshot(node(member("a")), provider="local"), current_step=0)
    ended = engine.expire(snap, T0 + 200 * HOUR)
    card = cards.applicant_card(ended, names, "en", None, venue(True))
    assert_valid(card)
    assert "Expired" in str(card.blocks) and "revoked by the system (reason: expired)" in str(card.blocks)
    assert "expired, revoked by the system" in cards.audit_line(ended, names, "en")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_escalation_offers_decisions_only_to_one_whose_turn_it_is(lang: str) -> None:
    snap = snapshot(node(member("a"), member("b")))

    def message(to: str, in_slack: bool) -> cards.Message:
        link = lambda approver: f"https://bot.example/approve/{approver}"  # noqa: E731
        return cards.escalation_message(snap, to, T0, names, lang, venue(in_slack), link, now=T0 + 50 * HOUR)

    for to in ("UA", "UBOSS", "C0MGR"):
        for in_slack in (True, False):
            assert_valid(message(to, in_slack))
    mine = str(message("UA", True).blocks)
    assert cards.ACTION_APPROVE in mine and "approve/a" in mine
    assert cards.ACTION_APPROVE not in str(message("UBOSS", True).blocks)
    assert "http" not in str(message("C0MGR", False).blocks)  # no link to decide for the channel
    assert cards.duration_text(50 * HOUR, lang) in message("C0MGR", True).text


# -- the use case over a store --------------------------------------------------------------------------


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class World:
    def __init__(self, tmp_path: Path, slack: SlackStandIn, policy: TemplatePolicy, *, decides: bool) -> None:
        self.store = TinyDBStore(tmp_path / "a.json")
        accounts = SlackAccounts(WebClient(base_url=slack.api_url, token="xoxb-test"))
        directory = Directory(self.store, accounts, {"wecom": USERS})
        provider = StubProvider()
        provider.capabilities = Capabilities(files=True, decides_in_slack=decides)
        settings = ServiceSettings("en", audit_channel="C0AUDIT")
        self.service = ApprovalService(self.store, directory, {"wecom": provider}, settings)
        self.clock = Clock(DAY_IN_SHANGHAI)
        quiet = Reminders(self.store, self.service, accounts.time_zone, ReminderSettings(), clock=self.clock)
        self.policies = TemplatePolicies(self.store, Policies({("wecom", "tmpl"): policy}), clock=self.clock)
        self.expired: list[str] = []
        expirers = {"wecom": self.expire} if decides else {}
        self.escalations = Escalations(
            self.store, self.service, self.policies, expirers, quiet.is_quiet, clock=self.clock
        )

    def expire(self, key: str) -> Any:
        self.expired.append(key)

    def kinds(self) -> list[str]:
        return [item["kind"] for item in self.store.outbox.items()]

    def drain(self) -> list[dict[str, Any]]:
        items = self.store.outbox.items()
        with self.store.transaction():
            for item in items:
                self.store.outbox.remove(item["id"])
        return items


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    zones = {"UCAROL": {"tz": "Asia/Shanghai"}, "UA": {}, "UB": {}, "UAPPLICANT": {}}
    with SlackStandIn(users=zones) as standin:
        yield standin


def filed(world: World) -> None:
    world.service.apply_snapshot(snapshot(node(member("a"), member("b"))))
    world.drain()


def test_escalation_is_told_once_per_step_durably_and_waits_out_the_night(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    world = World(tmp_path, slack, replace(ESCALATING, expire_after_hours=None), decides=False)
    filed(world)
    world.clock.now = T0 + 47 * HOUR
    assert world.escalations.run_once() == 0
    world.clock.now = NIGHT_IN_SHANGHAI + 48 * HOUR  # due, but Carol's night
    assert world.escalations.run_once() == 0 and world.kinds() == []
    world.clock.now = DAY_IN_SHANGHAI + 3 * 24 * HOUR  # the morning after
    assert world.escalations.run_once() == 1
    items = world.drain()
    [told] = [i for i in items if i["kind"] == "escalation"]
    assert told["user"] == "UCAROL" and told["notice"] == {"to": "UCAROL", "since": T0}
    assert [i["notice"]["event"] for i in items if i["kind"] == "audit"] == ["escalated"]
    text = Renderer(world.service, "en", clock=world.clock)(told)
    assert text is not None and "has waited on" in text[0]

    world.clock.now += HOUR
    assert world.escalations.run_once() == 0
    world.store.close()
    reopened = World(tmp_path, slack, replace(ESCALATING, expire_after_hours=None), decides=False)
    reopened.clock.now = world.clock.now + HOUR
    assert reopened.escalations.run_once() == 0  # recorded with the approval: a restart tells nobody again
    reopened.store.close()


def test_a_channel_is_told_in_the_bots_default_zone(tmp_path: Path, slack: SlackStandIn) -> None:
    world = World(
        tmp_path, slack, replace(ESCALATING, escalate_to="C0MGR", expire_after_hours=None), decides=False
    )
    filed(world)
    world.clock.now = NIGHT_IN_SHANGHAI + 48 * HOUR
    assert world.escalations.run_once() == 0
    world.clock.now = DAY_IN_SHANGHAI + 3 * 24 * HOUR
    assert world.escalations.run_once() == 1
    [told] = [i for i in world.drain() if i["kind"] == "escalation"]
    assert told["channel"] == "C0MGR" and "user" not in told
    world.store.close()


def test_overdue_is_marked_once_and_refreshes_only_the_cards_already_out(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    world = World(
        tmp_path, slack, replace(ESCALATING, escalate_after_hours=None, escalate_to=""), decides=False
    )
    filed(world)
    key = "wecom:202611210001"
    with world.store.transaction():
        world.store.cards.set(key, f"{key}|applicant_card:applicant", "D1", "1.0")
        world.store.cards.set(key, f"{key}|approver_card:a", "D2", "1.0")
    world.clock.now = T0 + 168 * HOUR
    assert world.escalations.run_once() == 1
    items = world.drain()
    assert sorted(i["card_key"] for i in items if i["kind"].endswith("_card")) == [
        f"{key}|applicant_card:applicant",
        f"{key}|approver_card:a",
    ]
    assert world.store.approvals.get(key)["overdue"] == {"at": T0 + 168 * HOUR, "after_hours": 168.0}
    card = Renderer(world.service, "en", clock=world.clock)(
        next(i for i in items if i["kind"] == "approver_card")
    )
    assert card is not None and "Overdue" in str(card[1])
    world.clock.now += 24 * HOUR
    assert world.escalations.run_once() == 0 and world.kinds() == []
    world.store.close()


def test_a_provider_whose_approvals_the_bot_decides_expires_them_instead(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    world = World(tmp_path, slack, ESCALATING, decides=True)
    filed(world)
    world.clock.now = T0 + 170 * HOUR
    assert world.escalations.run_once() == 1
    assert world.expired == ["wecom:202611210001"]
    assert "overdue" not in world.store.approvals.get("wecom:202611210001")
    assert "escalation" not in world.kinds()  # ending it is the answer; nobody is told to push it
    world.store.close()


def test_an_admins_override_is_stored_and_refused_when_it_cannot_work(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    world = World(tmp_path, slack, ESCALATING, decides=False)
    world.policies.override("UADMIN", "wecom", "tmpl", {"escalate_after_hours": 12})
    assert world.policies.of("wecom", "tmpl").escalate_after_hours == 12.0
    with pytest.raises(PolicyConfigError):
        world.policies.override("UADMIN", "wecom", "tmpl", {"escalate_to": "#managers"})
    [doc] = world.store.policy_overrides.all()
    assert doc["values"] == {"escalate_after_hours": 12.0} and doc["by"] == "UADMIN"
    world.policies.override("UADMIN", "wecom", "tmpl", {"escalate_after_hours": None})
    assert world.policies.of("wecom", "tmpl") == ESCALATING  # back to the config's
    world.store.close()


def test_check_config_names_the_policy_of_wecom_and_of_a_local_template() -> None:
    from tests.test_config import PURCHASE, configured, errors_of

    wecom = {
        "corp_id": "ww1",
        "secret": "s",
        "templates": {"leave": "T1"},
        "policies": {"leave": {"escalate_after_hours": 48, "escalate_to": "#managers"}},
    }
    [problem] = [p for p in errors_of(configured(wecom=wecom)) if p.key == "wecom.policies"]
    assert "is not looked up" in problem.message
    local = {"templates": [{**PURCHASE, "escalate_to": "U0BOSS"}]}
    assert any("needs escalate_after_hours" in p.message for p in errors_of(configured(local=local)))


def test_the_escalation_job_runs_in_the_leader_only_and_is_never_skipped_for_being_late() -> None:
    from types import SimpleNamespace

    from bot.scheduling import ESCALATE_JOB, MISFIRE_GRACE, Schedule

    leading = {"now": False}
    runs: list[int] = []
    runtime = SimpleNamespace(
        config=SimpleNamespace(schedule=SimpleNamespace(sweep_minutes=5)),
        leadership=SimpleNamespace(check=lambda: leading["now"]),
        escalations=SimpleNamespace(run_once=lambda: runs.append(1) or 1),
        deliverer=SimpleNamespace(wake=lambda: runs.append(2)),
        parts=SimpleNamespace(close=lambda: None),
    )
    schedule = Schedule(runtime)  # type: ignore[arg-type]
    start = schedule.scheduler.start
    schedule.scheduler.start = lambda: start(paused=True)  # type: ignore[method-assign]  # no timer runs
    schedule.start()
    try:
        job = schedule.scheduler.get_job(ESCALATE_JOB)
        assert job.next_run_time is None and job.coalesce and job.misfire_grace_time == MISFIRE_GRACE
        leading["now"] = True
        schedule.lead()
        assert schedule.scheduler.get_job(ESCALATE_JOB).next_run_time is not None
        leading["now"] = False
        schedule.lead()
        assert schedule.scheduler.get_job(ESCALATE_JOB).next_run_time is None
        assert schedule.escalate_now() == 1 and runs == [1, 2]  # what it did is delivered at once
    finally:
        schedule.scheduler.shutdown(wait=False)
