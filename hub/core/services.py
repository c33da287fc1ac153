"""The service registry: named actions (`gate.open`) with a schema guarding their data."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from .bus import CALLBACK_TYPE
from .const import EVENT_CALL_SERVICE, EVENT_SERVICE_REGISTERED
from .context import Context
from .exceptions import ServiceNotFound, ServiceValidationError
from .limits import describe_depth, too_deep

if TYPE_CHECKING:
    from .hub import Hub

__all__ = ["Service", "ServiceCall", "ServiceHandler", "ServiceRegistry", "describe_invalid"]

_LOGGER = logging.getLogger(__name__)

ServiceHandler = Callable[["ServiceCall"], Awaitable[Any] | Any]


def describe_invalid(err: vol.Invalid) -> str:
    """`data.entity_id: expected str` for every error in `err`, so callers see the field."""
    errors = err.errors if isinstance(err, vol.MultipleInvalid) else [err]
    parts = []
    for error in errors:
        path = ".".join(str(part) for part in error.path)
        parts.append(f"{path}: {error.error_message}" if path else error.error_message)
    return "; ".join(parts)


@dataclass(slots=True, frozen=True)
class Service:
    handler: ServiceHandler
    schema: vol.Schema | None
    description: str = ""


class ServiceCall:
    """One call of a service: validated data and the context that asked for it."""

    __slots__ = ("context", "data", "domain", "service")

    def __init__(
        self, domain: str, service: str, data: Mapping[str, Any], context: Context
    ) -> None:
        self.domain = domain
        self.service = service
        self.data = data
        self.context = context

    def __repr__(self) -> str:
        return f"<ServiceCall {self.domain}.{self.service}: {dict(self.data)}>"


class ServiceRegistry:
    """Integrations register their services here; automations, REST and WS call them."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._services: dict[str, dict[str, Service]] = {}

    def has_service(self, domain: str, service: str) -> bool:
        return service.lower() in self._services.get(domain.lower(), {})

    def async_services(self) -> dict[str, dict[str, Service]]:
        return {domain: dict(services) for domain, services in self._services.items()}

    def async_register(
        self,
        domain: str,
        service: str,
        handler: ServiceHandler,
        schema: vol.Schema | None = None,
        description: str = "",
    ) -> CALLBACK_TYPE:
        """Register `domain.service`; returns the callable that removes it again."""
        domain, service = domain.lower(), service.lower()
        entry = Service(handler, schema, description)
        self._services.setdefault(domain, {})[service] = entry
        self._hub.bus.async_fire(EVENT_SERVICE_REGISTERED, {"domain": domain, "service": service})

        def remove() -> None:
            services = self._services.get(domain, {})
            if services.get(service) is entry:
                del services[service]
                if not services:
                    del self._services[domain]

        return remove

    async def async_call(
        self,
        domain: str,
        service: str,
        data: Mapping[str, Any] | None = None,
        *,
        context: Context | None = None,
        blocking: bool = True,
    ) -> Any:
        """Validate `data`, announce the call, and run the handler.

        Raises ServiceNotFound or ServiceValidationError (naming the bad field) before
        anything runs. With `blocking`, returns what the handler returned.
        """
        domain, service = domain.lower(), service.lower()
        entry = self._services.get(domain, {}).get(service)
        if entry is None:
            raise ServiceNotFound(domain, service)
        payload: Mapping[str, Any] = data or {}
        if (deep := too_deep(payload)) is not None:
            raise ServiceValidationError(
                f"invalid data for {domain}.{service}: {describe_depth('data', deep)}"
            )
        if entry.schema is not None:
            try:
                payload = entry.schema(dict(payload))
            except vol.Invalid as err:
                raise ServiceValidationError(
                    f"invalid data for {domain}.{service}: {describe_invalid(err)}"
                ) from None
        context = context or Context()
        self._hub.bus.async_fire(
            EVENT_CALL_SERVICE,
            {"domain": domain, "service": service, "service_data": payload},
            context=context,
        )
        call = ServiceCall(domain, service, payload, context)
        if not blocking:
            self._hub.async_create_task(self._run(entry, call), f"service {domain}.{service}")
            return None
        return await self._run(entry, call)

    @staticmethod
    async def _run(entry: Service, call: ServiceCall) -> Any:
        result = entry.handler(call)
        if isinstance(result, Awaitable):
            return await result
        return result
