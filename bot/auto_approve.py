"""`auto_approve` rules: trivial requests approved by the embedded engine without waiting for a person.

A template's `auto_approve` is a list of rules; a rule approves its steps when all its conditions hold
(every `when` condition on the form, and `applicant_in` when given); any one rule is enough. The form and
the applicant never change after filing, so the rules are judged once, at filing, and the engine approves
each step a rule matched as the flow reaches it (`Node.rule`).

Checked in two passes so that every reader agrees: `parse_rules` (the grammar: keys, operators, value
types) for anyone listing rules, and `check_rules` (against the template: the control exists, the
operator fits its kind, option keys are known, the steps are approver steps) for the engine and
check-config. Group membership comes through `GroupMembers`, a port the Slack edge implements.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from bot.forms import Answer, Control

NUMERIC_KINDS = frozenset({"Number", "Money"})
TEXT_KINDS = frozenset({"Text", "Textarea", "PhoneNumber"})
CHOICE_KINDS = frozenset({"Selector"})
ORDER_OPS = ("<", "<=", ">", ">=")
EQUALITY_OPS = ("==", "!=")
LIST_OPS = ("in",)
OPS = (*ORDER_OPS, *EQUALITY_OPS, *LIST_OPS)
_OPS_OF_KIND = {
    **dict.fromkeys(NUMERIC_KINDS, (*ORDER_OPS, *EQUALITY_OPS)),
    **dict.fromkeys(TEXT_KINDS, (*EQUALITY_OPS, *LIST_OPS)),
    **dict.fromkeys(CHOICE_KINDS, ("==", *LIST_OPS)),
}
_RULE_KEYS = frozenset({"name", "when", "applicant_in", "steps"})
_CONDITION_KEYS = frozenset({"control", "op", "value"})
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")


class RuleConfigError(ValueError):
    """An `auto_approve` rule that cannot work, explained in plain words."""


class GroupMembers(Protocol):
    """Who is in a Slack user group: the edge asks Slack (cached); the core never imports Slack."""

    def members(self, group_id: str) -> frozenset[str]:
        """The group's user ids; raises `LookupError` when it cannot be said right now."""


@dataclass(frozen=True)
class Condition:
    control: str  # a top-level control id of the template
    op: str  # one of OPS
    value: float | int | str | tuple[str, ...]  # a number, a text or option key, or a list for "in"

    def holds(self, answer: Answer | None) -> bool:
        """Whether the filled-in answer meets the condition; an empty answer never does."""
        if answer is None or answer == () or answer == "":
            return False
        if isinstance(self.value, int | float):
            return _compare(_decimal(answer), self.op, Decimal(str(self.value)))
        chosen = answer if isinstance(answer, tuple) else (answer,)
        if not all(isinstance(item, str) for item in chosen):
            return False
        allowed = self.value if isinstance(self.value, tuple) else (self.value,)
        if self.op == "in":
            return all(item in allowed for item in chosen)
        same = set(chosen) == set(allowed)
        return same if self.op == "==" else not same


@dataclass(frozen=True)
class Rule:
    name: str
    when: tuple[Condition, ...] = ()
    applicant_in: tuple[str, ...] = ()  # Slack user ids (U…) and user group ids (S…)
    steps: tuple[int, ...] = ()  # positions in the template's process (1 = first); () = first approver step

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(who for who in self.applicant_in if _GROUP_ID.fullmatch(who))

    def matches(
        self, answers: Mapping[str, Answer], applicant: str, applicant_groups: Collection[str]
    ) -> bool:
        """All conditions hold: each on the form, and the applicant is listed or in a listed group."""
        listed = applicant in self.applicant_in or any(g in applicant_groups for g in self.groups)
        if self.applicant_in and not listed:
            return False
        return all(condition.holds(answers.get(condition.control)) for condition in self.when)


def parse_rules(raw: Sequence[Mapping[str, Any]], where: str) -> tuple[Rule, ...]:
    """The rules of one template's `auto_approve`, by their grammar alone; raises `RuleConfigError`."""
    rules = tuple(_rule(entry, f"{where}: auto_approve rule {n}") for n, entry in enumerate(raw, 1))
    names = [rule.name for rule in rules]
    if twice := sorted({name for name in names if names.count(name) > 1}):
        raise RuleConfigError(f"{where}: two auto_approve rules are named {twice[0]!r}")
    return rules


def check_rules(
    rules: Sequence[Rule], controls: Mapping[str, Control], approver_steps: Collection[int], where: str
) -> None:
    """Each rule against its template: known controls, operators and values that fit their kinds, and
    steps that are approver steps (a rule never handles work or copies anyone)."""
    for rule in rules:
        at = f"{where}: auto_approve rule {rule.name!r}"
        for condition in rule.when:
            control = controls.get(condition.control)
            if control is None:
                known = ", ".join(sorted(controls)) or "none"
                raise RuleConfigError(f"{at}: no control has the id {condition.control!r} (known: {known})")
            _fits(condition, control, at)
        for step in rule.steps:
            if step not in approver_steps:
                raise RuleConfigError(f"{at}: step {step} is not an approver step (type = 1) of the process")


def _rule(entry: Any, where: str) -> Rule:
    if not isinstance(entry, Mapping):
        raise RuleConfigError(f'{where} must be a table like {{ name = "...", when = [...] }}')
    if unknown := sorted(set(entry) - _RULE_KEYS):
        raise RuleConfigError(
            f"{where}: unknown key {unknown[0]!r}; known are {', '.join(sorted(_RULE_KEYS))}"
        )
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RuleConfigError(f"{where}: name must be some text (it is shown as “approved by rule …”)")
    where = f"{where} ({name!r})"
    when = tuple(
        _condition(raw, f"{where}, condition {n}") for n, raw in enumerate(_list(entry, "when", where), 1)
    )
    applicant_in = tuple(_list(entry, "applicant_in", where))
    for who in applicant_in:
        if not isinstance(who, str) or not (_USER_ID.fullmatch(who) or _GROUP_ID.fullmatch(who)):
            raise RuleConfigError(
                f"{where}: applicant_in lists {who!r}, which is neither a Slack user id (U…)"
                " nor a user group id (S…)"
            )
    if not when and not applicant_in:
        raise RuleConfigError(
            f"{where} has no condition: it would approve every request; add when or applicant_in"
        )
    steps = tuple(_list(entry, "steps", where))
    if any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in steps):
        raise RuleConfigError(f"{where}: steps must list step numbers (1 = the first step of the process)")
    return Rule(name.strip(), when, applicant_in, tuple(dict.fromkeys(steps)))


def _condition(raw: Any, where: str) -> Condition:
    if not isinstance(raw, Mapping):
        raise RuleConfigError(
            f'{where} must be a table like {{ control = "Money-1", op = "<=", value = 200 }}'
        )
    if unknown := sorted(set(raw) - _CONDITION_KEYS):
        raise RuleConfigError(f"{where}: unknown key {unknown[0]!r}; known are control, op, value")
    control, op, value = raw.get("control"), raw.get("op"), raw.get("value")
    if not isinstance(control, str) or not control.strip():
        raise RuleConfigError(f"{where}: control must be a control id of the template")
    if op not in OPS:
        raise RuleConfigError(f"{where}: op must be one of {', '.join(OPS)}, got {op!r}")
    if op in LIST_OPS:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise RuleConfigError(f"{where}: op {op!r} needs a list of texts as its value")
        return Condition(control, op, tuple(value))
    if op in ORDER_OPS and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise RuleConfigError(
            f"{where}: op {op!r} compares numbers; its value must be a number, got {value!r}"
        )
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RuleConfigError(f"{where}: value must be a number or a text, got {value!r}")
    return Condition(control, op, value)


def _fits(condition: Condition, control: Control, where: str) -> None:
    """The operator and value make sense for the control's kind."""
    ops = _OPS_OF_KIND.get(control.kind)
    at = f"{where}: {condition.control!r} is a {control.kind}"
    if ops is None:
        kinds = ", ".join(sorted(_OPS_OF_KIND))
        raise RuleConfigError(f"{at}, which rules cannot judge (they judge {kinds})")
    if condition.op not in ops:
        raise RuleConfigError(f"{at}; op {condition.op!r} does not fit it (use {', '.join(ops)})")
    numeric = isinstance(condition.value, int | float)
    if (control.kind in NUMERIC_KINDS) != numeric:
        wanted = "a number" if control.kind in NUMERIC_KINDS else "a text or a list of texts"
        raise RuleConfigError(f"{at}; its value must be {wanted}, got {condition.value!r}")
    if control.kind in CHOICE_KINDS:
        keys = {option.key for option in control.options}
        given = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        if unknown := [key for key in given if key not in keys]:
            raise RuleConfigError(f"{at}; it has no option {unknown[0]!r} (keys: {', '.join(sorted(keys))})")


def _list(entry: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = entry.get(key, [])
    if not isinstance(value, list):
        raise RuleConfigError(f"{where}: {key} must be a list")
    return value


def _decimal(answer: Answer) -> Decimal | None:
    try:
        return Decimal(str(answer)) if isinstance(answer, str | int | float) else None
    except InvalidOperation:
        return None


def _compare(left: Decimal | None, op: str, right: Decimal) -> bool:
    if left is None:
        return False
    return {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
        "==": left == right,
        "!=": left != right,
    }[op]
