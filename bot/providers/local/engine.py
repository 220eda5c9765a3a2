"""The embedded approval engine: pure functions that move one approval from state to state.

The state is a `Snapshot` with provider "local", in WeCom's codes, so the service, the cards and the store
treat a local approval exactly like a WeCom one. Nothing here reads a clock or a store: the caller passes
`now` and keeps the result, so every rule is testable and every transition can be replayed.

Authorization lives here too: every function raises `NotAllowed` for a person who may not do what they
asked, with a short reason the server turns into plain words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Any, TypeVar

from bot.auto_approve import Rule, RuleConfigError, check_rules, parse_rules
from bot.forms import Control, FilledForm, Option, Template
from bot.kinds import KINDS
from bot.kinds.base import MAX_OPTIONS, OPTION_VALUE_LIMIT, options_problem
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
from bot.provider_ports import NotAllowed
from bot.template_policy import NO_POLICY, POLICY_KEYS, PolicyConfigError, TemplatePolicy, policy_from_config

PROVIDER = "local"
_Code = TypeVar("_Code", bound=IntEnum)

# Kept here rather than imported from bot.config: the config check reads templates through this module.
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")

# A member whose status is one of these has approved their share of a node.
_APPROVING = frozenset({MemberStatus.APPROVED, MemberStatus.APPROVED_AND_ADDED, MemberStatus.HANDLED})
# What a return (退回) undoes: a share that was done, as opposed to handed on (transferred, returned).
_REOPENED = _APPROVING | {MemberStatus.ADDED}


# -- templates ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One node of a configured process."""

    type: NodeType
    mode: ApprovalMode  # CC steps: ALL
    users: tuple[str, ...]


@dataclass(frozen=True)
class LocalTemplate:
    template: Template
    process: tuple[Step, ...]
    policy: TemplatePolicy = NO_POLICY
    rules: tuple[Rule, ...] = ()  # the policy's auto_approve, checked against this template

    def ruled_steps(
        self, applicant: str, form: FilledForm, applicant_groups: Collection[str]
    ) -> dict[int, str]:
        """Position in `process` -> the first rule (in config order) that approves that step of this
        filing; a rule without `steps` approves the first approver step."""
        first = next(n for n, step in enumerate(self.process) if step.type is NodeType.APPROVER)
        ruled: dict[int, str] = {}
        for rule in self.rules:
            if rule.matches(form.answers, applicant, applicant_groups):
                for position in [s - 1 for s in rule.steps] or [first]:
                    ruled.setdefault(position, rule.name)
        return ruled


class TemplateConfigError(ValueError):
    """A [[local.templates]] table that cannot work, explained in plain words."""


_TEMPLATE_KEYS = frozenset({"alias", "name", "controls", "process"}) | POLICY_KEYS
_CONTROL_KEYS = frozenset({"control", "id", "title", "require", "placeholder"})
# Allowed values of the enumerated keys, the first being the default (a kind's date types are its own).
_CONTACT_MODES = ("user", "department")
_STEP_TYPES = "1 (approver), 2 (CC) or 3 (handler)"
_APV_RELS = "1 (everyone must approve), 2 (any one may approve) or 3 (one after another)"


def template_from_config(entry: Mapping[str, Any]) -> LocalTemplate:
    """One [[local.templates]] table as a `LocalTemplate`; any mistake raises `TemplateConfigError`."""
    if not isinstance(entry, Mapping):
        raise TemplateConfigError("each [[local.templates]] entry must be a table")
    alias = entry.get("alias")
    if not isinstance(alias, str) or not alias.strip():
        raise TemplateConfigError("a local template has no alias (the word people type after /approval new)")
    where = f"local template {alias!r}"
    _no_unknown_keys(entry, _TEMPLATE_KEYS, where)
    name = entry.get("name", alias)
    if not isinstance(name, str) or not name.strip():
        raise TemplateConfigError(f"{where}: name must be some text")
    controls = tuple(
        _control(raw, f"{where}, control {n}", nested=False)
        for n, raw in enumerate(_list(entry.get("controls", []), f"{where}: controls"), 1)
    )
    ids = [c.id for c in controls] + [child.id for c in controls for child in c.children]
    if twice := _duplicates(ids):
        raise TemplateConfigError(f"{where}: control id {twice[0]!r} is used more than once")
    steps = _list(entry.get("process"), f"{where}: process")
    process = tuple(_step(raw, f"{where}, process step {n}") for n, raw in enumerate(steps, 1))
    if not any(step.type is NodeType.APPROVER for step in process):
        raise TemplateConfigError(f"{where}: the process needs at least one approver step (type = 1)")
    try:
        policy = policy_from_config(entry, where)
        rules = parse_rules(policy.auto_approve, where)
        approver_steps = {n for n, step in enumerate(process, 1) if step.type is NodeType.APPROVER}
        check_rules(rules, {c.id: c for c in controls}, approver_steps, where)
    except (PolicyConfigError, RuleConfigError) as exc:
        raise TemplateConfigError(str(exc)) from exc
    template = Template(provider=PROVIDER, id=alias, alias=alias, name=name, controls=controls)
    return LocalTemplate(template=template, process=process, policy=policy, rules=rules)


def _control(raw: Any, where: str, *, nested: bool) -> Control:
    if not isinstance(raw, Mapping):
        raise TemplateConfigError(
            f'{where} must be a table like {{ control = "Text", id = ..., title = ... }}'
        )
    name = raw.get("control")
    if not isinstance(name, str) or name not in KINDS:
        raise TemplateConfigError(
            f"{where} has an unknown kind {name!r}; use one of {', '.join(sorted(KINDS))}"
        )
    kind = KINDS[name]  # the optional keys a control reads are the settings its kind uses
    if nested and not kind.fillable:
        raise TemplateConfigError(f"{where} is a {name}, which cannot be a column of a Table")
    _no_unknown_keys(raw, _CONTROL_KEYS | kind.settings, f"{where} ({name})")
    control = Control(
        kind=name,
        id=_text(raw, "id", where),
        title=_text(raw, "title", where),
        placeholder=_text(raw, "placeholder", where, default=""),
        required=_flag(raw, "require", where),
        multi=_flag(raw, "multi", where),
    )
    where = f"{where} ({control.id!r})"
    if "date_type" in kind.settings:
        control = replace(control, date_type=_choice(raw, "date_type", kind.date_types, where))
    if "contact_mode" in kind.settings:
        control = replace(control, contact_mode=_choice(raw, "contact_mode", _CONTACT_MODES, where))
    if "options" in kind.settings:
        control = replace(control, options=_options(raw.get("options"), where))
    if "text" in kind.settings:
        control = replace(control, text=_text(raw, "text", where))
    if "children" in kind.settings:
        children = _list(raw.get("children"), f"{where}: children")
        control = replace(
            control,
            children=tuple(
                _control(c, f"{where}, column {n}", nested=True) for n, c in enumerate(children, 1)
            ),
        )
    return control


def _options(raw: Any, where: str) -> tuple[Option, ...]:
    options = []
    for n, item in enumerate(_list(raw, f"{where}: options"), 1):
        if not isinstance(item, Mapping):
            raise TemplateConfigError(f"{where}, option {n} must be a table like {{ key = ..., text = ... }}")
        key = _text(item, "key", f"{where}, option {n}")
        options.append(Option(key, _text(item, "text", f"{where}, option {n}", default=key)))
    if options_problem(options):
        raise TemplateConfigError(
            f"{where}: options need 1 to {MAX_OPTIONS} different keys"
            f" of at most {OPTION_VALUE_LIMIT} characters (what a Slack select can offer)"
        )
    return tuple(options)


def _step(raw: Any, where: str) -> Step:
    if not isinstance(raw, Mapping):
        raise TemplateConfigError(f"{where} must be a table like {{ type = 1, apv_rel = 1, users = [...] }}")
    _no_unknown_keys(raw, frozenset({"type", "apv_rel", "users"}), where)
    kind = _code(raw.get("type"), NodeType, f"{where}: type must be {_STEP_TYPES}")
    if kind is NodeType.CC:
        if "apv_rel" in raw:
            raise TemplateConfigError(f"{where}: a CC step (type = 2) takes no apv_rel; remove it")
        mode = ApprovalMode.ALL
    else:
        mode = _code(raw.get("apv_rel"), ApprovalMode, f"{where}: apv_rel must be {_APV_RELS}")
    users = _list(raw.get("users"), f"{where}: users")
    if not users:
        raise TemplateConfigError(f"{where}: users lists nobody")
    for user in users:
        if not _is_slack_user(user):
            raise TemplateConfigError(f"{where}: {user!r} is not a Slack user id (like U012ABC)")
    if twice := _duplicates(users):
        raise TemplateConfigError(f"{where}: {twice[0]} is listed more than once")
    return Step(kind, mode, tuple(users))


def _no_unknown_keys(raw: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    if unknown := sorted(set(raw) - known):
        raise TemplateConfigError(
            f"{where}: unknown setting {unknown[0]!r}; known are {', '.join(sorted(known))}"
        )


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise TemplateConfigError(f"{where} must be a list")
    return list(value)


def _text(raw: Mapping[str, Any], key: str, where: str, *, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise TemplateConfigError(f"{where}: {key} must be some text")
    return value


def _flag(raw: Mapping[str, Any], key: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise TemplateConfigError(f"{where}: {key} must be true or false")
    return value


def _choice(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str) -> str:
    value = raw.get(key, allowed[0])
    if value not in allowed:
        raise TemplateConfigError(f"{where}: {key} must be {' or '.join(map(repr, allowed))}")
    return value


def _code(value: Any, codes: type[_Code], message: str) -> _Code:
    if isinstance(value, bool) or not isinstance(value, int) or value not in {int(c) for c in codes}:
        raise TemplateConfigError(message)
    return codes(value)


def _duplicates(values: Iterable[str]) -> list[str]:
    """The values met a second time, in order."""
    seen: set[str] = set()
    again = []
    for value in values:
        if value in seen:
            again.append(value)
        seen.add(value)
    return again


def _is_slack_user(value: Any) -> bool:
    return isinstance(value, str) and bool(_SLACK_USER_ID.fullmatch(value))


# -- transitions ---------------------------------------------------------------------------------------------


def submit(
    tpl: LocalTemplate,
    applicant: str,
    form: FilledForm,
    number: str,
    now: int,
    fields: tuple[FormField, ...] = (),
    summary: tuple[str, ...] = (),
    applicant_groups: Collection[str] = (),
) -> Snapshot:
    """A new approval waiting on the first step. The applicant is never skipped: if they are an approver,
    they must approve (or pass the step on) like anyone else — unless an auto_approve rule approves the
    step (judged here, once: `applicant_groups` are the rules' user groups the applicant is in), which it
    does the moment the flow reaches it, this one included."""
    if (form.template.provider, form.template.id) != (tpl.template.provider, tpl.template.id):
        raise ValueError(f"form of template {form.template.id!r} submitted as {tpl.template.id!r}")
    ruled = tpl.ruled_steps(applicant, form, applicant_groups)
    nodes = tuple(
        Node(
            step.type,
            step.mode,
            MemberStatus.PENDING,
            tuple(Member(u) for u in step.users),
            rule=ruled.get(position, ""),
        )
        for position, step in enumerate(tpl.process)
    )
    snap = Snapshot(
        provider=PROVIDER,
        number=number,
        template_id=tpl.template.id,
        template_name=tpl.template.name,
        status=ApprovalStatus.PENDING,
        applicant=applicant,
        apply_time=now,
        fields=fields,
        summary=summary,
        has_details=True,
    )
    return _moved(snap, nodes, Action.SUBMIT, now)


def approve(snap: Snapshot, actor: str, now: int, speech: str = "", *, allow_self: bool = False) -> Snapshot:
    """The actor approves their share of the current step (handles it, on a handler step)."""
    at, j = _turn(snap, actor)
    _not_own(snap, at, actor, allow_self)
    return _moved(
        snap, _decided(snap.nodes, at, j, _approval(snap.nodes[at]), now, speech), Action.APPROVE, now
    )


def reject(snap: Snapshot, actor: str, now: int, reason: str) -> Snapshot:
    """One rejection ends the whole approval; the applicant deserves to know why, so a reason is required."""
    at, j = _turn(snap, actor)
    if not reason.strip():
        raise NotAllowed("reason_required")
    return _moved(snap, _decided(snap.nodes, at, j, MemberStatus.REJECTED, now, reason), Action.REJECT, now)


def transfer(snap: Snapshot, actor: str, to: str, now: int, speech: str = "") -> Snapshot:
    """转审: `to` takes the actor's place in the step (the same position, which matters for 依次)."""
    at, j = _turn(snap, actor)
    _known(to)
    if to == actor:
        raise NotAllowed("same_person")
    # Someone already waiting on this step needs no second place: the actor's share simply goes to them.
    already = any(m.user_id == to and m.status is MemberStatus.PENDING for m in snap.nodes[at].members)
    place = () if already else (Member(to),)
    nodes = _decided(snap.nodes, at, j, MemberStatus.TRANSFERRED, now, speech, then=place)
    return _moved(snap, nodes, Action.TRANSFER, now)


def add_approver(
    snap: Snapshot,
    actor: str,
    users: Iterable[str],
    now: int,
    speech: str = "",
    *,
    and_approve: bool = False,
    allow_self: bool = False,
) -> Snapshot:
    """加签: `users` approve one after another in a new step right after the current one.

    With `and_approve` (13) the actor also approves their share; without (12) their share no longer holds the
    step up, but it is not an approval: on an 或签 step a colleague's approval is still needed."""
    at, j = _turn(snap, actor)
    added = tuple(dict.fromkeys(users))
    if not added:
        raise NotAllowed("unknown_user")
    for user in added:
        _known(user)
    if and_approve:
        _not_own(snap, at, actor, allow_self)
    status = MemberStatus.APPROVED_AND_ADDED if and_approve else MemberStatus.ADDED
    nodes = _decided(snap.nodes, at, j, status, now, speech)
    step = Node(NodeType.APPROVER, ApprovalMode.SEQUENTIAL, MemberStatus.PENDING, tuple(map(Member, added)))
    action = Action.ADD_AND_APPROVE if and_approve else Action.ADD_APPROVER
    return _moved(snap, (*nodes[: at + 1], step, *nodes[at + 1 :]), action, now)


def return_to(snap: Snapshot, actor: str, now: int, speech: str = "", step: int | None = None) -> Snapshot:
    """退回: the approval goes back to an earlier approver step (`step` indexes `flow_nodes()`; default the
    nearest one) and every step from there to the actor's is done again.

    The actor's member records the return (11) and a fresh one behind it keeps their place for when the
    approval comes back. Undoing approvals lowers the count of decisions, so the return is stamped at least
    one second after the last activity: otherwise `progress_key` could fall and the store would drop it."""
    at, j = _turn(snap, actor)
    flow = _flow_positions(snap.nodes)
    earlier = [n for n, pos in enumerate(flow[: flow.index(at)]) if snap.nodes[pos].type is NodeType.APPROVER]
    target = earlier[-1] if step is None and earlier else step
    if target not in earlier:
        raise NotAllowed("nothing_to_return")
    stamp = max(now, snap.last_activity() + 1)
    nodes = _decided(snap.nodes, at, j, MemberStatus.RETURNED, stamp, speech, then=(Member(actor),))
    redo = range(flow[target], at + 1)
    nodes = tuple(_reopen(node) if pos in redo else node for pos, node in enumerate(nodes))
    return _moved(snap, nodes, Action.RETURN, stamp)


def comment(snap: Snapshot, actor: str, text: str, now: int, comment_id: str, thread: str = "") -> Snapshot:
    """A note from anyone the approval concerns: the applicant, anyone on a step, anyone copied.
    `thread`: the card whose thread it was written in, when it was."""
    _pending(snap)
    if actor != snap.applicant and not _on_a_step(snap, actor) and actor not in snap.all_cc():
        raise NotAllowed("unknown_user")
    if not text.strip():
        raise NotAllowed("reason_required")
    added = Comment(id=comment_id, user_id=actor, time=now, content=text, thread=thread)
    return replace(snap, comments=(*snap.comments, added), action=Action.COMMENT, event_time=now)


def urge(snap: Snapshot, actor: str, now: int, last_urged: int | None, min_interval: int = 3600) -> Snapshot:
    """催办: the applicant reminds whoever is waiting; at most once per `min_interval` so it stays a nudge."""
    _pending(snap)
    _applicant(snap, actor)
    if last_urged is not None and now - last_urged < min_interval:
        raise NotAllowed("urge_too_soon")
    return replace(snap, action=Action.URGE, event_time=now)


def revoke(snap: Snapshot, actor: str, now: int, reason: str = "") -> Snapshot:
    """撤销 by the applicant: a pending approval at any time; an approved one only with a reason, since
    people may already have acted on it. The reason is kept as the applicant's comment, so everyone sees
    it."""
    if snap.status not in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED):
        raise NotAllowed("final")
    _applicant(snap, actor)
    after_approval = snap.status is ApprovalStatus.APPROVED
    if after_approval and not reason.strip():
        raise NotAllowed("reason_required")
    comments = snap.comments
    if reason.strip():
        comments = (*comments, Comment(id=f"revoke-{now}", user_id=actor, time=now, content=reason))
    return replace(
        snap,
        status=ApprovalStatus.REVOKED_AFTER_APPROVAL if after_approval else ApprovalStatus.REVOKED,
        action=Action.REVOKE_AFTER_APPROVAL if after_approval else Action.REVOKE,
        comments=comments,
        current_step=None,
        event_time=now,
    )


def expire(snap: Snapshot, now: int) -> Snapshot:
    """Ended by the bot, not by a person: the request waited past its template's `expire_after_hours`.
    It is revoked (撤销) with the reason "expired", which the cards and the timeline show as such."""
    _pending(snap)
    return replace(
        snap,
        status=ApprovalStatus.REVOKED,
        action=Action.REVOKE,
        current_step=None,
        event_time=now,
        expired_at=now,
    )


# -- away and delegation ------------------------------------------------------------------------------------

# Slack id -> (their delegate, when they are back) while they are away, else None
AwayLookup = Callable[[str], "tuple[str, int] | None"]


def delegate_current(snap: Snapshot, away: AwayLookup, now: int, *, allow_self: bool = False) -> Snapshot:
    """The current step with each pending share of someone away handed to their delegate, who decides
    it for them (the member keeps whose share it is, and until when they are away).

    Called whenever a step may have become current (a submission, every move) and when someone goes
    away. A share already handed on is not handed again (no chains); nor is one whose delegate is the
    applicant on an approver step when self-approval is off: it stays with the approver, and the
    applicant's card says why."""
    if snap.status is not ApprovalStatus.PENDING or snap.current_step is None:
        return snap
    at = _flow_positions(snap.nodes)[snap.current_step]
    node = snap.nodes[at]
    members = []
    for member in node.members:
        found = (
            away(member.user_id) if member.status is MemberStatus.PENDING and not member.for_user else None
        )
        delegate, until = found or ("", 0)
        own = delegate == snap.applicant and node.type is NodeType.APPROVER and not allow_self
        if found and not own:
            member = Member(delegate, for_user=member.user_id, for_until=until, handed_at=now)
        members.append(member)
    if tuple(members) == node.members:
        return snap
    nodes = (*snap.nodes[:at], replace(node, members=tuple(members)), *snap.nodes[at + 1 :])
    return replace(snap, nodes=nodes)


# -- rules -------------------------------------------------------------------------------------------------


def _pending(snap: Snapshot) -> None:
    if snap.status is not ApprovalStatus.PENDING:
        raise NotAllowed("final")


def _applicant(snap: Snapshot, actor: str) -> None:
    if actor != snap.applicant:
        raise NotAllowed("not_applicant")


def _known(user: str) -> None:
    if not _is_slack_user(user):
        raise NotAllowed("unknown_user")


def _not_own(snap: Snapshot, at: int, actor: str, allow_self: bool) -> None:
    """Approving one's own request is what the rule forbids; handling it (办理, doing the work) is not."""
    if actor == snap.applicant and snap.nodes[at].type is NodeType.APPROVER and not allow_self:
        raise NotAllowed("own_request")


def _turn(snap: Snapshot, actor: str) -> tuple[int, int]:
    """Where the actor may act now: (position in `snap.nodes`, position in that node's members)."""
    _pending(snap)
    flow = _flow_positions(snap.nodes)
    current = next(pos for pos in flow if snap.nodes[pos].status is MemberStatus.PENDING)
    node = snap.nodes[current]
    if any(m.user_id == actor for m in node.pending_members()):
        return current, next(
            j for j, m in enumerate(node.members) if m.user_id == actor and m.status is MemberStatus.PENDING
        )
    raise _why_not(snap, actor, flow[flow.index(current) :])


def _why_not(snap: Snapshot, actor: str, ahead: list[int]) -> NotAllowed:
    """Why the actor may not act: their share went to their delegate while they are away, their step is
    yet to come, or their part (or their step) is over."""
    handed = [
        m for m in snap.nodes[ahead[0]].members if m.for_user == actor and m.status is MemberStatus.PENDING
    ]
    if handed:
        return NotAllowed("handed_to_delegate", decided_by=handed[0].user_id)
    if any(
        m.user_id == actor and m.status is MemberStatus.PENDING
        for pos in ahead
        for m in snap.nodes[pos].members
    ):
        return NotAllowed("not_your_turn")
    # The latest step the actor is on is the one they are most likely looking at.
    for node in reversed(snap.flow_nodes()):
        mine = [m for m in node.members if m.user_id == actor]
        if mine and node.ruled_at:
            return NotAllowed("ruled")
        if any(m.status is MemberStatus.PENDING for m in mine):  # a colleague settled the step first
            first = min((m for m in node.members if m.status in _APPROVING), key=lambda m: m.time)
            return NotAllowed("already_decided", decided_by=first.user_id, decided_at=first.time)
        if mine:
            return NotAllowed("already_decided")
    return NotAllowed("not_your_turn")


def _on_a_step(snap: Snapshot, actor: str) -> bool:
    """Whether the actor is on any node, CC nodes included, whatever they did there."""
    return any(m.user_id == actor for node in snap.nodes for m in node.members)


def _approval(node: Node) -> MemberStatus:
    return MemberStatus.HANDLED if node.type is NodeType.HANDLER else MemberStatus.APPROVED


def _settled(node: Node) -> Node:
    """The node with the status its members give it: the one rule for when a step is done.

    Rejected if anyone rejected; done when nobody is pending, or on an 或签 step when one approved."""
    if node.type is NodeType.CC:
        return node
    statuses = {m.status for m in node.members}
    if node.ruled_at:
        status = _approval(node)
    elif MemberStatus.REJECTED in statuses:
        status = MemberStatus.REJECTED
    elif MemberStatus.PENDING not in statuses or (node.mode is ApprovalMode.ANY and statuses & _APPROVING):
        status = _approval(node)
    else:
        status = MemberStatus.PENDING
    return replace(node, status=status)


def _moved(snap: Snapshot, nodes: tuple[Node, ...], action: Action, now: int) -> Snapshot:
    """`snap` with `nodes`, and the step statuses, the approval's status and the waiting step they imply."""
    nodes = _by_rules(tuple(map(_settled, nodes)), now)
    flow = [n for n in nodes if n.type is not NodeType.CC]
    waiting = next((n for n, node in enumerate(flow) if node.status is MemberStatus.PENDING), None)
    if any(node.status is MemberStatus.REJECTED for node in flow):
        status, waiting = ApprovalStatus.REJECTED, None
    else:
        status = ApprovalStatus.APPROVED if waiting is None else ApprovalStatus.PENDING
    return replace(snap, nodes=nodes, status=status, current_step=waiting, action=action, event_time=now)


def _by_rules(nodes: tuple[Node, ...], now: int) -> tuple[Node, ...]:
    """Each step a rule approves, approved by it as the flow reaches it: the approvers are never asked."""
    while not any(nodes[p].status is MemberStatus.REJECTED for p in _flow_positions(nodes)):
        waiting = next((p for p in _flow_positions(nodes) if nodes[p].status is MemberStatus.PENDING), None)
        if waiting is None or not nodes[waiting].rule or nodes[waiting].ruled_at:
            return nodes
        reached = _settled(replace(nodes[waiting], ruled_at=now))
        nodes = (*nodes[:waiting], reached, *nodes[waiting + 1 :])
    return nodes


def _decided(
    nodes: tuple[Node, ...],
    at: int,
    j: int,
    status: MemberStatus,
    now: int,
    speech: str,
    then: tuple[Member, ...] = (),
) -> tuple[Node, ...]:
    """`nodes` with member `j` of node `at` decided, and `then` placed right behind them."""
    node = nodes[at]
    me = replace(node.members[j], status=status, time=now, speech=speech)
    members = (*node.members[:j], me, *then, *node.members[j + 1 :])
    return (*nodes[:at], replace(node, members=members), *nodes[at + 1 :])


def _reopen(node: Node) -> Node:
    """A step to be done again: what was done there is pending anew; transfers and returns stay, as
    history."""
    if node.type is NodeType.CC:
        return node
    # a share decided for someone away goes back to them: handed on again if they are still away
    members = tuple(Member(m.for_user or m.user_id) if m.status in _REOPENED else m for m in node.members)
    return replace(node, members=members, ruled_at=0)


def _flow_positions(nodes: tuple[Node, ...]) -> list[int]:
    """Positions in `nodes` of the approver and handler nodes (what `current_step` counts)."""
    return [pos for pos, node in enumerate(nodes) if node.type is not NodeType.CC]
