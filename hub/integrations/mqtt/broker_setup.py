"""Starting the embedded broker with its accounts, and the hub's own login to it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .broker import EmbeddedBroker
from .broker_accounts import BrokerAccount, BrokerAccounts, load_or_create_credentials
from .broker_acl import TopicPolicy
from .config import MqttConfig

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["async_embedded_broker"]


async def async_embedded_broker(
    hub: Hub, conf: MqttConfig, discovery_prefix: str
) -> tuple[EmbeddedBroker, MqttConfig]:
    """Start the broker (accounts made at first start) and return it with `conf` changed
    so the hub's client logs in with its own account."""
    hub_account, controller = await hub.async_add_executor_job(
        load_or_create_credentials, hub.data_dir
    )
    extra = [
        BrokerAccount(user["username"], user["password"], user["role"])
        for user in conf.embedded_users
    ]
    accounts = BrokerAccounts([*extra, controller, hub_account])  # generated ones win
    policy = TopicPolicy(accounts, conf.base_prefix, discovery_prefix)
    broker = EmbeddedBroker(hub, conf.embedded_host, conf.embedded_port, policy)
    await broker.async_start()
    connection = dataclasses.replace(
        conf.connection, username=hub_account.username, password=hub_account.password
    )
    return broker, dataclasses.replace(conf, connection=connection)
