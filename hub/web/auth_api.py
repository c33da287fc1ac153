"""Sign-in and accounts over HTTP: login, logout, session, onboarding, tokens, users.

    POST /auth/login {username, password}     -> {user, role, csrf_token} + session cookie
    POST /auth/logout                          (X-CSRF-Token)
    GET  /auth/session                         -> {user, role, csrf_token, vehicles}
    POST /auth/password {current_password, new_password}
    GET  /api/onboarding                       -> {needed}
    POST /api/onboarding {code, username, password} -> the first admin, signed in
    GET  /api/auth/tokens, DELETE /api/auth/tokens/{token_id}   (own; admin: all)
    GET|POST /api/users, DELETE /api/users/{name}                (admin)
    GET|PUT /api/users/{name}/vehicles {vehicles: [plates]}      (own read; staff write)

Who may call each is in `policy.ROUTES`; this module only does the work. Failed
logins are rate-limited per client address and per user name (`sessions.LoginLimiter`),
with a 429 and `Retry-After`.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
from typing import Final

import voluptuous as vol
from aiohttp import web

from hub.core.exceptions import HubError, Unauthorized

from .access import ACCESS_KEY, AccessControl
from .api_doc import api_doc
from .auth import TokenInfo, list_tokens, remove_user_tokens, revoke_token
from .helpers import AUTH_KEY, ensure_object, json_error, json_response, read_json, validate
from .policy import Access, role_level
from .sessions import COOKIE_NAME, SESSION_IDLE
from .users import MAX_NAME, MAX_PASSWORD, ROLES, User, UserError

__all__ = ["async_register_auth_api", "async_start_onboarding"]

_LOGGER = logging.getLogger(__name__)

_STR = vol.All(str, vol.Length(min=1, max=MAX_PASSWORD))
LOGIN_SCHEMA: Final = vol.Schema(
    {
        vol.Required("username"): vol.All(str, vol.Length(min=1, max=MAX_NAME)),
        vol.Required("password"): _STR,
    }
)
ONBOARDING_SCHEMA: Final = LOGIN_SCHEMA.extend({vol.Required("code"): _STR})
PASSWORD_SCHEMA: Final = vol.Schema(
    {vol.Required("current_password"): _STR, vol.Required("new_password"): _STR}
)
USER_SCHEMA: Final = vol.Schema(
    {vol.Required("name"): str, vol.Required("role"): vol.In(ROLES), vol.Required("password"): str}
)
VEHICLES_SCHEMA: Final = vol.Schema({vol.Required("vehicles"): [vol.Any(str, int)]})


def _access(request: web.Request) -> AccessControl:
    return request.app[ACCESS_KEY]


def _address(request: web.Request) -> str:
    return request.remote or "unknown"


def _audit(
    request: web.Request, action: str, target: str, result: str, principal: TokenInfo | None = None
) -> None:
    access = _access(request)
    if access.audit is not None:
        who = principal or request.get(AUTH_KEY)
        access.audit.record(who, _address(request), action, target, result)


def _too_many(wait: float) -> web.Response:
    seconds = max(1, math.ceil(wait))
    return json_error(
        429, f"too many failed attempts: try again in {seconds} s", {"Retry-After": str(seconds)}
    )


def _set_cookie(request: web.Request, response: web.Response, cookie: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        cookie,
        max_age=int(SESSION_IDLE),
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )


async def _async_signed_in(request: web.Request, user: User) -> web.Response:
    sessions = _access(request).sessions
    cookie, session = sessions.create(user.id, user.password)
    await sessions.async_saved()  # a restart right after still knows it
    response = json_response({"user": user.name, "role": user.role, "csrf_token": session.csrf})
    _set_cookie(request, response, cookie)
    return response


def _require_json(request: web.Request) -> None:
    """Sign-in bodies must be sent as JSON: a cross-site form cannot send that type without
    the browser asking the hub first (CORS), so no other site can sign a browser in."""
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send the body as Content-Type: application/json")


@api_doc(
    "Sign in: sets the session cookie",
    tag="auth",
    body=LOGIN_SCHEMA,
    response={"type": "object"},
    errors=(400, 401, 429),
    auth="none",
)
async def _login(request: web.Request) -> web.Response:
    _require_json(request)
    access = _access(request)
    body = validate(LOGIN_SCHEMA, ensure_object(await read_json(request)))
    keys = (f"addr:{_address(request)}", f"user:{body['username']}")
    if (wait := access.limiter.retry_after(*keys)) > 0:
        return _too_many(wait)
    user = await access.users.async_verify(body["username"], body["password"])
    if user is None:
        wait = access.limiter.failed(*keys)
        _LOGGER.warning("Failed login for %r from %s", body["username"], _address(request))
        _audit(request, "login", body["username"], "denied")
        if wait > 0:
            return _too_many(wait)
        return json_error(401, "wrong user name or password")
    access.limiter.succeeded(*keys)
    principal = TokenInfo("", user.name, user.role, user.id, user.name, "cookie")
    _audit(request, "login", user.name, "ok", principal)
    return await _async_signed_in(request, user)


@api_doc("Sign out: ends the login session", tag="auth", response={"type": "object"}, errors=())
async def _logout(request: web.Request) -> web.Response:
    principal = request[AUTH_KEY]
    if principal.via == "cookie":
        sessions = _access(request).sessions
        sessions.remove(principal.id)
        await sessions.async_saved()  # gone for good, also after a restart
    response = json_response({"message": "logged out"})
    response.del_cookie(COOKIE_NAME, path="/")
    return response


@api_doc(
    "Who is signed in, with the CSRF token", tag="auth", response={"type": "object"}, errors=(401,)
)
async def _session(request: web.Request) -> web.Response:
    principal = request[AUTH_KEY]
    access = _access(request)
    csrf = None
    if principal.via == "cookie" and (session := access.cookie_session(request)) is not None:
        csrf = session.csrf
    return json_response(
        {
            "user": principal.user or principal.name,
            "role": principal.role,
            "csrf_token": csrf,
            "vehicles": list(access.vehicles(principal)),
        }
    )


@api_doc(
    "Change one's own password",
    tag="auth",
    body=PASSWORD_SCHEMA,
    response={"type": "object"},
    errors=(400, 403, 429),
)
async def _password(request: web.Request) -> web.Response:
    access = _access(request)
    principal = request[AUTH_KEY]
    if principal.user is None:
        raise Unauthorized("a service-account token has no password")
    body = validate(PASSWORD_SCHEMA, ensure_object(await read_json(request)))
    keys = (f"addr:{_address(request)}", f"user:{principal.user}")
    if (wait := access.limiter.retry_after(*keys)) > 0:
        return _too_many(wait)
    if await access.users.async_verify(principal.user, body["current_password"]) is None:
        wait = access.limiter.failed(*keys)
        _audit(request, "password", principal.user, "denied")
        return _too_many(wait) if wait > 0 else json_error(403, "current_password is wrong")
    access.limiter.succeeded(*keys)
    user = await access.users.async_update(principal.user, password=body["new_password"])
    # Other sessions of this user end; this one stays.
    keep = principal.id if principal.via == "cookie" else None
    access.sessions.remove_user(principal.user_id, keep=keep)
    if keep is not None:
        access.sessions.restamp(keep, user.password)
    await access.sessions.async_saved()
    access.close_invalid()
    _audit(request, "password", principal.user, "ok")
    return json_response({"message": "password changed"})


# -- onboarding --------------------------------------------------------------------------


def async_start_onboarding(access: AccessControl) -> str | None:
    """With no admin yet, make a one-time code and log it; None when there is an admin."""
    if access.users.has_admin():
        access.onboarding_code = None
        return None
    raw = secrets.token_hex(6).upper()
    access.onboarding_code = "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    _LOGGER.warning(
        "No admin user yet. Onboarding code: %s (open the panel, or POST /api/onboarding"
        " {code, username, password}; or run `parkhub user add NAME --role admin`)",
        access.onboarding_code,
    )
    return access.onboarding_code


@api_doc(
    "Whether the first admin is still to be made",
    tag="auth",
    response={"type": "object"},
    errors=(),
    auth="none",
)
async def _onboarding_state(request: web.Request) -> web.Response:
    return json_response({"needed": _access(request).onboarding_code is not None})


@api_doc(
    "Make the first admin with the one-time code from the log",
    tag="auth",
    body=ONBOARDING_SCHEMA,
    response={"type": "object"},
    status=201,
    errors=(400, 403, 409, 429),
    auth="none",
)
async def _onboard(request: web.Request) -> web.Response:
    _require_json(request)
    access = _access(request)
    key = f"addr:{_address(request)}"
    if (wait := access.limiter.retry_after(key)) > 0:
        return _too_many(wait)
    body = validate(ONBOARDING_SCHEMA, ensure_object(await read_json(request)))
    expected = access.onboarding_code
    if expected is None or access.users.has_admin():
        return json_error(409, "onboarding is done: there is an admin already")
    if not hmac.compare_digest(body["code"].strip().upper().encode(), expected.encode()):
        wait = access.limiter.failed(key)
        _audit(request, "onboarding", body["username"], "denied")
        return _too_many(wait) if wait > 0 else json_error(403, "code: wrong onboarding code")
    try:
        user = await access.users.async_add(body["username"], "admin", body["password"])
    except UserError as err:
        return json_error(400, str(err))
    access.onboarding_code = None
    access.limiter.succeeded(key)
    principal = TokenInfo("", user.name, user.role, user.id, user.name, "cookie")
    _audit(request, "onboarding", user.name, "ok", principal)
    _LOGGER.info("Onboarding done: %s is the first admin", user.name)
    return await _async_signed_in(request, user)


# -- tokens ------------------------------------------------------------------------------


def _is_admin(principal: TokenInfo) -> bool:
    return role_level(principal.role) >= Access.ADMIN


@api_doc(
    "Long-lived tokens: one's own (admins: all)", tag="auth", response={"type": "object"}, errors=()
)
async def _tokens(request: web.Request) -> web.Response:
    principal = request[AUTH_KEY]
    access = _access(request)
    entries = await access.users.run(list_tokens, access.users.data_dir)
    if not _is_admin(principal):
        entries = [entry for entry in entries if entry.get("user") == principal.user_id]
    names = {user.id: user.name for user in access.users.all()}
    for entry in entries:
        if "user" in entry:
            entry["user"] = names.get(entry["user"], entry["user"])
    return json_response({"tokens": entries})


@api_doc("Revoke a long-lived token", tag="auth", response={"type": "object"}, errors=(403, 404))
async def _revoke(request: web.Request) -> web.Response:
    principal = request[AUTH_KEY]
    access = _access(request)
    token_id = request.match_info["token_id"]
    owner = None if _is_admin(principal) else principal.user_id
    try:
        entry = await access.users.run(revoke_token, access.users.data_dir, token_id, owner)
    except HubError as err:
        _audit(request, "token.revoke", token_id, "not found")
        return json_error(404, f"token_id: {err}")
    await access.tokens.async_load()
    access.close_invalid()
    _audit(request, "token.revoke", f"{entry.get('name')} ({token_id})", "ok")
    return json_response({"id": token_id, "revoked": True})


# -- users -------------------------------------------------------------------------------


@api_doc("Users and their roles", tag="auth", response={"type": "object"}, errors=(), role="admin")
async def _users(request: web.Request) -> web.Response:
    return json_response({"users": [user.as_dict() for user in _access(request).users.all()]})


@api_doc(
    "Add a user",
    tag="auth",
    body=USER_SCHEMA,
    response={"type": "object"},
    status=201,
    errors=(400,),
    role="admin",
)
async def _add_user(request: web.Request) -> web.Response:
    body = validate(USER_SCHEMA, ensure_object(await read_json(request)))
    access = _access(request)
    try:
        user = await access.users.async_add(body["name"], body["role"], body["password"])
    except UserError as err:
        _audit(request, "user.add", str(body["name"]), f"error: {err}")
        return json_error(400, str(err))
    if user.role == "admin":
        access.onboarding_code = None
    _audit(request, "user.add", f"{user.name} ({user.role})", "ok")
    return json_response(user.as_dict(), 201)


@api_doc(
    "Remove a user (their tokens and sessions end)",
    tag="auth",
    response={"type": "object"},
    errors=(404,),
    role="admin",
)
async def _remove_user(request: web.Request) -> web.Response:
    access = _access(request)
    name = request.match_info["name"]
    try:
        user = await access.users.async_remove(name)
    except UserError as err:
        return json_error(404, f"name: {err}")
    await access.users.run(remove_user_tokens, access.users.data_dir, user.id)
    access.sessions.remove_user(user.id)
    await access.sessions.async_saved()
    await access.tokens.async_load()
    access.close_invalid()
    _audit(request, "user.remove", name, "ok")
    return json_response({"name": name, "removed": True})


@api_doc(
    "A user's vehicles (one's own; staff: anyone's)",
    tag="auth",
    response={"type": "object"},
    errors=(403, 404),
)
async def _get_vehicles(request: web.Request) -> web.Response:
    principal = request[AUTH_KEY]
    name = request.match_info["name"]
    user = _access(request).users.by_name(name)
    # A resident asking for someone else learns nothing, not even that they exist.
    if user is None or (role_level(principal.role) < Access.OPERATOR and name != principal.user):
        return json_error(404, f"name: no user {name!r}")
    return json_response({"name": user.name, "vehicles": list(user.vehicles)})


@api_doc(
    "Set a user's vehicles (admins and operators)",
    tag="auth",
    body=VEHICLES_SCHEMA,
    response={"type": "object"},
    errors=(400, 404),
)
async def _put_vehicles(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    body = validate(VEHICLES_SCHEMA, ensure_object(await read_json(request)))
    access = _access(request)
    if access.users.by_name(name) is None:
        return json_error(404, f"name: no user {name!r}")
    try:
        user = await access.users.async_update(
            name, vehicles=[str(plate) for plate in body["vehicles"]]
        )
    except UserError as err:
        return json_error(400, str(err))
    _audit(request, "user.vehicles", name, "ok: " + ",".join(user.vehicles))
    return json_response({"name": user.name, "vehicles": list(user.vehicles)})


def async_register_auth_api(app: web.Application) -> None:
    app.router.add_post("/auth/login", _login)
    app.router.add_post("/auth/logout", _logout)
    app.router.add_get("/auth/session", _session)
    app.router.add_post("/auth/password", _password)
    app.router.add_get("/api/onboarding", _onboarding_state)
    app.router.add_post("/api/onboarding", _onboard)
    app.router.add_get("/api/auth/tokens", _tokens)
    app.router.add_delete("/api/auth/tokens/{token_id}", _revoke)
    app.router.add_get("/api/users", _users)
    app.router.add_post("/api/users", _add_user)
    app.router.add_delete("/api/users/{name}", _remove_user)
    app.router.add_get("/api/users/{name}/vehicles", _get_vehicles)
    app.router.add_put("/api/users/{name}/vehicles", _put_vehicles)
