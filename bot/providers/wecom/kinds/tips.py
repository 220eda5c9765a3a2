"""Tips (附8): text the template shows; WeCom fills it in itself, so it is never sent.

``tips.tips_content[]``: ``lang`` + ``text.sub_text[]`` (type 1 ``content.plain_text.content``, type 2
``content.link`` {title, url}).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.forms import Control
from bot.providers.wecom import codes
from bot.providers.wecom.kinds.base import Json, Parse, WeComKind, Write

_TIPS_LINK = 2  # sub_text type: 1 plain text, 2 link


class Tips(WeComKind):
    name = "Tips"
    sent = False

    def configure(self, control: Control, config: Json, parse: Parse) -> Control:
        """The zh_CN text, else the first: its plain runs as they are, links as "title (url)"."""
        contents = codes.as_objs(codes.as_obj(config.get("tips")).get("tips_content"))
        chosen = next((c for c in contents if c.get("lang") == codes.ZH_CN), contents[0] if contents else {})
        runs = [_run(sub) for sub in codes.as_objs(codes.as_obj(chosen.get("text")).get("sub_text"))]
        return replace(control, text="".join(runs).strip())

    def template_config(self, control: Control, write: Write) -> dict[str, Any]:
        text = {"sub_text": [{"type": 1, "content": {"plain_text": {"content": control.text}}}]}
        return {"tips": {"tips_content": [{"text": text, "lang": "zh_CN"}]}}


def _run(sub: Json) -> str:
    content = codes.as_obj(sub.get("content"))
    if codes.integer(sub.get("type")) == _TIPS_LINK:
        link = codes.as_obj(content.get("link"))
        title, url = codes.text(link.get("title")), codes.text(link.get("url"))
        return f"{title} ({url})" if title and url else title or url
    plain = codes.as_obj(content.get("plain_text")).get("content")
    return plain if isinstance(plain, str) else ""


KIND = Tips()
