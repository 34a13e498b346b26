"""The console's "what staff learn" pages: the review queue of unanswered questions, the
analytics with their charts and CSV export, and the knowledge base (search, a procedure as
citizens see it, its taught phrasings).

Commune staff see and act on their communes' questions and figures only (403 otherwise);
admins see every commune, and the questions whose commune is not known.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from aiohttp import web

from bot.console.auth import allow, ensure_serves, scope
from bot.console.context import N_, console, current_staff, gettext, locale_of, render
from bot.handoffs import VIETNAM
from bot.insights import analytics, charts, store
from bot.insights.lessons import LessonBook
from bot.storage.staff import Role, SqlStaff
from dialogs.flows import card
from knowledge.model import Procedure
from knowledge.taught import question_key

routes = web.RouteTableDef()

MAX_PHRASE_CHARS = 300
MAX_REPLY_CHARS = 1000
MAX_QUERY_CHARS = 200
DEFAULT_DAYS = 30
SEARCH_RESULTS = 20
SHOWN_GROUPS = 50

OUTCOMES = {
    "answered": N_("Answered with a procedure"),
    "help": N_("Answered about the portal"),
    "declined": N_("Out of scope, staff's reply"),
    "law": N_("Declined: legal advice"),
    "unsure": N_("Only guesses"),
    "none": N_("Nothing found"),
    "not_helpful": N_("Not what they meant"),
}
SUBJECTS = {"checklist": N_("Checklists"), "dossier": N_("Filed dossiers")}


def _ids(form: Any) -> list[int]:
    raw = str(form.get("ids", ""))
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise web.HTTPBadRequest(text="bad question ids") from None
    if not ids or len(ids) > store.REVIEW_WINDOW:
        raise web.HTTPBadRequest(text="bad question ids")
    return ids


def _clean(value: Any) -> str:
    return str(value or "").replace("\x00", "").strip()


@routes.get("/learn", name="learn")
@allow(Role.ADMIN, Role.STAFF)
async def learn(request: web.Request) -> web.Response:
    """The review queue: unanswered questions grouped by similarity, largest group first."""
    return await _queue(request, {}, None)


async def _queue(
    request: web.Request, errors: dict[str, str], failed: str | None, status: int = 200
) -> web.Response:
    staff = current_staff(request)
    async with console(request).database.transaction() as session:
        groups = await store.review_queue(session, scope(staff))
    _ = gettext(request)
    return render(
        request,
        "learn.html",
        {
            "groups": groups[:SHOWN_GROUPS],
            "more": max(len(groups) - SHOWN_GROUPS, 0),
            "outcomes": {k: _(v) for k, v in OUTCOMES.items()},
            "errors": {k: _(v) for k, v in errors.items()},
            "failed": failed,
            "done": request.query.get("done"),
        },
        status,
    )


async def _checked_ids(request: web.Request, ids: list[int]) -> None:
    """403 when any of the questions is another commune's."""
    staff = current_staff(request)
    async with console(request).database.transaction() as session:
        mine = set(await store.reviewable(session, ids, scope(staff)))
        anyone = set(await store.reviewable(session, ids, None))
    if anyone - mine:
        raise web.HTTPForbidden(text="another commune's question")


@routes.post("/learn/link", name="learn_link")
@allow(Role.ADMIN, Role.STAFF)
async def link(request: web.Request) -> web.Response:
    """Link a group to a procedure: its phrasing answers with that procedure from now on."""
    form = await request.post()
    ids = _ids(form)
    await _checked_ids(request, ids)
    phrase, code = _clean(form.get("phrase")), _clean(form.get("procedure"))
    deps = console(request)
    errors: dict[str, str] = {}
    if not question_key(phrase) or len(phrase) > MAX_PHRASE_CHARS:
        errors["phrase"] = N_("Write the question in a few words (at most 300 characters).")
    if deps.knowledge.get(code) is None:
        errors["procedure"] = N_("No procedure has this code. Find it in the knowledge base.")
    if errors:
        return await _queue(request, errors, str(ids[0]), status=400)
    return await _teach(request, ids, phrase, code, None)


@routes.post("/learn/decline", name="learn_decline")
@allow(Role.ADMIN, Role.STAFF)
async def decline(request: web.Request) -> web.Response:
    """Mark a group out of scope, with the reply the assistant gives from now on."""
    form = await request.post()
    ids = _ids(form)
    await _checked_ids(request, ids)
    phrase, reply = _clean(form.get("phrase")), _clean(form.get("reply"))
    errors: dict[str, str] = {}
    if not question_key(phrase) or len(phrase) > MAX_PHRASE_CHARS:
        errors["phrase"] = N_("Write the question in a few words (at most 300 characters).")
    if not reply or len(reply) > MAX_REPLY_CHARS:
        errors["reply"] = N_("Write the reply citizens get (at most 1,000 characters).")
    if errors:
        return await _queue(request, errors, str(ids[0]), status=400)
    return await _teach(request, ids, phrase, None, reply)


async def _teach(
    request: web.Request, ids: list[int], phrase: str, code: str | None, reply: str | None
) -> web.Response:
    deps, staff = console(request), current_staff(request)
    now = deps.clock.now()
    async with deps.database.transaction() as session:
        lesson = await store.teach(
            session, phrase, procedure=code, reply=reply, by=staff.email, now=now, questions=ids
        )
        await SqlStaff(session).audit(
            staff, "lesson_link" if code else "lesson_decline", now, target=f"lesson:{lesson}"
        )
    await LessonBook(deps.database, deps.knowledge).refresh()
    raise web.HTTPSeeOther(request.app.router["learn"].url_for().with_query(done=str(lesson)))


def _period(request: web.Request) -> tuple[analytics.Period | None, dict[str, str]]:
    today = console(request).clock.now().astimezone(VIETNAM).date()
    values = {
        "from": request.query.get("from", (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()),
        "to": request.query.get("to", today.isoformat()),
    }
    try:
        first, last = date.fromisoformat(values["from"]), date.fromisoformat(values["to"])
    except ValueError:
        return None, {"period": N_("Enter dates as YYYY-MM-DD, for example 2026-11-24.")}
    if last < first:
        return None, {"period": N_("The period must end after it starts.")}
    if (last - first).days >= analytics.MAX_DAYS:
        return None, {"period": N_("Choose a period of at most a year.")}
    return analytics.Period(first, last), {}


def _scope(request: web.Request) -> tuple[analytics.Scope | None, dict[str, str], str]:
    staff = current_staff(request)
    commune = _clean(request.query.get("commune"))
    if commune:
        ensure_serves(staff, commune)
    period, errors = _period(request)
    if period is None:
        return None, errors, commune
    communes = (commune,) if commune else scope(staff)
    return analytics.Scope(period, communes), errors, commune


def _names(request: web.Request, codes: list[str]) -> dict[str, str]:
    knowledge = console(request).knowledge
    found = {code: knowledge.get(code) for code in codes}
    return {code: p.name for code, p in found.items() if p is not None}


@routes.get("/analytics", name="analytics")
@allow(Role.ADMIN, Role.STAFF)
async def analytics_page(request: web.Request) -> web.Response:
    """The figures and charts for a period and commune."""
    found, errors, commune = _scope(request)
    _ = gettext(request)
    context: dict[str, Any] = {
        "values": {
            "from": request.query.get("from", ""),
            "to": request.query.get("to", ""),
            "commune": commune,
        },
        "communes": current_staff(request).communes,
        "errors": {k: _(v) for k, v in errors.items()},
        "figures": None,
    }
    if found is None:
        return render(request, "analytics.html", context, status=400)
    async with console(request).database.transaction() as session:
        figures = await analytics.figures(session, found)
    names = _names(request, [code for code, _n in figures.procedures])
    outcome_labels = [(_(OUTCOMES.get(k, k)), n) for k, n in sorted(figures.outcomes.items())]
    handled = [*outcome_labels, (_("Handed to staff"), figures.handed)]
    context["values"] = {
        "from": found.period.first.isoformat(),
        "to": found.period.last.isoformat(),
        "commune": commune,
    }
    funnel = [
        (_("Checklists opened"), figures.opened),
        (_("Every paper checked"), figures.finished),
        (_("Dossiers filed"), figures.filed),
    ]
    context.update(
        figures=figures,
        names=names,
        outcome_labels=outcome_labels,
        to_answer=None if figures.to_answer is None else _minutes(figures.to_answer),
        funnel=funnel,
        subjects={k: _(v) for k, v in SUBJECTS.items()},
        charts={
            "per_day": charts.daily(
                _("Questions per day, by channel"), figures.days, figures.per_day
            ),
            "outcomes": charts.bars(_("How questions went"), handled),
            "procedures": charts.bars(
                _("Most asked procedures"),
                [(names.get(code, code), n) for code, n in figures.procedures],
            ),
            "funnel": charts.bars(_("Checklist funnel"), funnel),
            "dossiers": charts.bars(
                _("Dossiers filed and their status"), sorted(figures.dossier_outcomes.items())
            ),
            "ratings": charts.bars(
                _("Ratings"),
                [
                    (f"{_(SUBJECTS.get(s, s))} 👍", good)
                    for s, (good, _bad) in sorted(figures.ratings.items())
                ]
                + [
                    (f"{_(SUBJECTS.get(s, s))} 👎", bad)
                    for s, (_good, bad) in sorted(figures.ratings.items())
                ],
            ),
        },
    )
    return render(request, "analytics.html", context)


def _minutes(wait: timedelta) -> str:
    return f"{wait.total_seconds() / 60:.1f}"


@routes.get("/analytics.csv", name="analytics_csv")
@allow(Role.ADMIN, Role.STAFF)
async def analytics_csv(request: web.Request) -> web.Response:
    """The same figures as CSV, for a spreadsheet."""
    found, errors, _commune = _scope(request)
    if found is None:
        raise web.HTTPBadRequest(text=gettext(request)(next(iter(errors.values()))))
    async with console(request).database.transaction() as session:
        figures = await analytics.figures(session, found)
    names = _names(request, [code for code, _n in figures.procedures])
    out = io.StringIO()
    csv.writer(out).writerows(analytics.csv_rows(figures, names))
    filename = f"motcua-{found.period.first.isoformat()}-{found.period.last.isoformat()}.csv"
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@routes.get("/knowledge", name="knowledge")
@allow(Role.ADMIN, Role.STAFF)
async def knowledge_page(request: web.Request) -> web.Response:
    """Search the procedures as citizens would."""
    query = _clean(request.query.get("q"))[:MAX_QUERY_CHARS]
    knowledge = console(request).knowledge
    results: list[Procedure] = []
    if query:
        found = knowledge.get(query)
        if found is not None:
            results = [found]
        else:
            result = knowledge.search(query, locale_of(request), SEARCH_RESULTS)
            hits = [result.match, *result.alternatives, *result.candidates]
            results = [
                p for p in (knowledge.get(h.code) for h in hits if h is not None) if p is not None
            ]
    return render(request, "knowledge.html", {"query": query, "results": results})


def _procedure(request: web.Request) -> Procedure:
    found = console(request).knowledge.get(request.match_info["code"])
    if found is None:
        raise web.HTTPNotFound()
    return found


async def _procedure_page(
    request: web.Request, procedure: Procedure, errors: dict[str, str], phrase: str = ""
) -> web.Response:
    deps = console(request)
    async with deps.database.transaction() as session:
        taught = await store.lessons(session, procedure.code)
    translator = deps.translator(locale_of(request))
    _ = translator.gettext
    return render(
        request,
        "procedure.html",
        {
            "procedure": procedure,
            "card": card.facts(translator, procedure, deps.clock.now().date()),
            "lessons": taught,
            "errors": {k: _(v) for k, v in errors.items()},
            "phrase": phrase,
            "saved": request.query.get("saved"),
        },
        status=400 if errors else 200,
    )


@routes.get("/knowledge/{code}", name="procedure")
@allow(Role.ADMIN, Role.STAFF)
async def procedure_page(request: web.Request) -> web.Response:
    """One procedure as citizens see it, with the phrasings staff taught for it."""
    return await _procedure_page(request, _procedure(request), {})


@routes.post("/knowledge/{code}/synonyms", name="add_synonym")
@allow(Role.ADMIN, Role.STAFF)
async def add_synonym(request: web.Request) -> web.Response:
    """Teach a phrasing for this procedure."""
    procedure = _procedure(request)
    phrase = _clean((await request.post()).get("phrase"))
    if not question_key(phrase) or len(phrase) > MAX_PHRASE_CHARS:
        errors = {"phrase": N_("Write the question in a few words (at most 300 characters).")}
        return await _procedure_page(request, procedure, errors, phrase)
    deps, staff = console(request), current_staff(request)
    now = deps.clock.now()
    async with deps.database.transaction() as session:
        lesson = await store.teach(
            session, phrase, procedure=procedure.code, reply=None, by=staff.email, now=now
        )
        await SqlStaff(session).audit(staff, "synonym_add", now, target=f"lesson:{lesson}")
    await LessonBook(deps.database, deps.knowledge).refresh()
    url = request.app.router["procedure"].url_for(code=procedure.code)
    raise web.HTTPSeeOther(url.with_query(saved="1"))


@routes.post("/knowledge/{code}/synonyms/{lesson}/delete", name="remove_synonym")
@allow(Role.ADMIN, Role.STAFF)
async def remove_synonym(request: web.Request) -> web.Response:
    """Forget a phrasing taught for this procedure."""
    procedure = _procedure(request)
    try:
        lesson = int(request.match_info["lesson"])
    except ValueError:
        raise web.HTTPNotFound() from None
    deps, staff = console(request), current_staff(request)
    now = deps.clock.now()
    async with deps.database.transaction() as session:
        mine = {t.id for t in await store.lessons(session, procedure.code)}
        if lesson not in mine or not await store.forget(session, lesson):
            raise web.HTTPNotFound()
        await SqlStaff(session).audit(staff, "synonym_remove", now, target=f"lesson:{lesson}")
    await LessonBook(deps.database, deps.knowledge).refresh()
    url = request.app.router["procedure"].url_for(code=procedure.code)
    raise web.HTTPSeeOther(url.with_query(saved="1"))
