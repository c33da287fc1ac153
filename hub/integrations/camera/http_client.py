"""Blocking HTTP GETs for camera sources (worker threads only), with Basic/Digest auth.

urllib rather than aiohttp: the reads happen in the camera's own thread, and a blocking
socket with a timeout is the simplest thing that cannot stall the loop. No proxies from
the environment: cameras sit on the local network.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request

__all__ = ["HttpError", "open_url"]


class HttpError(Exception):
    """The camera's URL did not answer with 200 OK; the message says what it did instead."""


def open_url(
    url: str, auth: tuple[str, str | None] | None, timeout: float
) -> http.client.HTTPResponse:
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if auth is not None:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, auth[0], auth[1] or "")
        handlers += [
            urllib.request.HTTPBasicAuthHandler(passwords),
            urllib.request.HTTPDigestAuthHandler(passwords),
        ]
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"User-Agent": "ParkHub"})
    try:
        response: http.client.HTTPResponse = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        err.close()
        hint = " (check username and password)" if err.code in (401, 403) else ""
        raise HttpError(f"{url}: HTTP {err.code} {err.reason}{hint}") from None
    except urllib.error.URLError as err:
        raise HttpError(f"{url}: {err.reason}") from None
    except TimeoutError:
        raise HttpError(f"{url}: no answer in {timeout:.0f} s") from None
    except (OSError, http.client.HTTPException) as err:
        raise HttpError(f"{url}: {err}") from None
    return response
