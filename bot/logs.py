"""Structured logs: one line per event, the message plus its context as key=value.

Context comes from `extra={...}`; values that look like secrets (tokens,
signatures, keys) are masked so they never reach a log file.
"""

from __future__ import annotations

import logging
import os
import re
import sys

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_SECRET_KEY = re.compile(r"token|secret|signature|aes_key|password|access_token", re.I)
_SLACK_TOKEN = re.compile(r"\b(?:xox[abpre]|xapp)-[A-Za-z0-9-]+")
_QUERY_SECRET = re.compile(r"(access_token|corpsecret|appSecret|permanentCode)=[^&\s'\"]+")


def redact(text: str) -> str:
    return _QUERY_SECRET.sub(r"\1=***", _SLACK_TOKEN.sub("***", text))


class ContextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        context = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        parts = [f"{k}={'***' if _SECRET_KEY.search(k) else v!r}" for k, v in context.items()]
        return redact(" ".join([base, *parts]))


def setup_logging() -> None:
    """Log to stderr at $APPROVALS_BOT_LOG_LEVEL (default INFO)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ContextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("APPROVALS_BOT_LOG_LEVEL", "INFO").upper())
    # one line per HTTP request would drown the bot's own lines; its clients log their failures
    logging.getLogger("httpx").setLevel(logging.WARNING)
