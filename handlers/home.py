"""The App Home tab: what waits for me and where my own requests stand, at a glance.

A pure function of the approvals, so it can be republished whenever the user opens the tab.
Slack refuses a view of more than 100 blocks, so each list is capped and says how many it left
out; every piece of user-provided text goes through the same escaping and clipping as the cards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bot.i18n import t
from bot.model import Snapshot
from handlers.away import home_blocks as away_status
from handlers.cards import (
    ACTION_OPEN,
    HEADER_LIMIT,
    URL_LIMIT,
    VALUE_LIMIT,
    Names,
    Venue,
    clip,
    date_token,
    decision_actions,
    number_text,
    one_line,
    people_text,
    person_text,
    status_text,
    user_text,
)

if TYPE_CHECKING:
    from handlers.context import BotContext

ACTION_NEW_REQUEST = "home_new_request"
ACTION_PICK_TEMPLATE = "home_pick_template"
BULK_BLOCK = "home_bulk"
ACTION_BULK_PICK = "home_bulk_pick_"  # + the group's number: one checkboxes element per 10 requests
ACTION_BULK_APPROVE = "home_bulk_approve"
BULK_GROUP = 10  # Slack's limit of options in one checkboxes element

# Each waiting item takes at most 2 blocks, each request 1, the bulk approval 2:
# 9 fixed blocks + 2 * 20 + 2 + 20 = 71 ≤ 100.
MAX_WAITING = 20
MAX_MINE = 20
MAX_OPTIONS = 100  # static_select limit
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150


def build_home_view(
    *,
    mine: Sequence[Snapshot],
    waiting: Sequence[tuple[Snapshot, str | None]],
    names: Names,
    venue: Callable[[Snapshot], Venue],
    lang: str,
    templates: Sequence[tuple[str, str]] = (),
    away: Sequence[dict] = (),
) -> dict:
    """The `home` view for one user: `waiting` pairs an approval whose turn is theirs with its link
    (None when there is none); `venue` says where each approval is decided, as its provider declares it;
    `templates` are (alias, name) pairs a request can start from; `away` the blocks of the user's away
    status."""
    newest_waiting = sorted(waiting, key=lambda pair: pair[0].apply_time, reverse=True)
    newest_mine = sorted(mine, key=lambda snap: snap.apply_time, reverse=True)
    blocks = [
        _plain_header(t("home.title", lang)),
        _new_request(templates, lang),
        *away,
        {"type": "divider"},
        _plain_header(t("home.waiting", lang, count=len(waiting))),
    ]
    shown = newest_waiting[:MAX_WAITING]
    for snap, link in shown:
        blocks += _waiting_item(snap, link, venue(snap), names, lang)
    blocks += _rest(len(waiting), MAX_WAITING, "home.waiting_empty", lang)
    blocks += _bulk([snap for snap, link in shown if link is None and venue(snap).decides_in_slack], lang)
    blocks += [{"type": "divider"}, _plain_header(t("home.mine", lang))]
    blocks += [_mine_item(snap, names, lang) for snap in newest_mine[:MAX_MINE]]
    blocks += _rest(len(mine), MAX_MINE, "home.mine_empty", lang)
    return {"type": "home", "blocks": blocks}


def _plain_header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _button(action_id: str, text: str, **extra: str) -> dict:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}, **extra}


def _new_request(templates: Sequence[tuple[str, str]], lang: str) -> dict:
    """The "New request" button, and a menu of templates when there are any to offer.

    Aliases too long for an option value are left out rather than sent cut, which would name no template.
    """
    elements = [_button(ACTION_NEW_REQUEST, t("home.new_request", lang), style="primary")]
    options = [
        {
            "text": {"type": "plain_text", "text": clip(one_line(name) or alias, OPTION_TEXT_LIMIT)},
            "value": alias,
        }
        for alias, name in templates
        if 0 < len(alias) <= OPTION_VALUE_LIMIT
    ][:MAX_OPTIONS]
    if options:
        placeholder = {"type": "plain_text", "text": t("home.pick_template", lang)}
        elements.append(
            {
                "type": "static_select",
                "action_id": ACTION_PICK_TEMPLATE,
                "placeholder": placeholder,
                "options": options,
            }
        )
    return {"type": "actions", "elements": elements}


def _title(snap: Snapshot, lang: str) -> str:
    template = user_text(one_line(snap.template_name), HEADER_LIMIT) or t("card.untitled", lang)
    return f"*{template}* · `{number_text(snap)}`"


def _preview(snap: Snapshot) -> str:
    """One line of what is asked: the first summary line, else the first form field."""
    for line in snap.summary:
        if line.strip():
            return user_text(one_line(line), VALUE_LIMIT)
    if snap.fields:
        first = snap.fields[0]
        return user_text(one_line(f"{first.title}: {first.value}"), VALUE_LIMIT)
    return ""


def _waiting_item(snap: Snapshot, link: str | None, venue: Venue, names: Names, lang: str) -> list[dict]:
    """One approval to decide, with where to decide it: its link, buttons where it is decided in Slack,
    or a sentence naming the system that holds it."""
    lines = [
        _title(snap, lang),
        f"{t('card.applicant', lang)}: {person_text(names, snap.applicant)} · "
        f"{t('card.submitted_at', lang)}: {date_token(snap.apply_time)}",
    ]
    preview = _preview(snap)
    if preview:
        lines.append(preview)
    section: dict = {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}
    if link and len(link) <= URL_LIMIT:
        section["accessory"] = _button(ACTION_OPEN, t("home.open", lang), url=link)
        return [section]
    if link is None and venue.decides_in_slack:
        return [section, decision_actions(snap, lang)]
    section["text"]["text"] += f"\n_{t('card.act_elsewhere', lang, provider=venue.name)}_"
    return [section]


def _bulk(decidable: Sequence[Snapshot], lang: str) -> list[dict]:
    """Checkboxes over the requests decided here (in groups of ten) and one button to approve the ticked
    ones together; nothing when there are fewer than two to tick."""
    options = [
        {
            "text": {"type": "plain_text", "text": clip(_option_text(snap, lang), OPTION_TEXT_LIMIT)},
            "value": snap.key,
        }
        for snap in decidable
        if len(snap.key) <= OPTION_VALUE_LIMIT
    ]
    if len(options) < 2:
        return []
    groups = [
        {"type": "checkboxes", "action_id": f"{ACTION_BULK_PICK}{n}", "options": options[i : i + BULK_GROUP]}
        for n, i in enumerate(range(0, len(options), BULK_GROUP), 1)
    ]
    approve = _button(ACTION_BULK_APPROVE, t("home.bulk_approve", lang), style="primary")
    return [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": t("home.bulk_hint", lang)}]},
        {"type": "actions", "block_id": BULK_BLOCK, "elements": [*groups, approve]},
    ]


def _option_text(snap: Snapshot, lang: str) -> str:
    template = one_line(snap.template_name) or t("card.untitled", lang)
    return f"{snap.number} · {template}"


def _mine_item(snap: Snapshot, names: Names, lang: str) -> dict:
    """One of my requests: status, whom it waits on while pending, when I submitted it."""
    progress = [date_token(snap.apply_time)]
    waiting_on = snap.waiting_on()
    if waiting_on:
        progress.insert(0, t("home.waiting_for", lang, names=people_text(names, waiting_on, lang)))
    text = f"{status_text(snap, lang)} · {_title(snap, lang)}\n{' · '.join(progress)}"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _rest(total: int, shown: int, empty_key: str, lang: str) -> list[dict]:
    """The empty state of a list, or how many items it left out, or nothing."""
    if total == 0:
        return [{"type": "section", "text": {"type": "mrkdwn", "text": t(empty_key, lang)}}]
    if total > shown:
        more = t("home.more", lang, count=total - shown)
        return [{"type": "context", "elements": [{"type": "mrkdwn", "text": more}]}]
    return []


def render_home(runtime: BotContext, user: str) -> dict[str, Any]:
    """The App Home of `user`, from the current state, with live links (views are sent, never stored)."""
    service = runtime.service
    mine, waiting, names = service.for_user(user)
    lang = runtime.config.slack.language
    view = build_home_view(
        mine=mine,
        waiting=[(snap, service.link(snap)) for snap in waiting],
        names=names,
        venue=lambda snap: Venue.of(service.provider(snap.provider), lang),
        lang=lang,
        templates=[(alias, alias) for alias in runtime.submissions.aliases()],
        away=away_status(runtime.away.current(user), lang),
    )
    return runtime.live(view)
