"""A new assistant thread (the legacy assistant experience, still handled for apps installed with it): a greeting and suggested prompts built from the asker's own deals."""

from __future__ import annotations

from slack_bolt import BoltContext, Say, SetSuggestedPrompts
from slack_sdk import WebClient

from bot.service.home import suggested_prompts
from bot.slack.identity import SETUP_HELP, viewer_for

GREETING = "Hi! Ask me about a deal, your follow-ups, or the sales process."


def thread_started(event: dict, context: BoltContext, client: WebClient, say: Say,
                   set_suggested_prompts: SetSuggestedPrompts) -> None:
    services = context["services"]
    viewer = viewer_for(services.runtime, client, event["assistant_thread"]["user_id"])
    if viewer is None:
        say(SETUP_HELP)
        return
    say(GREETING)
    set_suggested_prompts(prompts=suggested_prompts(services.coach, viewer), title="Try asking")
