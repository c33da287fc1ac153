"""Secrets never reach a log line: URL query values, URL passwords, `password=` pairs.

A webhook URL's `?apikey=...` once appeared in clear in the log when the call failed, and
camera URLs carry `user:password@`. `redact_url` is applied where URLs are put into error
messages (notify's HTTP platforms); `RedactingFilter`, installed on the log handlers by
`setup_logging`, catches whatever else gets through, in every message of every library.
"""

from __future__ import annotations

import logging
import re
from typing import Final
from urllib.parse import urlsplit, urlunsplit

__all__ = ["RedactingFilter", "redact_text", "redact_url"]

MASK: Final = "***"
_URL: Final = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE)
_PAIR: Final = re.compile(
    r"\b(password|passwd|secret|token|access_token|apikey|api_key)(=)(?!\*\*\*)([^\s&,;()\[\]{}'\"]+)",
    re.IGNORECASE,
)


_QUOTED: Final = re.compile(
    r"""(['"](?:password|passwd|secret|token|access_token|apikey|api_key)['"]\s*:\s*)"""
    r"""(['"])(?!\*\*\*)(?:\\.|(?!\2).)*\2""",
    re.IGNORECASE,
)


def redact_url(url: str) -> str:
    """`https://u:p@host/x?apikey=abc&q=1` -> `https://u:***@host/x?apikey=***&q=***`."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            user, _, host = netloc.rpartition("@")
            netloc = f"{user.partition(':')[0]}:{MASK}@{host}"
    except ValueError:
        return _URL.sub(MASK, url)
    query = "&".join(
        f"{name}={MASK}" if sep else name
        for name, sep, _value in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Every URL in `text` redacted, and `password=...`-like pairs masked (also as a
    mapping's repr or JSON: `'password': 's3cret'`, `"token": "abc"`)."""
    if "://" in text:
        text = _URL.sub(lambda match: redact_url(match.group(0)), text)
    text = _QUOTED.sub(
        lambda match: f"{match.group(1)}{match.group(2)}{MASK}{match.group(2)}", text
    )
    return _PAIR.sub(lambda match: f"{match.group(1)}{match.group(2)}{MASK}", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with `redact_text` (its arguments merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a broken format: logging reports it itself
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_text is None and record.exc_info[1] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact_text(formatted)
        return True
