"""The approve page's markup: one request as its approver needs it on a phone.

What was asked (the answers as the card shows them, with names for people, line breaks kept, money with
its currency, times in the reader's own zone), where the request stands (each step, who decided and what
they said, who it waits on, "1 of 2 approved" for 会签, comments), and what the reader can do now. Pure
functions of a snapshot and a `View`; every piece of text is escaped here, and only here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from bot.forms import Control
from bot.i18n import LANGUAGES, enum_name, t
from bot.kinds.base import hourly
from bot.model import ApprovalMode, ApprovalStatus, Member, MemberStatus, Node, NodeType, Snapshot
from bot.providers.pages import html_lang, script_source

# The zone the bot writes times in (bot.kinds.base.moment_text): shown as is when the script cannot run.
BOT_ZONE = timezone(timedelta(hours=8))
_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})")
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})>")
_STATUS_CLASS = {
    ApprovalStatus.PENDING: "warn",
    ApprovalStatus.APPROVED: "ok",
    ApprovalStatus.REJECTED: "bad",
}
_MEMBER_MARK = {MemberStatus.PENDING: "⏳", MemberStatus.REJECTED: "✗", MemberStatus.TRANSFERRED: "↪"}
_APPROVING = (MemberStatus.APPROVED, MemberStatus.APPROVED_AND_ADDED, MemberStatus.HANDLED)

# Rewrites each <time> in the reader's zone and language; without it the page shows the bot's zone.
TIME_SCRIPT = """
(function () {
  "use strict";
  var lang = document.documentElement.lang;
  var times = document.querySelectorAll("time[datetime]");
  for (var i = 0; i < times.length; i++) {
    var when = new Date(times[i].getAttribute("datetime"));
    if (isNaN(when.getTime())) { continue; }
    var day = times[i].hasAttribute("data-day");
    times[i].textContent = day ? when.toLocaleDateString(lang) : when.toLocaleString(lang, {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit"});
  }
}());
"""
TIME_SCRIPT_SOURCE = script_source(TIME_SCRIPT)


@dataclass
class View:
    """Who reads the page: their language, how a Slack id becomes a name, and the controls of the
    request's template by title (to show an answer by its kind)."""

    lang: str
    display_name: Callable[[str], str]
    controls: Mapping[str, Control] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)

    def name(self, user_id: str) -> str:
        """A person's name, asked once per page."""
        if user_id not in self._names:
            self._names[user_id] = self.display_name(user_id) or user_id
        return self._names[user_id]

    def say(self, key: str, **params: object) -> str:
        """The catalog's text, escaped for markup."""
        return html.escape(t(key, self.lang, **params))


def both_languages(key: str) -> str:
    """The catalog's text in every language, for a page whose reader is not known yet (a bad link)."""
    return "".join(f'<p lang="{html_lang(lang)}">{html.escape(t(key, lang))}</p>' for lang in LANGUAGES)


# -- what was asked --------------------------------------------------------------------------------------


def request_card(snap: Snapshot, view: View) -> str:
    """The title, status, number, applicant, submission time and every answer."""
    status = _status_badge(snap.status, view)
    facts = [
        (view.say("card.number"), html.escape(snap.number)),
        (view.say("card.applicant"), _person(snap.applicant, view)),
        (view.say("card.submitted_at"), moment(snap.apply_time)),
    ]
    facts += [(html.escape(f.title), answer(f.title, f.value, view)) for f in snap.fields]
    if not snap.fields:
        facts += [("", _text(line, view)) for line in snap.summary if line.strip()]
    rows = "".join(f"<dt>{title}</dt><dd>{value}</dd>" for title, value in facts)
    title = html.escape(snap.template_name) or view.say("card.untitled")
    return f'<section class="card"><h1>{title}</h1><p>{status}</p><dl>{rows}</dl></section>'


def answer(title: str, value: str, view: View) -> str:
    """One answer by its control's kind; as plain text (line breaks kept) when the kind is not known."""
    control = view.controls.get(title)
    kind = control.kind if control else ""
    if kind == "Money" and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
        whole, _, cents = value.strip().partition(".")
        return view.say("page.money", amount=f"{int(whole):,}" + (f".{cents}" if cents else ""))
    if kind in ("Date", "DateRange", "Vacation", "Attendance") and control is not None:
        return _MOMENT.sub(lambda m: _moment_text(m, hourly(control)), html.escape(value))
    if kind == "Table":
        return _lines(value.split(" | "), view, numbered=True)
    if kind == "File":
        return _lines([f"📎 {name}" for name in value.split(", ")], view)
    return _text(value, view)


def _moment_text(found: re.Match[str], to_the_minute: bool) -> str:
    """A time the bot wrote (UTC+8) as a <time> the script shows in the reader's zone; a day stays a day."""
    if not to_the_minute:
        return found[1]
    when = datetime.strptime(f"{found[1]} {found[2]}", "%Y-%m-%d %H:%M").replace(tzinfo=BOT_ZONE)
    return f'<time datetime="{when.isoformat()}">{found[0]} (UTC+8)</time>'


def _lines(items: list[str], view: View, *, numbered: bool = False) -> str:
    tag = "ol" if numbered and len(items) > 1 else "ul"
    marker = "" if tag == "ol" else ' class="plain"'
    return f"<{tag}{marker}>" + "".join(f"<li>{_text(item, view)}</li>" for item in items) + f"</{tag}>"


def _text(value: str, view: View) -> str:
    """Text as written (its line breaks kept by the style), with each Slack mention made a name."""
    parts = _MENTION.split(value.strip())
    return "".join(
        html.escape(view.name(part) if odd else part)
        for odd, part in ((i % 2, p) for i, p in enumerate(parts))
    )


# -- where it stands -------------------------------------------------------------------------------------


def standing_card(snap: Snapshot, view: View) -> str:
    """Each step with its people and what they did, who it waits on now, then CC and comments."""
    steps = snap.flow_nodes()
    current = snap.current_node()
    items = []
    for number, node in enumerate(steps, 1):
        head = view.say(
            "page.step",
            step=number,
            steps=len(steps),
            node=enum_name(node.type, view.lang),
            mode=enum_name(node.mode, view.lang),
        )
        state = _step_state(node, node is current, view)
        # a step a rule approved asked nobody: its people are not shown as if they were still to act
        members = "" if node.ruled_at else "".join(_member(m, node is current, view) for m in node.members)
        items.append(f'<li><p><strong>{head}</strong> {state}</p><ul class="people">{members}</ul></li>')
    body = f'<ol class="steps">{"".join(items)}</ol>' if items else ""
    waiting = snap.waiting_on()
    if waiting:
        names = t("card.list_separator", view.lang).join(view.name(u) for u in waiting)
        body += f'<p class="waiting"><strong>{view.say("page.waiting_on", names=names)}</strong></p>'
    cc = snap.all_cc()
    if cc:
        names = t("card.list_separator", view.lang).join(view.name(u) for u in cc)
        body += f'<p class="muted">{view.say("node.cc")}: {html.escape(names)}</p>'
    body += _comments(snap, view)
    return f'<section class="card standing"><h2>{view.say("page.standing")}</h2>{body}</section>'


def _step_state(node: Node, current: bool, view: View) -> str:
    """ "1 of 2 approved" on a 会签 step, the step's outcome once it has one, "now" while it is current."""
    if node.ruled_at:
        return (
            f'<span class="muted">· {view.say("card.ruled", rule=node.rule)} · {moment(node.ruled_at)}</span>'
        )
    parts = []
    if node.mode is ApprovalMode.ALL and node.type is not NodeType.CC:
        approved, total = node.progress()
        parts.append(view.say("card.progress.all", approved=approved, total=total))
    if current:
        parts.append(view.say("page.now"))
    elif node.status is not MemberStatus.PENDING:
        parts.append(html.escape(enum_name(node.status, view.lang)))
    return f'<span class="muted">· {" · ".join(parts)}</span>' if parts else ""


def _member(member: Member, current: bool, view: View) -> str:
    mark = "✓" if member.status in _APPROVING else _MEMBER_MARK.get(member.status, "•")
    if member.status is MemberStatus.PENDING:
        state = view.say("member.pending") if current else view.say("page.not_yet")
    else:
        state = html.escape(enum_name(member.status, view.lang))
    line = f'{mark} {_person(member.user_id, view)} <span class="muted">{state}'
    if member.time:
        line += f" · {moment(member.time)}"
    line += "</span>"
    if member.speech.strip():
        line += f'<br><q class="speech">{_text(member.speech, view)}</q>'
    return f"<li>{line}</li>"


def _comments(snap: Snapshot, view: View) -> str:
    if not snap.comments:
        return ""
    items = "".join(
        f'<li><span class="muted">{moment(c.time)}</span> {_person(c.user_id, view)}: '
        f'<span class="speech">{_text(c.content, view)}</span></li>'
        for c in sorted(snap.comments, key=lambda c: c.time)
    )
    return f'<h2 class="sub">{view.say("page.comments")}</h2><ul class="comments">{items}</ul>'


# -- pieces ----------------------------------------------------------------------------------------------


def moment(ts: int) -> str:
    """A time as a <time> element: the bot's zone in the markup, the reader's once the script has run."""
    if ts <= 0:
        return "—"
    when = datetime.fromtimestamp(ts, BOT_ZONE)
    return f'<time datetime="{when.isoformat()}">{when:%Y-%m-%d %H:%M} (UTC+8)</time>'


def _person(user_id: str, view: View) -> str:
    return f'<span class="person">{html.escape(view.name(user_id))}</span>'


def _status_badge(status: ApprovalStatus, view: View) -> str:
    css = _STATUS_CLASS.get(status, "muted")
    return f'<span class="badge {css}" id="status">{html.escape(enum_name(status, view.lang))}</span>'


def notice(kind: str, headline: str, *details: str) -> str:
    """A boxed message: `kind` is ok, bad or warn; the texts are markup (escape them before)."""
    lines = "".join(f"<p>{detail}</p>" for detail in details)
    return f'<section class="card notice {kind}" role="status"><strong>{headline}</strong>{lines}</section>'


def decision_form(view: View, first: str, error: str = "", speech: str = "") -> str:
    """Approve and Reject in one form: the note is optional to approve and required to reject (the
    Approve button skips the browser's check; the server checks again)."""
    buttons = {
        "approve": f'<button type="submit" name="decision" value="approve" class="approve" formnovalidate>'
        f"{view.say('decide.approve')}</button>",
        "reject": f'<button type="submit" name="decision" value="reject" class="reject">'
        f"{view.say('decide.reject')}</button>",
    }
    order = [first, *(d for d in buttons if d != first)]
    shown_error = f'<p class="error" id="error" role="alert">{error}</p>' if error else ""
    return (
        f'<form method="post" class="card decide"><h2>{view.say("page.your_decision")}</h2>{shown_error}'
        f'<input type="hidden" name="lang" value="{html.escape(view.lang)}">'
        f'<label for="speech">{view.say("page.speech")}</label>'
        f'<textarea id="speech" name="speech" rows="3" maxlength="500" required>{html.escape(speech)}'
        "</textarea>"
        f'<div class="buttons">{"".join(buttons[d] for d in order)}</div></form>'
    )


def top_bar(view: View, switch_href: str) -> str:
    """The page's name and the link to read it in the other language."""
    other = next(lang for lang in LANGUAGES if lang != view.lang)
    return (
        f'<div class="top"><span>{view.say("links.title")}</span>'
        f'<a href="{html.escape(switch_href)}" lang="{html_lang(other)}" hreflang="{html_lang(other)}" '
        f'id="language">{view.say("page.other_language")}</a></div>'
    )
