"""`approvals-bot demo --interactive`: be anyone in the demo's Slack.

Type slash commands, fill in the modal that opens, press the buttons on the
cards, open approve links, decide in the WeCom sandbox, lose a callback and
sweep, move the clock to see reminders, escalation and expiry, and see what each person sees.
Everything goes through the same stand-ins the tests use; cards read as
Slack shows them (`bot/offline/readable.py`), and every hop to and from
WeCom is printed as it happens.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

from bot.away import AwayRefused, utc_text
from bot.offline import readable
from bot.offline.sandbox import Sandbox
from bot.offline.slack_standin import Posted
from bot.offline.world import ADMIN, AUDIT_CHANNEL, PEOPLE, TEAM_CHANNEL, TEAM_CHANNEL_NAME, Demo
from bot.runtime import Runtime
from handlers.away import refusal
from handlers.home import ACTION_BULK_APPROVE, BULK_BLOCK

# what to type after `as`
SHORT = {"wang": "U0WANG", "li": "U0LI", "zhang": "U0ZHANG", "fin": "U0FIN", "admin": ADMIN}
SHANGHAI = timezone(timedelta(hours=8))
HISTORY = Path("~/.approvals_bot_history")  # when the demo's folder is temporary
HISTORY_LINES = 1000
QUIET = 0.3  # seconds without a Slack call after which an action's effects are taken as done
_DURATION = re.compile(r"\+?(\d+)\s*([dhm]?)")
_UNIT = {"d": 86400, "h": 3600, "m": 60, "": 3600}
HELP = """commands (↑/↓ for history, ←/→ and Home/End to edit):
  people                     who is who              as <name>            act as that person
  /approval <text>           a slash command         /approval-admin <text>   as admin (`as admin`)
  form                       fill in the open form (or pick one in the template picker)
  show [name]                their latest messages, with numbered actions
  press <n>                  press action n (buttons, menu items, approve links)
  home                       their App Home          audit                the audit channel
  channel                    #finance-approvals, where expense requests are shown and decided (no DMs)
  bulk                       approve several requests together from App Home: tick, then confirm
  wecom approve|reject <number> [reason]             decide in WeCom as yourself
  wecom comment <number> <text>                      comment in WeCom as yourself
  reply <number> <text>      reply in the thread under your card of that request (a comment)
  lose [n]                   the next n WeCom callbacks are lost on the way (a sweep recovers them)
  sweep                      sweep every provider now, as the bot does on its schedule
  clock +<n>[d|h|m]          let time pass (default hours); reminders, escalation and expiry run then
  away [who until delegate]  who is away; or set someone away (until: YYYY-MM-DD or 3d; a reason after)
  back <name>                end their absence now
  help                       this                    quit                 leave"""


@dataclass
class _Action:
    label: str
    message: Posted | None  # None: on a view (App Home)
    block_id: str = ""
    action_id: str = ""
    value: str = ""
    url: str = ""
    option: dict[str, Any] | None = None  # a menu's option: chosen, not pressed
    view: dict[str, Any] | None = None


class Console:
    def __init__(
        self,
        demo: Demo,
        runtime: Runtime,
        sandbox: Sandbox,
        *,
        read: Callable[[str], str] = input,
        out: Callable[[str], None] = print,
    ) -> None:
        self.demo, self.runtime, self.sandbox = demo, runtime, sandbox
        self.slack = demo.slack
        self.read, self.out = read, out
        self.user = "U0WANG"
        self.actions: list[_Action] = []
        self.seen = len(sandbox.traffic())  # the WeCom hops shown so far

    def loop(self) -> None:
        history = self._history() if self.read is input else None
        self.out(HELP)
        try:
            while True:
                try:
                    line = self.read(f"{PEOPLE[self.user].name}> ").strip()
                except EOFError:
                    return
                if line in ("quit", "exit"):
                    return
                if line:
                    self.do(line)
        finally:
            if history is not None:
                history()

    def do(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        handlers: dict[str, Callable[[str], None]] = {
            "help": lambda _: self.out(HELP),
            "people": self._people,
            "as": self._as,
            "show": self._show,
            "press": self._press,
            "form": self._form,
            "home": self._home,
            "bulk": self._bulk,
            "audit": self._audit,
            "channel": self._channel,
            "wecom": self._wecom,
            "reply": self._reply,
            "lose": self._lose,
            "sweep": self._sweep,
            "clock": self._clock,
            "away": self._away,
            "back": self._back,
        }
        if word.startswith("/"):
            self._command(word, rest)
        elif word in handlers:
            handlers[word](rest.strip())
        else:
            self.out(f"unknown command {word!r}; type help")

    # commands ----------------------------------------------------------------------

    def _people(self, _: str) -> None:
        for short, slack_id in SHORT.items():
            self.out(f"  {short:<8} {PEOPLE[slack_id].title}")

    def _as(self, who: str) -> None:
        slack_id = SHORT.get(who.lower())
        if slack_id is None:
            self.out(f"no one called {who!r}; try: {', '.join(SHORT)}")
            return
        self.user = slack_id
        self.out(f"you are now {PEOPLE[slack_id].title}")

    def _command(self, command: str, text: str) -> None:
        before = len(self.slack.responses)
        self._acting(lambda: self.slack.command(self.user, text, command=command))
        for response in self.slack.responses[before:]:
            self.out(self.demo.render(response))
        self._say_open_view()

    def _show(self, who: str) -> None:
        user = SHORT.get(who.lower(), self.user) if who else self.user
        self.actions = []
        for message in self.slack.conversation(user)[-3:]:
            self._show_message(message)
        for text in self.slack.ephemeral.get(user, [])[-2:]:
            self.out(f"(only you see) {self.demo.render(text)}")

    def _channel(self, _: str) -> None:
        """The team channel's latest cards, whoever you are: anyone there may press, the bot decides whose
        press counts (and tells the others, there, only them)."""
        self.actions = []
        messages = self.slack.conversation(TEAM_CHANNEL)
        if not messages:
            self.out(f"#{TEAM_CHANNEL_NAME} is empty: file one with /approval new expense")
        for message in messages[-3:]:
            self._show_message(message)
        told = [e for e in self.slack.ephemeral.get(self.user, []) if e.get("channel") == TEAM_CHANNEL]
        for text in told[-2:]:
            self.out(f"(only you see) {self.demo.render(text)}")

    def _show_message(self, message: Posted) -> None:
        """One message as its reader sees it, then its numbered actions."""
        edited = f" (updated {message.updates}×)" if message.updates else ""
        thread = f" (in the thread of {message.thread_ts})" if message.thread_ts else ""
        self.out(f"── {message.ts}{edited}{thread}")
        self.out(self.demo.render(message))
        self._list_actions(self._actions_of(message.blocks, message=message))

    def _list_actions(self, actions: list[_Action]) -> None:
        for action in actions:
            self.actions.append(action)
            self.out(f"   [{len(self.actions)}] {action.label}")

    def _press(self, number: str) -> None:
        if not (number.isascii() and number.isdigit()) or not 1 <= int(number) <= len(self.actions):
            self.out("press which? `show` lists the actions")
            return
        action = self.actions[int(number) - 1]
        if "/approve/" in action.url:
            self._approve_link(action.url)
            return
        if action.url:
            self.out(f"(opens {action.url} in a browser)")
            return
        press, value = (
            (self.slack.choose, action.option)
            if action.option is not None
            else (self.slack.click, action.value)
        )
        self._acting(
            lambda: press(
                self.user,
                action.action_id,
                value,
                block_id=action.block_id,
                in_view=action.view,
                message=action.message,
            )
        )
        if not self._say_open_view() and action.message is not None:
            if action.message.channel == TEAM_CHANNEL:
                self._channel("")
            else:
                self._show("")

    def _approve_link(self, url: str) -> None:
        page = httpx.get(url, timeout=10)
        self.out(f"GET → {page.status_code} (opening a link changes nothing)")
        if page.status_code == 200 and self.read("approve? [y/N] ").strip().lower() == "y":
            done = self._acting(lambda: httpx.post(url, data={"speech": ""}, timeout=10))
            self.out(f"POST → {done.status_code}")

    def _form(self, _: str) -> None:
        view = self.slack.open_view(self.user)
        if view is None:
            self.out("no form is open")
            return
        if not any(block.get("type") == "input" for block in view["blocks"]):
            self._pick(view)
            return
        values: dict[str, Any] = {}
        for block in view["blocks"]:
            if block.get("type") == "input":
                value = self._ask(block)
                if value is not None:
                    values[block["block_id"]] = {block["element"]["action_id"]: value}
        reply = self._acting(lambda: self.slack.submit(self.user, view, values))
        if reply.status_code != 200:
            self.out(f"the bot did not take the form (HTTP {reply.status_code}): nothing was submitted")
            return
        answer = reply.json() if reply.content else {}
        if answer.get("response_action") == "errors":
            labels = {
                b["block_id"]: readable.plain(b["label"]) for b in view["blocks"] if b.get("type") == "input"
            }
            for block_id, error in answer["errors"].items():
                self.out(f"  ✗ {labels.get(block_id, block_id)}: {error}")
            self.out("fix it with `form` again")
            return
        if not self._say_open_view():
            self.out("submitted")

    def _pick(self, view: dict[str, Any]) -> None:
        """A modal of menus (the template picker): choosing is the action, as in Slack, which sends the
        choice at once; the modal then becomes what was chosen."""
        choices = [a for a in self._actions_of(view["blocks"], view=view) if a.option is not None]
        if not choices:
            self.out(self.demo.render(view))
            self.out("nothing to fill in here: it closes with its Close button (`as` someone else, or go on)")
            return
        self.out(self.demo.render(view))
        for i, choice in enumerate(choices, 1):
            self.out(f"    {i}. {choice.label}")
        answer = self.read("  which? [number]: ").strip()
        if not (answer.isascii() and answer.isdigit()) or not 1 <= int(answer) <= len(choices):
            self.out("nothing chosen; `form` to try again")
            return
        chosen = choices[int(answer) - 1]
        self._acting(
            lambda: self.slack.choose(
                self.user, chosen.action_id, chosen.option, block_id=chosen.block_id, in_view=view
            )
        )
        try:  # the bot acks the choice first, then turns the modal into the form
            turned = self.demo.until(lambda: (v := self.slack.open_view(self.user)) and v != view and v)
        except RuntimeError:
            self.out("the choice changed nothing: the modal is as it was")
            return
        if any(block.get("type") == "input" for block in turned["blocks"]):
            self._form("")
        else:
            self.out(self.demo.render(turned))

    def _home(self, _: str) -> None:
        self._acting(lambda: self.slack.open_home(self.user))
        view = self.slack.home.get(self.user, {})
        self.out(self.demo.render(view))
        self.actions = []
        self._list_actions(self._actions_of(view.get("blocks", []), view=dict(view, id=f"home-{self.user}")))
        self._say_open_view()

    def _bulk(self, _: str) -> None:
        """As in Slack: tick requests in App Home's "Waiting for me", press "Approve selected", confirm."""
        self._acting(lambda: self.slack.open_home(self.user))
        view = self.slack.home.get(self.user, {})
        bulk = next((b for b in view.get("blocks", []) if b.get("block_id") == BULK_BLOCK), None)
        if bulk is None:
            self.out("nothing to approve together: App Home offers it when 2 or more wait for you here")
            return
        groups = [e for e in bulk["elements"] if e["type"] == "checkboxes"]
        options = [o for group in groups for o in group["options"]]
        for i, option in enumerate(options, 1):
            self.out(f"    {i}. {readable.plain(option['text'])}")
        answer = self.read("  tick which? [numbers, Enter for all]: ").split()
        picked = [int(a) for a in answer if a.isascii() and a.isdigit() and 1 <= int(a) <= len(options)]
        chosen = [options[n - 1] for n in picked] if answer else options
        state = {
            group["action_id"]: {
                "type": "checkboxes",
                "selected_options": [o for o in group["options"] if o in chosen],
            }
            for group in groups
        }
        ticked = dict(view, id=f"home-{self.user}", state={"values": {BULK_BLOCK: state}})
        self._acting(lambda: self.slack.click(self.user, ACTION_BULK_APPROVE, in_view=ticked))
        if self.slack.open_view(self.user) is not None:
            self._form("")
        else:
            self._show("")

    def _audit(self, _: str) -> None:
        lines = self.slack.conversation(AUDIT_CHANNEL)
        for message in lines[-20:]:
            self.out(f"  │ {self.demo.render(message)}")
        if not lines:
            self.out("the audit channel is empty")

    def _wecom(self, rest: str) -> None:
        parts = rest.split(maxsplit=2)
        if len(parts) < 2 or parts[0] not in ("approve", "reject", "comment"):
            self.out("wecom approve|reject <number> [reason], or wecom comment <number> <text>")
            return
        decision, number, speech = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
        try:
            self._acting(
                lambda: self.sandbox.decide(number, PEOPLE[self.user].wecom, decision, speech=speech)
            )
        except KeyError:
            self.out(f"WeCom has no request {number} (`show` lists your cards; WeCom's numbers end in 5xxx)")
            return
        except Exception as exc:  # the sandbox says why, as WeCom would
            self.out(f"WeCom refused: {exc}")
            return
        self.out(
            f"{'commented' if decision == 'comment' else 'decided'} in WeCom as {PEOPLE[self.user].name}"
        )

    def _reply(self, rest: str) -> None:
        number, _, text = rest.partition(" ")
        cards = [
            m for m in self.slack.conversation(self.user) if not m.thread_ts and number and number in m.text
        ]
        if not cards or not text.strip():
            self.out(
                "reply <number> <text>: in the thread under your card of that request (`show` lists them)"
            )
            return
        self._acting(lambda: self.slack.reply(self.user, cards[-1], text.strip()))
        for note in self.slack.ephemeral.get(self.user, [])[-1:]:
            self.out(f"(only you see) {self.demo.render(note)}")
        self.out(f"replied in the thread of your card of {number}")

    def _lose(self, count: str) -> None:
        lost = int(count) if count.isascii() and count.isdigit() else 1
        self.sandbox.lose_callbacks(lost)
        self.out(f"the next {lost} WeCom callback(s) will be lost on the way: `sweep` finds what they said")

    def _sweep(self, _: str) -> None:
        reports = self._acting(self.demo.schedule.sweep_now)
        for report in reports:
            said = f"failed: {report.error}" if report.error else f"{report.changed} change(s) found"
            self.out(f"sweep {report.provider}: {report.looked_at} looked at, {report.reads} read(s), {said}")

    def _clock(self, amount: str) -> None:
        match = _DURATION.fullmatch(amount.strip())
        if match is None:
            self.out("clock +<n>[d|h|m], e.g. `clock +25h` or `clock +2d`")
            return
        self.demo.clock_offset += int(match.group(1)) * _UNIT[match.group(2)]
        now = datetime.fromtimestamp(self.demo.now(), SHANGHAI)
        self.out(f"it is now {now:%Y-%m-%d %H:%M} in Shanghai")
        queued = self._acting(self.demo.schedule.remind_now)
        self.out(f"the reminders ran: {queued} nudge(s) (nobody is nudged at night, {_quiet(self.runtime)})")
        acted = self._acting(self.demo.schedule.escalate_now)
        self.out(f"escalation and expiry ran: {acted} request(s) escalated, expired or marked overdue")

    def _away(self, rest: str) -> None:
        """Sets someone away as the person you are (an admin's `/approval-admin away`, without Slack
        markup to type); alone, lists who is away."""
        words = rest.split()
        if not words:
            absences = self.runtime.away.in_force()
            for a in absences:
                delegate = PEOPLE[a.delegate].name
                self.out(f"  {PEOPLE[a.user].name} away until {utc_text(a.until)}, delegate {delegate}")
            if not absences:
                self.out("nobody is away")
            return
        user, delegate = (SHORT.get(w.lower()) for w in (words[0], words[2] if len(words) > 2 else ""))
        if user is None or delegate is None:
            self.out(f"away <name> <until> <delegate> [reason], names from: {', '.join(SHORT)}")
            return
        try:
            absence = self._acting(
                lambda: self.runtime.away.set(user, words[1], delegate, " ".join(words[3:]), by=self.user)
            )
        except AwayRefused as exc:
            self.out(
                f"refused: {self.demo.render({'text': refusal(exc, self.runtime.config.slack.language)})}"
            )
            return
        until = utc_text(absence.until)
        self.out(f"{PEOPLE[user].name} is away until {until}; {PEOPLE[delegate].name} decides for them")

    def _back(self, who: str) -> None:
        user = SHORT.get(who.lower())
        if user is None:
            self.out(f"back <name>, names from: {', '.join(SHORT)}")
            return
        ended = self._acting(lambda: self.runtime.away.back(user, by=self.user))
        self.out(f"{PEOPLE[user].name} is back" if ended else f"{PEOPLE[user].name} was not away")

    # helpers -----------------------------------------------------------------------

    def _ask(self, block: dict[str, Any]) -> dict[str, Any] | None:
        """One input, asked in words; what Slack would send for it."""
        element, label = block["element"], readable.plain(block["label"])
        kind = element["type"]
        optional = " (optional)" if block.get("optional") else ""
        if kind in ("static_select", "multi_static_select"):
            options = element.get("options", [])
            for i, option in enumerate(options, 1):
                self.out(f"    {i}. {readable.plain(option['text'])}")
            answer = self.read(f"  {label}{optional} [number]: ").strip()
            if not (answer.isascii() and answer.isdigit()) or not 1 <= int(answer) <= len(options):
                return None
            chosen = options[int(answer) - 1]
            key = "selected_options" if kind.startswith("multi") else "selected_option"
            return {"type": kind, key: [chosen] if kind.startswith("multi") else chosen}
        hint = {
            "datepicker": "YYYY-MM-DD",
            "datetimepicker": "YYYY-MM-DD HH:MM",
            "users_select": "a name: " + "/".join(SHORT),
            "multi_users_select": "names: " + "/".join(SHORT),
        }.get(kind, "")
        answer = self.read(f"  {label}{optional}{f' [{hint}]' if hint else ''}: ").strip()
        if not answer:
            return None
        if kind == "datepicker":
            return {"type": kind, "selected_date": answer}
        if kind == "datetimepicker":
            moment = datetime.strptime(answer, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
            return {"type": kind, "selected_date_time": int(moment.timestamp())}
        if kind == "users_select":
            return {"type": kind, "selected_user": SHORT.get(answer.lower(), answer)}
        if kind == "multi_users_select":
            return {"type": kind, "selected_users": [SHORT.get(a.lower(), a) for a in answer.split()]}
        if kind == "file_input":
            return None
        return {"type": kind, "value": answer}

    def _actions_of(
        self,
        blocks: list[dict[str, Any]],
        *,
        message: Posted | None = None,
        view: dict[str, Any] | None = None,
    ) -> list[_Action]:
        """What a person can press or choose on a message or view: buttons, menu items, links."""
        found = []
        for block in blocks:
            elements = block.get("elements", []) if block.get("type") == "actions" else []
            if block.get("accessory"):
                elements = [block["accessory"]]
            for element in elements:
                base = _Action(
                    readable.plain(element.get("text")),
                    message,
                    block.get("block_id", ""),
                    element.get("action_id", ""),
                    element.get("value", ""),
                    element.get("url", ""),
                    view=view,
                )
                if element.get("type") == "overflow":
                    found += [
                        _Action(
                            f"… {readable.plain(o['text'])}",
                            message,
                            base.block_id,
                            base.action_id,
                            o["value"],
                        )
                        for o in element["options"]
                    ]
                elif element.get("type") == "static_select":
                    found += [
                        _Action(
                            f"▾ {readable.plain(o['text'])}",
                            message,
                            base.block_id,
                            base.action_id,
                            option=o,
                            view=view,
                        )
                        for o in element.get("options", [])
                    ]
                elif element.get("type") == "button":
                    found.append(base)
            for url, text in re.findall(r"<(https?://[^|>]+)\|([^>]+)>", str(block)):
                found.append(_Action(readable.mrkdwn(text), message, url=url))
        return found

    def _acting(self, act: Callable[[], Any]) -> Any:
        """Do `act`, wait until the bot has finished what it set off, then say what changed: the WeCom hops,
        and who got or saw updated which message."""
        before = self._messages()
        result = act()
        self._settle()
        traffic = self.sandbox.traffic(self.seen)
        self.seen += len(traffic)
        for line in self.demo.hops(traffic):
            self.out(f"  ⇄ {line}")
        for key, (updates, message) in self._messages().items():
            if message.channel == AUDIT_CHANNEL or before.get(key, (None,))[0] == updates:
                continue
            user = message.channel[1:]
            who = PEOPLE[user].name if user in PEOPLE else self._channel_name(message.channel)
            change = "✉ new" if key not in before else "✎ updated"
            self.out(f"  {change} for {who}: {self.demo.headline(message)}")
        return result

    @staticmethod
    def _channel_name(channel: str) -> str:
        return f"#{TEAM_CHANNEL_NAME}" if channel == TEAM_CHANNEL else f"#{channel}"

    def _messages(self) -> dict[tuple[str, str], tuple[int, Posted]]:
        return {
            (m.channel, m.ts): (m.updates, m)
            for channel in list(self.slack.messages)
            for m in self.slack.conversation(channel)
        }

    def _settle(self) -> None:
        """Until the bot has finished what the last action set off: callbacks in and applied, messages
        out, and Slack quiet for a moment (a listener's work after its ack comes a little later)."""
        self.demo.wait(self.runtime, self.sandbox)
        deadline = time.monotonic() + 10
        calls = -1
        while calls != len(self.slack.calls) and time.monotonic() < deadline:
            calls = len(self.slack.calls)
            time.sleep(QUIET)
            self.demo.wait(self.runtime, self.sandbox)

    def _say_open_view(self) -> bool:
        """Tell the person a modal is open (and what it is for); whether one is."""
        view = self.slack.open_view(self.user)
        if view is None:
            return False
        if any(block.get("type") == "input" for block in view["blocks"]):
            self.out("a form is open: type `form` to fill it in")
        else:
            self.out(self.demo.render(view))
            self.out("type `form` to choose")
        return True

    def _history(self) -> Callable[[], None] | None:
        """Line editing and history through readline, where Python has it; the history is kept in the
        demo's folder, or in the home folder when that is temporary. Returns what saves it."""
        try:
            import readline
        except ImportError:  # Windows without pyreadline: plain input() still works
            return None
        path = (HISTORY if self.demo.temporary else self.demo.folder / ".console_history").expanduser()
        with contextlib.suppress(OSError):  # no history yet
            readline.read_history_file(path)
        readline.set_history_length(HISTORY_LINES)

        def save() -> None:
            try:
                readline.write_history_file(path)
            except OSError as exc:
                self.out(f"(history not saved: {exc})")

        return save


def _quiet(runtime: Runtime) -> str:
    return f"{runtime.config.schedule.quiet_hours} in their time zone"
