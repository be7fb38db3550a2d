"""A list of open deals: the asker's own, or (for a manager) a teammate's."""

from __future__ import annotations

from bot.coach import composer
from bot.coach.intents.base import Ask, Intent
from bot.coach.people import is_self, person_mentioned, visible_person
from bot.coach.types import CoachAnswer
from bot.text import money
from storage import deals as deal_store
from storage.models import Role

SHOWN = 15


def handle(ask: Ask) -> CoachAnswer:
    viewer = ask.viewer
    named = person_mentioned(ask.question)
    owner_id, whose = viewer.rep_id, "your"
    if named and not is_self(viewer, named):
        if viewer.role == Role.rep:  # the same words whoever was named, so nothing says whether they exist
            return CoachAnswer("I can only show you your own deals. Ask “show me my deals” for yours.", "deal_list_denied")
        person = visible_person(session=ask.session, viewer=viewer, name=named)
        if person is None:
            return CoachAnswer(f"I can't find “{named}” among the people you can see.", "not_found")
        owner_id, whose = person.id, f"{person.name}'s"
    deals = deal_store.open_deals_for(session=ask.session, viewer=viewer, owner_id=owner_id)
    if not deals:
        return CoachAnswer(f"No open deals in {whose} name right now.", "deal_list", data={"deals": []})
    lines = [f"*{whose.capitalize() if whose == 'your' else whose} open deals* ({len(deals)}), biggest first:"]
    for deal in deals[:SHOWN]:
        stage = ask.process.stage(deal.stage_key)
        lines.append(f"• *{composer.deal_heading(deal)}* — {stage.name if stage else deal.stage_key}, "
                     f"{money(deal.amount)}")
    if len(deals) > SHOWN:
        lines.append(f"…and {len(deals) - SHOWN} more.")
    return CoachAnswer("\n".join(lines), "deal_list", data={"deals": [d.external_id for d in deals]})


INTENT = Intent(
    name="deal_list",
    summary="a list of open deals: yours, or a teammate's for managers",
    try_it="Show me my deals",
    handle=handle,
    examples=(
        "show me my deals", "list my deals", "what deals do i have", "my open deals", "list my open opportunities",
        "what's in my book", "what deals does bob have", "show me bob's deals", "list alice's open deals",
        "which deals is carla working on", "what is jordan lee working on", "show me jordan lee's deals",
        "all my deals please", "what am i working on", "which deals are mine", "show me the deals of my reps",
        "deals owned by bob", "what's on bob's plate", "give me a list of my accounts", "what accounts do i own",
        "my deals pls", "list opps", "show all my opps", "what deals is sam on", "priya's deals",
        "pull up bob's open opps", "which accounts does jordan own", "what's in carla's book",
        "list every open deal i own", "show me everything i'm working", "gimme my deal list",
        "what opportunities do i have open", "list the deals sam owns", "all open opps for priya",
        "deals assigned to me", "show my accounts",
    ),
)
