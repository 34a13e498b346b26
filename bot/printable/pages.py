"""``/p/CODE?case=…``: one procedure's papers for one case, as a page to print or share.

Server-rendered, Vietnamese first (``?lang=en`` for English, where the official Vietnamese
wording keeps ``lang="vi"`` so readers and translators treat it as such). The papers are the
same the chat's checklist walks (``dialogs.flows.checklist``): everyone's, then the chosen
case's, then those to show. An unknown code or case gets a polite 404 page, never an error.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date
from pathlib import Path
from string import Template
from urllib.parse import quote, urlencode

from aiohttp import web

from dialogs.context import SUPPORTED_LOCALES
from dialogs.flows import card, checklist, papers
from dialogs.ports import Clock, KnowledgeBase, Translator
from knowledge.model import Procedure

HERE = Path(__file__).parent
TEMPLATE = Template((HERE / "page.html").read_text(encoding="utf-8"))
STYLE = HERE / "print.css"

_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def N_(message: str) -> str:
    """Mark a message id for pybabel; it is translated when the page is made."""
    return message


_LANGUAGE_NAMES = {"vi": N_("Vietnamese"), "en": N_("English")}


class PrintablePages:
    """The routes of the printable checklist pages."""

    def __init__(
        self, knowledge: KnowledgeBase, translator: Callable[[str], Translator], clock: Clock
    ) -> None:
        self._knowledge = knowledge
        self._translator = translator
        self._clock = clock

    def routes(self) -> list[web.AbstractRouteDef]:
        """The page and its style sheet."""
        return [web.get("/print.css", self._style), web.get("/p/{code}", self._page)]

    async def _style(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(STYLE, headers={"Cache-Control": "max-age=3600"})

    async def _page(self, request: web.Request) -> web.Response:
        lang = request.query.get("lang", SUPPORTED_LOCALES[0])
        if lang not in SUPPORTED_LOCALES:
            lang = SUPPORTED_LOCALES[0]
        code = request.match_info["code"]
        case = request.query.get("case")
        procedure = self._knowledge.get(code) if len(code) <= 40 else None
        other = next(locale for locale in SUPPORTED_LOCALES if locale != lang)
        other_name = self._translator(other).gettext(_LANGUAGE_NAMES[other])
        page = Page(self._translator(lang), lang, code, case, other_name)
        if procedure is None or not page.case_fits(procedure):
            return _html(page.not_found(), status=404)
        return _html(page.checklist(procedure, self._clock))


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", headers=_HEADERS)


def _heading(tag: str, text: str) -> str:
    return f"<{tag}>{html.escape(text)}</{tag}>"


class Page:
    """One page in one language; Vietnamese official text is wrapped when the page is not."""

    def __init__(
        self, t: Translator, lang: str, code: str, case: str | None, other_name: str
    ) -> None:
        self.t = t
        self.lang = lang
        self.code = code
        self.case = case
        self.other_name = other_name
        """The other language's name in that language, for the link that switches to it."""

    def vi(self, text: str) -> str:
        """Official Vietnamese wording, escaped, and marked as Vietnamese on an English page."""
        escaped = html.escape(text)
        return escaped if self.lang == "vi" else f'<span lang="vi">{escaped}</span>'

    def case_fits(self, procedure: Procedure) -> bool:
        """Whether ``case`` names none, the usual case, or one of the procedure's cases."""
        if self.case is None or self.case == "u":
            return True
        return self.case.isdigit() and int(self.case) in checklist.cases(procedure)

    def not_found(self) -> str:
        """The polite page for a code (or case) that names nothing."""
        _ = self.t.gettext
        body = "\n".join(
            [
                _heading("h1", _("Procedure not found")),
                "<p>"
                + html.escape(
                    _(
                        "There is no procedure with the code {code} here, or no such case. "
                        "Check the link, or ask the assistant again."
                    ).format(code=self.code)
                )
                + "</p>",
                '<p><a href="/">' + html.escape(_("Back to the chat")) + "</a></p>",
            ]
        )
        return self._document(_("Procedure not found"), body, "")

    def checklist(self, procedure: Procedure, clock: Clock) -> str:
        """The whole page: name, the case, the papers in order, where and how, the source."""
        _ = self.t.gettext
        today = clock.now().date()
        parts = [f'<h1 lang="vi">{html.escape(procedure.name)}</h1>']
        parts.append(
            "<p>"
            + html.escape(_("Procedure code: {code}")).format(code=html.escape(procedure.code))
            + "</p>"
        )
        if procedure.catalogue_only:
            parts.append(f"<p>{html.escape(card.catalogue_facts(self.t, procedure))}</p>")
        else:
            parts.extend(self._papers(procedure))
            parts.extend(self._facts(procedure, today))
        if procedure.source_url:
            link = html.escape(procedure.source_url)
            parts.append(
                "<p>"
                + html.escape(_("On the portal: {url}")).format(url=f'<a href="{link}">{link}</a>')
                + "</p>"
            )
        footer = _(
            "Made on {date} from the National Public Service Portal's data. The one-stop shop "
            "has the last word on what to bring."
        ).format(date=self.t.format_date(clock.now()))
        return self._document(procedure.name, "\n".join(parts), footer)

    def _papers(self, procedure: Procedure) -> list[str]:
        """The papers of the chosen case (or everyone's and the list of cases), in order."""
        _ = self.t.gettext
        sections = papers.sections(procedure)
        chosen = None if self.case is None else (-1 if self.case == "u" else int(self.case))
        cases = checklist.cases(procedure)
        walk = checklist.nodes(procedure, checklist.USUAL if chosen is None else chosen)
        out: list[str] = []
        if chosen is not None and chosen != checklist.USUAL:
            title = html.escape(_("Your case: {case}"))
            out.append(
                f"<p><strong>{title.format(case=self.vi(sections[chosen].title))}</strong></p>"
            )
        handed = [(gi, di) for gi, di in walk if not sections[gi].present]
        shown = [(gi, di) for gi, di in walk if sections[gi].present]
        if handed:
            out.append(_heading("h2", _("Papers to hand in")))
            out.append(self._list(sections, handed))
        if shown:
            out.append(_heading("h2", _("To show at the counter")))
            out.append(self._list(sections, shown))
        if chosen is None and cases:
            question = _("The papers depend on your situation. Which one is yours?")
            out.append(_heading("h2", question))
            links = [("u", _("The usual case, none of these"), False)]
            links += [(str(gi), sections[gi].title, True) for gi in cases]
            items = []
            for case, label, official in links:
                query = urlencode(
                    {"case": case, **({"lang": self.lang} if self.lang != "vi" else {})}
                )
                text = self.vi(label) if official else html.escape(label)
                items.append(f'<li><a href="/p/{quote(procedure.code)}?{query}">{text}</a></li>')
            out.append('<ul class="cases">' + "".join(items) + "</ul>")
        return out

    def _list(self, sections: list[papers.Section], nodes: list[tuple[int, int]]) -> str:
        items = []
        for gi, di in nodes:
            document = sections[gi].documents[di]
            amount = checklist.quantity(self.t, document)
            extra = f' <span class="amount">({html.escape(amount)})</span>' if amount else ""
            items.append(f'<li><span class="tick"></span>{self.vi(document.name)}{extra}</li>')
        return '<ol class="papers">' + "".join(items) + "</ol>"

    def _facts(self, procedure: Procedure, today: date) -> list[str]:
        """Where, how long, how much, online, and what the portal contradicts itself on.

        The place and the portal's own words are official Vietnamese; times, fees and the
        rest are said in the page's language.
        """
        _ = self.t.gettext
        place = card.place(self.t, procedure)
        rows = [
            html.escape(_("Where: {place}")).format(place=self.vi(place)),
            html.escape(
                _("Processing time: {time}").format(
                    time=card.per_channel(self.t, procedure, "time")
                )
            ),
            html.escape(_("Fee: {fee}").format(fee=card.per_channel(self.t, procedure, "fee"))),
            html.escape(_("File online: {online}").format(online=card.online(self.t, procedure))),
        ]
        items = [f"<li>{row}</li>" for row in rows]
        for line, quoted in card.flagged(procedure, today):
            words = self.vi(card.shorten(quoted, card.NOTE_CHARS))
            items.append(f'<li class="flag">{html.escape(_(line)).format(words=words)}</li>')
        return [_heading("h2", _("Where and how")), "<ul>" + "".join(items) + "</ul>"]

    def _document(self, title: str, body: str, footer: str) -> str:
        other = next(code for code in SUPPORTED_LOCALES if code != self.lang)
        query = urlencode({k: v for k, v in (("case", self.case), ("lang", other)) if v})
        return TEMPLATE.substitute(
            lang=self.lang,
            title=html.escape(f"{title} – {self.t.gettext('Một cửa')}"),
            brand=html.escape(self.t.gettext("Checklist to take to the counter")),
            other_href=html.escape(f"/p/{quote(self.code)}?{query}"),
            other_lang=other,
            other_language=html.escape(self.other_name),
            body=body,
            footer=html.escape(footer),
        )
