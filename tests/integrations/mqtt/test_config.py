"""The `mqtt:` block: what a lot owner writes, and the errors a typo gets."""

from __future__ import annotations

from typing import Any

import pytest
import voluptuous as vol

from hub.integrations import mqtt
from hub.integrations.mqtt.config import MqttConfig


def settings(**config: Any) -> MqttConfig:
    return MqttConfig.from_dict(mqtt.CONFIG_SCHEMA(config))


def test_defaults_are_the_embedded_broker_on_loopback_1884() -> None:
    conf = settings()
    assert conf.embedded
    assert (conf.embedded_host, conf.embedded_port) == ("127.0.0.1", 1884)
    # The hub itself reaches its broker over loopback.
    assert (conf.connection.host, conf.connection.port) == ("127.0.0.1", 1884)
    assert conf.connection.will_topic == "parkhub/status"
    assert conf.connection.client_id.startswith("parkhub-")


def test_broker_urls() -> None:
    conf = settings(broker="mqtt://gate%40lot:p%3Ass@broker.lot:1999")
    assert (conf.connection.host, conf.connection.port) == ("broker.lot", 1999)
    assert (conf.connection.username, conf.connection.password) == ("gate@lot", "p:ss")
    assert not conf.connection.tls
    secure = settings(broker="mqtts://broker.lot", username="hub", password="x")
    assert (secure.connection.port, secure.connection.tls) == (8883, True)
    assert secure.connection.username == "hub"
    assert settings(broker="mqtt://broker.lot", prefix="lot7/hub").connection.will_topic == (
        "lot7/hub/status"
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"broker": "http://broker.lot"}, "expected 'embedded' or a broker URL"),
        ({"broker": "mqtt://"}, "invalid URL"),
        ({"prefix": "parkhub/#"}, "invalid topic prefix"),
        ({"embedded": {"port": 70000}}, "port number"),
        ({"keepalive": "soon"}, "expected int"),
        ({"publish": {"include": {"domains": ["Sensor"]}}}, "invalid slug"),
        ({"cover": [{"command_topic": "barrier/set"}]}, "give a name or an object_id"),
        ({"sensor": [{"name": "x", "state_topic": "a/#/b"}]}, "invalid topic filter"),
        ({"binary_sensor": [{"name": "x"}]}, "state_topic"),
        ({"brokr": "embedded"}, "extra keys"),
    ],
)
def test_mistakes_name_the_key(config: dict[str, Any], message: str) -> None:
    with pytest.raises(vol.Invalid, match=message):
        mqtt.CONFIG_SCHEMA(config)
