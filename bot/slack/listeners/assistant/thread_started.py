"""A new assistant thread: a greeting and suggested prompts built from the asker's own deals."""

from __future__ import annotations

from slack_bolt import BoltContext, Say, SetSuggestedPrompts
from slack_sdk import WebClient

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
    # Slack shows at most four suggested prompts.
    set_suggested_prompts(prompts=services.coach.suggestions(viewer)[:4], title="Try asking")
