# ParkHub in a container: `docker build -t parkhub .` then
#   docker run -p 8123:8123 -v parkhub-data:/data parkhub                  (the demo lot)
#   docker run -p 8123:8123 -v parkhub-data:/data -v "$PWD":/config parkhub  (your config.yaml)
# compose.yaml runs it beside Mosquitto.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md LICENSE config.yaml ./
COPY hub ./hub
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
# OpenCV's headless wheel still links GLib; nothing else comes from Debian.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 1000 --create-home --home-dir /home/parkhub parkhub \
    && mkdir -p /data /config \
    && chown parkhub:parkhub /data /config
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels

# The same folders every command uses: `docker exec ... parkhub token create NAME` writes
# the token where this hub reads it. /config/config.yaml if mounted, else the bundled demo.
ENV PARKHUB_DATA=/data \
    PYTHONUNBUFFERED=1
WORKDIR /config
VOLUME ["/data"]
USER parkhub
EXPOSE 8123 1884
# Healthy when the API answers at all (401 without a token still means it is serving).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request as r, urllib.error as e\ntry: r.urlopen('http://127.0.0.1:8123/api/', timeout=4)\nexcept e.HTTPError: pass"]
CMD ["parkhub", "run"]
