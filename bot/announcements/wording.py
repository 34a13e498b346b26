"""How an announcement reads as a message: the one wording the sender sends and the console
previews, so staff see exactly what citizens will get."""

from __future__ import annotations

from collections.abc import Callable

from dialogs.messages import Button, Reply
from knowledge.communes.units import commune


def announcement_message(
    gettext: Callable[[str], str],
    text: str,
    commune_code: int,
    *,
    picture_url: str | None,
    link: str | None,
) -> tuple[Reply, ...]:
    """The announcement as one message, headed by the citizen's commune, with a button to its
    picture (``picture_url``, empty in a preview before it is sent) and one to its link."""
    unit = commune(commune_code)
    heading = (
        gettext("Announcement for {commune}").format(commune=unit.label)
        if unit is not None
        else gettext("Announcement for your commune")
    )
    buttons: list[Button] = []
    if picture_url is not None:
        buttons.append(Button(gettext("See the picture"), url=picture_url))
    if link:
        buttons.append(Button(gettext("Open the link"), url=link))
    return (Reply(f"📢 {heading}\n\n{text}", tuple(buttons)),)
