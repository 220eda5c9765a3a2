"""Block Kit as a person reads it in Slack, as terminal text: for the demo and its console.

Slack never shows its markup: `*Number*\\n2026…` is a bold label over its value, `<@U0WANG>` is a
name, a button is a label, `<https://…|Approve with a link>` is the link's text. So here fields
read `Number: 202612020001`, people are named, buttons are `[Approve]` and links are their text with
a short hint of where they go. (`slack_standin.render_blocks` keeps the markup: tests assert on what
the bot sent, this shows what people see.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

Names = Mapping[str, str]  # Slack user id -> display name
SHORT_URL = 32  # characters of a link's address shown beside its text

_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])")
# `*Waiting on* @U0LI`, not `*采购申请* · 2026…` (a title, then its number)
_LINE_LABEL = re.compile(r"^\*([^*\n]+)\* +(?=[^\s·—|:-])", re.MULTILINE)
_LABEL_OVER = re.compile(r"\*([^*\n]+)\*\n(?=\S)")  # `*Number*\n2026…`, opening a text
_CODE = re.compile(r"`([^`\n]+)`")
_ANGLE = re.compile(r"<([^<>]+)>")
_ELEMENT_LABELS = {
    "overflow": "[⋯]",
    "datepicker": "[📅 pick a date]",
    "timepicker": "[🕒 pick a time]",
    "datetimepicker": "[📅 pick a date and time]",
    "plain_text_input": "[____]",
    "number_input": "[____]",
    "email_text_input": "[____]",
    "url_text_input": "[____]",
    "file_input": "[📎 attach a file]",
}


def short_url(url: str) -> str:
    """Where a link goes, in a glance: host and the start of its path (`host/approve/eyJh…`)."""
    parts = urlsplit(url)
    if not parts.netloc:
        return url if len(url) <= SHORT_URL else url[: SHORT_URL - 1] + "…"
    where = parts.netloc + parts.path
    return where if len(where) <= SHORT_URL else where[: SHORT_URL - 1] + "…"


def mrkdwn(text: str, names: Names | None = None) -> str:
    """Slack's mrkdwn as it reads on screen: emphasis and code marks gone, people and channels by name,
    links as their text, dates by their fallback, a bold label before its value as `Label: value`."""
    text = _labels(text)
    text = _ANGLE.sub(lambda match: _special(match.group(1), names or {}), text)
    for emphasis in (_BOLD, _ITALIC, _STRIKE, _CODE):
        text = emphasis.sub(r"\1", text)
    text = "\n".join("┃ " + line[2:] if line.startswith("> ") else line for line in text.splitlines())
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _labels(text: str) -> str:
    """A bold label opening a line, then its value: `Label: value`; a label over a value of several lines
    stays over it, as `Label:`."""
    text = _LINE_LABEL.sub(r"\1: ", text)
    match = _LABEL_OVER.match(text)
    if match is None:
        return text
    rest = text[match.end() :]
    separator = "\n" if "\n" in rest else " "
    return f"{match.group(1)}:{separator}{rest}"


def _special(inner: str, names: Names) -> str:
    """One `<…>` of mrkdwn: a mention, a channel, a date, a broadcast or a link."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (names.get(target[1:]) or label or target[1:])
    if target.startswith("#"):
        return "#" + (label or names.get(target[1:]) or target[1:])
    if target.startswith("!date^"):
        return label
    if target.startswith("!subteam^"):
        return label or "@group"
    if target.startswith("!"):
        return "@" + target[1:]
    if target.startswith("mailto:"):
        return label or target.removeprefix("mailto:")
    return f"{label} ({short_url(target)})" if label else short_url(target)


def plain(obj: Mapping[str, Any] | None, names: Names | None = None) -> str:
    """A text object: mrkdwn read as above, plain_text as it is."""
    obj = obj or {}
    text = str(obj.get("text", ""))
    return mrkdwn(text, names) if obj.get("type") == "mrkdwn" else text


def element(item: Mapping[str, Any], names: Names | None = None) -> str:
    """An interactive or context element as it looks: a button is its label in brackets."""
    kind = item.get("type", "")
    if kind == "button":
        return f"[{plain(item.get('text'))}{' ↗' if item.get('url') else ''}]"
    if kind in ("mrkdwn", "plain_text"):
        return plain(item, names)
    if kind == "image":
        return f"[image: {item.get('alt_text', '')}]"
    if kind == "checkboxes":
        return " ".join(f"[☐ {plain(option.get('text'))}]" for option in item.get("options", []))
    if kind.endswith("_select"):
        chosen = item.get("initial_option") or {}
        shown = plain(chosen.get("text")) if chosen else plain(item.get("placeholder")) or "choose"
        return f"[{shown} ▾]"
    return _ELEMENT_LABELS.get(kind, f"[{kind}]")


def render(blocks: Sequence[Mapping[str, Any]], names: Names | None = None) -> str:
    """Blocks as the lines a person reads, top to bottom."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"【{plain(block.get('text'))}】")
        elif kind == "section":
            lines += _section(block, names)
        elif kind == "context":
            lines.append("  " + "  ".join(element(e, names) for e in block.get("elements", [])))
        elif kind == "actions":
            lines.append("  ".join(element(e, names) for e in block.get("elements", [])))
        elif kind == "divider":
            lines.append("─" * 24)
        elif kind == "input":
            optional = " (optional)" if block.get("optional") else ""
            lines.append(f"{plain(block.get('label'))}{optional}: {element(block.get('element', {}), names)}")
        elif kind == "image":
            lines.append(element(block, names))
        elif kind == "rich_text":
            lines.append(_rich_text(block, names))
    return "\n".join(line for line in lines if line.strip())


def _section(block: Mapping[str, Any], names: Names | None) -> list[str]:
    """Its text (with its accessory beside it), then its fields two to a line, as Slack's two columns."""
    lines = []
    text = plain(block.get("text"), names) if block.get("text") else ""
    accessory = element(block["accessory"], names) if block.get("accessory") else ""
    if text or accessory:
        lines.append(f"{text}  {accessory}".strip())
    fields = [plain(field, names).replace("\n", " ") for field in block.get("fields", [])]
    lines += ["    ".join(fields[i : i + 2]) for i in range(0, len(fields), 2)]
    return lines


def _rich_text(block: Mapping[str, Any], names: Names | None) -> str:
    """The words of a rich_text block (what a person typed into a rich text input, say)."""
    words = []
    for section in block.get("elements", []):
        for item in section.get("elements", []):
            if item.get("type") == "user":
                user = str(item.get("user_id", ""))
                words.append("@" + (names or {}).get(user, user))
            elif item.get("type") == "link":
                words.append(item.get("text") or short_url(str(item.get("url", ""))))
            else:
                words.append(str(item.get("text", "")))
    return "".join(words)
