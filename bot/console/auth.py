"""Signing in and out, server-side sessions, form tokens (CSRF) and who may open what.

The session cookie holds a random token; the server keeps only its hash, with the staff
member's id, so deleting an account (or signing out) ends its sessions at once. Every POST must
carry the session's form token; the login form, before any session, uses a double-submit token.
Wrong passwords are limited per address (``MOTCUA_LIMIT_STAFF_LOGIN``) and lock the account
for a while after ``MAX_FAILED_LOGINS`` in a row.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp.web_request import FileField

from bot.console import passwords
from bot.console.context import (
    FORM_TOKEN,
    LOCALE_COOKIE,
    LOCALES,
    N_,
    STAFF,
    console,
    gettext,
    render,
)
from bot.storage.staff import Role, SqlStaff, Staff
from dialogs.ports import Limit
from integrations.client_address import client_address

log = logging.getLogger(__name__)

SESSION_COOKIE = "motcua_staff"
LOGIN_TOKEN_COOKIE = "motcua_staff_login"
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MAX_EMAIL_LENGTH = 254

PUBLIC_ROUTES = frozenset({"login", "login_post", "static", "language"})
"""Routes open without a session."""

UPLOAD_LIMIT = "max_body_bytes"
"""The attribute ``accepts_upload`` sets on a handler: its own body limit."""

routes = web.RouteTableDef()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Find the session's staff member; send everyone else to the login page.

    Every POST must also carry the session's form token (``csrf``), else 403 and nothing done.
    """
    route = request.match_info.route.name
    if route in PUBLIC_ROUTES:
        return await handler(request)
    token = request.cookies.get(SESSION_COOKIE)
    found = None
    if token:
        deps = console(request)
        async with deps.database.transaction() as session:
            found = await SqlStaff(session).session(_digest(token), deps.clock.now())
    if found is None:
        raise _to_login(request, ended=bool(token))
    if request.method == "POST":
        limit = getattr(request.match_info.handler, UPLOAD_LIMIT, None)
        if limit is not None:  # a form with files: above the server-wide body limit
            request = request.clone(client_max_size=limit)
    request[STAFF], request[FORM_TOKEN] = found
    if request.method != "POST":
        return await handler(request)
    form = await request.post()
    try:
        sent = form.get("csrf")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, found[1]):
            raise web.HTTPForbidden(text="the form is out of date; reload the page")
        return await handler(request)
    finally:
        for value in form.values():  # aiohttp leaves the uploads' temporary files open
            if isinstance(value, FileField):
                value.file.close()


def _to_login(request: web.Request, *, ended: bool) -> web.HTTPException:
    """The sign-in page, then back to the page the staff member was on. A session that ended
    (its time up, or signed out in another tab) is said to have ended, and a form sent with it
    said not to have been saved: a bare "not allowed" read as a wrong commune, and the answer
    typed was lost without a word."""
    login = request.app.router["login"].url_for()
    if request.method == "GET":
        query = {"next": request.path_qs, **({"ended": "1"} if ended else {})}
        return web.HTTPFound(login.with_query(query))
    page = urlsplit(request.headers.get("Referer", ""))
    came_from = f"{page.path}?{page.query}" if page.query else page.path
    return web.HTTPSeeOther(
        login.with_query(next=_inside_console(request, came_from), ended="unsaved")
    )


def _inside_console(request: web.Request, path: str) -> str:
    """``path`` when it is a page of the console, else the console's front page: where to go
    after signing in or switching language, never an open redirect."""
    root = str(request.app.router["conversations"].url_for())
    return path if path.startswith(root) and not path.startswith("//") else root


def allow(*roles: Role) -> Callable[[Handler], Handler]:
    """Let only ``roles`` run the handler; anyone else gets 403."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            staff = request.get(STAFF)
            if not isinstance(staff, Staff) or staff.role not in roles:
                raise web.HTTPForbidden(text="not allowed")
            return await handler(request)

        return checked

    return decorate


def accepts_upload(max_bytes: int) -> Callable[[Handler], Handler]:
    """Let the handler's form carry files up to ``max_bytes`` in all (413 beyond)."""

    def decorate(handler: Handler) -> Handler:
        setattr(handler, UPLOAD_LIMIT, max_bytes)
        return handler

    return decorate


def ensure_serves(staff: Staff, commune: str | None) -> None:
    """403 unless ``staff`` may see and act on ``commune``'s records."""
    if not staff.serves(commune):
        raise web.HTTPForbidden(text="another commune's record")


def scope(staff: Staff) -> tuple[str, ...] | None:
    """The communes whose records ``staff`` sees; None: every commune (admins)."""
    return None if staff.role is Role.ADMIN else staff.communes


_ENDED = {
    "1": N_("Your session has ended. Please sign in again."),
    "unsaved": N_("Your session has ended, so what you sent was not saved. Sign in again."),
}
"""What the sign-in page says when a session ended under the staff member (``_to_login``)."""


@routes.get("/login", name="login")
async def login_page(request: web.Request) -> web.Response:
    """The sign-in form."""
    ended = _ENDED.get(request.query.get("ended", ""))
    error = gettext(request)(ended) if ended else None
    return _login_form(request, email="", error=error)


def _login_form(
    request: web.Request, *, email: str, error: str | None, status: int = 200
) -> web.Response:
    token = secrets.token_urlsafe(24)
    back = _inside_console(request, request.query.get("next", ""))
    context = {"email": email, "error": error, "login_token": token, "next": back}
    response = render(request, "login.html", context, status)
    response.set_cookie(
        LOGIN_TOKEN_COOKIE,
        token,
        path=str(request.app.router["login"].url_for()),
        httponly=True,
        samesite="Strict",
        secure=console(request).secure_cookies,
    )
    return response


@routes.post("/login", name="login_post")
async def login(request: web.Request) -> web.StreamResponse:
    """Check the password; on success open a session and go to the conversations."""
    _ = gettext(request)
    deps = console(request)
    form = await request.post()
    email = str(form.get("email", "")).strip().lower()[:MAX_EMAIL_LENGTH]
    password = str(form.get("password", ""))
    sent, expected = str(form.get("login_token", "")), request.cookies.get(LOGIN_TOKEN_COOKIE, "")
    if not expected or not hmac.compare_digest(sent, expected):
        return _login_form(
            request, email=email, error=_("The form was out of date. Please try again."), status=403
        )
    if not email or not password:
        return _login_form(
            request, email=email, error=_("Enter your e-mail and password."), status=400
        )
    wait = await deps.limiter.hit(
        Limit.STAFF_LOGIN, client_address(request, deps.trusted_proxies) or "unknown"
    )
    if wait:
        return _login_form(
            request,
            email=email,
            error=_("Too many attempts. Please wait {minutes} minutes.").format(
                minutes=max(1, wait // 60)
            ),
            status=429,
        )
    now = deps.clock.now()
    async with deps.database.transaction() as session:
        accounts = SqlStaff(session)
        found = await accounts.credentials(email)
        if found is None:
            passwords.verify(passwords.dummy_hash(), password)  # the same time as a real check
            return _login_form(
                request, email=email, error=_("Wrong e-mail or password."), status=401
            )
        if found.locked_until is not None and found.locked_until > now:
            await accounts.audit(found.staff, "login_locked", now)
            return _login_form(
                request,
                email=email,
                error=_("This account is locked after too many wrong passwords. Try again later."),
                status=403,
            )
        ok, rehashed = passwords.verify(found.password_hash, password)
        if not ok:
            lock = now + LOCKOUT if found.failed_logins + 1 >= MAX_FAILED_LOGINS else None
            await accounts.login_failed(found.staff.id, lock)
            await accounts.audit(found.staff, "login_failed", now)
            return _login_form(
                request, email=email, error=_("Wrong e-mail or password."), status=401
            )
        await accounts.login_succeeded(found.staff.id, rehashed)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        await accounts.forget_expired_sessions(now)
        await accounts.open_session(
            _digest(token), found.staff.id, csrf, now, now + deps.session_ttl
        )
        await accounts.audit(found.staff, "login", now)
    response = web.HTTPSeeOther(_inside_console(request, request.query.get("next", "")))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path=str(request.app.router["conversations"].url_for()).rstrip("/") or "/",
        max_age=int(deps.session_ttl.total_seconds()),
        httponly=True,
        samesite="Strict",
        secure=deps.secure_cookies,
    )
    response.del_cookie(LOGIN_TOKEN_COOKIE, path=str(request.app.router["login"].url_for()))
    raise response


@routes.post("/logout", name="logout")
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session here and on the server."""
    deps = console(request)
    staff = request[STAFF]
    async with deps.database.transaction() as session:
        accounts = SqlStaff(session)
        await accounts.close_session(_digest(request.cookies.get(SESSION_COOKIE, "")))
        await accounts.audit(staff, "logout", deps.clock.now())
    response = web.HTTPSeeOther(request.app.router["login"].url_for())
    response.del_cookie(SESSION_COOKIE, path=str(request.app.router["conversations"].url_for()))
    raise response


@routes.get("/language/{locale}", name="language")
async def language(request: web.Request) -> web.StreamResponse:
    """Switch the console's language and come back to the page it was switched on."""
    locale = request.match_info["locale"]
    if locale not in LOCALES:
        raise web.HTTPNotFound()
    root = str(request.app.router["conversations"].url_for())
    response = web.HTTPSeeOther(_inside_console(request, request.query.get("next", "")))
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        path=root.rstrip("/") or "/",
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=console(request).secure_cookies,
    )
    raise response
