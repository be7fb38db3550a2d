"""What comes after the deal's current stage: the next stage's buyer state and exit criteria."""

from __future__ import annotations

from bot.coach import composer
from bot.coach.intents.base import Ask, Intent
from bot.coach.results import NextStage
from bot.coach.rich import bullet, doc, line, strong
from bot.coach.types import CoachAnswer


def handle(ask: Ask) -> CoachAnswer:
    plan = ask.plan
    following = ask.process.next_stage(plan.stage_key)
    if following is None:
        body = doc(line(strong(composer.deal_heading(plan.deal)), f" is in {plan.stage_name}, the last stage of the "
                        "process: once the buyer confirms what's open there, it's time to close it."))
        return CoachAnswer(NextStage(body), "after_that", deal=plan.deal, plan=plan,
                           citations=[ask.map_citation(ask.process.stage(plan.stage_key))])
    lines = [line(f"Once the buyer confirms what's open in {plan.stage_name}, ", strong(composer.deal_heading(plan.deal)),
                  " moves to ", strong(following.name),
                  f" — {following.buyer_state}" if following.buyer_state else ".")]
    lines.append(line("There the buyer needs to confirm:"))
    lines += [bullet(c.text) for c in following.exit_criteria]
    if following.activities:
        lines.append(line(f"Your first move there: {following.activities[0].text}."))
    return CoachAnswer(NextStage(doc(lines)), "after_that", deal=plan.deal, plan=plan,
                       citations=[ask.map_citation(following)])


INTENT = Intent(
    name="after_that",
    summary="what comes after the deal's current stage",
    try_it="And after that?",
    needs_deal=True,
    handle=handle,
    examples=(
        "and after that", "after that?", "then what", "what comes after this stage", "and then",
        "what happens after that", "what's after this", "what next after that", "what's the stage after this one",
        "once that's done what next", "what comes next after acme's current stage", "and after this stage",
        "what's the step after", "what follows", "after this what", "where does acme go after this stage",
        "which stage is next for acme", "what's the next stage for acme", "ok and after",
        "whats after this stage", "next stage?", "acme next stage?", "what stage comes after this",
        "once acme clears this stage whats next", "and after that what stage", "what's the following stage",
        "which stage follows the one acme is in", "ok then what happens", "then what stage", "n after that?",
        "afterwards?", "what's beyond this stage for acme", "once we're done here what's the next stage",
        "where do we go after this stage", "what's the next phase after this one", "what does acme move into next",
        "and the stage after?", "if acme moves forward what stage is it in next", "wat comes after",
        "after acme passes this stage where does it go", "so what's after that", "what stage is acme headed to next",
        "what comes after validate for acme", "after propose what's next for acme", "and after commit?",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "and from there?", "and when that's wrapped up?", "then what do i do after", "what's after proposal for acme",
        "after negotiation where does acme go", "and after discovery?", "ok cool, what's the step after that one",
        "and what about after?", "what comes once we're past commit",
        "supposing acme gets through validate, then what", "what's the stage following proposal for acme",
        "which phase comes after this one for acme", "what does the next stage ask of acme's buyer",
        "got it. and after?", "aftr that whats nxt", "wat comes once that step is done",
        "and after we get that confirmed?", "assuming they sign off on that, what's after",
        "what does acme hit after demo", "once acme leaves this stage, where does it land",
        "which stage do we hit after this", "and beyond that?", "once validate is behind acme, which stage follows",
        "after that what should i expect", "whats the stage after, and what do they need to confirm there",
        "and after qualification, what?", "and what stage follows that one",
        "ok say we nail this stage with acme, what stage comes up after it and what will the buyer need to confirm once we're there",
        "once they're through qualification what's the next stage", "what's downstream of this stage for acme",
        "next phase for acme?", "after that, where does it go", "and following that?",
        "what about the stage after negotiation", "sweet, and then what happens",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "k, then?", "ok, after that?", "uh huh and after?", "and next?", "cool, and after",
        "whats the step after that", "what comes after discover", "after validate?", "what's beyond that",
        "sure, and the step after?", "after that whats the next stage", "what's the stage after validate for acme",
        "and the one after?", "then where does it go", "alright, whats after", "and after we've done that",
        "mhm, then what", "and after this one", "what's next after that step", "ok so after that what happens",
        "nd then?", "what happens once acme is past discover", "following step?", "ok what comes after",
        "and after that what do we do", "what's after that for acme", "and when we're through that?",
        "then whats after validate", "great, and following?", "and after close, anything?",
        "what stage is after this", "what then?", "post that, what?", "after the current stage what's the next",
        "next one after that?", "and after that? what would the buyer need to confirm",
        "right, and what comes afterward",
        "ok that makes sense for this stage, so once acme gets through it where does it go next and what does that stage look like",
        # Written by a fourth author, on the pairs cross-validation over the examples confuses most.
        "ok and then?", "alright then what, after that", "cool cool, whats after that",
        "once thats confirmed, then what", "and once we're out of validate?", "whats the stage after close, if any",
        "after the buyer signs off on that, what comes", "got it. what comes after that step",
        "makes sense. next after that?", "and after discover what stage is it",
        "where does acme go once its through validate", "and the stage past that?",
        "so then what happens to acme after this stage", "what stage does acme land in after this",
        "and post-validate?", "and after that one's done?",
        "right so whats the following stage, and what will they need to confirm", "and beyond discover?",
        "next after this for acme, stage-wise?",
        "ok i get what acme needs to finish this stage, but say it all goes through, what stage is it in after and what will i be chasing the buyer for then",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "what's after validate", "which stage follows propose", "once acme clears discover what stage is it in",
        "after commit what happens", "whats the next stage for acme", "what stage comes after connect",
        "what happens once we're done with this stage", "and after that one?",
        "after prospect is it connect or discover", "whats the stage after the current one for acme",
        "if acme gets through propose where does it land", "whats beyond validate", "wats after disco",
        "what stage is next in the process after discover", "ok and what comes after?", "next stage after this?",
        "after acme exits validate what's the stage it moves into", "what's acme's next stage gonna be",
        "after propose?", "what comes after the stage acme is in now", "which stage do we move to after connect",
        "where do deals go after propose", "whats the step after this stage in the process",
        "and whats the one after that", "once this stage is done whats next in the process",
        "after discovery which stage", "tell me the stage that comes after validate", "what's up after connect",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "what comes after propose", "acme is in validate, what stage is next", "whats the next stage after discover",
        "after connect what happens", "what stage follows this one for acme",
        "once acme is done with discovery where does it go", "next stage after commit?", "what's after prospect",
        "what happens after this stage", "when acme leaves propose what stage is it in",
        "which stage comes next for acme", "stage after validate?",
        "if i move acme forward what stage does it land in", "what's the stage after the one acme is in now",
        "after discovery whats next in the process", "acme is in connect - what's the following stage",
        "where does a deal go after propose", "whats the next step in the stage sequence after validate",
        "what stage do we hit after commit, is that closed won", "next stage for acme?",
        "after this stage what do we move into", "what's the stage right after connect",
        "once a deal clears prospect what stage is that", "what follows discover in our process",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "got it, whats after that", "cool and the step after?", "what comes next after this stage",
        "then what do i do", "ok and after validate?", "after that one?", "k, and next?",
        "and the stage following this one is what", "say i get that done, what's next",
        "once they confirm that, then what", "nice. and after that step", "and after thats finished where do i go",
        "ok did that, whats the next step after", "and past that?", "whats the following step", "then whta",
        "alright, and after propose what stage is it", "assuming that goes well, what's after",
        "and then what comes after it?",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "k, whats the step after", "what comes next after that one", "and the stage after this one?",
        "got it. whats after", "assuming they say yes to that, whats next", "ok say i get that done, now what",
        "nice. and the step after that", "sure, then what", "ok and after that mtg happens?",
        "whats the next stage after this", "then where do i go from there", "k and after that",
        "and if that goes well, then what", "makes sense. and afterwards?",
    ),
)
