"""A list of open deals: the asker's own, a manager's team's or a teammate's; in a stage, or closing soon."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.coach import composer
from bot.coach.intents.base import Ask, Intent, PersonSlots, Tool
from bot.coach.people import is_self, person_mentioned, visible_person
from bot.coach.results import DealList, ListedDeal, NotFound, Refusal
from bot.coach.rich import bullet, doc, line, strong
from bot.coach.types import CoachAnswer
from bot.coach.wording import FIRST_PERSON, local_today
from bot.core.text import money
from storage import deals as deal_store
from storage.models import Role

SHOWN = 15


def handle(ask: Ask) -> CoachAnswer:
    viewer = ask.viewer
    named = person_mentioned(ask.question)
    # A rep's list is their own; a manager's is the team's unless they ask for theirs or a teammate's.
    owner_id, whose = viewer.rep_id, "your"
    if viewer.role != Role.rep and not FIRST_PERSON.search(ask.question):
        owner_id, whose = None, "your team's"
    if named and not is_self(viewer, named):
        if viewer.role == Role.rep:  # the same words whoever was named, so nothing says whether they exist
            refused = Refusal(doc(line("I can only show you your own deals. Ask “show me my deals” for yours.")),
                              "access", "ask “show me my deals” for yours")
            return CoachAnswer(refused, "deal_list_denied")
        person = visible_person(session=ask.session, viewer=viewer, name=named)
        if person is None:
            return CoachAnswer(NotFound(doc(line(f"I can't find “{named}” among the people you can see.")), named),
                               "not_found")
        owner_id, whose = person.id, f"{person.name}'s"
    stage = ask.stage
    closing = _closing_window(ask)
    if closing and stage:  # "closing next month" names no stage, though one is called Close
        stage = ask.stage_named(_CLOSING.sub(" ", ask.question))
    deals = deal_store.open_deals_for(session=ask.session, viewer=viewer, owner_id=owner_id,
                                      stage_key=stage.key if stage else None,
                                      closing_between=closing[1:] if closing else None)
    which = "".join([f" in {stage.name}" if stage else "", f" closing {closing[0]}" if closing else ""])
    facts = {"deals": tuple(d.external_id for d in deals), "stage": stage.key if stage else None,
             "closing": closing[1:] if closing else None}
    if not deals:
        return CoachAnswer(DealList(doc(line(f"No open deals in {whose} name{which} right now.")), **facts), "deal_list")
    title = f"{whose[0].upper()}{whose[1:]} open deals{which}"
    lines = [line(strong(title), f" ({len(deals)}), biggest first:")]
    owners = {} if owner_id is not None else {
        rep.id: rep.name for rep in deal_store.visible_reps(session=ask.session, viewer=viewer)}
    rows = []
    for deal in deals:
        stage_of = ask.process.stage(deal.stage_key)
        rows.append(ListedDeal(composer.deal_heading(deal), stage_of.name if stage_of else deal.stage_key,
                               deal.amount, owners.get(deal.owner_id) if owners else None))
    for row in rows[:SHOWN]:
        owner = f", {row.owner}" if row.owner else ""
        lines.append(bullet(strong(row.name), f" — {row.stage}, {money(row.amount)}{owner}"))
    if len(deals) > SHOWN:
        lines.append(line(f"…and {len(deals) - SHOWN} more."))
    result = DealList(doc(lines), **facts, title=f"{title} ({len(deals)}), biggest first", rows=tuple(rows))
    return CoachAnswer(result, "deal_list", listed=[d.id for d in deals[:SHOWN]])


_CLOSING = re.compile(r"\bclos(?:e|es|ing)\b.*?\b(this|next)\s+(week|month|quarter)\b", re.I)


def _closing_window(ask: Ask) -> tuple[str, date, date] | None:
    """"closing this month", "close next week": the words and the days they span, in the asker's time zone."""
    match = _CLOSING.search(ask.question)
    if match is None:
        return None
    which, unit = match.group(1).lower(), match.group(2).lower()
    today = local_today(ask.now, ask.viewer.timezone)
    if unit == "week":
        start = today - timedelta(days=today.weekday()) + timedelta(weeks=which == "next")
        return f"{which} week", start, start + timedelta(days=6)
    months = 3 if unit == "quarter" else 1
    first = date(today.year, today.month - (today.month - 1) % months, 1)
    if which == "next":
        first = _add_months(first, months)
    return f"{which} {unit}", first, _add_months(first, months) - timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


INTENT = Intent(
    name="deal_list",
    summary="a list of open deals: yours, or a teammate's for managers",
    try_it="Show me my deals",
    handle=handle,
    slots=PersonSlots,
    tool=Tool("list_deals", "Open deals of the asker, or a teammate's for managers.", words="show me {person}'s deals"),
)
