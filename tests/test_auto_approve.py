"""auto_approve rules: their grammar and checks against a template, and the engine transitions that
approve a step by rule the moment the flow reaches it (pure: no clock, no store, no Slack)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.auto_approve import Condition, Rule, RuleConfigError, parse_rules
from bot.forms import FilledForm
from bot.model import Action, ApprovalStatus, MemberStatus, Snapshot
from bot.providers.local.engine import (
    LocalTemplate,
    NotAllowed,
    TemplateConfigError,
    approve,
    reject,
    return_to,
    submit,
    template_from_config,
)
from bot.template_policy import PolicyConfigError, policies_by_template

APPLICANT, A, B, C = "UAPP01", "UAAA1", "UBBB2", "UCCC3"
T0 = 1_700_000_000
SMALL = {"name": "small purchases", "when": [{"control": "Money-1", "op": "<=", "value": 200}]}
ENTRY: dict[str, Any] = {
    "alias": "purchase",
    "name": "采购申请",
    "controls": [
        {"control": "Text", "id": "Text-1", "title": "采购事由"},
        {"control": "Money", "id": "Money-1", "title": "金额", "require": True},
        {
            "control": "Selector",
            "id": "Selector-1",
            "title": "类别",
            "options": [{"key": "office", "text": "办公"}, {"key": "it", "text": "IT"}],
        },
        {"control": "Date", "id": "Date-1", "title": "日期"},
    ],
    "process": [
        {"type": 1, "apv_rel": 1, "users": [A, B]},
        {"type": 1, "apv_rel": 2, "users": [C]},
        {"type": 2, "users": ["UCC006"]},
    ],
}


def template(*rules: dict[str, Any]) -> LocalTemplate:
    return template_from_config(ENTRY | {"auto_approve": list(rules)})


def filed(tpl: LocalTemplate, answers: dict[str, Any], groups: frozenset[str] = frozenset()) -> Snapshot:
    form = FilledForm(tpl.template, answers)
    return submit(tpl, APPLICANT, form, "202611210001", T0, applicant_groups=groups)


def test_a_matching_rule_approves_the_first_step_at_filing_and_nobody_there_is_asked() -> None:
    snap = filed(template(SMALL), {"Money-1": "199.50"})
    first = snap.flow_nodes()[0]
    assert (first.status, first.rule, first.ruled_at) == (MemberStatus.APPROVED, "small purchases", T0)
    assert [m.status for m in first.members] == [MemberStatus.PENDING, MemberStatus.PENDING]  # nobody acted
    assert snap.waiting_on() == (C,) and snap.current_step == 1
    assert (snap.status, snap.action) == (ApprovalStatus.PENDING, Action.SUBMIT)
    with pytest.raises(NotAllowed) as late:
        approve(snap, A, T0 + 5)
    assert late.value.reason == "ruled"


def test_a_rule_that_does_not_hold_leaves_the_request_waiting_for_people() -> None:
    snap = filed(template(SMALL), {"Money-1": "4839.00"})
    assert snap.flow_nodes()[0].ruled_at == 0 and snap.waiting_on() == (A, B)


def test_a_later_step_is_approved_by_rule_when_the_flow_reaches_it_not_before() -> None:
    tpl = template(SMALL | {"steps": [2]})
    snap = filed(tpl, {"Money-1": "20"})
    assert snap.flow_nodes()[1].rule == "small purchases" and snap.flow_nodes()[1].ruled_at == 0
    assert snap.waiting_on() == (A, B)
    snap = approve(approve(snap, A, T0 + 10), B, T0 + 20)
    assert snap.status is ApprovalStatus.APPROVED and snap.flow_nodes()[1].ruled_at == T0 + 20
    assert snap.last_activity() == T0 + 20


def test_a_rejection_before_the_ruled_step_ends_it_unapproved() -> None:
    snap = reject(filed(template(SMALL | {"steps": [2]}), {"Money-1": "20"}), A, T0 + 3, "no")
    assert snap.status is ApprovalStatus.REJECTED and snap.flow_nodes()[1].ruled_at == 0


def test_every_step_a_rule_names_is_approved_in_turn_so_the_request_ends_approved() -> None:
    snap = filed(template(SMALL | {"steps": [1, 2]}), {"Money-1": "20"})
    assert snap.status is ApprovalStatus.APPROVED and snap.current_step is None
    assert [n.ruled_at for n in snap.flow_nodes()] == [T0, T0]


def test_a_return_to_a_ruled_step_lets_the_rule_approve_it_again() -> None:
    snap = filed(template(SMALL), {"Money-1": "20"})
    back = return_to(snap, C, T0 + 50)
    assert back.flow_nodes()[0].ruled_at == T0 + 50  # the return's stamp: reached anew, approved anew
    assert back.status is ApprovalStatus.PENDING and C in back.waiting_on()


@pytest.mark.parametrize(
    ("rule", "answers", "groups", "matches"),
    [
        ({"name": "r", "applicant_in": ["S0TEAM"]}, {}, frozenset({"S0TEAM"}), True),
        ({"name": "r", "applicant_in": ["S0TEAM"]}, {}, frozenset(), False),
        ({"name": "r", "applicant_in": [APPLICANT]}, {}, frozenset(), True),
        (SMALL | {"applicant_in": ["S0TEAM"]}, {"Money-1": "20"}, frozenset(), False),
        ({"name": "r", "when": [{"control": "Selector-1", "op": "in", "value": ["office"]}]},
         {"Selector-1": ("office",)}, frozenset(), True),
        ({"name": "r", "when": [{"control": "Selector-1", "op": "==", "value": "office"}]},
         {"Selector-1": ("it",)}, frozenset(), False),
        ({"name": "r", "when": [{"control": "Text-1", "op": "==", "value": "paper"}]},
         {"Text-1": "paper"}, frozenset(), True),
        ({"name": "r", "when": [{"control": "Text-1", "op": "!=", "value": "paper"}]},
         {}, frozenset(), False),  # an empty answer never meets a condition
    ],
)  # fmt: skip
def test_all_conditions_of_a_rule_must_hold(
    rule: dict[str, Any], answers: dict[str, Any], groups: frozenset[str], matches: bool
) -> None:
    snap = filed(template(rule), {"Money-1": "1", **answers}, groups)
    assert bool(snap.flow_nodes()[0].ruled_at) is matches


def test_any_rule_is_enough_and_the_first_in_order_is_named() -> None:
    tpl = template({"name": "team", "applicant_in": [APPLICANT]}, SMALL)
    assert filed(tpl, {"Money-1": "20"}).flow_nodes()[0].rule == "team"
    assert filed(tpl, {"Money-1": "9999"}).flow_nodes()[0].rule == "team"


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ({"name": "r", "when": [{"control": "Money-9", "op": "<=", "value": 1}]}, "no control has the id"),
        ({"name": "r", "when": [{"control": "Money-1", "op": "in", "value": ["1"]}]}, "does not fit"),
        ({"name": "r", "when": [{"control": "Money-1", "op": "==", "value": "200"}]}, "must be a number"),
        ({"name": "r", "when": [{"control": "Text-1", "op": "<", "value": 3}]}, "does not fit"),
        ({"name": "r", "when": [{"control": "Text-1", "op": "==", "value": 3}]}, "must be a text"),
        ({"name": "r", "when": [{"control": "Date-1", "op": "==", "value": "x"}]}, "cannot judge"),
        ({"name": "r", "when": [{"control": "Selector-1", "op": "==", "value": "car"}]}, "no option 'car'"),
        ({"name": "r", "when": [{"control": "Money-1", "op": "≤", "value": 1}]}, "op must be one of"),
        ({"name": "r", "when": [{"control": "Money-1", "op": "<", "value": True}]}, "must be a number"),
        ({"name": "r", "when": [{"control": "Money-1", "op": "<", "value": 1, "x": 1}]}, "unknown key 'x'"),
        ({"name": "r", "applicant_in": ["alice"]}, "neither a Slack user id"),
        ({"name": "r", "applicant_in": [APPLICANT], "steps": [3]}, "not an approver step"),
        ({"name": "r", "applicant_in": [APPLICANT], "steps": [0]}, "steps must list step numbers"),
        ({"name": "r"}, "has no condition"),
        ({"when": []}, "name must be some text"),
        ({"name": "r", "applicant_in": [APPLICANT], "approve": True}, "unknown key 'approve'"),
    ],
)
def test_check_config_refuses_a_rule_that_cannot_work_in_plain_words(rule: dict[str, Any], says: str) -> None:
    with pytest.raises(TemplateConfigError, match=says):
        template(rule)


def test_two_rules_may_not_share_a_name() -> None:
    with pytest.raises(RuleConfigError, match="two auto_approve rules are named 'r'"):
        parse_rules([{"name": "r", "applicant_in": [A]}, {"name": "r", "applicant_in": [B]}], "t")


def test_rules_only_apply_to_embedded_engine_templates() -> None:
    with pytest.raises(PolicyConfigError, match="only for embedded-engine templates"):
        policies_by_template("wecom.policies", {"leave": {"auto_approve": []}}, {"leave": ("wecom", "T1")})


def test_a_rule_reads_back_as_parsed() -> None:
    (rule,) = parse_rules([SMALL | {"applicant_in": ["S0TEAM", A]}], "t")
    assert rule == Rule("small purchases", (Condition("Money-1", "<=", 200),), ("S0TEAM", A), ())
    assert rule.groups == ("S0TEAM",)
