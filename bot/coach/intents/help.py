"""What the coach can do, with examples built from the asker's own deals."""

from __future__ import annotations

from bot.coach.intents.base import Ask, Intent
from bot.coach.results import Help
from bot.coach.rich import bullet, doc, line
from bot.coach.router import normalize
from bot.coach.types import CoachAnswer
from storage import deals as deal_store


def capabilities(ask: Ask, intro: str) -> CoachAnswer:
    """``intro``, then what the asker can ask, each with a sample question on one of their deals."""
    mine = deal_store.open_deals_for(session=ask.session, viewer=ask.viewer, owner_id=ask.viewer.rep_id)
    example = mine[0].name if mine else "<a deal>"
    # Those with a place in the menu, in its order; the rest are reached from these answers' follow-ups.
    listed = sorted((i for i in ask.intents.values() if i.menu is not None and i.try_it
                     and (ask.viewer.is_manager or not i.menu_for_managers)), key=lambda i: i.menu)
    lines = [line(intro)]
    for intent in listed:
        lines.append(bullet(f"{intent.summary[0].upper() + intent.summary[1:]}: “{intent.try_it.format(deal=example)}”"))
    return CoachAnswer(Help(doc(lines)), "help")


# A message made only of these is a thank-you or an acknowledgement: it gets a word back, not the menu.
_THANKS_WORDS = frozenset(
    "thanks thank thankyou you u ty tysm thx cheers ta much many appreciated appreciate it that this great perfect "
    "awesome cool nice ok okay k kk got gotcha helps helpful super very so a lot alright sounds good will do "
    "makes sense".split())


def is_thanks(question: str) -> bool:
    words = normalize(question).split()
    return bool(words) and all(word in _THANKS_WORDS for word in words)


def handle(ask: Ask) -> CoachAnswer:
    if is_thanks(ask.question):
        return CoachAnswer(Help(doc(line("Any time. Ask me about any of your deals whenever you need, or say “help” "
                                         "to see what I can do.")), thanks=True), "help")
    return capabilities(ask, "I coach you on your deals from the team's sales process and playbooks. Try:")


INTENT = Intent(
    name="help",
    summary="what I can do",
    handle=handle,
    needs_model=False,  # the offline answer is the whole answer
    as_computed=True,
)
