"""Structured logs: one line per event, the message plus its context as key=value.

Context comes from `extra={...}`; values that look like secrets (tokens,
signatures, keys) are masked so they never reach a log file. The masking runs over the
whole line, traceback included, for every logger's records (the root handler formats them
all): slack_sdk's DEBUG lines carry message blocks with approve links, bolt's carry Slack
signatures, and a traceback can carry the path of an approve link.
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
# An approve link's token is the link: /approve/<token>, also JSON-escaped (\/) or percent-encoded (%2F).
_APPROVE_TOKEN = re.compile(r"(/|\\/|%2F)approve(/|\\/|%2F)[A-Za-z0-9_.~%-]+", re.I)
# A Slack request signature (v0=<hex>) and a launch page's link signature (?sig=<hex>).
_HEX_SIGNATURE = re.compile(r"(v0|sig)(=|%3D)[0-9a-f]{16,}", re.I)
MAX_MESSAGE = 8_000  # characters of one record's message; a request body must not become a log line


def redact(text: str) -> str:
    text = _APPROVE_TOKEN.sub(r"\1approve\2<redacted>", text)
    text = _HEX_SIGNATURE.sub(r"\1\2***", text)
    return _QUERY_SECRET.sub(r"\1=***", _SLACK_TOKEN.sub("***", text))


class ContextFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        """A long message clipped, masked first so that no secret is cut to a shape the masks miss."""
        if len(record.message) > MAX_MESSAGE:
            message = redact(record.message)
            record.message = f"{message[:MAX_MESSAGE]}… ({len(message)} characters)"
        return super().formatMessage(record)

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
