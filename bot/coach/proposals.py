"""Writes asked for in words: shown first, applied once the person confirms, and never twice.

The ``record`` intent turns "Globex confirmed budget" into a ``Proposal`` and writes nothing. The
engine keeps ``proposal.to_json()`` as ``state["proposal"]`` on the answer's turn of the conversation,
and the proposal is answered in one of three ways:

- a reply in the conversation (Slack thread or DM, ``stagecoach chat``): the engine reads the next
  message with ``is_yes(text)`` (True yes, False no, None neither: answer it as a new question) and
  on a yes or a no returns ``answer_pending(runtime=, session=, viewer=, state=, confirmed=, now=)``;
- a Slack Confirm or Cancel button, whose value is the token: ``decide_token(session=, process=,
  viewer=, token=, confirmed=, now=)`` finds the proposal in the clicker's own conversations;
- ``stagecoach ask --yes``: ``apply(session=, process=, viewer=, proposal=, now=)`` at once.

Exactly once: ``apply`` and ``cancel`` first claim the proposal's token in ``proposaldecision``
(primary key; the first insert wins, a racing one changes no row) and then write through
``bot.core.deal_actions``, which checks access again, in the same transaction. A second Confirm, a "yes"
after the button, two presses at once: all find the claim and answer "Already recorded.". The claim
is kept apart from the conversation row on purpose: the engine rewrites a conversation's history on
every turn, so a "no longer pending" mark kept there could be overwritten by a turn that read the
row before the confirmation, and ``ask --yes`` has no conversation at all. A refused write (access
changed, the deal moved on) rolls back together with its claim (a savepoint): nothing half-done stays.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.coach.results import Decided
from bot.coach.rich import doc, line, strong
from bot.coach.types import CoachAnswer, Proposal
from bot.core import deal_actions
from bot.core.errors import InvalidInput, NotFound, StagecoachError
from bot.pipeline.targets import write_target
from knowledge.process_map import ProcessMap
from storage import conversations
from storage import deals as deal_store
from storage import proposals as decisions
from storage.access import Viewer

if TYPE_CHECKING:
    from bot.core.runtime import Runtime

REPLY_HINT = line("Reply ", strong("yes"), " to record it, or ", strong("no"), " to drop it.")
DROPPED = "Dropped — nothing was recorded."
ALREADY = {decisions.RECORDED: "Already recorded.", decisions.CANCELLED: "Already dropped — nothing was recorded."}
GONE = "I can't find that proposal among yours — it may have expired. Tell me again what to record."

_TOKEN = re.compile(r"[0-9a-f]{32}")  # uuid4().hex, as the record intent makes them

# A reply to "Reply yes to record it": the whole message must be one of these (with "please", "thanks"…),
# so "yes, and what's next on Initech?" is a new question, not a confirmation. A "no" word outweighs a
# "yes" one ("don't log it").
_YES_WORDS = frozenset("y ya yes yeah yea yep yup sure ok okay k kk confirm confirmed correct right absolutely "
                       "definitely perfect great 👍 ✅".split())
_NO_WORDS = frozenset("n no nope nah nvm nm cancel cancelled canceled stop skip wrong scrap ❌ 👎".split())
_YES_PHRASES = ("do it", "go ahead", "go for it", "log it", "record it", "save it", "sounds good", "looks good",
                "lgtm", "that's right", "thats right")
_NO_PHRASES = ("don't", "dont", "do not", "never mind", "nevermind", "forget it", "scratch that", "drop it",
               "not now", "no thanks", "not yet", "hold off", "hold on", "leave it", "changed my mind", "my bad",
               "ignore that", "ignore it", "wait")
# Words around a yes or a no that change nothing: "actually don't", "oh wait, not yet", "ok go".
_POLITE = frozenset("please pls thanks thank you thx it that this one just then and actually oh um hmm go "
                    "sorry".split())
_REPLY_WORD = re.compile(r"[a-z']+|👍|✅|❌|👎")


def is_yes(text: str) -> bool | None:
    """A reply to a proposal: True (yes), False (no), or None (something else: a new question)."""
    words = " ".join(_REPLY_WORD.findall(text.lower().replace("’", "'")))
    said_yes = said_no = False
    for phrases, is_no in ((_NO_PHRASES, True), (_YES_PHRASES, False)):
        for phrase in phrases:
            padded = f" {words} "
            if f" {phrase} " in padded:
                words = padded.replace(f" {phrase} ", " ").strip()
                said_no, said_yes = said_no or is_no, said_yes or not is_no
    for word in words.split():
        if word in _NO_WORDS:
            said_no = True
        elif word in _YES_WORDS:
            said_yes = True
        elif word not in _POLITE:
            return None
    if said_no:
        return False
    return True if said_yes else None


def apply(*, session: Session, process: ProcessMap, viewer: Viewer, proposal: Proposal, now: datetime) -> str:
    """Write ``proposal`` as ``viewer`` unless it was decided already; returns the message to show.

    Raises:
        NotFound: the deal is not one the viewer may see (nothing is written, the proposal stays open).
        InvalidInput: it no longer fits the deal, e.g. the deal moved to another stage.
    """
    with session.begin_nested():  # a refused write takes its claim with it
        if not decisions.claim(session=session, token=proposal.token, rep_id=viewer.rep_id,
                               deal_id=proposal.deal_id, outcome=decisions.RECORDED, now=now):
            return _already(session, proposal.token)
        _write(session, process, viewer, proposal, now)
    return f"✅ Recorded — {proposal.summary}."


def cancel(*, session: Session, viewer: Viewer, proposal: Proposal, now: datetime) -> str:
    """Drop ``proposal`` for good (a later Confirm finds it dropped); returns the message to show."""
    if not decisions.claim(session=session, token=proposal.token, rep_id=viewer.rep_id, deal_id=proposal.deal_id,
                           outcome=decisions.CANCELLED, now=now):
        return _already(session, proposal.token)
    return DROPPED


def decide(*, session: Session, process: ProcessMap, viewer: Viewer, proposal: Proposal, confirmed: bool,
           now: datetime) -> str:
    """``apply`` on a yes, ``cancel`` on a no."""
    if confirmed:
        return apply(session=session, process=process, viewer=viewer, proposal=proposal, now=now)
    return cancel(session=session, viewer=viewer, proposal=proposal, now=now)


def answer_pending(*, runtime: Runtime, session: Session, viewer: Viewer, state: dict, confirmed: bool,
                   now: datetime) -> CoachAnswer:
    """The engine's answer to a yes or no after an answer that proposed a write.

    Args:
        runtime: the process's runtime (for the process map).
        state: the previous answer's turn state; ``state["proposal"]`` is ``Proposal.to_json()``.
        confirmed: ``is_yes`` of the reply (True or False, never None).
    """
    proposal = Proposal.from_json(state["proposal"])
    try:
        text = decide(session=session, process=runtime.process, viewer=viewer, proposal=proposal,
                      confirmed=confirmed, now=now)
    except StagecoachError as error:  # refused: say why, the conversation goes on
        text = str(error)
    return CoachAnswer(Decided(doc(line(text)), proposal.token, confirmed), "record")


def decide_token(*, session: Session, process: ProcessMap, viewer: Viewer, token: str, confirmed: bool,
                 now: datetime) -> str:
    """A Confirm (``confirmed``) or Cancel button for the proposal ``token``; returns the message to show.

    Only a proposal made in one of the viewer's own conversations can be decided by them.

    Raises:
        NotFound: none of the viewer's conversations holds it (another person's button, or expired).
    """
    held = conversations.proposal_in_conversations(session=session, rep_id=viewer.rep_id, token=token) \
        if _TOKEN.fullmatch(token) else None
    if held is None:
        done = decisions.decision(session=session, token=token) if _TOKEN.fullmatch(token) else None
        if done is not None and done.rep_id == viewer.rep_id:
            return ALREADY[done.outcome]
        raise NotFound(GONE)
    return decide(session=session, process=process, viewer=viewer, proposal=Proposal.from_json(held),
                  confirmed=confirmed, now=now)


def _write(session: Session, process: ProcessMap, viewer: Viewer, proposal: Proposal, now: datetime) -> None:
    """The write itself, through ``bot.core.deal_actions`` (access and the map checked there)."""
    if proposal.kind == "target" and proposal.target is not None:  # no deal: whose target is in ``target``
        write_target(session=session, viewer=viewer, target=proposal.target, now=now)
        return
    if proposal.deal_id is None:
        raise InvalidInput(f"I can't record a {proposal.kind!r} proposal without its deal.")
    if proposal.kind == "criterion":
        deal = deal_store.visible_deal(session=session, viewer=viewer, deal_id=proposal.deal_id)
        # The deal moved since: a criterion of the stage it left would be recorded against the wrong stage.
        # (An earlier stage's criterion, named as such, stays valid.)
        if deal is not None and deal.stage_key != proposal.stage_key and proposal.criterion_stage is None:
            stage = process.stage(deal.stage_key)
            raise InvalidInput(f"{proposal.deal_name} has moved to {stage.name if stage else deal.stage_key} since; "
                               "tell me again what the buyer confirmed.")
        deal_actions.mark_criterion(session=session, viewer=viewer, process=process, deal_id=proposal.deal_id,
                                    criterion_key=proposal.criterion_key or "", now=now, evidence=proposal.evidence,
                                    stage_key=proposal.criterion_stage)
    elif proposal.kind == "followup" and proposal.due_at is not None:
        deal_actions.set_followup(session=session, viewer=viewer, deal_id=proposal.deal_id, now=now,
                                  due_at=proposal.due_at, note=proposal.note or "")
    elif proposal.kind == "close" and proposal.won is not None:
        deal_actions.close_deal(session=session, viewer=viewer, deal_id=proposal.deal_id, now=now, won=proposal.won,
                                reason=proposal.note)
    elif proposal.kind == "activity":
        deal_actions.log_activity(session=session, viewer=viewer, deal_id=proposal.deal_id, now=now,
                                  note=proposal.note or "", activity_key=proposal.activity_key)
    else:
        raise InvalidInput(f"I can't record a {proposal.kind!r} proposal.")


def _already(session: Session, token: str) -> str:
    done = decisions.decision(session=session, token=token)
    return ALREADY.get(done.outcome if done else decisions.RECORDED, ALREADY[decisions.RECORDED])
