"""Away and delegation, unit by unit: reading `<until>`, the rules of setting and ending an absence on an
injected clock, the engine's handover, the service's FYI and audit lines, and what Slack is sent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.views import View

from bot.away import Absence, AccountKind, Away, AwayRefused, AwaySettings, parse_until
from bot.directory import Directory, LookupUnavailable
from bot.forms import FilledForm
from bot.model import MemberStatus, Snapshot
from bot.providers.local.decide import Decisions
from bot.providers.local.engine import approve, delegate_current, return_to, submit, template_from_config
from bot.providers.local.provider import LocalProvider
from bot.service import ApprovalService, ServiceSettings
from bot.store import Store
from bot.store.tinydb import TinyDBStore
from handlers import away as away_edge
from handlers.cards import Venue, applicant_card, approver_card, away_fyi
from handlers.render import Renderer
from tests.factories import member, node, snapshot
from tests.test_cards import assert_valid
from tests.test_service import StubProvider, make_service

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = int(datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI).timestamp())
APPLICANT, A, B, DELEGATE, BOT = "UAPPLICANT", "UAAA1", "UBBB2", "UDELEGATE", "UBOT"


# -- reading <until> -------------------------------------------------------------------------------------


def test_a_date_means_through_the_end_of_that_day_in_the_persons_time_zone() -> None:
    assert parse_until("2026-12-05", NOW, SHANGHAI) == int(datetime(2026, 12, 6, tzinfo=SHANGHAI).timestamp())
    assert parse_until("2026-12-02", NOW, SHANGHAI) == int(datetime(2026, 12, 3, tzinfo=SHANGHAI).timestamp())
    utc = parse_until("2026-12-05", NOW, timezone.utc)
    assert utc - parse_until("2026-12-05", NOW, SHANGHAI) == 8 * 3600


def test_a_span_counts_from_now() -> None:
    assert parse_until("3d", NOW, SHANGHAI) == NOW + 3 * 86400
    assert parse_until("12H", NOW, SHANGHAI) == NOW + 12 * 3600
    assert parse_until(" 2w ", NOW, SHANGHAI) == NOW + 14 * 86400


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2026-12-01", "past"),
        ("0d", "past"),
        ("2026-02-30", "bad_until"),
        ("tomorrow", "bad_until"),
        ("", "bad_until"),
        ("-3d", "bad_until"),
        ("2028-01-01", "too_far"),
        ("400d", "too_far"),
    ],
)
def test_the_past_nonsense_and_more_than_a_year_are_refused(text: str, why: str) -> None:
    with pytest.raises(AwayRefused) as refused:
        parse_until(text, NOW, SHANGHAI)
    assert refused.value.key == why


# -- setting and ending --------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = TinyDBStore(tmp_path / "approvals.json")
    yield opened
    opened.close()


KINDS: dict[str, AccountKind] = {
    APPLICANT: "person",
    A: "person",
    B: "person",
    DELEGATE: "person",
    BOT: "bot",
}


def kind_of(user: str) -> AccountKind:
    if user == "UDOWN":
        raise LookupUnavailable("ratelimited")
    return KINDS.get(user, "unknown")


def make_away(store: Store, clock: Clock, handed: list[Absence] | None = None) -> Away:
    return Away(
        store,
        AwaySettings("en", "CAUDIT"),
        account_kind=kind_of,
        time_zone=lambda user: "Asia/Shanghai",
        handovers=[lambda absence: handed.append(absence) or []] if handed is not None else (),
        clock=clock,
    )


def audit_texts(store: Store) -> list[str]:
    return [i["text"] for i in store.outbox.items() if i["kind"] == "audit" and "text" in i]


def test_an_absence_ends_by_itself_at_until_with_no_job_and_early_with_back(store: Store) -> None:
    clock, handed = Clock(), []
    away = make_away(store, clock, handed)
    absence = away.set(A, "2026-12-03", DELEGATE, "  annual\nleave ", by=A)
    assert absence == Absence(A, NOW + 38 * 3600, DELEGATE, "annual leave", A, NOW)
    assert handed == [absence] and away.current(A) == absence and away.in_force() == [absence]
    assert audit_texts(store) == [
        f"🌴 <@{A}> away until 2026-12-03 16:00 UTC, delegate <@{DELEGATE}> · set by <@{A}> · annual leave"
    ]
    assert any(i["kind"] == "home" and i["user"] == A for i in store.outbox.items())  # App Home refreshed

    clock.now = absence.until - 1
    assert away.current(A) == absence
    clock.now = absence.until
    assert away.current(A) is None and away.in_force() == []
    assert away.back(A, by=A) is None  # it had ended: nothing to tell
    assert len(audit_texts(store)) == 1

    clock.now = NOW
    away.set(A, "1d", DELEGATE, "", by="UADMIN")
    assert away.back(A, by="UADMIN").delegate == DELEGATE
    assert away.current(A) is None and away.back(A, by="UADMIN") is None
    assert (
        audit_texts(store)[-1]
        == f"🏠 <@{A}> is back (was away until 2026-12-03 02:00 UTC, delegate <@{DELEGATE}>) · by <@UADMIN>"
    )


@pytest.mark.parametrize(
    ("delegate", "why"),
    [
        (A, "self_delegate"),
        (BOT, "delegate_bot"),
        ("UNOBODY", "delegate_unknown"),
        ("UDOWN", "lookup_failed"),
    ],
)
def test_a_delegate_must_be_another_active_person(store: Store, delegate: str, why: str) -> None:
    away = make_away(store, Clock())
    with pytest.raises(AwayRefused) as refused:
        away.set(A, "1d", delegate, "", by=A)
    assert refused.value.key == why
    assert store.absences.all() == [] and audit_texts(store) == []


def test_delegations_never_chain_or_loop(store: Store) -> None:
    away = make_away(store, Clock())
    away.set(A, "3d", DELEGATE, "", by=A)
    with pytest.raises(AwayRefused) as refused:
        away.set(B, "1d", A, "", by=B)  # A is away: B's shares would wait
    assert refused.value.key == "delegate_away" and refused.value.params["delegate"] == A
    with pytest.raises(AwayRefused) as refused:
        away.set(DELEGATE, "1d", A, "", by=DELEGATE)  # a loop
    assert refused.value.key == "delegate_away"
    with pytest.raises(AwayRefused) as refused:
        away.set(DELEGATE, "1d", B, "", by=DELEGATE)  # a chain
    assert (refused.value.key, refused.value.params) == ("is_delegate", {"who": A})
    away.back(A, by=A)
    away.set(DELEGATE, "1d", B, "", by=DELEGATE)  # free to go now


# -- the embedded engine ---------------------------------------------------------------------------------


def filed(process: list[dict[str, Any]], applicant: str = APPLICANT) -> Snapshot:
    entry = {
        "alias": "purchase",
        "controls": [{"control": "Text", "id": "Text-1", "title": "采购事由"}],
        "process": process,
    }
    tpl = template_from_config(entry)
    return submit(tpl, applicant, FilledForm(tpl.template, {"Text-1": "laptops"}), "202612020001", NOW)


def away_map(*absent: tuple[str, str]) -> Any:
    found = {user: (delegate, NOW + 86400) for user, delegate in absent}
    return found.get


def test_each_pending_share_of_someone_away_goes_to_their_delegate_who_decides_it() -> None:
    snap = filed([{"type": 1, "apv_rel": 1, "users": [A, B]}, {"type": 1, "apv_rel": 1, "users": ["UCCC3"]}])
    handed = delegate_current(snap, away_map((A, DELEGATE)), NOW + 5)
    first = handed.nodes[0].members
    assert [(m.user_id, m.for_user, m.for_until, m.handed_at) for m in first] == [
        (DELEGATE, A, NOW + 86400, NOW + 5),
        (B, "", 0, 0),
    ]
    assert handed.waiting_on() == (DELEGATE, B)
    assert delegate_current(handed, away_map((A, DELEGATE), (DELEGATE, "UX")), NOW) == handed  # no chains
    moved = approve(approve(handed, DELEGATE, NOW + 10), B, NOW + 11)
    assert moved.nodes[0].members[0].status is MemberStatus.APPROVED and moved.current_step == 1
    assert delegate_current(moved, away_map((A, DELEGATE)), NOW) == moved  # A is on no current step


def test_a_delegate_who_is_the_applicant_leaves_the_share_with_the_approver() -> None:
    snap = filed([{"type": 1, "apv_rel": 1, "users": [A]}])
    assert delegate_current(snap, away_map((A, APPLICANT)), NOW) == snap
    allowed = delegate_current(snap, away_map((A, APPLICANT)), NOW, allow_self=True)
    assert allowed.waiting_on() == (APPLICANT,)


def test_a_share_decided_for_someone_away_goes_back_to_them_when_the_step_is_returned_to() -> None:
    snap = filed([{"type": 1, "apv_rel": 1, "users": [A]}, {"type": 1, "apv_rel": 1, "users": [B]}])
    decided = approve(delegate_current(snap, away_map((A, DELEGATE)), NOW), DELEGATE, NOW + 1)
    returned = return_to(decided, B, NOW + 2)
    assert returned.waiting_on() == (A,)  # A's own share again; handed on anew if A is still away
    assert delegate_current(returned, away_map((A, DELEGATE)), NOW + 2).waiting_on() == (DELEGATE,)


# -- the service: FYI cards and audit lines --------------------------------------------------------------


@pytest.fixture
def service(store: Store) -> ApprovalService:
    return make_service(store, StubProvider())


def test_a_wecom_approver_away_gives_their_delegate_one_fyi_per_step_and_one_audit_line(
    store: Store, service: ApprovalService
) -> None:
    clock = Clock()
    service.clock = clock
    make_away(store, clock).set("UA", "3d", DELEGATE, "", by="UA")  # "a" in WeCom is UA in Slack
    first = snapshot(node(member("a"), member("b")), node(member("carol")))
    service.apply_snapshot(first)
    later = snapshot(node(member("a"), member("b", 2, NOW)), node(member("carol")), event_time=NOW)
    service.apply_snapshot(later)
    fyis = [i for i in store.outbox.items() if i["kind"] == "away_fyi"]
    assert [(i["user"], i["notice"]["away"]) for i in fyis] == [(DELEGATE, "UA")]
    assert sum("delegate <@UDELEGATE> told" in line for line in audit_texts(store)) == 1
    assert store.approvals.get(first.key)["away"] == {"UA": {"until": NOW + 3 * 86400, "delegate": DELEGATE}}

    render = Renderer(service, "en")
    text, _ = render(fyis[0])
    assert "you are their delegate" in text and "UA is away until" in text
    assert_valid(
        away_fyi(later, fyis[0]["notice"], service.people(later).slack_id, "en", None, Venue("WeCom"))
    )
    applicant = next(i for i in store.outbox.items() if i["kind"] == "applicant_card")
    shown = str(render(applicant)[1])
    assert "UA is away until" in shown and "delegate <@UDELEGATE> (only they can act in WeCom)" in shown

    clock.now += 4 * 86400  # the absence is over: the card no longer says it
    service.apply_snapshot(
        snapshot(node(member("a", 2, NOW + 5), member("b", 2, NOW)), node(member("carol")))
    )
    assert store.approvals.get(first.key)["away"] == {}


def test_a_handover_is_one_audit_line_and_no_generic_one(store: Store, service: ApprovalService) -> None:
    snap = replace(snapshot(node(member("UB"))), current_step=0)  # a step the engine can hand over
    service.apply_snapshot(snap)
    before = len(audit_texts(store)) + sum(
        1 for i in store.outbox.items() if i["kind"] == "audit" and "text" not in i
    )
    handed = delegate_current(snap, away_map(("UB", "UDELEGATE")), NOW)
    service.apply_snapshot(handed, handover=True)
    items = [i for i in store.outbox.items() if i["kind"] == "audit"]
    assert len(items) == before + 1
    assert "their share went to <@UDELEGATE>" in items[-1]["text"]


# -- what Slack is sent --------------------------------------------------------------------------------


def names(user: str) -> str:
    return user


def test_cards_say_who_decides_for_whom_and_validate() -> None:
    snap = filed([{"type": 1, "apv_rel": 1, "users": [A]}])
    handed = delegate_current(snap, away_map((A, DELEGATE)), NOW + 1)
    venue = Venue("Slack", decides_in_slack=True)
    card = approver_card(handed, DELEGATE, names, "en", None, venue)
    assert_valid(card)
    assert f"You decide this for <@{A}>, who is away until" in str(card.blocks)
    mine = applicant_card(approve(handed, DELEGATE, NOW + 2), names, "en", None, venue)
    assert_valid(mine)
    assert f"<@{A}> is away until" in str(mine.blocks) and f"their share went to <@{DELEGATE}>" in str(
        mine.blocks
    )
    kept = applicant_card(snap, names, "en", None, venue, away={A: {"until": NOW + 9, "delegate": APPLICANT}})
    assert_valid(kept)
    assert "you may not approve your own request, so it waits for" in str(kept.blocks)
    for lang in ("zh_CN", "en"):
        assert_valid(approver_card(handed, DELEGATE, names, lang, None, venue))
    owner = approver_card(handed, A, names, "en", None, venue)  # A's card, once the share went on
    assert f"this step went to your delegate <@{DELEGATE}>" in owner.text


def test_the_home_status_and_the_modal_are_what_slack_accepts() -> None:
    for lang in ("zh_CN", "en"):
        View(**away_edge.modal(lang)).validate_json()
        for absence in (None, Absence(A, NOW + 86400, DELEGATE)):
            blocks = away_edge.home_blocks(absence, lang)
            View(type="home", blocks=blocks).validate_json()
    away_text = str(away_edge.home_blocks(Absence(A, NOW + 86400, DELEGATE), "en"))
    assert "home_away_back" in away_text and f"delegate <@{DELEGATE}>" in away_text
    assert "home_away_set" in str(away_edge.home_blocks(None, "en"))


def test_mentions_in_commands_are_read_and_field_errors_are_plain() -> None:
    assert away_edge.slack_user(f"<@{DELEGATE}|dan>") == DELEGATE
    assert away_edge.slack_user(DELEGATE) == DELEGATE
    assert away_edge.slack_user("@dan") is None
    error = away_edge.refusal(AwayRefused("delegate_away", delegate=A, until=NOW), "en")
    assert "<!date^" in error
    plain = away_edge._plain(error)
    assert "<" not in plain and A in plain and "2026-12-02 02:00 UTC" in plain


def test_going_away_hands_over_what_waits_at_once_without_repeating_an_urge(store: Store) -> None:
    clock = Clock()
    service = ApprovalService(
        store, Directory(store, None, {}), {"local": LocalProvider()}, ServiceSettings("en", "CAUDIT")
    )
    decisions = Decisions(store, service, clock=clock)
    snap = filed([{"type": 1, "apv_rel": 1, "users": [A, B]}])
    service.apply_snapshot(snap)
    clock.now += 60
    decisions.act(snap.key, APPLICANT, "urge")
    before = {i["id"] for i in store.outbox.items()}

    away = make_away(store, clock)
    away.handovers = [decisions.hand_over]
    away.set(A, "2d", DELEGATE, "", by=A)
    added = [i for i in store.outbox.items() if i["id"] not in before]
    assert decisions.current(snap.key).waiting_on() == (DELEGATE, B)
    assert "urge" not in {i["kind"] for i in added}
    assert [i["user"] for i in added if i["kind"] == "approver_card"] == [DELEGATE]  # A's, queued, settles
    lines = [i["text"] for i in added if i["kind"] == "audit"]
    assert len(lines) == 2 and "away until" in lines[0] and "their share went to <@UDELEGATE>" in lines[1]
    assert decisions.hand_over(away.current(A)) == []  # nothing left to hand over
