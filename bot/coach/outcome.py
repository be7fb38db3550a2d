"""A closed deal, asked about: how it ended and how it got there, since there is nothing left to coach."""

from __future__ import annotations

from bot.coach import composer
from bot.coach.intents.base import Ask
from bot.coach.results import Outcome, StageMove
from bot.coach.rich import doc, line, strong
from bot.coach.types import CoachAnswer
from bot.coach.wording import short_date
from bot.core.plan import deal_ref
from bot.core.text import money
from storage import deals as deal_store
from storage.models import Deal

_ENDS = ("won", "lost")  # a StageChange's to_stage when the deal closed


def answer_closed(ask: Ask, deal: Deal) -> CoachAnswer:
    """The outcome (won or lost, when, for how much), the recorded stage moves and the last activity."""
    state = deal_store.deal_state(session=ask.session, deal=deal)
    ref = deal_ref(state)
    process = ask.process
    name_of = {stage.key: stage.name for stage in process.stages}
    outcome = ref.status
    when = f" on {short_date(deal.closed_at.date())} {deal.closed_at.year}" if deal.closed_at else ""
    amount = f" ({money(deal.amount)})" if deal.amount else ""
    moves = deal_store.stage_history(session=ask.session, deal=deal)
    stages = [m for m in moves if m.to_stage not in _ENDS]
    # Only what history shows: with moves recorded, the stage it closed from is the one they show ("→ won"
    # alone shows none); with none at all, the deal's own record is all there is.
    if moves:
        closing = [m.from_stage for m in moves if m.to_stage in _ENDS and m.from_stage]
        last_key = closing[-1] if closing else (stages[-1].to_stage if stages else None)
    else:
        last_key = deal.stage_key
    after = f", after {name_of.get(last_key, last_key)}" if last_key else ""
    lines = [line(strong(composer.deal_heading(ref)), " is closed: ", strong(outcome),
                  f"{when}{amount}{after}. It is {ref.owner_name}'s deal.")]
    if stages:
        steps = [f"{name_of.get(m.to_stage, m.to_stage)} {short_date(m.changed_at.date())}" for m in stages]
        lines.append(line("Stages recorded: " + " → ".join(steps) + "."))
    elif moves and last_key is None:
        lines.append(line("Its earlier stages were not recorded."))
    elif not moves:
        lines.append(line("No stage moves were recorded for it."))
    if state.last_activity is not None:
        note = f": {state.last_activity.note}" if state.last_activity.note else ""
        lines.append(line(f"Last activity {short_date(state.last_activity.occurred_at.date())}{note}."))
    lines.append(line("There is nothing left to do on it in the process; ask me about an open deal for next steps."))
    result = Outcome(doc(lines), status=outcome, closed_at=deal.closed_at, last_stage=last_key,
                     moves=tuple(StageMove(m.from_stage, m.to_stage, m.changed_at) for m in moves))
    return CoachAnswer(result, "deal_outcome", deal=ref)
