"""Away and delegation, as use cases: who is away, until when, and who decides for them meanwhile.

Someone away should not block a request. An absence is a stored record (`Store.absences`) that is in
force while the clock is before its `until`: nothing has to run to end it, and `/approval back` ends
it early. While it is in force, the embedded engine hands that approver's new steps to the delegate
(`delegate_current` in the engine, asking `absence_in_force`), and for providers where only the
approver can act, the service gives the delegate an FYI card and the applicant's card says who is
away (`ApprovalService`). Setting an absence also hands over the shares already waiting on that
person at once (`handovers`, wired to the embedded engine): otherwise a request filed the day before
would still wait for the whole absence.

Every decision here (away, back, a handover) is one audit line in `slack.audit_channel`, through the
outbox like any notice, and a log line.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.directory import LookupUnavailable
from bot.i18n import t
from bot.notify import home_refresh
from bot.store import Store

log = logging.getLogger(__name__)

AUDIT_KEY = "away"  # the outbox's approval_key of audit lines about absences
MAX_DAYS = 366  # an absence longer than a year is a mistake, or someone who left: map them instead
_RELATIVE = re.compile(r"(\d{1,3})([dhw])")
_UNIT_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

AccountKind = Literal["person", "bot", "unknown"]


@dataclass(frozen=True)
class Absence:
    """One person's absence: `until` is the first moment they are back (unix seconds)."""

    user: str
    until: int
    delegate: str
    reason: str = ""
    set_by: str = ""
    set_at: int = 0

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Absence:
        return cls(
            user=doc["user"],
            until=int(doc["until"]),
            delegate=doc["delegate"],
            reason=doc.get("reason", ""),
            set_by=doc.get("set_by", ""),
            set_at=int(doc.get("set_at", 0)),
        )


class AwayRefused(Exception):
    """The absence cannot be set as asked; the text is `t(f"away.{key}", lang, **params)`."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def absence_in_force(store: Store, user: str, now: float) -> Absence | None:
    """`user`'s absence if the clock is before its end: the one rule for "away now"."""
    doc = store.absences.get(user)
    if doc is None:
        return None
    absence = Absence.from_doc(doc)
    return absence if now < absence.until else None


def parse_until(text: str, now: float, zone: tzinfo) -> int:
    """When an absence given as `text` ends: a date (YYYY-MM-DD) means through the end of that day in
    `zone` (the person's Slack time zone); `3d`, `12h` or `2w` count from now. Raises `AwayRefused`
    for anything else, for the past, and for more than `MAX_DAYS` ahead."""
    text = text.strip().lower()
    if relative := _RELATIVE.fullmatch(text):
        until = int(now) + int(relative.group(1)) * _UNIT_SECONDS[relative.group(2)]
    elif _DATE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise AwayRefused("bad_until", text=text) from None
        until = int(datetime.combine(day + timedelta(days=1), datetime.min.time(), zone).timestamp())
    else:
        raise AwayRefused("bad_until", text=text)
    if until <= now:
        raise AwayRefused("past")
    if until - now > MAX_DAYS * 86400:
        raise AwayRefused("too_far", days=MAX_DAYS)
    return until


def zone_named(name: str | None) -> tzinfo:
    """A Slack time zone name as a tzinfo; UTC when Slack did not say or the name is unknown here."""
    if not name:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def utc_text(ts: int) -> str:
    """A moment for the audit channel and the console, where no reader's time zone applies."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _escaped(text: str) -> str:
    """A reason someone typed, safe inside mrkdwn: no mentions or links it did not have."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class AwaySettings:
    language: str = "zh_CN"
    audit_channel: str = ""


class Away:
    """Set, end and ask about absences; the Slack edge (commands, App Home, admin) and the console call
    this, never the store."""

    def __init__(
        self,
        store: Store,
        settings: AwaySettings,
        *,
        account_kind: Callable[[str], AccountKind],
        time_zone: Callable[[str], str | None],
        handovers: Sequence[Callable[[Absence], list[str]]] = (),
        on_queued: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`account_kind` says whether a Slack id is a person, a bot or nobody (raising
        `LookupUnavailable` when Slack cannot say now); `handovers` move what already waits on someone
        who goes away to their delegate, returning the approvals they moved."""
        self.store = store
        self.settings = settings
        self.account_kind = account_kind
        self.time_zone = time_zone
        self.handovers = list(handovers)
        self.on_queued = on_queued
        self.clock = clock

    @property
    def lang(self) -> str:
        return self.settings.language

    def current(self, user: str) -> Absence | None:
        return absence_in_force(self.store, user, self.clock())

    def in_force(self) -> list[Absence]:
        """Every absence in force now, by person (what the admins' and the console's listings show)."""
        now = self.clock()
        return [a for a in map(Absence.from_doc, self.store.absences.all()) if now < a.until]

    def until_from_text(self, user: str, text: str) -> int:
        """`text` read in `user`'s Slack time zone (`parse_until`)."""
        return parse_until(text, self.clock(), zone_named(self.time_zone(user)))

    def set(self, user: str, until_text: str, delegate: str, reason: str, by: str) -> Absence:
        """`user` is away until `until_text` and `delegate` decides for them; raises `AwayRefused` with
        why not. Replaces an earlier absence of theirs; hands over what waits on them now."""
        until = self.until_from_text(user, until_text)
        self._check_delegate(user, delegate)
        now = int(self.clock())
        absence = Absence(user, until, delegate, " ".join(reason.split())[:200], by, now)
        with self.store.transaction():
            self.store.absences.put(absence.to_doc())
            self.store.outbox.enqueue(home_refresh(user))
            self._audit("away.audit_set", absence, by)
        log.info("away set", extra={"user": user, "until": until, "delegate": delegate, "by": by})
        for handover in self.handovers:
            handover(absence)  # each approval's handover is audited where it is applied
        self.on_queued()
        return absence

    def back(self, user: str, by: str) -> Absence | None:
        """Ends `user`'s absence now (None when they were not away). Shares already handed to the
        delegate stay with them: they may be deciding; new steps come to `user` again."""
        with self.store.transaction():
            doc = self.store.absences.remove(user)
            if doc is None:
                return None
            absence = Absence.from_doc(doc)
            if self.clock() >= absence.until:
                return None  # it had ended by itself: nothing to tell
            self.store.outbox.enqueue(home_refresh(user))
            self._audit("away.audit_back", absence, by)
        log.info("away ended", extra={"user": user, "by": by})
        self.on_queued()
        return absence

    def _check_delegate(self, user: str, delegate: str) -> None:
        if delegate == user:
            raise AwayRefused("self_delegate")
        try:
            kind = self.account_kind(delegate)
        except LookupUnavailable:
            raise AwayRefused("lookup_failed") from None
        if kind == "bot":
            raise AwayRefused("delegate_bot", delegate=delegate)
        if kind == "unknown":
            raise AwayRefused("delegate_unknown", delegate=delegate)
        if (theirs := self.current(delegate)) is not None:
            raise AwayRefused("delegate_away", delegate=delegate, until=theirs.until)
        if delegating := [a.user for a in self.in_force() if a.delegate == user]:
            raise AwayRefused("is_delegate", who=delegating[0])

    def _audit(self, key: str, absence: Absence, by: str, **extra: str) -> None:
        """Queued in the caller's transaction, so the line goes out exactly when the change is kept."""
        if not self.settings.audit_channel:
            return
        line = t(
            key,
            self.lang,
            user=absence.user,
            delegate=absence.delegate,
            until=utc_text(absence.until),
            by=by,
            reason=_escaped(absence.reason) or "—",
            **extra,
        )
        self.store.outbox.enqueue(
            {"approval_key": AUDIT_KEY, "channel": self.settings.audit_channel, "kind": "audit", "text": line}
        )
