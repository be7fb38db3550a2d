"""What the coach can do, with examples built from the asker's own deals."""

from __future__ import annotations

from bot.coach.intents import all_intents
from bot.coach.intents.base import Ask, Intent
from bot.coach.results import Help
from bot.coach.rich import bullet, doc, line
from bot.coach.router import normalize
from bot.coach.types import CoachAnswer
from storage import deals as deal_store

# Shown in this order; the rest of the intents are reached from these answers' follow-ups.
FOR_REPS = ("focus", "deal_plan", "diagnosis", "call_prep", "email_draft", "record", "scorecard", "stage_guide",
            "methodology")
FOR_MANAGERS = ("scorecard", "team_ranking", "pipeline", "attention")


def capabilities(ask: Ask, intro: str) -> CoachAnswer:
    """``intro``, then what the asker can ask, each with a sample question on one of their deals."""
    mine = deal_store.open_deals_for(session=ask.session, viewer=ask.viewer, owner_id=ask.viewer.rep_id)
    example = mine[0].name if mine else "<a deal>"
    intents = all_intents()
    names = FOR_REPS + (FOR_MANAGERS if ask.viewer.is_manager else ())
    lines = [line(intro)]
    for name in dict.fromkeys(names):
        intent = intents.get(name)
        if intent is not None and intent.try_it:
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
    examples=(
        "help", "how does this work", "what can i ask you", "what do you know",
        "commands", "who are you", "how do i use you", "show me what you can do",
        "hi", "hello", "hey there", "what kind of questions can you answer", "menu", "options",
        "i'm new, where do i begin with this bot", "what is stagecoach", "what is this bot", "what's this tool for",
        "what are your features", "how do i use this",
        "what do u do", "how do i use stagecoach", "what can this bot do", "help pls",
        "examples of questions i can ask", "what are you able to help with", "yo", "good morning", "hey stagecoach",
        "what can i do here", "give me a list of commands", "how do you work", "what should i ask you",
        "any tips on using you", "what are you capable of", "instructions", "getting started",
        "what kinds of things do you know about", "can you help me", "show me some example questions",
        "are you a bot",
        "docs", "tutorial", "faq", "what commands are there", "how to use this thing",
        "sup", "hiya", "hey bot", "hi stagecoach, what can you do",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "what's this", "how do i talk to you", "what questions work best with you", "show help", "hey, new here",
        "how does stagecoach work", "can you explain what you do", "what should i use you for", "usage",
        "list your skills", "what are the things you can help me with", "are there commands i should know",
        "i don't know how to use this", "give me some sample prompts", "how do i ask you about a deal", "heyyy",
        "howdy", "gm", "what does this app do", "what are you good at", "stagecoach help", "/help",
        "um how does this thing work", "is there a user guide", "what sorts of things do u handle",
        "first time using this, what do i do", "what do i type", "capabilities?", "what topics do you cover",
        "explain yourself", "what's your purpose", "teach me how to use you", "intro pls", "hi again",
        "my manager told me to try this bot for my deals but i have no clue what it does or what i'm supposed to ask it, can you give me a rundown",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "how do i ask you stuff", "whats stagecoach do", "help me understand this bot", "what all can i ask",
        "hey, what is this thing", "any example questions?", "how do i get started w you", "what else can you do",
        "list what you can help with", "is there a help menu", "what do you do exactly", "how does the coach work",
        "what are the commands for this bot", "hello, what can you help me with",
        "how should i phrase questions to you", "what data do you look at", "can you tell me what features you have",
        "new to the team, what's this bot", "hey coach", "morning", "what kinds of stuff can i ask about my deals",
        "i don't get how to use this bot", "show me how this works", "what's the point of this bot",
        "give me a quick tour", "what can managers ask you", "where do i start with stagecoach",
        "uh what am i supposed to ask here", "what are some things you can answer", "how do i use this coach bot",
        "what questions do you understand", "hi there!", "explain what stagecoach can do for me",
        "do you have a list of things i can try", "what is this", "how do i work with you",
        "just got added to this channel and someone said to ask the bot things about my pipeline, but what can it actually do and how am i meant to talk to it",
        # Written by a fourth author, on the pairs cross-validation over the examples confuses most.
        "what can you do for me", "do i need a special format to ask about my pipeline", "where do i start with you",
        "first time here, what should i try asking you", "i dont know what to ask this bot",
        "what is this coach actually for", "what types of stuff can u answer", "help, how does this bot work",
        "hey! new rep, what can this coach do", "what am i allowed to type in here", "show me a few things i can ask",
        "is there a list of what you can do", "how do i get you to look at a deal", "yo coach, what are you good for",
        "hello hello", "can i just talk to you normally or do i need commands", "does this bot know about my deals",
        "whats the best way to use you day to day", "good afternoon",
        "ok so i was told this bot can help with deals and prioritizing and stuff, but before i start can you tell me what kinds of things i can ask and how i should phrase them",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "what kinds of questions can you answer", "i'm new, what is this bot", "what are my options here",
        "show me what you can help with", "what all can this bot do", "is there a guide for this coach",
        "how do i get started with the coach", "what's this thing for", "how do slash commands work here",
        "instructions pls", "who are you and what do you do", "what features do you have", "explain how to use this",
        "i don't get how this works", "hey coach what are you good for", "how do i log stuff with you",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "what are your commands", "what kind of things can i ask you", "how does this bot work",
        "what can you help me with", "hi, im new here, what do you do", "can you explain how to use the coach",
        "help menu", "what should i type to get started", "what do u know how to do",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "how does this coach thing work", "hey what are you for", "what can stagecoach help me with",
        "new to this, how do i get started", "can you list your features", "what questions do you answer",
        "how am i supposed to use you", "what are some examples of things i can ask", "is there a guide for this tool",
        "what can i ask you about my deals", "hi! what do you do exactly", "can you explain what you're capable of",
        "what should i type to get you to help",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "how does this thing work", "what are you exactly", "what can stagecoach do",
        "first time here, what can you help me with", "can you log stuff for me or do you just answer questions",
        "what are my options with you", "how am i supposed to talk to you", "examples of things to ask?",
        "what does this coach do", "hi! new here, how do i get started w/ this", "what can i ask about",
        "how are you supposed to help me", "walk me thru how to use you",
    ),
)
