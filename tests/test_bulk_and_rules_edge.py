"""The Slack side of bulk approval and auto_approve rules, pure: App Home's checkboxes, the result
message, the timeline and audit lines, the admin listing and check-config, validated by slack_sdk."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View as SlackView

from bot.admin import TemplateRow
from bot.auto_approve import parse_rules
from bot.bulk import BulkOutcome
from bot.codec import snapshot_to_dict
from bot.config import from_dict
from bot.config_check import problems
from bot.export import export_rows, render_export
from bot.forms import FilledForm
from bot.i18n import LANGUAGES, t
from bot.model import ApprovalMode, ApprovalStatus, Member, MemberStatus, Node, NodeType, Snapshot
from bot.offline.slack_standin import SlackStandIn
from bot.providers.local.approve_view import View, standing_card
from bot.providers.local.engine import template_from_config
from bot.providers.local.provider import LocalFiler
from bot.store.tinydb import TinyDBStore
from handlers import admin_blocks, cards
from handlers.home import ACTION_BULK_APPROVE, BULK_BLOCK, build_home_view
from handlers.slack_groups import SlackUserGroups
from tests.test_console import Session, play

T0 = 1_700_000_000
APPLICANT, A = "U0APPLICANT", "U0APPROVERA"
RULE = {
    "name": "small purchases",
    "when": [
        {"control": "Money-1", "op": "<=", "value": 200},
        {"control": "Selector-1", "op": "in", "value": ["office", "it"]},
    ],
    "applicant_in": ["S0BUYERS", "U0BOSS"],
}


def snapshot(number: str, provider: str = "local", *nodes: Node, **kw: Any) -> Snapshot:
    step = Node(NodeType.APPROVER, ApprovalMode.ALL, MemberStatus.PENDING, (Member(A),))
    base = {
        "provider": provider,
        "number": number,
        "template_name": "Purchase",
        "template_id": "purchase",
        "status": ApprovalStatus.PENDING,
        "applicant": APPLICANT,
        "apply_time": T0,
        "nodes": nodes or (step,),
    }
    return Snapshot(**{**base, **kw})


def home(waiting: list[tuple[Snapshot, str | None]], lang: str = "en") -> dict:
    view = build_home_view(
        mine=[],
        waiting=waiting,
        names=lambda user: user,
        venue=lambda snap: cards.Venue(snap.provider, decides_in_slack=snap.provider == "local"),
        lang=lang,
    )
    SlackView(**view).validate_json()
    for block in view["blocks"]:
        Block.parse(block).validate_json()
    return view


def valid(message: cards.Message) -> cards.Message:
    for block in message.blocks:
        Block.parse(block).validate_json()
    return message


@pytest.mark.parametrize("lang", LANGUAGES)
def test_home_offers_the_requests_decided_here_in_groups_of_ten_and_one_button(lang: str) -> None:
    local = [(snapshot(f"2026112100{i:02}", apply_time=T0 + i), None) for i in range(25)]
    elsewhere = [(snapshot("WECOM-1", "wecom"), None), (snapshot("LINKED-1"), "https://x.test/a")]
    view = home([*local, *elsewhere], lang)
    assert len(view["blocks"]) <= 100
    [bulk] = [b for b in view["blocks"] if b.get("block_id") == BULK_BLOCK]
    groups = [e for e in bulk["elements"] if e["type"] == "checkboxes"]
    assert [len(g["options"]) for g in groups] == [10, 10]  # the 20 shown; the rest after those are done
    offered = {o["value"] for g in groups for o in g["options"]}
    assert (
        "local:WECOM-1" not in offered and "wecom:WECOM-1" not in offered and "local:LINKED-1" not in offered
    )
    assert bulk["elements"][-1]["action_id"] == ACTION_BULK_APPROVE
    assert t("home.bulk_hint", lang) in str(view)


def test_one_request_alone_needs_no_bulk_approval() -> None:
    view = home([(snapshot("202611210001"), None), (snapshot("WECOM-1", "wecom"), None)])
    assert not [b for b in view["blocks"] if b.get("block_id") == BULK_BLOCK]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_step_approved_by_rule_is_on_the_timeline_and_in_the_audit_channel(lang: str) -> None:
    ruled = Node(
        NodeType.APPROVER,
        ApprovalMode.ALL,
        MemberStatus.APPROVED,
        (Member(A),),
        rule="small <@U1>",
        ruled_at=T0,
    )
    snap = snapshot("202611210001", "local", ruled, status=ApprovalStatus.APPROVED, current_step=None)
    venue = cards.Venue("embedded", decides_in_slack=True)
    card = valid(cards.applicant_card(snap, lambda user: user, lang, None, venue))
    said = t("card.ruled", lang, rule="small &lt;@U1&gt;")  # the rule's name is config text, escaped
    assert said in str(card.blocks)
    line = cards.rule_audit_line(snap, "small purchases", lambda user: user, lang)
    assert "202611210001" in line and t("card.ruled", lang, rule="small purchases") in line


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_bulk_result_names_each_request_and_why_one_was_not_approved(lang: str) -> None:
    outcomes = [
        BulkOutcome("local:1", "1", "Purchase"),
        BulkOutcome("local:2", "2", "Purchase", "final", status=int(ApprovalStatus.REVOKED)),
        BulkOutcome("local:3", "3", "Purchase", "already_decided", decided_by="U0OTHER", decided_at=T0),
        BulkOutcome("local:4", "4", "", "unknown"),
    ]
    message = valid(cards.bulk_result_message([o.__dict__ for o in outcomes], lang))
    body = str(message.blocks)
    assert message.text == t("bulk.result", lang, approved=1, count=4)
    assert t("decide.not_allowed.final", lang, status=t("status.revoked", lang)) in body
    assert "<@U0OTHER>" in body and t("bulk.result.unknown", lang) in body
    summary = cards.bulk_audit_line({"actor": A, "count": 4, "approved": 1}, lang)
    assert summary == t("audit.bulk", lang, who=f"<@{A}>", count=4, approved=1, skipped=3)


def test_admin_templates_lists_each_rule_in_words() -> None:
    row = TemplateRow("purchase", "purchase", "local", "Purchase", rules=parse_rules([RULE], "purchase"))
    message = admin_blocks.templates_message([row, replace(row, alias="leave", rules=())], "en")
    text = "\n".join(b["text"]["text"] for b in message["blocks"])
    assert (
        "rule “small purchases”: approves the first approver step when `Money-1` ≤ `200` and "
        "`Selector-1` is one of `office`, `it` and the applicant is <!subteam^S0BUYERS>, <@U0BOSS>"
    ) in text
    assert text.count("↳") == 1
    steps = parse_rules([{**RULE, "steps": [1, 2]}], "purchase")
    assert "approves step 1, 2 when" in str(admin_blocks.templates_message([replace(row, rules=steps)], "en"))


def test_check_config_reports_a_rule_that_cannot_work() -> None:
    template = {
        "alias": "purchase",
        "controls": [{"control": "Money", "id": "Money-1", "title": "Amount"}],
        "process": [{"type": 1, "apv_rel": 1, "users": [A]}],
        "auto_approve": [{"name": "small", "when": [{"control": "Money-2", "op": "<=", "value": 200}]}],
    }
    raw = {
        "server": {"public_url": "https://approvals.acme.test"},
        "slack": {"bot_token": "xoxb-1-2-abc", "signing_secret": "5f2b8c1e9a7d4063b1e2c3d4a5f60718"},
        "local": {"templates": [template]},
    }
    found = [p for p in problems(from_dict(raw, {})) if p.severity == "error"]
    assert [p.key for p in found] == ["local.templates"]
    assert (
        "auto_approve rule 'small'" in found[0].message
        and "no control has the id 'Money-2'" in found[0].message
    )
    template["auto_approve"][0]["when"][0]["control"] = "Money-1"
    assert [p for p in problems(from_dict(raw, {})) if p.severity == "error"] == []


def test_the_console_files_a_small_purchase_approved_by_rule_and_bulk_approves_the_others(
    tmp_path: Path,
) -> None:
    def scene(s: Session) -> None:
        small = s.file("/approval new purchase", "Pens", "120")
        s.demo.until(lambda: "Approved" in s.cards("U0WANG")[-1].text)
        assert "approved by rule “small purchases”" in s.demo.render(s.cards("U0WANG")[-1])
        assert not s.cards("U0LI")  # nobody was asked
        for what in ("Chairs", "Desks", "Lamps"):
            s.file("/approval new purchase", what, "900")
        s.console.do("as li")
        s.answers.extend(["1 3", "ok for all"])  # tick two of the three, then the shared comment
        s.console.do("bulk")
        s.demo.until(lambda: any("Approved together" in m.text for m in s.demo.slack.conversation("U0LI")))
        assert "Approved together: 2 of 2" in s.said()
        assert sum("ok for all" in s.demo.render(card) for card in s.cards("U0WANG")) == 2
        assert small.ts != s.cards("U0WANG")[-1].ts

    play(tmp_path, scene)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_user_groups_are_asked_of_slack_once_per_group_until_they_go_stale() -> None:
    with SlackStandIn(users={APPLICANT: {}}, usergroups={"S0BUYERS": [APPLICANT]}) as standin:
        clock = FakeClock()
        groups = SlackUserGroups(WebClient(token="xoxb-test", base_url=standin.api_url), ttl=300, clock=clock)
        assert groups.members("S0BUYERS") == frozenset({APPLICANT})
        standin.usergroups["S0BUYERS"] = []
        assert groups.members("S0BUYERS") == frozenset({APPLICANT})  # kept
        clock.now += 300
        assert groups.members("S0BUYERS") == frozenset()  # read again
        assert len(standin.calls_to("usergroups.users.list")) == 2
        with pytest.raises(LookupError, match="no_such_subteam"):
            groups.members("S0NOBODY")


class Unreadable:
    def members(self, group_id: str) -> frozenset[str]:
        raise LookupError("ratelimited")


def test_a_group_slack_cannot_list_does_not_count_so_the_request_waits_for_a_person(tmp_path: Path) -> None:
    entry = {
        "alias": "purchase",
        "controls": [{"control": "Money", "id": "Money-1", "title": "Amount"}],
        "process": [{"type": 1, "apv_rel": 1, "users": [A]}],
        "auto_approve": [{"name": "buyers", "applicant_in": ["S0BUYERS"]}],
    }
    tpl = template_from_config(entry)
    store = TinyDBStore(tmp_path / "approvals.json")
    filer = LocalFiler({"purchase": tpl}, store, clock=lambda: T0)
    form = FilledForm(tpl.template, {"Money-1": "10"})
    filer.use_groups(Unreadable())
    snap = filer.file(form, APPLICANT, lambda user: (user, user), lambda upload: b"")
    assert snap.waiting_on() == (A,) and not snap.flow_nodes()[0].ruled_at
    filer.use_groups(SimpleNamespace(members=lambda group: frozenset({APPLICANT})))
    assert (
        filer.file(form, APPLICANT, lambda user: (user, user), lambda upload: b"").status
        is ApprovalStatus.APPROVED
    )
    store.close()


def test_the_approve_page_shows_a_step_a_rule_approved_as_such_not_as_waiting() -> None:
    ruled = Node(
        NodeType.APPROVER,
        ApprovalMode.ALL,
        MemberStatus.APPROVED,
        (Member("U0NOTASKED"),),
        rule="small",
        ruled_at=T0,
    )
    later = Node(NodeType.APPROVER, ApprovalMode.ANY, MemberStatus.PENDING, (Member(A),))
    page = standing_card(
        snapshot("202611210001", "local", ruled, later, current_step=1), View("en", lambda u: u)
    )
    assert "approved by rule “small”" in page and "U0NOTASKED" not in page


def test_the_export_says_which_rule_approved_a_step() -> None:
    ruled = Node(
        NodeType.APPROVER, ApprovalMode.ALL, MemberStatus.APPROVED, (Member(A),), rule="small", ruled_at=T0
    )
    snap = snapshot("202611210001", "local", ruled, status=ApprovalStatus.APPROVED)
    reader = SimpleNamespace(all_approvals=lambda: [{"snapshot": snapshot_to_dict(snap), "updated": T0}])
    [row] = export_rows(reader)
    assert row["nodes"][0]["approved_by_rule"] == "small" and row["nodes"][0]["ruled_at"] == T0
    assert "approver/all, approved by rule small: U0APPROVERA=pending" in render_export([row], "csv")
