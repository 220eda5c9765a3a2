"""Channels, piece by piece: the `channel` and `direct_messages` keys, who the plan tells when a template
has a channel, the channel card as Block Kit, and "#name" made a channel id."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.config import Config
from bot.i18n import t
from bot.model import Action, ApprovalMode, ApprovalStatus
from bot.notify import Kind, Venues, notify_plan
from bot.offline.slack_standin import SlackStandIn
from bot.providers.local.engine import TemplateConfigError, template_from_config
from bot.template_policy import PolicyConfigError, policy_from_config
from handlers import cards
from handlers.channel_names import RELIST_SECONDS, ChannelNames
from tests.factories import member, node, snapshot
from tests.test_config import configured, errors_of

LOCAL_TEMPLATE = {
    "alias": "purchase",
    "name": "Purchase",
    "controls": [{"control": "Text", "id": "Text-1", "title": "Why"}],
    "process": [{"type": 1, "apv_rel": 1, "users": ["U0A"]}],
}


@pytest.mark.parametrize("channel", ["C0FINANCE", "G0PRIVATE1", "#finance-approvals", "#ops_2026.q4", ""])
def test_a_channel_is_an_id_or_a_name(channel: str) -> None:
    assert policy_from_config({"channel": channel}, "[t]").channel == channel


@pytest.mark.parametrize("channel", ["finance", "#Finance", "# finance", "U0SOMEONE", "<#C0FINANCE>", "#"])
def test_anything_else_is_refused_in_words(channel: str) -> None:
    with pytest.raises(PolicyConfigError, match=r"channel id .* or a channel name"):
        policy_from_config({"channel": channel}, "[t]")


def policy_error(config: Config) -> str:
    """check-config's one error about [wecom.policies] (the bare config lacks WeCom's credentials too)."""
    [message] = [p.message for p in errors_of(config) if p.key == "wecom.policies"]
    return message


def test_direct_messages_off_needs_a_channel_wherever_the_template_is_declared() -> None:
    with pytest.raises(TemplateConfigError, match="direct_messages = false needs a channel"):
        template_from_config({**LOCAL_TEMPLATE, "direct_messages": False})
    kept = template_from_config({**LOCAL_TEMPLATE, "channel": "#finance", "direct_messages": False})
    assert (kept.policy.channel, kept.policy.direct_messages) == ("#finance", False)
    config = configured(
        wecom={"templates": {"purchase": "tmpl"}, "policies": {"purchase": {"direct_messages": False}}}
    )
    assert "needs a channel" in policy_error(config)


def test_check_config_reports_a_channel_of_the_wrong_shape() -> None:
    config = configured(
        wecom={"templates": {"purchase": "tmpl"}, "policies": {"purchase": {"channel": "finance"}}}
    )
    assert "#finance-approvals" in policy_error(config)


# --- the plan -----------------------------------------------------------------------------------------

ONE_STEP = Venues(channel="C0FINANCE")
NO_DMS = Venues(channel="C0FINANCE", direct_messages=False)


def kinds(plan: list) -> list[tuple[str, str]]:
    return [(n.kind.value, n.recipient) for n in plan]


def test_a_channel_gets_one_card_beside_the_dms() -> None:
    new = snapshot(node(member("a"), member("b")), cc=("carol",))
    plan = notify_plan(None, new, frozenset(), ONE_STEP)
    assert kinds(plan) == [
        ("applicant_card", "applicant"),
        ("approver_card", "a"),
        ("approver_card", "b"),
        ("channel_card", "C0FINANCE"),
        ("cc_card", "carol"),
    ]
    assert [n.card_key for n in plan if n.kind is Kind.CHANNEL_CARD] == ["channel_card:C0FINANCE"]


def test_without_dms_only_whoever_newly_waits_hears_of_it_in_a_dm() -> None:
    first = snapshot(node(member("a")), node(member("b"), member("c"), mode=ApprovalMode.ANY), cc=("carol",))
    step = snapshot(
        node(member("a", 2, 10)),
        node(member("b"), member("c"), mode=ApprovalMode.ANY),
        cc=("carol",),
        action=Action.APPROVE,
    )
    assert kinds(notify_plan(None, first, frozenset(), NO_DMS)) == [
        ("channel_card", "C0FINANCE"),
        ("channel_turn", "a"),
        ("cc_card", "carol"),
    ]
    assert kinds(notify_plan(first, step, frozenset(), NO_DMS)) == [
        ("channel_card", "C0FINANCE"),
        ("channel_turn", "b"),
        ("channel_turn", "c"),
    ]
    assert [n.card_key for n in notify_plan(first, step, frozenset(), NO_DMS)][1:] == ["", ""]  # one-offs
    final = replace(
        snapshot(node(member("a", 2, 10)), node(member("b", 2, 20), member("c"), mode=ApprovalMode.ANY)),
        status=ApprovalStatus.APPROVED,
        action=Action.APPROVE,
    )
    assert kinds(notify_plan(step, final, frozenset(), NO_DMS)) == [
        ("channel_card", "C0FINANCE"),
        ("channel_outcome", "applicant"),
    ]


# --- the card -----------------------------------------------------------------------------------------


def names(user_id: str) -> str | None:
    return {"applicant": "U0APPLICANT", "a": "U0APPROVERA"}.get(user_id)


EMBEDDED = cards.Venue("the bot", decides_in_slack=True)
WECOM = cards.Venue("WeCom")


def validated(message: cards.Message) -> list[dict]:
    for block in message.blocks:
        Block.parse(block).validate_json()
    return list(message.blocks)


def actions(message: cards.Message) -> list[dict]:
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_channel_card_offers_every_decision_and_mentions_the_approvers(lang: str) -> None:
    snap = snapshot(node(member("a")), provider="local")
    message = cards.channel_card(snap, names, lang, None, EMBEDDED)
    blocks = validated(message)
    assert "<@U0APPROVERA>" in str(blocks)
    [approve, reject, more] = actions(message)
    assert (approve["action_id"], reject["action_id"]) == (cards.ACTION_APPROVE, cards.ACTION_REJECT)
    operations = [option["value"] for option in more["options"]]
    assert operations == ["transfer", "add_approver", "return", "comment", "revoke"]
    assert t("channel.who_decides", lang) in str(blocks)


def test_a_wecom_channel_card_links_to_wecom_and_a_finished_one_has_no_decisions() -> None:
    link = "https://wecom.example/approval?sp_no=1"
    pending = cards.channel_card(snapshot(node(member("a"))), names, "en", link, WECOM)
    assert [(b.get("url"), b.get("style")) for b in actions(pending)] == [(link, "primary")]
    done = snapshot(node(member("a", 2, 10)), provider="local", status=ApprovalStatus.APPROVED)
    validated(finished := cards.channel_card(done, names, "en", None, EMBEDDED))
    assert actions(finished) == [] and "Approved" in finished.text


def test_the_turn_message_and_the_audit_line_name_the_channel() -> None:
    snap = snapshot(node(member("a")))
    message = cards.channel_turn_message(snap, names, "en", cards.channel_link("C0FINANCE"))
    validated(message)
    assert "<#C0FINANCE>" in message.text
    assert "<#C0FINANCE>" in cards.channel_card_audit(snap, names, "en", cards.channel_link("C0FINANCE"))
    outcome = cards.channel_outcome_message(snap, names, "zh_CN", cards.channel_link("C0FINANCE"))
    assert "<#C0FINANCE>" in validated(outcome)[0]["text"]["text"]
    assert cards.channel_link("#<!here>") == "#&lt;!here&gt;"  # no markup out of a name


# --- "#name" -> id -----------------------------------------------------------------------------------


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    channels = {"C01": "general", "C02": "random", "C03": "finance-approvals"}
    with SlackStandIn(channels=channels) as standin:
        yield standin


def test_a_name_is_looked_up_once_over_every_page_and_an_unknown_one_again_later(slack: SlackStandIn) -> None:
    now = [0.0]
    names_of = ChannelNames(WebClient(token="xoxb-test", base_url=slack.api_url), clock=lambda: now[0])
    assert names_of.id_of("C0GIVEN") == "C0GIVEN"
    assert slack.calls_to("conversations.list") == []
    assert names_of.id_of("#finance-approvals") == "C03"  # on the second page
    assert names_of.id_of("#general") == "C01"
    assert len(slack.calls_to("conversations.list")) == 2
    assert names_of.id_of("#new-team") is None
    assert len(slack.calls_to("conversations.list")) == 2  # listed a moment ago: not asked again
    slack.channels["C04"] = "new-team"
    now[0] += RELIST_SECONDS
    assert names_of.id_of("#new-team") == "C04"
