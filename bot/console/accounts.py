"""Accounts (admins only): add an admin, a commune's staff member or a volunteer coordinator,
delete an account."""

from __future__ import annotations

import re

from aiohttp import web

from bot.console import passwords
from bot.console.auth import allow
from bot.console.context import N_, console, current_staff, gettext, render
from bot.storage.staff import Role, SqlStaff

routes = web.RouteTableDef()

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,63}$")
COMMUNE_CODE = re.compile(r"^[0-9]{5}$")
"""A commune's code in the national list of administrative units: five digits."""

MAX_NAME = 120


def parse_communes(value: str) -> list[str]:
    """Commune codes separated by commas or spaces, without repeats."""
    return list(dict.fromkeys(part for part in re.split(r"[\s,;]+", value) if part))


def account_errors(
    email: str, name: str, password: str, role: str, communes: list[str]
) -> dict[str, str]:
    """What is wrong with a new account, by field (English message ids)."""
    errors: dict[str, str] = {}
    if not EMAIL.match(email):
        errors["email"] = N_("Enter an e-mail address such as name@example.vn.")
    if not name or len(name) > MAX_NAME:
        errors["name"] = N_("Enter a name of at most 120 characters.")
    if (weak := passwords.weakness(password)) is not None:
        errors["password"] = weak
    if role not in tuple(Role):
        errors["role"] = N_("Choose a role.")
    elif role == Role.STAFF.value and not communes:
        errors["communes"] = N_("Commune staff need at least one commune code.")
    elif any(not COMMUNE_CODE.match(code) for code in communes):
        errors["communes"] = N_("A commune code has five digits, such as 00004.")
    return errors


@routes.get("/accounts", name="accounts")
@allow(Role.ADMIN)
async def accounts(request: web.Request) -> web.Response:
    """Every account, and the form to add one."""
    return await _page(request, {}, {})


async def _page(
    request: web.Request, errors: dict[str, str], values: dict[str, str], status: int = 200
) -> web.Response:
    async with console(request).database.transaction() as session:
        found = await SqlStaff(session).all()
    _ = gettext(request)
    context = {
        "accounts": found,
        "errors": {field: _(message) for field, message in errors.items()},
        "values": values,
        "roles": Role,
    }
    return render(request, "accounts.html", context, status)


@routes.post("/accounts", name="add_account")
@allow(Role.ADMIN)
async def add(request: web.Request) -> web.Response:
    """Create an account; errors are shown beside their fields and nothing is created."""
    form = await request.post()
    values = {key: str(form.get(key, "")).strip() for key in ("email", "name", "role", "communes")}
    values["email"] = values["email"].lower()
    password = str(form.get("password", ""))
    communes = parse_communes(values["communes"])
    errors = account_errors(values["email"], values["name"], password, values["role"], communes)
    if not errors:
        deps, staff = console(request), current_staff(request)
        now = deps.clock.now()
        role = Role(values["role"])
        async with deps.database.transaction() as session:
            accounts = SqlStaff(session)
            created = await accounts.add(
                values["email"],
                values["name"],
                passwords.hash_password(password),
                role,
                communes if role is Role.STAFF else [],
                now,
            )
            if created is not None:
                await accounts.audit(staff, "account_add", now, target=f"staff:{created.id}")
        if created is not None:
            raise web.HTTPSeeOther(request.app.router["accounts"].url_for())
        errors["email"] = N_("This e-mail already has an account.")
    return await _page(request, errors, values, status=400)


@routes.post("/accounts/{id}/delete", name="delete_account")
@allow(Role.ADMIN)
async def delete(request: web.Request) -> web.Response:
    """Delete an account; its sessions end at once. The last admin cannot be deleted."""
    try:
        staff_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    deps, staff = console(request), current_staff(request)
    now = deps.clock.now()
    async with deps.database.transaction() as session:
        accounts = SqlStaff(session)
        target = await accounts.get(staff_id)
        if target is None:
            raise web.HTTPNotFound()
        if target.role is Role.ADMIN and await accounts.admins() <= 1:
            return await _page(
                request, {"delete": N_("The last admin account cannot be deleted.")}, {}, status=400
            )
        await accounts.delete(staff_id)
        await accounts.audit(staff, "account_delete", now, target=f"staff:{staff_id}")
    raise web.HTTPSeeOther(request.app.router["accounts"].url_for())
