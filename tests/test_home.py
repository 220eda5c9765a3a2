"""App Home tab: a view Slack accepts in both languages, empty or overflowing, with the right buttons."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.i18n import CATALOG, LANGUAGES, enum_name, t
from bot.model import ApprovalMode, ApprovalStatus, FormField, Member, MemberStatus, Node, NodeType, Snapshot
from handlers.cards import ACTION_APPROVE, ACTION_REJECT, DECISION_BLOCK, Venue
from handlers.home import ACTION_NEW_REQUEST, ACTION_PICK_TEMPLATE, build_home_view

T0 = 1_749_600_000  # 2025-06-11 00:00 UTC
LINK = "https://approvals.example.com/wecom/open?sp_no=202506110001"
SLACK_IDS = {"alice": "UALICE", "bob": "UBOB"}
TEMPLATES = (("leave", "请假"), ("purchase", "采购申请"))


def names(user_id: str) -> str | None:
    return SLACK_IDS.get(user_id)


def venues(lang: str) -> Callable[[Snapshot], Venue]:
    """Where the providers say their approvals are decided: the embedded engine's in Slack."""
    return lambda snap: Venue(t(f"provider.{snap.provider}", lang), decides_in_slack=snap.provider == "local")


def snapshot(number: str, *, provider: str = "wecom", at: int = T0, **kw: object) -> Snapshot:
    """A pending approval by alice, waiting on bob; keyword arguments override any field."""
    step = Node(NodeType.APPROVER, ApprovalMode.ALL, MemberStatus.PENDING, (Member("bob"),))
    base: dict = {
        "provider": provider,
        "number": number,
        "template_id": "tmpl",
        "template_name": "采购申请",
        "status": ApprovalStatus.PENDING,
        "applicant": "alice",
        "apply_time": at,
        "nodes": (step,),
        "summary": ("金额: 4839.00",),
    }
    return Snapshot(**{**base, **kw})


def validated(view: dict) -> dict:
    """Fails unless Slack's own models accept the view and each of its blocks."""
    View(**view).validate_json()
    for block in view["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()
    View(**view).to_dict()  # validates every nested element too
    return view


def texts(view: dict) -> str:
    """Every text of the view, joined, to search in."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(view)
    return "\n".join(found)


def elements(view: dict) -> list[dict]:
    """Interactive elements: actions-block elements and section accessories."""
    found = []
    for block in view["blocks"]:
        found += block.get("elements", []) if block["type"] == "actions" else []
        if "accessory" in block:
            found.append(block["accessory"])
    return found


def by_action(view: dict, action_id: str) -> list[dict]:
    return [e for e in elements(view) if e.get("action_id") == action_id]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_empty_home_says_so_in_plain_words(lang: str) -> None:
    view = validated(build_home_view(mine=[], waiting=[], names=names, venue=venues(lang), lang=lang))

    assert view["type"] == "home"
    assert view["blocks"][0]["type"] == "header"
    assert t("home.waiting_empty", lang) in texts(view)
    assert t("home.mine_empty", lang) in texts(view)
    assert [e["action_id"] for e in elements(view)] == [ACTION_NEW_REQUEST]


def test_empty_states_read_as_asked_in_english() -> None:
    all_text = texts(build_home_view(mine=[], waiting=[], names=names, venue=venues("en"), lang="en"))
    assert "Nothing is waiting for you." in all_text
    assert "You have no requests yet — use `/approval new`" in all_text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_full_home_offers_templates_links_and_decisions(lang: str) -> None:
    linked = snapshot("W-1", at=T0 + 30)
    local = snapshot("L-1", provider="local", at=T0 + 20, summary=(), fields=(FormField("事由", "出差"),))
    elsewhere = snapshot("W-2", at=T0 + 10)
    approved = snapshot("W-3", status=ApprovalStatus.APPROVED, nodes=())
    view = validated(
        build_home_view(
            mine=[approved, linked],
            waiting=[(local, None), (linked, LINK), (elsewhere, None)],
            names=names,
            venue=venues(lang),
            lang=lang,
            templates=TEMPLATES,
        )
    )
    all_text = texts(view)

    [pick] = by_action(view, ACTION_PICK_TEMPLATE)
    assert pick["type"] == "static_select"
    assert [o["value"] for o in pick["options"]] == ["leave", "purchase"]
    [open_button] = by_action(view, "open_approval_link")
    assert open_button["url"] == LINK
    assert [b["value"] for b in by_action(view, ACTION_APPROVE)] == ["approve"]
    assert [b["value"] for b in by_action(view, ACTION_REJECT)] == ["reject"]
    decide_blocks = [
        b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith(DECISION_BLOCK)
    ]
    assert decide_blocks == [f"{DECISION_BLOCK}local:L-1"]  # which approval the buttons decide
    # a WeCom approval without a link gets no button, but says where to act
    assert t("card.act_elsewhere", lang, provider=t("provider.wecom", lang)) in all_text

    assert "<@UALICE>" in all_text
    assert f"<!date^{T0 + 30}^{{date_short_pretty}} {{time}}|2025-06-11 00:00 UTC>" in all_text
    assert "金额: 4839.00" in all_text  # first summary line
    assert "事由: 出差" in all_text  # first field, when there is no summary
    assert f"✅ {enum_name(ApprovalStatus.APPROVED, lang)}" in all_text
    assert f"⏳ {enum_name(ApprovalStatus.PENDING, lang)}" in all_text
    assert t("home.waiting_for", lang, names="<@UBOB>") in all_text
    assert "`W-3`" in all_text
    assert t("home.waiting_empty", lang) not in all_text
    assert t("home.mine_empty", lang) not in all_text


def test_lists_are_newest_first() -> None:
    old, new = snapshot("OLD", at=T0), snapshot("NEW", at=T0 + 60)
    view = build_home_view(
        mine=[old, new], waiting=[(old, LINK), (new, LINK)], names=names, venue=venues("en"), lang="en"
    )
    order = re.findall(r"`(NEW|OLD)`", texts(view))
    assert order == ["NEW", "OLD", "NEW", "OLD"]  # waiting, then mine


@pytest.mark.parametrize("lang", LANGUAGES)
def test_two_hundred_approvals_stay_within_a_hundred_blocks(lang: str) -> None:
    local = [snapshot(f"L-{i}", provider="local", at=T0 + i) for i in range(200)]
    templates = [(f"t{i}", f"Template {i}") for i in range(150)]
    view = validated(
        build_home_view(
            mine=local,
            waiting=[(s, None) for s in local],
            names=names,
            venue=venues(lang),
            lang=lang,
            templates=templates,
        )
    )

    assert len(view["blocks"]) <= 100
    assert texts(view).count(t("home.more", lang, count=180)) == 2
    assert len(by_action(view, ACTION_APPROVE)) == 20
    assert "`L-199`" in texts(view)  # the newest are the ones shown
    assert "`L-0`" not in texts(view)
    [pick] = by_action(view, ACTION_PICK_TEMPLATE)
    assert len(pick["options"]) == 100


def test_user_text_is_escaped_and_clipped() -> None:
    hostile = snapshot(
        "<!channel>",
        template_name="<!here> " + "x" * 500,
        summary=("<https://evil.example|click> " + "y" * 1000,),
        applicant="<@UFAKE>",
    )
    templates = [("a" * 200, "too long an alias"), ("ok", "n" * 200)]
    view = validated(
        build_home_view(
            mine=[hostile],
            waiting=[(hostile, LINK)],
            names=names,
            venue=venues("en"),
            lang="en",
            templates=templates,
        )
    )
    all_text = texts(view)
    assert "<!channel>" not in all_text and "<!here>" not in all_text and "<https://evil" not in all_text
    assert "&lt;!here&gt;" in all_text
    [pick] = by_action(view, ACTION_PICK_TEMPLATE)
    assert [o["value"] for o in pick["options"]] == ["ok"]  # an alias too long to send whole is left out


def test_too_long_a_link_gets_no_button() -> None:
    view = validated(
        build_home_view(
            mine=[],
            waiting=[(snapshot("W-1"), "https://x.example/" + "a" * 3000)],
            names=names,
            venue=venues("en"),
            lang="en",
        )
    )
    assert by_action(view, "open_approval_link") == []


def test_local_approval_with_a_link_opens_it_instead_of_deciding_here() -> None:
    view = build_home_view(
        mine=[],
        waiting=[(snapshot("L-1", provider="local"), LINK)],
        names=names,
        venue=venues("en"),
        lang="en",
    )
    assert len(by_action(view, "open_approval_link")) == 1
    assert by_action(view, ACTION_APPROVE) == by_action(view, ACTION_REJECT) == []


def test_unknown_language_falls_back_to_english() -> None:
    view = build_home_view(mine=[], waiting=[], names=names, venue=venues("fr"), lang="fr")
    assert t("home.waiting_empty", "en") in texts(view)


def test_every_string_exists_in_every_language() -> None:
    home_entries = [entry for key, entry in CATALOG.items() if key.startswith("home.")]
    assert home_entries
    assert all(set(entry) == set(LANGUAGES) for entry in home_entries)


def test_a_final_request_waits_on_nobody() -> None:
    done = snapshot("W-9", status=ApprovalStatus.REJECTED)
    all_text = texts(build_home_view(mine=[done], waiting=[], names=names, venue=venues("en"), lang="en"))
    assert "❌ Rejected" in all_text
    assert "<@UBOB>" not in all_text


def test_manifest_turns_the_home_tab_on() -> None:
    """Slack shows the tab only when the manifest enables it and sends app_home_opened to draw it.

    The manifest is read as lines, not YAML: PyYAML is not among the project's dependencies.
    """
    manifest = Path(__file__).parent.parent / "slack-manifest.yml"
    lines = {line.split(" #")[0].strip() for line in manifest.read_text(encoding="utf-8").splitlines()}
    assert {"home_tab_enabled: true", "- app_home_opened", "is_enabled: true"} <= lines
