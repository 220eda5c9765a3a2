"""The embedded engine: its rules step by step, then random sequences of actions that must keep them."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.forms import FilledForm
from bot.model import Action, ApprovalMode, ApprovalStatus, MemberStatus, NodeType, Snapshot
from bot.providers.local.engine import (
    LocalTemplate,
    NotAllowed,
    TemplateConfigError,
    add_approver,
    approve,
    comment,
    reject,
    return_to,
    revoke,
    submit,
    template_from_config,
    transfer,
    urge,
)

APPLICANT, A, B, C, D, E, CC = "UAPP01", "UAAA1", "UBBB2", "UCCC3", "UDDD4", "UEEE5", "UCC006"
T0 = 1_700_000_000

ALL = {"type": 1, "apv_rel": 1}
ANY = {"type": 1, "apv_rel": 2}
IN_TURN = {"type": 1, "apv_rel": 3}
ISSUE_PROCESS = [{**ALL, "users": [A, B]}, {**ANY, "users": [C]}, {"type": 2, "users": [CC]}]


ENTRY = {
    "alias": "purchase",
    "name": "采购申请",
    "controls": [{"control": "Text", "id": "Text-1", "title": "采购事由", "require": True}],
    "process": [{**ALL, "users": [A]}],
}


def template(process: list[dict[str, Any]], **extra: Any) -> LocalTemplate:
    return template_from_config(ENTRY | {"process": process} | extra)


def start(process: list[dict[str, Any]], applicant: str = APPLICANT) -> Snapshot:
    tpl = template(process)
    return submit(tpl, applicant, FilledForm(tpl.template, {"Text-1": "laptops"}), "202611210001", T0)


def refused(call: Any, *args: Any, **kwargs: Any) -> NotAllowed:
    with pytest.raises(NotAllowed) as caught:
        call(*args, **kwargs)
    return caught.value


def statuses(snap: Snapshot, step: int) -> list[MemberStatus]:
    return [m.status for m in snap.flow_nodes()[step].members]


# -- the rules, one by one ---------------------------------------------------------------------------------


def test_the_issue_example_goes_all_then_any_and_never_waits_on_cc() -> None:
    snap = start(ISSUE_PROCESS)
    assert (snap.provider, snap.status, snap.action, snap.apply_time, snap.event_time) == (
        "local",
        ApprovalStatus.PENDING,
        Action.SUBMIT,
        T0,
        T0,
    )
    assert snap.has_details and snap.current_step == 0 and snap.waiting_on() == (A, B)
    assert snap.all_cc() == (CC,) and snap.nodes[2].type is NodeType.CC

    snap = approve(snap, A, T0 + 1, "fine")
    assert snap.status is ApprovalStatus.PENDING and snap.waiting_on() == (B,)
    assert snap.flow_nodes()[0].members[0].speech == "fine" and snap.flow_nodes()[0].progress() == (1, 2)

    snap = approve(snap, B, T0 + 2)
    assert snap.waiting_on() == (C,) and snap.current_step == 1
    assert snap.flow_nodes()[0].status is MemberStatus.APPROVED

    snap = approve(snap, C, T0 + 3)
    assert (snap.status, snap.action, snap.event_time) == (ApprovalStatus.APPROVED, Action.APPROVE, T0 + 3)
    assert snap.current_step is None and snap.waiting_on() == ()


def test_any_one_approval_settles_an_or_step_and_tells_the_latecomer_who_and_when() -> None:
    snap = approve(start([{**ANY, "users": [A, B]}, {**ALL, "users": [C]}]), A, T0 + 5)
    assert snap.flow_nodes()[0].status is MemberStatus.APPROVED and snap.waiting_on() == (C,)
    assert statuses(snap, 0) == [MemberStatus.APPROVED, MemberStatus.PENDING]
    for call, args in ((approve, ()), (reject, ("no",))):
        late = refused(call, snap, B, T0 + 6, *args)
        assert (late.reason, late.decided_by, late.decided_at) == ("already_decided", A, T0 + 5)


def test_in_turn_waits_on_one_person_at_a_time() -> None:
    snap = start([{**IN_TURN, "users": [A, B]}])
    assert snap.waiting_on() == (A,)
    assert refused(approve, snap, B, T0 + 1).reason == "not_your_turn"
    snap = approve(snap, A, T0 + 1)
    assert snap.waiting_on() == (B,)
    mine = refused(approve, snap, A, T0 + 2)
    assert (mine.reason, mine.decided_by) == ("already_decided", None)  # their own doing
    assert approve(snap, B, T0 + 2).status is ApprovalStatus.APPROVED


def test_a_rejection_ends_the_approval_and_needs_a_reason() -> None:
    snap = start(ISSUE_PROCESS)
    assert refused(reject, snap, A, T0 + 1, "  ").reason == "reason_required"
    snap = reject(snap, A, T0 + 1, "too expensive")
    assert (snap.status, snap.action, snap.current_step) == (ApprovalStatus.REJECTED, Action.REJECT, None)
    assert snap.flow_nodes()[0].status is MemberStatus.REJECTED
    assert snap.flow_nodes()[0].members[0].speech == "too expensive"


def test_transfer_puts_the_new_person_in_the_same_place() -> None:
    snap = transfer(start([{**IN_TURN, "users": [A, B]}]), A, D, T0 + 1, "D knows this")
    assert snap.action is Action.TRANSFER and snap.waiting_on() == (D,)
    assert [(m.user_id, m.status) for m in snap.flow_nodes()[0].members] == [
        (A, MemberStatus.TRANSFERRED),
        (D, MemberStatus.PENDING),
        (B, MemberStatus.PENDING),
    ]
    assert refused(approve, snap, A, T0 + 2).reason == "already_decided"
    assert approve(snap, D, T0 + 2).waiting_on() == (B,)
    assert refused(transfer, snap, D, "bob", T0 + 2).reason == "unknown_user"
    assert refused(transfer, snap, D, D, T0 + 2).reason == "same_person"


def test_add_approver_inserts_an_in_turn_step_after_the_current_one() -> None:
    snap = start([{**ALL, "users": [A, B]}, {**ALL, "users": [C]}])
    added = add_approver(snap, A, [D, E, D], T0 + 1, "ask D and E")
    assert added.action is Action.ADD_APPROVER and statuses(added, 0)[0] is MemberStatus.ADDED
    assert added.waiting_on() == (B,)  # adding is not approving: B still has to
    assert added.flow_nodes()[0].progress() == (0, 2)
    new_step = added.flow_nodes()[1]
    assert (new_step.mode, [m.user_id for m in new_step.members]) == (ApprovalMode.SEQUENTIAL, [D, E])
    assert approve(added, B, T0 + 2).waiting_on() == (D,)

    both = add_approver(snap, A, [D], T0 + 1, and_approve=True)
    assert both.action is Action.ADD_AND_APPROVE and statuses(both, 0)[0] is MemberStatus.APPROVED_AND_ADDED
    assert both.flow_nodes()[0].progress() == (1, 2)
    assert refused(add_approver, snap, A, [], T0 + 1).reason == "unknown_user"


def test_adding_on_an_or_step_still_needs_a_colleagues_approval() -> None:
    snap = add_approver(start([{**ANY, "users": [A, B]}]), A, [D], T0 + 1)
    assert snap.waiting_on() == (B,)
    assert approve(snap, B, T0 + 2).waiting_on() == (D,)


def test_return_reopens_the_previous_step_and_keeps_the_returners_place() -> None:
    snap = start([{**ALL, "users": [A, E]}, {**ALL, "users": [B, C]}])
    snap = approve(approve(snap, A, T0 + 1, "ok"), E, T0 + 2)
    snap = approve(snap, C, T0 + 3)
    back = return_to(snap, B, T0 + 4, "missing the quote")
    assert (back.action, back.current_step, back.waiting_on()) == (Action.RETURN, 0, (A, E))
    assert [(m.status, m.time, m.speech) for m in back.flow_nodes()[0].members] == [
        (MemberStatus.PENDING, 0, ""),
        (MemberStatus.PENDING, 0, ""),
    ]
    assert statuses(back, 1) == [MemberStatus.RETURNED, MemberStatus.PENDING, MemberStatus.PENDING]
    assert back.progress_key() > snap.progress_key()
    again = approve(approve(back, A, T0 + 5), E, T0 + 6)
    assert set(again.waiting_on()) == {B, C}


def test_return_needs_an_earlier_approver_step() -> None:
    snap = start([{**ALL, "users": [A]}, {"type": 3, "apv_rel": 1, "users": [B]}, {**ALL, "users": [C]}])
    assert refused(return_to, snap, A, T0 + 1).reason == "nothing_to_return"
    snap = approve(approve(snap, A, T0 + 1), B, T0 + 2)
    assert refused(return_to, snap, C, T0 + 3, step=1).reason == "nothing_to_return"  # a handler step
    assert return_to(snap, C, T0 + 3).waiting_on() == (A,)  # skips the handler step, reopens it too
    assert statuses(return_to(snap, C, T0 + 3), 1) == [MemberStatus.PENDING]


def test_a_return_in_the_same_second_still_moves_progress_on() -> None:
    snap = start([{**ALL, "users": [A, B]}, {**ALL, "users": [C]}])
    snap = approve(approve(snap, A, T0), B, T0)
    back = return_to(snap, C, T0)
    assert back.progress_key() > snap.progress_key() and back.event_time == T0 + 1


def test_handlers_handle() -> None:
    snap = start(
        [{**ALL, "users": [A]}, {"type": 3, "apv_rel": 2, "users": [APPLICANT, B]}], applicant=APPLICANT
    )
    snap = approve(approve(snap, A, T0 + 1), APPLICANT, T0 + 2)  # handling one's own request is no approval
    assert snap.status is ApprovalStatus.APPROVED
    assert (
        statuses(snap, 1)[0] is MemberStatus.HANDLED and snap.flow_nodes()[1].status is MemberStatus.HANDLED
    )


def test_comments_come_from_anyone_on_the_approval() -> None:
    snap = comment(start(ISSUE_PROCESS), CC, "please hurry", T0 + 1, "c1")
    assert snap.action is Action.COMMENT and snap.comments[0].user_id == CC
    assert snap.comments[0].content == "please hurry" and snap.waiting_on() == (A, B)
    assert refused(comment, snap, E, "hi", T0 + 2, "c2").reason == "unknown_user"
    assert refused(comment, snap, A, " ", T0 + 2, "c2").reason == "reason_required"


def test_urge_is_the_applicants_and_rate_limited() -> None:
    snap = start(ISSUE_PROCESS)
    urged = urge(snap, APPLICANT, T0 + 10, last_urged=None)
    assert urged.action is Action.URGE and urged.nodes == snap.nodes and urged.event_time == T0 + 10
    assert refused(urge, snap, A, T0 + 10, None).reason == "not_applicant"
    assert refused(urge, urged, APPLICANT, T0 + 100, last_urged=T0 + 10).reason == "urge_too_soon"
    assert urge(urged, APPLICANT, T0 + 3610, last_urged=T0 + 10).event_time == T0 + 3610


def test_revoke_pending_and_after_approval() -> None:
    snap = start([{**ALL, "users": [A]}])
    assert refused(revoke, snap, A, T0 + 1).reason == "not_applicant"
    revoked = revoke(snap, APPLICANT, T0 + 1)
    assert (revoked.status, revoked.action, revoked.comments) == (ApprovalStatus.REVOKED, Action.REVOKE, ())

    approved = approve(snap, A, T0 + 1)
    assert refused(revoke, approved, APPLICANT, T0 + 2).reason == "reason_required"
    undone = revoke(approved, APPLICANT, T0 + 2, "bought elsewhere")
    assert (undone.status, undone.action) == (
        ApprovalStatus.REVOKED_AFTER_APPROVAL,
        Action.REVOKE_AFTER_APPROVAL,
    )
    assert undone.comments[0].content == "bought elsewhere"
    assert refused(revoke, undone, APPLICANT, T0 + 3, "again").reason == "final"


def test_who_may_act() -> None:
    snap = start([{**ALL, "users": [APPLICANT, A]}, {**ALL, "users": [B]}])
    assert snap.waiting_on() == (APPLICANT, A)  # the applicant is never skipped
    assert refused(approve, snap, APPLICANT, T0 + 1).reason == "own_request"
    assert refused(add_approver, snap, APPLICANT, [D], T0 + 1, and_approve=True).reason == "own_request"
    assert refused(approve, snap, B, T0 + 1).reason == "not_your_turn"
    assert refused(approve, snap, E, T0 + 1).reason == "not_your_turn"
    assert approve(snap, APPLICANT, T0 + 1, allow_self=True).waiting_on() == (A,)
    assert transfer(snap, APPLICANT, D, T0 + 1).waiting_on() == (D, A)


def test_a_final_approval_accepts_nothing() -> None:
    final = reject(start(ISSUE_PROCESS), A, T0 + 1, "no")
    for call in (
        lambda who: approve(final, who, T0 + 2, allow_self=True),
        lambda who: reject(final, who, T0 + 2, "no"),
        lambda who: transfer(final, who, D, T0 + 2),
        lambda who: add_approver(final, who, [D], T0 + 2),
        lambda who: return_to(final, who, T0 + 2),
        lambda who: comment(final, who, "hi", T0 + 2, "c1"),
        lambda who: urge(final, who, T0 + 2, None),
        lambda who: revoke(final, who, T0 + 2, "why"),
    ):
        for who in (APPLICANT, A, B, C, CC):
            assert refused(call, who).reason == "final"


def test_the_same_inputs_give_the_same_state() -> None:
    assert approve(start(ISSUE_PROCESS), A, T0 + 1) == approve(start(ISSUE_PROCESS), A, T0 + 1)


# -- configuration -----------------------------------------------------------------------------------------


def test_a_full_template_reads() -> None:
    tpl = template(
        [{**IN_TURN, "users": [A, B]}, {"type": 3, "apv_rel": 2, "users": [C]}, {"type": 2, "users": [CC]}],
        controls=[
            {"control": "Selector", "id": "s", "title": "Kind", "options": [{"key": "k1", "text": "Laptop"}]},
            {"control": "Date", "id": "d", "title": "When", "date_type": "hour", "require": True},
            {"control": "Contact", "id": "who", "title": "Who", "multi": True},
            {
                "control": "Table",
                "id": "t",
                "title": "Items",
                "children": [{"control": "Money", "id": "m", "title": "€"}],
            },
            {"control": "Tips", "id": "tip", "title": "Note", "text": "Ask first"},
        ],
    )
    assert (tpl.template.provider, tpl.template.id, tpl.template.name) == ("local", "purchase", "采购申请")
    assert tpl.template.control("s").options[0].text == "Laptop"
    assert tpl.template.control("d").date_type == "hour" and tpl.template.control("d").required
    assert tpl.template.control("who").contact_mode == "user" and tpl.template.control("m").kind == "Money"
    assert [(s.type, s.mode, s.users) for s in tpl.process] == [
        (NodeType.APPROVER, ApprovalMode.SEQUENTIAL, (A, B)),
        (NodeType.HANDLER, ApprovalMode.ANY, (C,)),
        (NodeType.CC, ApprovalMode.ALL, (CC,)),
    ]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"alias": ""}, "has no alias"),
        ({"controls": [{"control": "Hologram", "id": "h", "title": "H"}]}, "unknown kind 'Hologram'"),
        (
            {
                "controls": [
                    {"control": "Text", "id": "x", "title": "A"},
                    {"control": "Text", "id": "x", "title": "B"},
                ]
            },
            "control id 'x' is used more than once",
        ),
        (
            {
                "controls": [
                    {
                        "control": "Table",
                        "id": "x",
                        "title": "T",
                        "children": [{"control": "Text", "id": "x", "title": "c"}],
                    }
                ]
            },
            "control id 'x' is used more than once",
        ),
        (
            {"controls": [{"control": "Text", "id": "x", "title": "A", "options": []}]},
            "unknown setting 'options'",
        ),
        (
            {
                "controls": [
                    {
                        "control": "Table",
                        "id": "t",
                        "title": "T",
                        "children": [{"control": "Tips", "id": "x"}],
                    }
                ]
            },
            "is a Tips, which cannot be a column of a Table",
        ),
        (
            {"controls": [{"control": "Selector", "id": "s", "title": "S", "options": []}]},
            "options need 1 to 100",
        ),
        (
            {"controls": [{"control": "Text", "id": "x", "title": "A", "require": "yes"}]},
            "require must be true or false",
        ),
        (
            {"process": [{"type": 4, "apv_rel": 1, "users": [A]}]},
            "type must be 1 (approver), 2 (CC) or 3 (handler)",
        ),
        ({"process": [{"type": 1, "apv_rel": 5, "users": [A]}]}, "apv_rel must be 1 (everyone must approve)"),
        ({"process": [{"type": 1, "users": [A]}]}, "apv_rel must be"),
        ({"process": [{**ALL, "users": [A]}, {"type": 2, "apv_rel": 1, "users": [CC]}]}, "takes no apv_rel"),
        ({"process": [{"type": 3, "apv_rel": 1, "users": [A]}]}, "needs at least one approver step"),
        ({"process": [{**ALL, "users": ["bob"]}]}, "'bob' is not a Slack user id (like U012ABC)"),
        ({"process": [{**ALL, "users": [A, A]}]}, f"{A} is listed more than once"),
        ({"process": [{**ALL, "users": []}]}, "users lists nobody"),
        ({"process": "everyone"}, "process must be a list"),
        ({"proces": []}, "unknown setting 'proces'"),
    ],
)
def test_template_mistakes_are_explained(change: dict[str, Any], words: str) -> None:
    with pytest.raises(TemplateConfigError) as caught:
        template_from_config(ENTRY | change)
    assert words in str(caught.value)


# -- random sequences --------------------------------------------------------------------------------------

PEOPLE = (APPLICANT, A, B, C, D)
REASONS = {
    "not_your_turn",
    "already_decided",
    "final",
    "own_request",
    "not_applicant",
    "reason_required",
    "urge_too_soon",
    "unknown_user",
    "nothing_to_return",
    "same_person",
}
NODE_STATUSES = {MemberStatus.PENDING, MemberStatus.APPROVED, MemberStatus.REJECTED, MemberStatus.HANDLED}
DONE = {MemberStatus.APPROVED, MemberStatus.APPROVED_AND_ADDED, MemberStatus.HANDLED}

OPERATIONS = {
    "approve": lambda s, who, now, x: approve(s, who, now, x["text"], allow_self=x["flag"]),
    "reject": lambda s, who, now, x: reject(s, who, now, x["text"]),
    "transfer": lambda s, who, now, x: transfer(s, who, x["other"], now),
    "add": lambda s, who, now, x: add_approver(s, who, x["users"], now, and_approve=x["flag"]),
    "return": lambda s, who, now, x: return_to(s, who, now, step=x["step"]),
    "comment": lambda s, who, now, x: comment(s, who, x["text"], now, f"c{now}"),
    "urge": lambda s, who, now, x: urge(s, who, now, x["last_urged"], min_interval=5),
    "revoke": lambda s, who, now, x: revoke(s, who, now, x["text"]),
}
# Mostly moves forward, with enough returns, and few endings, so sequences get somewhere.
WEIGHTED = ("approve",) * 4 + ("return", "return", "transfer", "add") + tuple(OPERATIONS)

steps = st.builds(
    lambda kind, rel, users: {"type": kind, "users": users} | ({} if kind == 2 else {"apv_rel": rel}),
    st.sampled_from([1, 1, 2, 3]),
    st.sampled_from([1, 2, 3]),
    st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=3, unique=True),
)
processes = st.lists(steps, min_size=1, max_size=4).filter(lambda p: any(s["type"] == 1 for s in p))


def expected_waiting(snap: Snapshot) -> tuple[str, ...]:
    """The rules restated: the first step not done waits, on all its pending people (依次: the first)."""
    if snap.status is not ApprovalStatus.PENDING:
        return ()
    for node in snap.flow_nodes():
        pending = [m.user_id for m in node.members if m.status is MemberStatus.PENDING]
        approved = any(m.status in DONE for m in node.members)
        if pending and not (node.mode is ApprovalMode.ANY and approved):
            return tuple(pending[:1]) if node.mode is ApprovalMode.SEQUENTIAL else tuple(pending)
    raise AssertionError("pending, yet no step waits")


def check(before: Snapshot, after: Snapshot, now: int) -> None:
    assert after.status in {
        ApprovalStatus.PENDING,
        ApprovalStatus.APPROVED,
        ApprovalStatus.REJECTED,
        ApprovalStatus.REVOKED,
        ApprovalStatus.REVOKED_AFTER_APPROVAL,
    }
    assert all(n.status in NODE_STATUSES for n in after.flow_nodes())
    assert after.progress_key() >= before.progress_key()
    assert after.waiting_on() == expected_waiting(after)
    if after.status is ApprovalStatus.PENDING:
        assert after.flow_nodes()[after.current_step].status is MemberStatus.PENDING
    else:
        assert after.current_step is None
    if after.status is ApprovalStatus.APPROVED:
        assert all(n.status is not MemberStatus.PENDING for n in after.flow_nodes())
    for who in PEOPLE:  # exactly the people waited on may approve
        try:
            approve(after, who, now, allow_self=True)
        except NotAllowed:
            assert who not in after.waiting_on()
        else:
            assert who in after.waiting_on()


@settings(max_examples=300)
@given(process=processes, applicant=st.sampled_from(PEOPLE), data=st.data())
def test_random_actions_keep_the_invariants(process: list[dict[str, Any]], applicant: str, data: Any) -> None:
    snap, now, last_urged = start(process, applicant), T0, None
    check(snap, snap, now)
    for _ in range(data.draw(st.integers(1, 30), label="length")):
        now += data.draw(st.integers(0, 3), label="wait")
        op = data.draw(st.sampled_from(WEIGHTED), label="operation")
        who = data.draw(st.sampled_from(snap.waiting_on() or PEOPLE) | st.sampled_from(PEOPLE), label="who")
        extra = {
            "text": data.draw(st.sampled_from(["", "because"]), label="text"),
            "flag": data.draw(st.booleans(), label="flag"),
            "other": data.draw(st.sampled_from([*PEOPLE, "nobody"]), label="other"),
            "users": data.draw(st.lists(st.sampled_from(PEOPLE), max_size=2), label="users"),
            "step": data.draw(st.none() | st.integers(-1, 4), label="step"),
            "last_urged": last_urged,
        }
        try:
            after = OPERATIONS[op](snap, who, now, extra)
        except NotAllowed as refusal:
            assert refusal.reason in REASONS
            assert refusal.reason == "final" or snap.status in (
                ApprovalStatus.PENDING,
                ApprovalStatus.APPROVED,
            )
            continue
        assert not snap.status.is_final or (op, snap.status) == ("revoke", ApprovalStatus.APPROVED)
        assert OPERATIONS[op](snap, who, now, extra) == after  # pure
        check(snap, after, now)
        last_urged = now if op == "urge" else last_urged
        snap = after
