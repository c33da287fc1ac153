"""One error tree for the whole hub, so every edge can map errors to codes in one place."""

from __future__ import annotations

__all__ = [
    "AuthFailed",
    "HubError",
    "IntegrationNotReady",
    "InvalidEntityId",
    "ServiceNotFound",
    "ServiceValidationError",
    "Unauthorized",
]


class HubError(Exception):
    """Base of every error the hub raises on purpose."""


class ServiceValidationError(HubError):
    """The caller was wrong (bad service data, bad request body): REST 400, WS invalid_format."""


class InvalidEntityId(ServiceValidationError):
    """An entity id is not `<domain>.<object_id>` in lower-case slugs."""


class ServiceNotFound(ServiceValidationError):
    """No service is registered under that domain and name."""

    def __init__(self, domain: str, service: str) -> None:
        super().__init__(f"service {domain}.{service} not found")
        self.domain = domain
        self.service = service


class IntegrationNotReady(HubError):
    """A device or service is not reachable yet: retry later rather than fail."""


class AuthFailed(HubError):
    """Credentials were refused: ask the user, do not retry."""


class Unauthorized(HubError):
    """The caller is authenticated but may not do this."""
