"""Escalation and expiry end to end, in the demo's world: the real bolt app and deliverer, the Slack
stand-in and the WeCom sandbox over loopback, the scheduler's job run with the world's clock moved
ahead (the console's `clock`), never slept. The demo's templates escalate after 48 h to the admin and
end (embedded) or are marked overdue (WeCom) after 168 h."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from slack_sdk.models.blocks import Block

from bot.escalation import Escalations
from bot.offline.console import SHANGHAI
from bot.offline.slack_standin import Posted
from bot.offline.world import ADMIN, AUDIT_CHANNEL
from tests.test_console import Session, play

APPLICANT, LI, ZHANG, FINANCE = "U0WANG", "U0LI", "U0ZHANG", "U0FIN"


def hours_ahead(s: Session, at_least: int, *, night: bool = False) -> int:
    """Hours from the world's now, at least `at_least`, landing in Shanghai's day (9–19) or, with `night`,
    at 2–5 in the morning: the quiet hours are 21–8, wherever and whenever the test runs."""
    now = datetime.fromtimestamp(s.demo.now(), SHANGHAI)
    hours = range(2, 6) if night else range(9, 20)
    return next(h for h in range(at_least, at_least + 24) if (now + timedelta(hours=h)).hour in hours)


def escalations_to(s: Session, who: str) -> list[Posted]:
    return [m for m in s.demo.slack.conversation(who) if "waited too long" in m.text]


def valid(message: Posted) -> str:
    """The message's blocks, each accepted by Slack's own models, as JSON text to search."""
    for block in message.blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()
    return json.dumps(message.blocks, ensure_ascii=False)


def test_a_step_waiting_too_long_is_escalated_once_with_the_card_and_not_at_night(tmp_path: Path) -> None:
    def scene(s: Session) -> None:
        card = s.file("/approval new purchase", "New chairs", "1200")
        night = hours_ahead(s, 48, night=True)
        s.console.do(f"clock +{night}h")
        assert "0 request(s) escalated" in s.said()  # due, but it is the admin's night
        assert not escalations_to(s, ADMIN)

        s.console.do(f"clock +{hours_ahead(s, 6)}h")  # the same morning: told now
        [told] = s.demo.until(lambda: escalations_to(s, ADMIN))
        shown = valid(told)
        assert "New chairs" in shown and "waited on" in told.text
        assert "approval_approve" not in shown  # the admin is not an approver: no buttons for them
        assert "Only" in s.demo.render(told)

        # The applicant's card shows it on the timeline; the approvers' cards how long the step waited.
        s.demo.until(lambda: "waited too long" in s.demo.render(s.cards(APPLICANT)[-1]))
        s.demo.until(lambda: "This step has been waiting 2 d" in s.demo.render(s.cards(LI)[0]))
        audit = s.demo.until(
            lambda: [m for m in s.demo.slack.conversation(AUDIT_CHANNEL) if "escalated to" in m.text]
        )
        assert len(audit) == 1

        # The next run, and a restarted bot's, tell nobody again: the step is recorded with the approval.
        s.console.do("clock +1h")
        runtime = s.runtime
        again = Escalations(
            runtime.store, runtime.service, runtime.template_policies, {}, lambda *_: False, clock=s.demo.now
        )
        assert again.run_once() == 0
        assert len(escalations_to(s, ADMIN)) == 1
        assert card.ts == s.cards(APPLICANT)[0].ts  # updated in place, never posted again

    play(tmp_path, scene)


def test_an_embedded_request_expires_revoked_by_the_system_and_every_card_says_so(tmp_path: Path) -> None:
    def scene(s: Session) -> None:
        s.file("/approval new purchase", "New chairs", "1200")
        s.console.do("clock +8d")
        assert "escalation and expiry ran" in s.said()

        [doc] = [d for d in s.runtime.store.approvals.involving(APPLICANT) if d["key"].startswith("local:")]
        assert doc["final"] and doc["snapshot"]["status"] == 4 and doc["snapshot"]["expired_at"]
        s.demo.until(lambda: "Expired" in s.demo.render(s.cards(APPLICANT)[-1]))
        applicant = s.demo.render(s.cards(APPLICANT)[-1])
        assert "revoked by the system (reason: expired)" in applicant
        assert "Revoke" not in applicant  # nothing left to do on it
        for approver in (LI, ZHANG):  # their cards settle: no buttons any more
            s.demo.until(lambda a=approver: "approval_approve" not in valid(s.cards(a)[0]))
        s.demo.until(
            lambda: [m for m in s.demo.slack.conversation(AUDIT_CHANNEL) if "expired, revoked" in m.text]
        )
        assert not escalations_to(s, ADMIN)  # ended, not escalated

    play(tmp_path, scene)


def test_a_wecom_approval_past_its_expiry_is_marked_overdue_on_every_card_once(tmp_path: Path) -> None:
    def scene(s: Session) -> None:
        s.file("/approval new equipment", "Monitors", "800")  # filed on WeCom; its cards come by callback
        s.demo.until(lambda: s.cards(LI) and s.cards(ZHANG))
        s.console.do(f"clock +{hours_ahead(s, 169)}h")

        people = (APPLICANT, LI, ZHANG)
        for person in people:
            s.demo.until(lambda p=person: "Overdue" in s.demo.render(s.cards(p)[0]))
        [doc] = [d for d in s.runtime.store.approvals.open() if d["key"].startswith("wecom:")]
        assert doc["overdue"]["after_hours"] == 168 and not doc["final"]  # WeCom's approval is unchanged
        updates = {person: s.cards(person)[0].updates for person in people}

        s.console.do("clock +1h")
        s.console.do("sweep")
        assert {person: s.cards(person)[0].updates for person in people} == updates  # once
        marked = [m for m in s.demo.slack.conversation(AUDIT_CHANNEL) if "marked overdue" in m.text]
        assert len(marked) == 1

    play(tmp_path, scene)


def test_an_admins_policy_wins_over_the_config_from_the_next_run(tmp_path: Path) -> None:
    def scene(s: Session) -> None:
        s.console.do("as admin")
        s.console.do(f"/approval-admin policy purchase escalate_after_hours=24 escalate_to=<@{ZHANG}|zhang>")
        assert "set by an admin" in s.said()
        s.console.do("/approval-admin policy purchase escalate_to=#general")
        assert "Not set" in s.said() and "is not looked up" in s.said()
        s.console.do("/approval-admin templates")
        assert "after 24 h tell" in s.said()

        s.console.do("as wang")
        s.file("/approval new purchase", "New chairs", "1200")
        s.console.do(f"clock +{hours_ahead(s, 25)}h")
        [told] = s.demo.until(lambda: escalations_to(s, ZHANG))
        assert "approval_approve" in valid(told)  # Zhang is an approver of the waiting step: he may decide
        assert not escalations_to(s, ADMIN)
        audit = [m.text for m in s.demo.slack.conversation(AUDIT_CHANNEL)]
        assert any("policy" in line and "escalate_after_hours=24" in line for line in audit)

    play(tmp_path, scene)
