"""What the providers' HTTP pages share: the reply a page builds, and the length a request declares.

A provider's pages (the WeCom callback and launch page, the local approve page) live in its own package;
what they have in common lives here, so no provider reaches into another's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# A plain count of bytes: ASCII digits only ("²".isdigit() is True), and no more of them than a 64-bit
# number has (int() of thousands of digits raises, or takes its time).
_LENGTH = re.compile(r"[0-9]{1,20}")


@dataclass(frozen=True)
class Reply:
    status: str
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


def request_length(environ: dict[str, Any]) -> int | None:
    """The request's Content-Length (0 when absent); None when it is not a plain count of bytes."""
    declared = (environ.get("CONTENT_LENGTH") or "0").strip()
    return int(declared) if _LENGTH.fullmatch(declared) else None
