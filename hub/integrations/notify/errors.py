"""Why a delivery did not happen: worth another try later, or never going to work."""

from __future__ import annotations

from hub.core.exceptions import HubError

__all__ = ["NotifyError", "PermanentError", "RetryableError"]


class NotifyError(HubError):
    """A notification could not be delivered."""


class RetryableError(NotifyError):
    """The far side was unreachable or busy (timeout, refused, 5xx, 429): try again later."""


class PermanentError(NotifyError):
    """The far side refused the message itself (bad number, bad credentials): stop trying."""
