"""A list of open deals: the asker's own, a manager's team's or a teammate's; in a stage, or closing soon."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.coach import composer
from bot.coach.intents.base import Ask, Intent
from bot.coach.people import is_self, person_mentioned, visible_person
from bot.coach.results import DealList, NotFound, Refusal
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
            return CoachAnswer(Refusal(doc(line("I can only show you your own deals. Ask “show me my deals” for yours."))),
                               "deal_list_denied")
        person = visible_person(session=ask.session, viewer=viewer, name=named)
        if person is None:
            return CoachAnswer(NotFound(doc(line(f"I can't find “{named}” among the people you can see.")), named),
                               "not_found")
        owner_id, whose = person.id, f"{person.name}'s"
    stage = ask.stage
    closing = _closing_window(ask)
    if closing and stage:  # "closing next month" names no stage, though one is called Close
        stage = ask.coach.stage_named(_CLOSING.sub(" ", ask.question))
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
    for deal in deals[:SHOWN]:
        stage_of = ask.process.stage(deal.stage_key)
        owner = f", {owners[deal.owner_id]}" if owners else ""
        lines.append(bullet(strong(composer.deal_heading(deal)),
                            f" — {stage_of.name if stage_of else deal.stage_key}, {money(deal.amount)}{owner}"))
    if len(deals) > SHOWN:
        lines.append(line(f"…and {len(deals) - SHOWN} more."))
    return CoachAnswer(DealList(doc(lines), **facts), "deal_list", listed=[d.id for d in deals[:SHOWN]])


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
    examples=(
        "show me my deals", "list my deals", "what deals do i have", "my open deals", "list my open opportunities",
        "what's in my book", "what deals does bob have", "show me bob's deals", "list alice's open deals",
        "which deals is carla working on", "what is jordan lee working on", "show me jordan lee's deals",
        "what am i working on", "which deals are mine", "show me the deals of my reps",
        "deals owned by bob", "what's on bob's plate", "give me a list of my accounts", "what accounts do i own",
        "my deals pls", "list opps", "show all my opps", "what deals is sam on", "priya's deals",
        "pull up bob's open opps", "which accounts does jordan own", "what's in carla's book",
        "list every open deal i own", "show me everything i'm working", "gimme my deal list",
        "what opportunities do i have open", "list the deals sam owns", "all open opps for priya",
        "deals assigned to me", "show my accounts",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "what deals are in validate", "list deals in negotiation", "which deals are closing this month",
        "which deals are set to close before quarter end", "show all deals in proposal",
        "which of my deals are in discovery", "which deals are in commit right now", "opps in the demo stage",
        "show me everything bob has in proposal", "my deals closing in q4", "enumerate carla's deals",
        "what accounts is jordan lee carrying", "show me my book of business", "which deals am i the owner of",
        "show deals owned by my team", "list all the team's open opps",
        "give me a list of deals closing by end of month", "which deals have a close date this week",
        "deals in qualification pls", "what deals do we have in close", "show me every deal in commit for my team",
        "names of my open deals", "what opps does mike have open", "lemme see my deals", "roster of my deals",
        "what deals am i carrying rn", "which deals are at the proposal stage",
        "list priya's deals closing this quarter", "what deals is bob working in discovery",
        "show me all open deals over 100k", "any deals of mine in negotiation?",
        "pull the list of deals in validate for carla", "my accounts list pls", "list every deal my reps own",
        "i'm taking over sam's territory next week so can you show me which deals he has open and what stage each one is sitting in",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "what opps am i holding", "show everything in my name", "all my open deals in one list",
        "which deals do i own rn", "carla's open deals?", "list jordan's opps", "what's sam carrying",
        "deals in discover", "show me whats in validate", "which deals are in close", "list deals closing this qtr",
        "what's closing next month", "deals w close date in q3", "show me priya's book",
        "every deal on the east team", "open deals for my reps pls", "what deals does alice have in discover",
        "which of my deals are sitting in validate", "list the deals i'm on", "what accounts am i working",
        "gimme carla's deal list", "which deals close before end of month", "list my deals and their stages",
        "what's open for me", "which opportunities are assigned to sam", "show open opps in the close stage",
        "deals expected to close this week?", "what does bob's deal list look like", "what's on my plate deal-wise",
        "all open opps across my team, just the list", "name all my deals", "which accounts belong to priya",
        "list deals in validate for the whole team", "my deals pls, just names",
        "show me jordan's deals closing in q4", "list everyone's deals in discover", "what deals have i got going",
        "my active opps", "deals closing in december",
        "covering for carla while she's on leave so i need to see every open deal she has and where each one sits, can you list them",
        # Written by a fourth author, on the pairs cross-validation over the examples confuses most.
        "whats set to close in the next 30 days", "whats in validate rn, just names",
        "can i see what deals carla has open", "list all my deals, no analysis", "every deal jordan owns in discover",
        "which of sam's deals close this qtr", "deals with a close date in march",
        "which opps of mine are at the close stage", "list the opps closing before end of qtr for the east team",
        "show me all the deals i own sorted by stage", "whats on priya's list of deals",
        "gimme the deals in discover for my reps", "which deals of mine close next week",
        "list open deals for bob and carla", "what opps are in my name in validate",
        "show me what deals are in the close stage, just the list",
        "all deals closing this month pls, not looking for problems just the list",
        "what deals does the west team have open", "my deals by close date",
        "my manager wants a list of every deal i own with stage and close date for our 1:1, nothing fancy, can you pull that",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "what deals am i working", "show carla's deals", "which deals are in validate", "all my open deals pls",
        "what's bob got open", "show me sam's opps", "deals in commit?", "list everything i have in discovery",
        "what accounts do i have open", "pull up alice's deals", "show all open deals",
        "which deals does jordan own", "my deals in propose", "give me a list of my opportunities",
        "what's on priya's plate, deal-wise", "show me what i have open", "what deals r in connect",
        "list deals for carla in validate", "can i see my deal list", "what opps does bob have in prospect",
        "enumerate my open deals", "deals list", "what am i carrying right now deal-wise", "show jordans open deals",
        "what deals does sam have going", "list my pipeline deals", "which of my deals are in commit right now",
        "show me the deals on alice's book", "whats open for me",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "what's in my pipe rn - just the list", "show jordan's open deals", "what deals is carla working",
        "list of all my active opportunities", "which deals do i own", "can u list bob's deals",
        "what deals are assigned to me", "show priya's open deals", "what am i working on, list the deals",
        "my deal list", "what opportunities does sam have open", "list every open deal i have",
        "what does jordan have in flight", "show all open deals for me", "which accounts do i have open deals with",
        "quick list of my deals", "deals?", "whats on carla's plate - list her opps",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "anything set to close before the month ends", "sam's open opps?", "deals in propose?",
        "whole team's deals w/ close dates next week", "list everything in commit", "what do i have open rn",
        "pull up carla's pipeline deals", "which deals close in q4", "show me all deals in discover",
        "what's due to close by end of month", "list jordan's open deals", "hey can i see all my opps in validate",
        "all team deals in prospect", "which deals do i have closing this week", "give me a list of priya's deals",
        "show open deals over 50k", "my deals closing before christmas", "list of deals in connect",
        "what's on dev's plate, show me his deals", "every open deal on the team pls",
        "list out what i've got in proposal stage",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "maria's deals", "deals in commit pls", "show me the team's deals closing next wk", "all my open deals",
        "list everything in propose", "what do i have in discovery", "pull up tom's open opps", "whats closing in q4",
        "my deals closing by eom", "show all open opps for li", "which deals are in validate rn, just the list",
        "list the team's deals in commit", "what deals does ahmed have open",
        "give me a list of everything closing before xmas", "my book pls", "show deals over 100k",
        "what opps do i have open rn", "becca's deals in propose", "list deals closing this qtr for the whole team",
        "show me my prospect stage deals", "all deals closing in the next 30 days",
    ),
)
