"""A volunteer (an approved member of the digital-technology group) files for a relative in the
web chat: the person's details and in-person consent go to the portal as ``on_behalf_of``,
every action is in the audit trail, and the volunteer sees only the dossiers they helped with."""

from __future__ import annotations

import re
from pathlib import Path

from portal_support import KNOWLEDGE, join_the_group, web_citizen
from support.apps import serving
from support.clock import ManualClock
from support.volunteers import approve_requests

from bot.storage.dossiers import SqlDossiers

CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")


async def test_a_volunteer_files_a_marital_status_confirmation_for_a_neighbour(
    tmp_path: Path,
) -> None:
    env = {"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_PORTAL_SANDBOX_PORT": "0"}
    async with (
        serving(env, knowledge=KNOWLEDGE, clock=ManualClock()) as app,
        web_citizen(app) as volunteer,
        web_citizen(app) as stranger,
    ):
        app.start_background()
        await join_the_group(volunteer)
        assert await approve_requests(app) == 1
        await volunteer.press("f:go:1.004873")
        assert "Who is this dossier for?" in await volunteer.press("f:ok")
        assert "1 of 3" in await volunteer.press("f:w:other")
        assert "2 of 3" in await volunteer.say("Lê Thị Mai")
        assert "12 digits" in await volunteer.say("0381560123")
        assert "3 of 3" in await volunteer.say("038156012345")
        assert "agree, in front of you" in await volunteer.say("hàng xóm")
        assert "Question 1 of 7" in await volunteer.press("f:fc:yes")
        for typed in (
            "Trần Văn Bình",
            "079195012345",
            "0912345678",
        ):
            await volunteer.say(typed)
        # The volunteer is the applicant, but the certificate is Mai's: asked "Your date of
        # birth", a volunteer gave their own.
        asked = await volunteer.say("12 Lê Lợi, phường Bến Thành, TP Hồ Chí Minh")
        assert "Question 5 of 7: Lê Thị Mai's date of birth" in asked
        assert "Lê Thị Mai's marital status now" in await volunteer.say("02/09/1956")
        await volunteer.press("f:c:widowed")
        await volunteer.say("Để làm thủ tục thừa kế")
        review = await volunteer.press("f:d:pickup")
        assert (
            "Filed for: Lê Thị Mai (you are their hàng xóm), who agreed in front of you" in review
        )
        assert "• Your full name: Trần Văn Bình" in review
        assert "• Lê Thị Mai's date of birth: Sep 2, 1956" in review
        assert "Your date of birth" not in review
        await volunteer.press("f:send")
        receipt = await volunteer.pushed("Dossier code")
        found = CODE.search(receipt)
        assert found is not None
        code = found.group(0)

        # The person helped can look it up with their own ID number; the volunteer needs none.
        assert "not filed from this chat" in await stranger.say(code)
        assert f"Dossier {code}: Submitted" in await stranger.say("038156012345")
        assert f"Dossier {code}: Submitted" in await volunteer.say(code)
        assert code in await volunteer.press("m:lookup")
        assert code not in await stranger.press("m:lookup")

        async with app.database.transaction() as session:
            dossier = await SqlDossiers(session).by_code(code)
            assert dossier is not None
            on_behalf = dossier.request["on_behalf_of"]
            trail = await SqlDossiers(session).audit_trail(dossier.id)
    assert on_behalf["full_name"] == "Lê Thị Mai" and on_behalf["id_number"] == "038156012345"
    assert on_behalf["consent"]["method"] == "in_person"
    assert [action for _who, action, _at in trail] == ["filed_on_behalf", "viewed_on_behalf"]
    assert len({who for who, _action, _at in trail}) == 1
