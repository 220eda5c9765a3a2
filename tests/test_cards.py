"""Cards: every message Slack would accept, in both languages, whatever the snapshot holds."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.i18n import CATALOG, LANGUAGES, enum_name, t
from bot.model import (
    Action,
    ApprovalMode,
    ApprovalStatus,
    Comment,
    FormField,
    Member,
    MemberStatus,
    Node,
    NodeType,
    Snapshot,
)
from handlers.cards import (
    CONTEXT_LIMIT,
    SECTION_LIMIT,
    Message,
    Names,
    Venue,
    applicant_card,
    approver_card,
    audit_line,
    cc_card,
    comment_message,
    context,
    mention,
    section,
    unmapped_notice,
    urge_message,
)

T0 = 1_749_600_000  # 2025-06-11 00:00 UTC
NUMBER = "202506110001"
LINK = "https://app.example.com/approvals/202506110001"
SLACK_IDS = {"alice": "UALICE", "bob": "UBOB", "carol": "UCAROL"}

P = MemberStatus.PENDING
A = MemberStatus.APPROVED


def names(user_id: str) -> str | None:
    """Some users mapped to Slack, the others shown by their provider id."""
    return SLACK_IDS.get(user_id)


def venue(snap: Snapshot, lang: str) -> Venue:
    """Where the providers say their approvals are decided: the embedded engine's in Slack."""
    return Venue(t(f"provider.{snap.provider}", lang), decides_in_slack=snap.provider == "local")


def member(user_id: str, status: MemberStatus = P, at: int = 0, speech: str = "", media: int = 0) -> Member:
    return Member(user_id, status, speech, at or (T0 + 60 if status.is_decided else 0), ("m",) * media)


def node(mode: ApprovalMode, *members: Member, status: MemberStatus = P) -> Node:
    return Node(NodeType.APPROVER, mode, status, members)


def snapshot(status: ApprovalStatus = ApprovalStatus.PENDING, *nodes: Node, **kw: object) -> Snapshot:
    """A WeCom approval by alice with a small form; keyword arguments override any field."""
    base: dict = {
        "provider": "wecom",
        "number": NUMBER,
        "template_id": "tpl",
        "template_name": "Leave request",
        "status": status,
        "applicant": "alice",
        "apply_time": T0,
        "nodes": (*nodes, Node(NodeType.CC, ApprovalMode.ALL, P, (member("erin"),))),
        "summary": ("Annual leave, 3 days",),
        "fields": (FormField("Reason", "Family trip"), FormField("Days", "3")),
        "has_details": True,
    }
    return Snapshot(**{**base, **kw})


def huge() -> Snapshot:
    """Far past every Block Kit limit if rendered naively."""
    speech = "very long speech <&> " * 500
    done = (
        node(
            ApprovalMode(1 + i % 3),
            *(member(f"user{i}_{j}", A, T0 + i * 100 + j, speech, 3) for j in range(30)),
        )
        for i in range(40)
    )
    nodes = (*done, node(ApprovalMode.ALL, *(member(f"late{j}") for j in range(200))))
    comments = tuple(
        Comment(str(i), f"c{i}", T0 + 5000 + i, "comment " * 2000, ("a",) * i) for i in range(200)
    )
    fields = tuple(FormField("T" * 500, "<v>" * 4000) for _ in range(200))
    return snapshot(
        ApprovalStatus.PENDING,
        *nodes,
        template_name="Template " * 100,
        summary=tuple("s" * 5000 for _ in range(30)),
        fields=fields,
        comments=comments,
    )


SCENARIOS: dict[str, Snapshot] = {
    "all_one_of_two": snapshot(
        ApprovalStatus.PENDING, node(ApprovalMode.ALL, member("bob", A), member("carol"))
    ),
    "any": snapshot(ApprovalStatus.PENDING, node(ApprovalMode.ANY, member("bob"), member("carol"))),
    "sequential_second": snapshot(
        ApprovalStatus.PENDING,
        node(ApprovalMode.SEQUENTIAL, member("bob", A), member("carol"), member("dave")),
    ),
    "approved": snapshot(
        ApprovalStatus.APPROVED,
        node(ApprovalMode.ALL, member("bob", A), member("carol", A), status=A),
        action=Action.APPROVE,
    ),
    "rejected": snapshot(
        ApprovalStatus.REJECTED,
        node(
            ApprovalMode.ALL,
            member("bob", A),
            member("carol", MemberStatus.REJECTED, speech="Over budget <b> & no"),
            status=MemberStatus.REJECTED,
        ),
        action=Action.REJECT,
    ),
    "revoked": snapshot(
        ApprovalStatus.REVOKED, node(ApprovalMode.ANY, member("bob"), member("carol")), action=Action.REVOKE
    ),
    "revoked_after_approval": snapshot(
        ApprovalStatus.REVOKED_AFTER_APPROVAL,
        node(ApprovalMode.ANY, member("bob", A), member("carol"), status=A),
        action=Action.REVOKE_AFTER_APPROVAL,
    ),
    "comments_attachments": snapshot(
        ApprovalStatus.PENDING,
        node(ApprovalMode.ALL, member("bob", A, speech="ok, see file", media=2), member("carol")),
        comments=(Comment("c1", "dave", T0 + 120, "Please hurry", ("a1", "a2")),),
        action=Action.COMMENT,
    ),
    "no_fields": snapshot(
        ApprovalStatus.PENDING,
        node(ApprovalMode.ALL, member("bob")),
        summary=(),
        fields=(),
        has_details=False,
    ),
    "huge": huge(),
}


def assert_valid(message: Message) -> None:
    """What Slack checks: each block per slack_sdk's models, the block count, the fallback text."""
    assert message.text.strip()
    assert 0 < len(message.blocks) <= 50
    for raw in message.blocks:
        block = Block.parse(raw)
        assert type(block) is not Block, raw  # a type slack_sdk knows
        block.validate_json()
        block.to_dict()  # validates nested elements (buttons, text objects) too
        assert all(len(f["text"]) <= 2000 for f in raw.get("fields", ()))
        assert all(e["text"].strip() for e in raw.get("elements", ()) if e["type"] == "mrkdwn")
        assert raw.get("text") is None or raw["text"]["text"].strip()


def odd_names(user_id: str) -> str | None:
    """A directory gone wrong: "Slack ids" full of mrkdwn control characters, shown as escaped text."""
    return f"{user_id} <{user_id}> & co" * 10 if user_id else None


def cards(snap: Snapshot, lang: str, link: str | None, approver: str, who: Names = names) -> list[Message]:
    """Every message the bot can send about `snap`."""
    comment = snap.comments[-1] if snap.comments else Comment("c0", "dave", T0, "hi")
    return [
        applicant_card(snap, who, lang, link, venue(snap, lang)),
        approver_card(snap, approver, who, lang, link, venue(snap, lang)),
        cc_card(snap, who, lang, link),
        comment_message(snap, comment, who, lang),
        urge_message(snap, who, lang, link, venue(snap, lang)),
    ]


def blocks_text(message: Message) -> str:
    return str(message.blocks)


def buttons(message: Message) -> list[dict]:
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("link", [LINK, None])
def test_every_message_validates(name: str, lang: str, link: str | None) -> None:
    snap = SCENARIOS[name]
    for approver in ("bob", "carol", "dave", "zed"):
        for message in cards(snap, lang, link, approver):
            assert_valid(message)
            assert NUMBER in message.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_approver_button_only_while_current(lang: str) -> None:
    snap = SCENARIOS["all_one_of_two"]
    waiting = approver_card(snap, "carol", names, lang, LINK, venue(snap, lang))
    assert buttons(waiting) == [
        {
            "type": "button",
            "action_id": "open_approval_link",
            "text": {"type": "plain_text", "text": t("card.open", lang)},
            "url": LINK,
            "style": "primary",
        }
    ]
    done = approver_card(snap, "bob", names, lang, LINK, venue(snap, lang))
    assert buttons(done) == []
    assert t("approver.you_did", lang, verb=enum_name(A, lang)) in done.text
    final = approver_card(
        SCENARIOS["approved"], "carol", names, lang, LINK, venue(SCENARIOS["approved"], lang)
    )
    assert buttons(final) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_approver_without_link_is_told_where_to_act(lang: str) -> None:
    message = approver_card(
        SCENARIOS["all_one_of_two"], "carol", names, lang, None, venue(SCENARIOS["all_one_of_two"], lang)
    )
    assert buttons(message) == []
    assert t("provider.wecom", lang) in blocks_text(message)


def test_settled_approver_learns_why() -> None:
    any_done = snapshot(
        ApprovalStatus.PENDING,
        node(ApprovalMode.ANY, member("bob", A), member("carol"), status=A),
        node(ApprovalMode.ALL, member("dave")),
    )
    assert (
        "<@UBOB> already decided"
        in approver_card(any_done, "carol", names, "en", LINK, venue(any_done, "en")).text
    )
    assert (
        "moved to the next step"
        in approver_card(any_done, "zed", names, "en", LINK, venue(any_done, "en")).text
    )
    revoked = approver_card(
        SCENARIOS["revoked"], "carol", names, "en", LINK, venue(SCENARIOS["revoked"], "en")
    )
    assert "final (↩️ Revoked)" in revoked.text
    rejected = approver_card(
        SCENARIOS["rejected"], "carol", names, "en", LINK, venue(SCENARIOS["rejected"], "en")
    )
    assert "You rejected" in rejected.text
    assert "> Over budget &lt;b&gt; &amp; no" in blocks_text(rejected)


@pytest.mark.parametrize(
    ("name", "en", "zh"),
    [
        ("all_one_of_two", "1 of 2 approved", "2 人中 1 人已同意"),
        ("any", "waiting for any one of <@UBOB>, <@UCAROL>", "任一人同意即可：<@UBOB>、<@UCAROL>"),
        ("sequential_second", "step 2 of 3: <@UCAROL>", "第 2/3 人：<@UCAROL>"),
    ],
)
def test_progress_line(name: str, en: str, zh: str) -> None:
    for lang, expected in (("en", en), ("zh_CN", zh)):
        assert expected in blocks_text(
            applicant_card(SCENARIOS[name], names, lang, LINK, venue(SCENARIOS[name], lang))
        )


def test_applicant_card_content() -> None:
    message = applicant_card(SCENARIOS["rejected"], names, "en", LINK, venue(SCENARIOS["rejected"], "en"))
    text = blocks_text(message)
    assert message.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Leave request", "emoji": True},
    }
    assert "❌ Rejected" in message.text
    assert "<!date^1749600000^{date_short_pretty} {time}|2025-06-11 00:00 UTC>" in text
    assert "*Reason*: Family trip" in text
    assert "<@UCAROL> rejected" in text
    assert "<b>" not in text
    assert buttons(message)[0]["url"] == LINK
    assert "*Waiting on*" not in text
    assert "*Waiting on* <@UCAROL>" in blocks_text(
        applicant_card(
            SCENARIOS["all_one_of_two"], names, "en", None, venue(SCENARIOS["all_one_of_two"], "en")
        )
    )


def test_timeline_is_sorted_and_counts_attachments() -> None:
    text = blocks_text(
        applicant_card(
            SCENARIOS["comments_attachments"],
            names,
            "en",
            None,
            venue(SCENARIOS["comments_attachments"], "en"),
        )
    )
    submitted, approved, commented = (
        text.index("<@UALICE> submitted"),
        text.index("<@UBOB> approved (attachments: 2)"),
        text.index("dave commented (attachments: 2)"),
    )
    assert submitted < approved < commented


def test_huge_snapshot_is_cut_down_and_says_so() -> None:
    message = applicant_card(SCENARIOS["huge"], names, "en", LINK, venue(SCENARIOS["huge"], "en"))
    text = blocks_text(message)
    assert "earlier entries not shown" in text
    assert "more not shown" in text
    assert "and 190 more" in text
    assert len(message.blocks[0]["text"]["text"]) == 150


def test_long_link_is_dropped_rather_than_rejected() -> None:
    message = approver_card(
        SCENARIOS["any"], "bob", names, "en", "https://x.example/" + "a" * 3000, venue(SCENARIOS["any"], "en")
    )
    assert buttons(message) == []
    assert_valid(message)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_comment_and_urge_say_what_happened(lang: str) -> None:
    snap = SCENARIOS["comments_attachments"]
    comment = comment_message(snap, snap.comments[0], names, lang)
    assert "dave" in comment.text
    assert "Please hurry" in comment.text
    urge = urge_message(snap, names, lang, LINK, venue(snap, lang))
    assert "<@UALICE>" in urge.text
    assert buttons(urge)[0]["url"] == LINK


def test_admin_lines() -> None:
    assert audit_line(SCENARIOS["rejected"], names, "en") == (
        f"`{NUMBER}` Leave request · rejected · ❌ Rejected · <@UCAROL>"
    )
    assert audit_line(SCENARIOS["revoked"], names, "en").endswith("<@UALICE>")
    assert audit_line(SCENARIOS["comments_attachments"], names, "en").endswith("dave")
    notice = unmapped_notice(SCENARIOS["any"], ["WangXiaoMing", "<x>"], "en", venue(SCENARIOS["any"], "en"))
    assert notice == (
        f"Could not find Slack users for WeCom users `WangXiaoMing`, `&lt;x&gt;` (approval {NUMBER}): "
        "add them to [users]"
    )
    assert "企业微信" in unmapped_notice(SCENARIOS["any"], ["a"], "zh_CN", venue(SCENARIOS["any"], "zh_CN"))


def test_catalog_is_complete() -> None:
    for key, entry in CATALOG.items():
        assert set(entry) == set(LANGUAGES), key
    for enum in (ApprovalStatus, Action, MemberStatus, ApprovalMode, NodeType):
        for value in enum:
            assert enum_name(value, "zh_CN") != enum_name(value, "en") or value is NodeType.CC
    assert enum_name(ApprovalMode.ALL, "zh_CN") == "会签"
    assert enum_name(ApprovalMode.ANY, "en") == "any one approves"


def test_t_falls_back_to_english_and_rejects_unknown_keys() -> None:
    assert t("status.approved", "fr") == "Approved"
    assert t("status.approved", "zh_CN") == "已通过"
    with pytest.raises(KeyError):
        t("no.such.key", "en")


# --- random snapshots -------------------------------------------------------------------------------------

USERS = ["alice", "bob", "carol", "dave", "<b>&amp;", "x" * 300, ""]
short_text = st.text(max_size=30)
# long strings are built by repetition: drawing 10k random characters is slow and adds nothing
any_text = short_text | st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=8), st.integers(100, 2000))
times = st.integers(0, 4_102_444_800)
users = st.sampled_from(USERS)


def mostly_pending(enum: type[ApprovalStatus] | type[MemberStatus]) -> st.SearchStrategy:
    """Pending half the time, so that many drawn approvals are actually waiting on someone."""
    return st.just(enum.PENDING) | st.sampled_from(enum)


def some_or_many(elements: st.SearchStrategy, many: int) -> st.SearchStrategy:
    """A few elements usually, sometimes around `many` (small lists are what hypothesis favours otherwise)."""
    return (st.lists(elements, max_size=10) | st.lists(elements, min_size=many - 20, max_size=many)).map(
        tuple
    )


members = st.builds(
    Member,
    user_id=users,
    status=mostly_pending(MemberStatus),
    speech=any_text,
    time=times,
    media_ids=st.lists(st.just("m"), max_size=3).map(tuple),
)
nodes = st.builds(
    Node,
    type=st.sampled_from(NodeType),
    mode=st.sampled_from(ApprovalMode),
    status=mostly_pending(MemberStatus),
    members=some_or_many(members, 40),
)
comments = st.builds(
    Comment,
    id=short_text,
    user_id=users,
    time=times,
    content=short_text | any_text,
    attachments=st.lists(st.just("a"), max_size=3).map(tuple),
)
snapshots = st.builds(
    Snapshot,
    provider=st.sampled_from(["wecom", "wecom_open", "fxiaoke", "local"]),
    number=any_text,
    template_id=short_text,
    template_name=any_text,
    status=mostly_pending(ApprovalStatus),
    applicant=users,
    apply_time=times,
    nodes=some_or_many(nodes, 30),
    cc=st.lists(users, max_size=5).map(tuple),
    comments=some_or_many(comments, 220),
    action=st.none() | st.sampled_from(Action),
    current_step=st.none() | st.integers(-1, 40),
    summary=some_or_many(any_text, 30),
    fields=some_or_many(st.builds(FormField, any_text, any_text), 40),
)
links = st.none() | st.builds(lambda n: "https://example.com/" + "a" * n, st.integers(0, 3100))


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(snapshots, st.sampled_from(LANGUAGES), links, users, st.sampled_from([names, odd_names]))
def test_random_snapshots_always_validate(
    snap: Snapshot, lang: str, link: str | None, approver: str, who: Names
) -> None:
    for message in cards(snap, lang, link, approver, who):
        assert_valid(message)
    if approver not in snap.waiting_on():
        assert buttons(approver_card(snap, approver, who, lang, link, venue(snap, lang))) == []
    assert audit_line(snap, who, lang).strip()
    assert unmapped_notice(snap, USERS, lang, venue(snap, lang)).strip()


# --- provider text never becomes markup; the audit names who decided ----------------------------------


def mrkdwn_of(value: object) -> list[str]:
    """Every mrkdwn text in blocks: what Slack parses for mentions and links (plain_text it shows as is)."""
    if isinstance(value, dict):
        own = [value["text"]] if value.get("type") == "mrkdwn" else []
        return own + [text for inner in value.values() for text in mrkdwn_of(inner)]
    if isinstance(value, (list, tuple)):
        return [text for inner in value for text in mrkdwn_of(inner)]
    return []


def test_an_unmapped_id_shaped_like_markup_is_text_and_a_mapped_one_a_mention() -> None:
    snap = snapshot(
        ApprovalStatus.PENDING,
        node(ApprovalMode.ALL, member("<!channel>"), member("bob")),
        applicant="<@U0ADMIN>",
        template_name="<https://evil.example|Leave>",
        comments=(Comment("c1", "<!here>", T0 + 5, "<@U0ADMIN> & <!everyone>"),),
    )
    for message in cards(snap, "en", LINK, "bob"):
        assert_valid(message)
        live = set(re.findall(r"<[^>]*>", "\n".join([message.text, *mrkdwn_of(message.blocks)])))
        assert all(token == "<@UBOB>" or token.startswith("<!date^") for token in live), live
    assert "&lt;@U0ADMIN&gt;" in blocks_text(applicant_card(snap, names, "en", LINK, venue(snap, "en")))
    assert mention("UBOB") == "<@UBOB>" and mention("U0ADMIN> <!channel") == "U0ADMIN&gt; &lt;!channel"


def test_the_audit_line_names_the_decider_even_when_a_comment_has_the_same_second() -> None:
    same_second = T0 + 60
    snap = snapshot(
        ApprovalStatus.APPROVED,
        node(ApprovalMode.ALL, member("bob", A, at=same_second), status=A),
        comments=(Comment("c1", "carol", same_second, "looks fine"),),
        action=Action.APPROVE,
    )
    assert audit_line(snap, names, "en").endswith("<@UBOB>")
    commented = snapshot(
        ApprovalStatus.PENDING,
        node(ApprovalMode.ALL, member("bob", A, at=same_second + 1), member("dave")),
        comments=(Comment("c1", "carol", same_second, "looks fine"),),
        action=Action.COMMENT,
    )
    assert audit_line(commented, names, "en").endswith("<@UCAROL>")


@pytest.mark.parametrize("length", [2_998, 10_000])
def test_sections_are_clamped_after_formatting(length: int) -> None:
    text = ("<@UBOB> &amp; " * length)[:length]
    block = section(f"⚠️ {text}")
    assert len(block["text"]["text"]) <= SECTION_LIMIT and block["text"]["text"].endswith("…")
    Block.parse(block).validate_json()
    cut = block["text"]["text"][:-1]
    assert cut.count("<") == cut.count(">") and cut.count("&") == cut.count(";")  # no token cut in two
    assert len(context(text)["elements"][0]["text"]) <= CONTEXT_LIMIT
