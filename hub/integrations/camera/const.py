"""Names and defaults of the camera integration, in one place."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "camera"

CONF_CAMERAS: Final = "cameras"
CONF_ID: Final = "id"
CONF_NAME: Final = "name"
CONF_SOURCE: Final = "source"
CONF_URL: Final = "url"
CONF_PATH: Final = "path"
CONF_DEVICE: Final = "device"
CONF_VIEW: Final = "view"
CONF_FPS: Final = "fps"
CONF_INTERVAL: Final = "interval"
CONF_USERNAME: Final = "username"
CONF_PASSWORD: Final = "password"
CONF_JPEG_QUALITY: Final = "jpeg_quality"

SOURCE_MJPEG: Final = "mjpeg"
SOURCE_RTSP: Final = "rtsp"
SOURCE_SNAPSHOT: Final = "snapshot"
SOURCE_FILE: Final = "file"
SOURCE_USB: Final = "usb"
SOURCE_DEMO: Final = "demo"
SOURCES: Final = (SOURCE_MJPEG, SOURCE_RTSP, SOURCE_SNAPSHOT, SOURCE_FILE, SOURCE_USB, SOURCE_DEMO)

STATE_STREAMING: Final = "streaming"
STATE_IDLE: Final = "idle"

ATTR_FPS: Final = "fps"
ATTR_RESOLUTION: Final = "resolution"
ATTR_LAST_FRAME: Final = "last_frame"
ATTR_FRAMES: Final = "frames"
ATTR_DROPPED: Final = "dropped_frames"
ATTR_SOURCE: Final = "source"

# Cameras adopted from discovery: {"cameras": [<entries shaped like a YAML entry>]}.
ADOPTED_FILE: Final = "cameras_adopted.json"

DEFAULT_FPS: Final = 5.0
DEFAULT_SNAPSHOT_INTERVAL: Final = 2.0
DEFAULT_JPEG_QUALITY: Final = 80
DEFAULT_STREAM_FPS: Final = 5.0

# Network reads give up after this long, so a dead camera is noticed and stop is prompt.
IO_TIMEOUT: Final = 5.0
# A camera that fails is retried after 1 s, then 2, 4 ... up to a minute between tries.
BACKOFF_INITIAL: Final = 1.0
BACKOFF_MAX: Final = 60.0
# With nobody subscribed, a camera still takes a frame this often (latest_frame stays fresh,
# and a dead camera is noticed) without decoding a stream nobody watches.
IDLE_INTERVAL: Final = 10.0
# Attributes (fps, frames, dropped) are refreshed this often, not on every frame.
ATTRIBUTE_REFRESH: Final = 60.0
# How long a snapshot request waits for a frame before answering 503.
SNAPSHOT_TIMEOUT: Final = 10.0
# A snapshot reuses the latest frame if it is at most this old, else waits for the next.
SNAPSHOT_MAX_AGE: Final = 2.0
