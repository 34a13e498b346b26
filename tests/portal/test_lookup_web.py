"""Looking dossiers up in the web chat: one's own by code (from any app linked to the one it
was filed on), someone else's only with the applicant's ID number (five wrong ones lock the
code for an hour), and "My dossiers"."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from portal_support import KNOWLEDGE, body, fill_birth_registration, web_citizen
from support.apps import serving
from support.clock import ManualClock

ENV = {"MOTCUA_PORTAL_SANDBOX_PORT": "0"}
CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")
LINK_CODE = re.compile(r"\d{3} \d{3}")


async def test_someone_elses_code_needs_the_id_number_and_guessing_locks_it(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    env = {"MOTCUA_DATA_DIR": str(tmp_path), **ENV}
    async with (
        serving(env, knowledge=KNOWLEDGE, clock=clock) as app,
        web_citizen(app) as citizen,
    ):
        # Filed at the counter, not from this chat.
        theirs = await app.portal.client.create_dossier(body(), "counter-1")
        other = await app.portal.client.create_dossier(body(), "counter-2")
        await app.portal.client.transition(other.code, "accepted")

        asked = await citizen.say(f"what about {theirs.code.lower()}?")
        assert "was not filed from this chat" in asked
        assert "12-digit" in await citizen.say("12345")
        for _ in range(4):
            assert "No dossier" in await citizen.say("001190099999")
            assert "was not filed" in await citizen.say(theirs.code)
        assert "Too many wrong ID numbers" in await citizen.say("001190099999")
        await citizen.say(theirs.code)
        right_but_locked = await citizen.say("001190012345")
        assert "Too many wrong ID numbers" in right_but_locked
        assert "Mới đăng ký" not in right_but_locked and "Submitted" not in right_but_locked

        clock.advance(timedelta(hours=1, minutes=1))
        await citizen.say(theirs.code)
        shown = await citizen.say("001190012345")
        assert f"Dossier {theirs.code}: Submitted" in shown

        await citizen.say(other.code)
        accepted = await citizen.say("001190012345")
        assert f"Dossier {other.code}: Accepted by the one-stop desk" in accepted

        mine = await citizen.press("m:lookup")
        assert "You have not filed any dossier from this chat yet." in mine


async def test_a_dossier_filed_on_one_app_is_the_citizens_on_the_apps_they_linked(
    tmp_path: Path,
) -> None:
    """Filed from a phone's web chat, looked up from the family computer linked to it: it is
    theirs, listed and shown without an ID number, not "filed by someone else"."""
    env = {"MOTCUA_DATA_DIR": str(tmp_path), **ENV}
    async with (
        serving(env, knowledge=KNOWLEDGE, clock=ManualClock()) as app,
        web_citizen(app) as phone,
        web_citizen(app) as computer,
        web_citizen(app) as stranger,
    ):
        app.start_background()
        await fill_birth_registration(phone)
        await phone.press("f:send")
        code = CODE.search(await phone.pushed("Dossier code"))
        assert code is not None
        link_code = LINK_CODE.search(await phone.press("lk:get"))
        assert link_code is not None
        await computer.press("lk:enter")
        assert "linked" in await computer.say(link_code.group(0))

        assert f"{code.group(0)} (Đăng ký khai sinh): Submitted" in await computer.press("m:lookup")
        assert f"Dossier {code.group(0)}: Submitted" in await computer.say(code.group(0))
        assert "was not filed from this chat" in await stranger.say(code.group(0))
