"""Block Kit rendering of every message the bot sends about an approval.

Pure functions of a snapshot, so a card can be re-rendered and updated in place
whenever a newer snapshot arrives. All wording comes from `bot.i18n`; every
piece of user-provided text is escaped and clipped here, so that no snapshot,
however large, can produce a message Slack refuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.i18n import enum_name, t
from bot.model import Action, ApprovalMode, ApprovalStatus, Comment, Member, MemberStatus, Node, Snapshot
from bot.provider_ports import Provider

# provider user id -> the Slack user id it is mapped to, or None: only a mapped id becomes a live mention, so
# no provider can make the bot mention, broadcast or link by choosing a user id that looks like markup
Names = Callable[[str], str | None]

ACTION_OPEN = "open_approval_link"
# embedded-engine decisions: the actions block_id is DECISION_BLOCK + approval key; values name operations
DECISION_BLOCK = "decide|"
ACTION_APPROVE = "approval_approve"
ACTION_REJECT = "approval_reject"
ACTION_MORE = "approval_more"
ACTION_URGE = "approval_urge"
ACTION_COMMENT = "approval_comment"
ACTION_REVOKE = "approval_revoke"

# Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks)
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000  # each of a section's fields
CONTEXT_LIMIT = 2000  # a context element's text: slack_sdk does not check it, so we keep to 2000
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
URL_LIMIT = 3000

# Our own budgets per piece, chosen so that the worst case of every card stays well inside the limits
NAME_LIMIT = 80
NUMBER_LIMIT = 64
TITLE_LIMIT = 100
VALUE_LIMIT = 300
SPEECH_LIMIT = 500
FALLBACK_SPEECH_LIMIT = 200
MAX_DETAILS = 20
MAX_DIGEST = 30
MAX_PEOPLE = 10
MAX_TIMELINE = 15

STATUS_EMOJI = {
    ApprovalStatus.PENDING: "⏳",
    ApprovalStatus.APPROVED: "✅",
    ApprovalStatus.REJECTED: "❌",
    ApprovalStatus.REVOKED: "↩️",
    ApprovalStatus.REVOKED_AFTER_APPROVAL: "↩️",
    ApprovalStatus.DELETED: "🗑️",
    ApprovalStatus.PAID: "💰",
}

# Only the applicant submits, urges or revokes, and these leave no trace in the flow to read the actor from.
_APPLICANT_ACTIONS = (Action.SUBMIT, Action.URGE, Action.REVOKE, Action.REVOKE_AFTER_APPROVAL)

_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")


@dataclass(frozen=True)
class Message:
    text: str  # plain-text fallback (notifications, screen readers): must say what happened on its own
    blocks: tuple[dict, ...]  # Block Kit JSON


@dataclass(frozen=True)
class Venue:
    """Where an approval is decided, as its provider declares it: the cards ask this, never which
    provider an approval belongs to."""

    name: str  # what people call the system the approval lives in, in the message's language: "WeCom"
    decides_in_slack: bool = False  # approvers decide here with buttons; applicants urge and revoke here

    @classmethod
    def of(cls, provider: Provider, lang: str) -> Venue:
        return cls(provider.display_name(lang), provider.capabilities.decides_in_slack)


@dataclass(frozen=True)
class Watch:
    """What the bot's own clock adds to an approval's cards, beside its state: how long the current step
    has waited (at `now`), that it passed its expiry where the bot cannot end it (overdue), and whom
    the bot told when a step waited too long. Recomputed whenever a card is rendered."""

    now: int = 0  # when the card is rendered; 0: no "waiting" line
    overdue_at: int = 0  # when it was marked overdue; 0: it is not
    overdue_hours: float = 0.0  # the expiry it passed
    escalations: tuple[tuple[int, str], ...] = ()  # (when, to whom: a Slack user or channel id)


NO_WATCH = Watch()


@dataclass(frozen=True)
class _Note:
    """A timeline entry the bot made itself: `key` under card.note.*, with its parameters."""

    key: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Event:
    """One timeline entry: the submission (item None), a member's decision, a comment, the bot's note, or
    a step an auto_approve rule approved (its node; nobody's id)."""

    time: int
    user_id: str
    item: Member | Comment | _Note | Node | None


@dataclass(frozen=True)
class _Handover(_Event):
    """A share handed to a delegate because its approver was away (at `time`)."""

    item: Member


# --- public renderers -------------------------------------------------------------------------------------


def applicant_card(
    snap: Snapshot,
    names: Names,
    lang: str,
    link: str | None,
    venue: Venue,
    *,
    details_pending: bool = False,
    watch: Watch = NO_WATCH,
    away: Mapping[str, Mapping[str, Any]] | None = None,
) -> Message:
    """The one status card per approval, posted once and then updated in place as the approval moves.

    `details_pending`: the form data is still being read (the card is updated when it comes). `away`:
    who the current step waits on that is away (Slack id -> until, delegate), as the service noted it."""
    status = status_text(snap, lang)
    text = t("applicant.text", lang, **_about(snap, names), status=status)
    blocks = [
        _header(snap, lang),
        *_outcome(snap, lang),
        *_overdue(snap, watch, lang),
        _facts(snap, names, lang),
        *_details(snap, lang, details_pending),
        *sections(_progress(snap, names, lang, watch)),
        *sections(away_lines(snap, away or {}, names, venue, lang)),
        *_timeline(snap, names, lang, watch),
        *_link_button(link, lang),
        *_applicant_actions(snap, venue, lang),
    ]
    return Message(text, tuple(blocks))


def away_lines(
    snap: Snapshot, away: Mapping[str, Mapping[str, Any]], names: Names, venue: Venue, lang: str
) -> list[str]:
    """For the applicant: who of those the step waits on is away, until when, and who stands in. In
    Slack's own engine the only such share is one whose delegate is the applicant: it says why it waits."""
    applicant = names(snap.applicant)
    lines = []
    for user, absent in away.items():
        params = {
            "who": mention(user),
            "until": date_token(absent["until"]),
            "delegate": mention(absent["delegate"]),
        }
        own = venue.decides_in_slack and absent["delegate"] == applicant
        lines.append(t("away.card_kept" if own else "away.card_line", lang, **params, provider=venue.name))
    return lines


def away_fyi(
    snap: Snapshot, notice: Mapping[str, Any], names: Names, lang: str, link: str | None, venue: Venue
) -> Message:
    """To the delegate of an approver who is away, where only the approver can act (WeCom, FXiaoKe):
    what waits on them, so the delegate can follow up or reach them."""
    params = {
        **_about(snap, names),
        "who": mention(notice["away"]),
        "until": date_token(notice["until"]),
        "provider": venue.name,
    }
    text = t("away.fyi", lang, **params)
    blocks = [_header(snap, lang), section(text), _facts(snap, names, lang), *_details(snap, lang)]
    return Message(text, (*blocks, *sections(_progress(snap, names, lang)), *_link_button(link, lang)))


def approver_card(
    snap: Snapshot,
    approver: str,
    names: Names,
    lang: str,
    link: str | None,
    venue: Venue,
    *,
    details_pending: bool = False,
    watch: Watch = NO_WATCH,
) -> Message:
    """Asks `approver` to act while it is their turn; afterwards the same card, settled, without buttons."""
    about = _about(snap, names)
    if approver in snap.waiting_on():
        text = t("approver.needed_text", lang, **about)
        intro = t("approver.needed", lang, **about)
        if standing_in := [m for m in _current_members(snap) if m.user_id == approver and m.for_user]:
            intro += "\n" + t("away.on_behalf", lang, **_for_whom(standing_in[0], names))
        progress = sections(_progress(snap, names, lang, watch))
        tail = [*_overdue(snap, watch, lang), *progress, *_call_to_act(snap, link, venue, lang)]
    else:
        outcome, intro = _settled(snap, approver, names, lang)
        text = t("approver.settled_text", lang, **about, outcome=outcome)
        tail = []
    facts = _facts(snap, names, lang)
    details = _details(snap, lang, details_pending)
    blocks = [_header(snap, lang), section(intro), facts, *details, *_timeline(snap, names, lang), *tail]
    return Message(text, tuple(blocks))


def channel_card(
    snap: Snapshot,
    names: Names,
    lang: str,
    link: str | None,
    venue: Venue,
    *,
    details_pending: bool = False,
    watch: Watch = NO_WATCH,
) -> Message:
    """The request in its template's channel, posted once and updated in place: the whole story, the
    current approvers mentioned (the first post notifies them), and, where approvers decide in Slack,
    the decision buttons while it waits: the engine decides whose click counts."""
    text = t("channel.text", lang, **_about(snap, names), status=status_text(snap, lang))
    if snap.status is ApprovalStatus.PENDING and venue.decides_in_slack:
        act = [_channel_decisions(snap, lang), context(t("channel.who_decides", lang))]
    else:
        act = _link_button(link, lang, primary=snap.status is ApprovalStatus.PENDING)
    blocks = [
        _header(snap, lang),
        *_outcome(snap, lang),
        _facts(snap, names, lang),
        *_details(snap, lang, details_pending),
        *_overdue(snap, watch, lang),
        *sections(_progress(snap, names, lang, watch)),
        *_timeline(snap, names, lang, watch),
        *act,
    ]
    return Message(text, tuple(blocks))


def channel_turn_message(snap: Snapshot, names: Names, lang: str, channel: str) -> Message:
    """With a template's DM cards off: tells an approver, in a DM, that its channel card waits on them
    (an edit of the card notifies nobody). `channel` is mrkdwn already (a channel link)."""
    text = t("channel.turn", lang, **_about(snap, names), channel=channel)
    return Message(text, (section(text), _facts(snap, names, lang)))


def channel_outcome_message(snap: Snapshot, names: Names, lang: str, channel: str) -> Message:
    """With a template's DM cards off: tells the applicant, in a DM, how their request ended (the channel
    card's edit notifies nobody). `channel` is mrkdwn already (a channel link)."""
    text = t("channel.outcome", lang, **_about(snap, names), status=status_text(snap, lang), channel=channel)
    return Message(text, (section(text),))


def channel_link(channel_id: str) -> str:
    """A channel as a link Slack draws with its name; anything not shaped like an id is shown as text."""
    if _CHANNEL_ID.fullmatch(channel_id):
        return f"<#{channel_id}>"
    return user_text(channel_id, NAME_LIMIT)


def channel_card_audit(snap: Snapshot, names: Names, lang: str, channel: str) -> str:
    """The audit channel's line when a request card was posted in a template's channel."""
    return t("channel.audit", lang, **_about(snap, names), channel=channel)


def cc_card(
    snap: Snapshot,
    names: Names,
    lang: str,
    link: str | None,
    *,
    details_pending: bool = False,
    watch: Watch = NO_WATCH,
) -> Message:
    """FYI for CC recipients: that it was submitted while pending, its outcome once final."""
    key = "cc.final" if snap.status.is_final else "cc.submitted"
    text = t(key, lang, **_about(snap, names), status=status_text(snap, lang))
    blocks = [
        _header(snap, lang),
        section(text),
        *_overdue(snap, watch, lang),
        _facts(snap, names, lang),
        *_details(snap, lang, details_pending),
        *_timeline(snap, names, lang),
        *_link_button(link, lang),
    ]
    return Message(text, tuple(blocks))


def cc_outcome_message(snap: Snapshot, names: Names, lang: str, link: str | None) -> Message:
    """A short new message with the outcome for CC recipients whose FYI card was just updated:
    an edit alone notifies nobody."""
    text = t("cc.final", lang, **_about(snap, names), status=status_text(snap, lang))
    return Message(text, (section(text), *_link_button(link, lang)))


def comment_message(snap: Snapshot, comment: Comment, names: Names, lang: str) -> Message:
    """Tells the people on an approval that someone commented, quoting the comment."""
    line = t("comment.text", lang, **_about(snap, names, who=comment.user_id))
    attachments = _attachments(len(comment.attachments), lang)
    content = user_text(one_line(comment.content), FALLBACK_SPEECH_LIMIT)
    text = t("comment.fallback", lang, line=line, content=content, attachments=attachments)
    blocks = [
        section(_with_speech(line, comment.content, len(comment.attachments), lang)),
        context(date_token(comment.time)),
    ]
    return Message(text, tuple(blocks))


def thread_reply(comment: Comment, author: str, lang: str) -> Message:
    """A comment told in the thread under a card: "<name>: text". `author` is their name as plain text,
    not a mention, which would notify them of their own words wherever the reply lands."""
    who = user_text(one_line(author), NAME_LIMIT)
    attachments = _attachments(len(comment.attachments), lang)
    content = user_text(comment.content.strip(), SECTION_LIMIT)
    fallback = user_text(one_line(comment.content), FALLBACK_SPEECH_LIMIT)
    text = t("thread.reply_text", lang, who=who, content=fallback, attachments=attachments)
    return Message(
        text, (section(t("thread.reply", lang, who=who, content=content, attachments=attachments)),)
    )


def urge_message(snap: Snapshot, names: Names, lang: str, link: str | None, venue: Venue) -> Message:
    """Passes the applicant's reminder on to whoever the approval is waiting on."""
    return _nudge(snap, names, lang, link, venue, t("urge.text", lang, **_about(snap, names)))


def reminder_message(
    snap: Snapshot, names: Names, lang: str, link: str | None, venue: Venue, hours: int
) -> Message:
    """The bot's own nudge when an approval has waited on someone too long."""
    return _nudge(snap, names, lang, link, venue, t("remind.text", lang, **_about(snap, names), hours=hours))


def escalation_message(
    snap: Snapshot,
    to: str,
    since: int,
    names: Names,
    lang: str,
    venue: Venue,
    decide_link: Callable[[str], str | None],
    *,
    now: int,
) -> Message:
    """To whom a step's waiting climbed (`to`: a person or a channel): who waits on whom since when, with
    the card. The decision buttons (or the link to decide) only where `to` is one whose turn it is;
    anyone else reads who must act. `decide_link(approver)`: the link for that approver."""
    waiting = snap.waiting_on()
    about = _about(snap, names)
    if snap.status.is_final:
        text = t("escalation.settled", lang, **about, status=status_text(snap, lang))
    else:
        text = t(
            "escalation.text",
            lang,
            **about,
            waiting=people_text(names, waiting, lang),
            since=date_token(since),
            duration=duration_text(now - since, lang),
        )
    mine = next((u for u in waiting if names(u) == to), None)
    if mine is not None:
        act = _call_to_act(snap, decide_link(mine), venue, lang)
    elif waiting:
        act = [context(t("escalation.only_they", lang, waiting=people_text(names, waiting, lang)))]
    else:
        act = []
    blocks = [
        _header(snap, lang),
        section(text),
        _facts(snap, names, lang),
        *_details(snap, lang),
        *sections(_progress(snap, names, lang)),
        *act,
    ]
    return Message(text, tuple(blocks))


def digest_message(items: Sequence[tuple[Snapshot, int]], names: Names, lang: str) -> Message:
    """Once a day, for an approver with several things waiting: one line each, oldest first."""
    lines = [
        t("digest.line", lang, **_about(snap, names), hours=hours)
        for snap, hours in sorted(items, key=lambda item: -item[1])[:MAX_DIGEST]
    ]
    if len(items) > MAX_DIGEST:
        lines.append(t("card.more_fields", lang, count=len(items) - MAX_DIGEST))
    text = t("digest.title", lang, count=len(items))
    return Message(text, (section(f"*{text}*"), *sections(lines)))


def _nudge(snap: Snapshot, names: Names, lang: str, link: str | None, venue: Venue, text: str) -> Message:
    blocks = [
        section(text),
        _facts(snap, names, lang),
        *_details(snap, lang),
        *_call_to_act(snap, link, venue, lang),
    ]
    return Message(text, tuple(blocks))


def audit_line(snap: Snapshot, names: Names, lang: str) -> str:
    """One mrkdwn line for the audit channel: number, template, action, status, who."""
    if snap.expired_at:
        return t("audit.expired", lang, **_about(snap, names), emoji=STATUS_EMOJI[snap.status])
    action = enum_name(snap.action, lang) if snap.action is not None else t("action.unknown", lang)
    return t(
        "audit.line",
        lang,
        **_about(snap, names, who=_actor(snap)),
        action=action,
        emoji=STATUS_EMOJI[snap.status],
        status=enum_name(snap.status, lang),
    )


def audit_event_line(snap: Snapshot, event: str, target: str, hours: float, names: Names, lang: str) -> str:
    """One mrkdwn line for the audit channel about what the bot itself did to an approval: escalated it
    to `target`, or marked it overdue after `hours`."""
    return t(f"audit.{event}", lang, **_about(snap, names), to=target_text(target), hours=hours_text(hours))


def rule_audit_line(snap: Snapshot, rule: str, names: Names, lang: str) -> str:
    """The audit channel's line for a step an auto_approve rule approved: which rule, on what."""
    return t(
        "audit.ruled",
        lang,
        **_about(snap, names),
        rule=user_text(one_line(rule), NAME_LIMIT),
        emoji=STATUS_EMOJI[snap.status],
        status=enum_name(snap.status, lang),
    )


def refusal_text(
    reason: str, lang: str, *, decided_by: str | None = None, decided_at: int | None = None, status: str = ""
) -> str:
    """Why a decision was not applied, in plain words (the engine's `NotAllowed` reason): "already
    decided by @X at T" for someone who came too late, and how a finished request ended."""
    if reason == "already_decided" and not decided_by:
        reason = "already_decided_plain"
    who = mention(decided_by) if decided_by else ""
    when = date_token(decided_at or 0) if decided_at else ""
    try:
        return t(f"decide.not_allowed.{reason}", lang, who=who, when=when, status=status)
    except KeyError:
        return t("decide.not_allowed.already_decided_plain", lang)


def bulk_result_message(outcomes: Sequence[Mapping[str, Any]], lang: str) -> Message:
    """To the approver, after a bulk approval: how many were approved, each request, and why any was not."""
    approved = [o for o in outcomes if not o["refused"]]
    lines = []
    for outcome in outcomes:
        about = {
            "number": user_text(outcome["number"], NUMBER_LIMIT),
            "template": user_text(one_line(outcome["template_name"]), HEADER_LIMIT),
        }
        if not outcome["refused"]:
            lines.append(t("bulk.result.approved", lang, **about))
            continue
        reason = _bulk_refusal(outcome, lang)
        lines.append(t("bulk.result.skipped", lang, **about, reason=reason))
    text = t("bulk.result", lang, approved=len(approved), count=len(outcomes))
    return Message(text, (section(text), *sections(lines)))


def _bulk_refusal(outcome: Mapping[str, Any], lang: str) -> str:
    if outcome["refused"] == "unknown":
        return t("bulk.result.unknown", lang)
    status = outcome.get("status")
    return refusal_text(
        outcome["refused"],
        lang,
        decided_by=outcome.get("decided_by"),
        decided_at=outcome.get("decided_at"),
        status=enum_name(ApprovalStatus(status), lang) if status is not None else "",
    )


def bulk_audit_line(summary: Mapping[str, Any], lang: str) -> str:
    """The audit channel's summary of one bulk approval (each decision has its own line too)."""
    count, approved = summary["count"], summary["approved"]
    who = mention(summary["actor"])
    return t("audit.bulk", lang, who=who, count=count, approved=approved, skipped=count - approved)


def unmapped_notice(snap: Snapshot, user_ids: Sequence[str], lang: str, venue: Venue) -> str:
    """Tells admins which provider users have no Slack account mapped, so they can fix [users]."""
    users = _listing([f"`{user_text(u, NAME_LIMIT)}`" for u in user_ids], lang)
    return t("unmapped.notice", lang, provider=venue.name, users=users, number=number_text(snap))


# --- text pieces ------------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Slack's mrkdwn escaping, the one place it happens: every provider- or user-supplied string goes
    through here exactly once on its way into mrkdwn, so none of it can mention, broadcast or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Plain text at most `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_mrkdwn(text: str, limit: int) -> str:
    """Formatted mrkdwn at most `limit` characters, with an ellipsis when cut: never inside an entity
    such as &amp; or a token such as <@U123>, which Slack would show broken or refuse."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp, opening = cut.rfind("&"), cut.rfind("<")
    if amp >= 0 and ";" not in cut[amp:]:
        cut = cut[:amp]
    if opening >= 0 and ">" not in cut[opening:]:
        cut = cut[:opening]
    return cut + "…"


def user_text(raw: str, limit: int) -> str:
    """User-provided text, escaped and at most `limit` characters."""
    return clip_mrkdwn(escape(raw), limit)


def one_line(raw: str) -> str:
    return " ".join(raw.split())


def mention(slack_id: str) -> str:
    """A live mention of a Slack user we know; anything not shaped like a Slack user id is shown as text."""
    return f"<@{slack_id}>" if _SLACK_USER_ID.fullmatch(slack_id) else user_text(slack_id, NAME_LIMIT)


def target_text(target: str) -> str:
    """Whom the bot told: a person's mention or a channel's link, from an id shaped as one."""
    if _CHANNEL_ID.fullmatch(target):
        return f"<#{target}>"
    return mention(target)


def hours_text(hours: float) -> str:
    """Configured hours as people write them: 48, not 48.0."""
    return f"{hours:g}"


def duration_text(seconds: int, lang: str) -> str:
    """How long something has waited, coarse as people say it: "2 d 3 h", "5 h", "40 min"."""
    minutes = max(0, seconds) // 60
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return t("duration.days_hours", lang, days=days, hours=hours)
    if hours:
        return t("duration.hours", lang, hours=hours)
    return t("duration.minutes", lang, minutes=minutes)


def person_text(names: Names, user_id: str) -> str:
    """A provider user: a mention when mapped to Slack, else their provider id, escaped (it is their text)."""
    slack_id = names(user_id)
    return mention(slack_id) if slack_id else user_text(user_id, NAME_LIMIT)


def _listing(items: Sequence[str], lang: str) -> str:
    """Items joined for a sentence, capped so a node with hundreds of members stays short."""
    shown = t("card.list_separator", lang).join(items[:MAX_PEOPLE])
    hidden = len(items) - MAX_PEOPLE
    return t("card.more_people", lang, names=shown, count=hidden) if hidden > 0 else shown


def people_text(names: Names, user_ids: Sequence[str], lang: str) -> str:
    return _listing([person_text(names, u) for u in dict.fromkeys(user_ids)], lang)


def number_text(snap: Snapshot) -> str:
    return user_text(snap.number, NUMBER_LIMIT)


def _about(snap: Snapshot, names: Names, who: str | None = None) -> dict[str, str]:
    """The parameters most sentences share; `who` names the person the sentence is about."""
    about = {
        "template": user_text(one_line(snap.template_name), HEADER_LIMIT),
        "number": number_text(snap),
        "applicant": person_text(names, snap.applicant),
    }
    if who is not None:
        about["who"] = person_text(names, who)
    return about


def status_text(snap: Snapshot, lang: str) -> str:
    return f"{STATUS_EMOJI[snap.status]} {_status_name(snap, lang)}"


def _status_name(snap: Snapshot, lang: str) -> str:
    """The status's name; a request the bot ended as expired says so rather than "revoked"."""
    return t("status.expired", lang) if snap.expired_at else enum_name(snap.status, lang)


def date_token(ts: int) -> str:
    """A Slack date token, so each reader sees their own time zone; 0 means "not known" in the model."""
    if ts <= 0:
        return "—"
    fallback = datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{ts}^{{date_short_pretty}} {{time}}|{fallback}>"


def _attachments(count: int, lang: str) -> str:
    return t("card.attachments", lang, count=count) if count else ""


def _with_speech(line: str, speech: str, attachments: int, lang: str) -> str:
    """`line`, then the attachment count and the speech or comment quoted below it."""
    line += _attachments(attachments, lang)
    body = user_text(speech.strip(), SPEECH_LIMIT)
    if not body:
        return line
    return "\n".join([line, *(f"> {quoted}" for quoted in body.splitlines())])


# --- blocks -----------------------------------------------------------------------------------------------


def section(text: str) -> dict:
    """A mrkdwn section, its text clamped to Slack's limit after formatting (a long reason or notice
    inside one of our sentences would otherwise make the whole message bounce)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip_mrkdwn(text, SECTION_LIMIT)}}


def sections(lines: Sequence[str]) -> list[dict]:
    """Lines packed into as few sections as the section limit allows (each line is already short)."""
    chunks: list[str] = []
    for line in lines:
        if chunks and len(chunks[-1]) + 1 + len(line) <= SECTION_LIMIT:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return [section(chunk) for chunk in chunks]


def context(text: str) -> dict:
    """A one-element mrkdwn context, clamped like `section`."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip_mrkdwn(text, CONTEXT_LIMIT)}]}


def _header(snap: Snapshot, lang: str) -> dict:
    title = one_line(snap.template_name) or t("card.untitled", lang)
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(title, HEADER_LIMIT), "emoji": True},
    }


def _facts(snap: Snapshot, names: Names, lang: str) -> dict:
    facts = {
        "card.number": number_text(snap),
        "card.status": status_text(snap, lang),
        "card.applicant": person_text(names, snap.applicant),
        "card.submitted_at": date_token(snap.apply_time),
    }
    return {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": clip_mrkdwn(f"*{t(key, lang)}*\n{value}", FIELD_LIMIT)}
            for key, value in facts.items()
        ],
    }


def _details(snap: Snapshot, lang: str, pending: bool = False) -> list[dict]:
    """The form fields (the first few, values clipped); the summary only when there are no fields,
    since WeCom's summary lines are drawn from the same fields. While the form is still being read
    (`pending`), one line says so: the card is told first and filled in when the read comes."""
    if pending and not snap.has_details:
        return [context(t("card.details_pending", lang))]
    lines = [] if snap.fields else [user_text(s.strip(), VALUE_LIMIT) for s in snap.summary if s.strip()]
    lines += [
        f"*{user_text(one_line(f.title), TITLE_LIMIT)}*: {user_text(f.value.strip(), VALUE_LIMIT)}"
        for f in snap.fields
    ]
    hidden = len(lines) - MAX_DETAILS
    shown = lines[:MAX_DETAILS]
    if hidden > 0:
        shown.append(t("card.more_fields", lang, count=hidden))
    return sections(shown)


def _progress(snap: Snapshot, names: Names, lang: str, watch: Watch = NO_WATCH) -> list[str]:
    """The current step and who it waits on, phrased for how the step's members decide, and how long
    it has waited when the card is rendered at a known time."""
    since = snap.step_waiting_since()
    if since is None:
        return []
    waited = [t("card.waited", lang, duration=duration_text(watch.now - since, lang))] if watch.now else []
    return _step_lines(snap, names, lang) + waited


def _step_lines(snap: Snapshot, names: Names, lang: str) -> list[str]:
    node = snap.current_node()
    if node is None:
        return []
    steps = snap.flow_nodes()
    step = next(i for i, n in enumerate(steps, 1) if n is node)
    node_type, mode = enum_name(node.type, lang), enum_name(node.mode, lang)
    head = t("card.step", lang, step=step, steps=len(steps), node=node_type, mode=mode)
    pending = node.pending_members()
    if node.mode is ApprovalMode.ALL:
        approved, total = node.progress()
        waiting = t("card.waiting_on", lang, names=_members_text(names, pending, lang))
        return [f"{head} — {t('card.progress.all', lang, approved=approved, total=total)}", waiting]
    if node.mode is ApprovalMode.ANY:
        detail = t("card.progress.any", lang, names=_members_text(names, pending, lang))
    else:
        position = next(i for i, m in enumerate(node.members, 1) if m is pending[0])
        name = _members_text(names, pending[:1], lang)
        detail = t("card.progress.sequential", lang, position=position, total=len(node.members), name=name)
    return [f"{head} — {detail}"]


def _current_members(snap: Snapshot) -> tuple[Member, ...]:
    node = snap.current_node()
    return node.members if node is not None else ()


def _for_whom(member: Member, names: Names) -> dict[str, str]:
    """Who decides a share handed on (`who`), whose it is (`owner`) and until when they are away."""
    return {
        "who": person_text(names, member.user_id),
        "owner": person_text(names, member.for_user),
        "until": date_token(member.for_until),
    }


def _members_text(names: Names, members: Sequence[Member], lang: str) -> str:
    """The people a step waits on; a share handed on reads "X (for Y, who is away until …)"."""
    return _listing(
        [
            t("away.member", lang, **_for_whom(m, names)) if m.for_user else person_text(names, m.user_id)
            for m in members
        ],
        lang,
    )


def _events(snap: Snapshot, watch: Watch = NO_WATCH) -> list[_Event]:
    """Everything that happened, oldest first: submission, every member decision, every comment, and
    what the bot did itself (escalated, marked overdue, ended as expired)."""
    events = [_Event(snap.apply_time, snap.applicant, None)]
    events += [
        _Event(m.time, m.user_id, m) for n in snap.flow_nodes() for m in n.members if m.status.is_decided
    ]
    events += [_Event(c.time, c.user_id, c) for c in snap.comments]
    events += [_Event(at, "", _Note("escalated", (("to", target_text(to)),))) for at, to in watch.escalations]
    if watch.overdue_at:
        events.append(
            _Event(watch.overdue_at, "", _Note("overdue", (("hours", hours_text(watch.overdue_hours)),)))
        )
    if snap.expired_at:
        events.append(_Event(snap.expired_at, "", _Note("expired")))
    events += [_Event(n.ruled_at, "", n) for n in snap.flow_nodes() if n.ruled_at]
    events += [
        _Handover(m.handed_at, m.user_id, m) for n in snap.flow_nodes() for m in n.members if m.for_user
    ]
    return sorted(events, key=lambda e: e.time)


def _event_line(event: _Event, names: Names, lang: str) -> str:
    if isinstance(event.item, Node):
        rule = user_text(one_line(event.item.rule), NAME_LIMIT)
        return f"{date_token(event.time)} · {t('card.ruled', lang, rule=rule)}"
    actor = person_text(names, event.user_id)
    if isinstance(event, _Handover):
        body = t("away.handed", lang, **_for_whom(event.item, names))
    elif isinstance(event.item, Member):
        if event.item.for_user:
            actor = t("away.member", lang, **_for_whom(event.item, names))
        line = t("card.acted", lang, who=actor, verb=enum_name(event.item.status, lang))
        body = _with_speech(line, event.item.speech, len(event.item.media_ids), lang)
    elif isinstance(event.item, _Note):
        body = t(f"card.note.{event.item.key}", lang, **dict(event.item.params))
    elif isinstance(event.item, Comment):
        body = _with_speech(
            t("card.commented", lang, who=actor), event.item.content, len(event.item.attachments), lang
        )
    else:
        body = t("card.submitted", lang, who=actor)
    return f"{date_token(event.time)} · {body}"


def _timeline(snap: Snapshot, names: Names, lang: str, watch: Watch = NO_WATCH) -> list[dict]:
    """The most recent entries, saying how many older ones were left out."""
    events = _events(snap, watch)
    hidden = len(events) - MAX_TIMELINE
    lines = [t("card.timeline", lang)]
    if hidden > 0:
        lines.append(f"_{t('card.timeline_omitted', lang, count=hidden)}_")
    lines += [_event_line(e, names, lang) for e in events[-MAX_TIMELINE:]]
    return sections(lines)


def _outcome(snap: Snapshot, lang: str) -> list[dict]:
    if not snap.status.is_final:
        return []
    return [
        section(t("card.outcome", lang, emoji=STATUS_EMOJI[snap.status], status=_status_name(snap, lang)))
    ]


def _overdue(snap: Snapshot, watch: Watch, lang: str) -> list[dict]:
    """While it waits past its expiry (where the bot cannot end it), every card says so."""
    if not watch.overdue_at or snap.status.is_final:
        return []
    return [section(t("card.overdue", lang, hours=hours_text(watch.overdue_hours)))]


def _link_button(link: str | None, lang: str, primary: bool = False) -> list[dict]:
    """An "Open" URL button, or nothing when there is no usable link."""
    if not link or len(link) > URL_LIMIT:
        return []
    button = {"type": "button", "action_id": ACTION_OPEN, "text": _plain(t("card.open", lang)), "url": link}
    if primary:
        button["style"] = "primary"
    return [{"type": "actions", "elements": [button]}]


def _call_to_act(snap: Snapshot, link: str | None, venue: Venue, lang: str) -> list[dict]:
    """Where to act: decision buttons where approvers decide in Slack (and, given, an approve link for
    outside Slack), else the button to the provider, else a sentence naming it."""
    if venue.decides_in_slack:
        by_link = [context(t("decide.by_link", lang, url=link))] if link and len(link) <= URL_LIMIT else []
        return [decision_actions(snap, lang), *by_link]
    return _link_button(link, lang, primary=True) or [
        context(t("card.act_elsewhere", lang, provider=venue.name))
    ]


def decision_actions(snap: Snapshot, lang: str) -> dict:
    """Approve, Reject and the rest (transfer, add an approver, return, comment) for an approver."""
    return _actions(
        snap,
        [
            _button("decide.approve", ACTION_APPROVE, "approve", lang, style="primary"),
            _button("decide.reject", ACTION_REJECT, "reject", lang, style="danger"),
            _more(("transfer", "add_approver", "return", "comment"), lang),
        ],
    )


def _channel_decisions(snap: Snapshot, lang: str) -> dict:
    """Approve, Reject and the rest for whoever's turn it is, with revoke for the applicant: a channel
    card is everybody's, so it offers what each of them may do (an overflow holds five options)."""
    return _actions(
        snap,
        [
            _button("decide.approve", ACTION_APPROVE, "approve", lang, style="primary"),
            _button("decide.reject", ACTION_REJECT, "reject", lang, style="danger"),
            _more(("transfer", "add_approver", "return", "comment", "revoke"), lang),
        ],
    )


def _applicant_actions(snap: Snapshot, venue: Venue, lang: str) -> list[dict]:
    """What the applicant can do to their own request in the bot, where it is decided in Slack: urge and
    revoke while pending, revoke (with a reason) once approved, comment while it is alive."""
    if not venue.decides_in_slack:
        return []
    if snap.status is ApprovalStatus.PENDING:
        elements = [
            _button("decide.urge", ACTION_URGE, "urge", lang),
            _button("decide.comment", ACTION_COMMENT, "comment", lang),
            _button("decide.revoke", ACTION_REVOKE, "revoke", lang, style="danger"),
        ]
    elif snap.status is ApprovalStatus.APPROVED:
        elements = [_button("decide.revoke", ACTION_REVOKE, "revoke", lang, style="danger")]
    else:
        return []
    return [_actions(snap, elements)]


def _actions(snap: Snapshot, elements: list[dict]) -> dict:
    """Decision buttons say which approval in their block_id (255 chars), since an overflow
    option's value holds only 75: the values say what to do."""
    return {"type": "actions", "block_id": f"{DECISION_BLOCK}{snap.key}"[:255], "elements": elements}


def _button(label: str, action_id: str, value: str, lang: str, style: str = "") -> dict:
    """A decision button; its value names the operation (the block names the approval)."""
    button = {"type": "button", "action_id": action_id, "value": value, "text": _plain(t(label, lang))}
    if style:
        button["style"] = style
    return button


def _more(operations: Sequence[str], lang: str) -> dict:
    """The less common decisions, in one overflow menu: its option values say what and on which approval."""
    options = [{"text": _plain(t(f"decide.{op}", lang)), "value": op} for op in operations]
    return {"type": "overflow", "action_id": ACTION_MORE, "options": options}


def _plain(text: str, limit: int = BUTTON_LIMIT) -> dict:
    """Button and option labels: plain text, which Slack shows as is, clipped to their limit."""
    return {"type": "plain_text", "text": clip(text, limit)}


def _actor(snap: Snapshot) -> str:
    """Who caused this snapshot: the applicant for their own actions, the last commenter for a comment,
    the member who decided last for a decision (a comment in the same second must not take the credit),
    and whoever acted last when the action is not known."""
    if snap.action in _APPLICANT_ACTIONS:
        return snap.applicant
    events = [e for e in _events(snap) if not isinstance(e, _Handover)]  # a handover is no one's act
    if snap.action is Action.COMMENT:
        events = [e for e in events if isinstance(e.item, Comment)] or events
    elif snap.action is not None:
        events = [e for e in events if isinstance(e.item, Member)] or events
    return events[-1].user_id


def _settled(snap: Snapshot, approver: str, names: Names, lang: str) -> tuple[str, str]:
    """What `approver` did, or why the approval no longer waits on them: one line, then the full story."""
    mine = [m for n in snap.flow_nodes() for m in n.members if m.user_id == approver and m.status.is_decided]
    if mine:
        did = max(mine, key=lambda m: m.time)
        line = t("approver.you_did", lang, verb=enum_name(did.status, lang))
        return line, _with_speech(f"{line} · {date_token(did.time)}", did.speech, len(did.media_ids), lang)
    handed = [
        m for m in _current_members(snap) if m.for_user == approver and m.status is MemberStatus.PENDING
    ]
    if handed:  # the share is their delegate's while they are away
        reason = t("decide.not_allowed.handed_to_delegate", lang, who=person_text(names, handed[0].user_id))
    elif snap.status.is_final:
        reason = t("approver.final", lang, status=status_text(snap, lang))
    else:
        deciders = [
            m.user_id
            for n in snap.flow_nodes()
            if any(m.user_id == approver for m in n.members)
            for m in n.members
            if m.status.is_decided
        ]
        who = people_text(names, deciders, lang)
        reason = t("approver.decided_by", lang, who=who) if deciders else t("approver.moved_on", lang)
    return reason, reason
