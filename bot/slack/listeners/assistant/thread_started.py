"""A new assistant thread: a greeting and suggested prompts (a manager also gets the pipeline one)."""

from __future__ import annotations

from slack_bolt import BoltContext, Say, SetSuggestedPrompts
from slack_sdk import WebClient

from bot.slack.identity import SETUP_HELP, viewer_for

PROMPTS = ["What should I do next on my biggest deal?", "Which follow-ups are overdue?"]
MANAGER_PROMPTS = ["How is my team's pipeline?"]
GREETING = "Hi! Ask me about a deal, your follow-ups, or the sales process."


def thread_started(event: dict, context: BoltContext, client: WebClient, say: Say,
                   set_suggested_prompts: SetSuggestedPrompts) -> None:
    services = context["services"]
    viewer = viewer_for(services.runtime, client, event["assistant_thread"]["user_id"])
    if viewer is None:
        say(SETUP_HELP)
        return
    say(GREETING)
    prompts = PROMPTS + (MANAGER_PROMPTS if viewer.is_manager else [])
    set_suggested_prompts(prompts=prompts, title="Try asking")
