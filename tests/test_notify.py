"""Who is told what: the pure planning rules."""

from __future__ import annotations

from dataclasses import replace

from bot.model import Action, ApprovalMode, ApprovalStatus, Comment
from bot.notify import Kind, changed, comments_only, is_reply, new_comments, notify_plan, reply_key
from tests.factories import member, node, snapshot


def kinds(plan: list) -> list[tuple[str, str]]:
    return [(n.kind.value, n.recipient) for n in plan]


def test_submit_tells_applicant_current_approvers_and_cc() -> None:
    new = snapshot(node(member("a"), member("b")), node(member("c")), cc=("carol",))
    assert kinds(notify_plan(None, new, frozenset())) == [
        ("applicant_card", "applicant"),
        ("approver_card", "a"),
        ("approver_card", "b"),
        ("cc_card", "carol"),
    ]


def test_sequential_node_only_tells_the_next_person() -> None:
    new = snapshot(node(member("a", 2, 10), member("b"), member("c"), mode=ApprovalMode.SEQUENTIAL))
    assert [n.recipient for n in notify_plan(None, new, frozenset()) if n.kind is Kind.APPROVER_CARD] == ["b"]


def test_or_sign_node_is_done_when_one_approves() -> None:
    new = snapshot(node(member("a", 2, 10), member("b"), mode=ApprovalMode.ANY), node(member("c")))
    assert new.waiting_on() == ("c",)


def test_approvers_who_acted_or_moved_on_get_their_card_updated_not_a_new_one() -> None:
    old = snapshot(node(member("a"), member("b")))
    new = snapshot(node(member("a", 2, 10), member("b")), action=Action.APPROVE)
    plan = notify_plan(old, new, frozenset({"a", "b"}))
    approver_cards = [n for n in plan if n.kind is Kind.APPROVER_CARD]
    assert [n.recipient for n in approver_cards] == ["b", "a"]
    assert {n.card_key for n in approver_cards} == {"approver_card:a", "approver_card:b"}


def test_cc_hears_submit_and_outcome_but_not_steps_between() -> None:
    first = snapshot(node(member("a"), member("b")), cc=("carol",))
    step = snapshot(node(member("a", 2, 10), member("b")), cc=("carol",), action=Action.APPROVE)
    final = replace(
        snapshot(node(member("a", 2, 10), member("b", 2, 20)), cc=("carol",), action=Action.APPROVE),
        status=ApprovalStatus.APPROVED,
    )
    assert not [n for n in notify_plan(first, step, frozenset("ab")) if n.recipient == "carol"]
    assert kinds([n for n in notify_plan(step, final, frozenset("ab")) if n.recipient == "carol"]) == [
        ("cc_card", "carol"),
        ("cc_outcome", "carol"),
    ]


def test_first_sight_of_a_finished_approval_gives_cc_one_full_card() -> None:
    final = replace(snapshot(node(member("a", 2, 10)), cc=("carol",)), status=ApprovalStatus.REJECTED)
    assert kinds([n for n in notify_plan(None, final, frozenset()) if n.recipient == "carol"]) == [
        ("cc_card", "carol")
    ]


def test_a_new_comment_updates_every_card_for_its_timeline_and_sends_no_message_of_its_own() -> None:
    old = snapshot(node(member("a"), member("b")), cc=("carol",))
    comment = Comment("c1", "a", 50, "please attach the quote")
    new = replace(old, comments=(comment,), action=Action.COMMENT)
    assert kinds(notify_plan(old, new, frozenset("ab"))) == [
        ("applicant_card", "applicant"),
        ("approver_card", "a"),
        ("approver_card", "b"),
        ("cc_card", "carol"),
    ]
    assert new_comments(old, new) == [comment]
    assert new_comments(new, new) == []
    assert new_comments(None, new) == []  # first sight: the cards posted then show it


def test_comments_only_tells_a_comment_from_a_change_that_brings_one() -> None:
    old = snapshot(node(member("a"), member("b")))
    comment = Comment("c1", "a", 50, "see the quote")
    assert comments_only(old, replace(old, comments=(comment,)))
    decided = snapshot(node(member("a", 2, 50), member("b")), comments=(comment,))
    assert not comments_only(old, decided)
    assert not comments_only(None, decided)
    assert not comments_only(old, old)


def test_a_mirrored_reply_is_recorded_beside_the_card_it_answers_not_as_a_card() -> None:
    key = reply_key("local:1|approver_card:U1", "c1")
    assert is_reply(key) and not is_reply("local:1|approver_card:U1")


def test_urge_reaches_only_current_approvers() -> None:
    snap = snapshot(node(member("a", 2, 10)), node(member("b")), action=Action.URGE)
    assert [n.recipient for n in notify_plan(snap, snap, frozenset("ab")) if n.kind is Kind.URGE] == ["b"]


def test_changed_ignores_what_caused_the_snapshot() -> None:
    snap = snapshot(node(member("a")))
    assert not changed(snap, replace(snap, action=Action.URGE, event_time=99))
    assert changed(snap, snapshot(node(member("a", 2, 5))))
    assert changed(None, snap)


def test_progress_key_orders_older_before_newer() -> None:
    pending = snapshot(node(member("a"), member("b")))
    one = snapshot(node(member("a", 2, 10), member("b")))
    done = replace(snapshot(node(member("a", 2, 10), member("b", 2, 20))), status=ApprovalStatus.APPROVED)
    revoked_after = replace(done, status=ApprovalStatus.REVOKED_AFTER_APPROVAL)
    assert pending.progress_key() < one.progress_key() < done.progress_key() < revoked_after.progress_key()
