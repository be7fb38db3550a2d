"""App Home opened: the Home tab gets the person's deals (a manager's team summary, an admin's answers marked
not helpful); the Messages tab, where the agent experience holds its conversations, gets suggested prompts
built from the person's own deals.

Slack sends ``tab == "messages"`` each time the Messages tab opens. The prompts are set without a
``thread_ts``: for an agent app a ``thread_ts`` makes the call fail silently (Slack's reference of
``assistant.threads.setSuggestedPrompts``); apps on the legacy assistant experience get theirs when a
thread starts (``listeners.assistant.thread_started``).
"""

from __future__ import annotations

import json
import logging

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.service.home import home, suggested_prompts
from bot.slack.blocks import section
from bot.slack.delivery import REFUSED_BLOCKS
from bot.slack.home import home_view
from bot.slack.identity import SETUP_HELP, viewer_for

logger = logging.getLogger(__name__)

PROMPTS_TITLE = "Try asking"
HOME_FALLBACK = "Your deals could not be shown here just now. Ask me in a DM: “Which of my deals need attention?”"


def app_home_opened(event: dict, context: BoltContext, client: WebClient) -> None:
    if event.get("tab") == "messages":
        _messages_tab(event, context, client)
    elif event.get("tab") == "home":
        _home_tab(event, context, client)


def _messages_tab(event: dict, context: BoltContext, client: WebClient) -> None:
    services = context["services"]
    viewer = viewer_for(services.runtime, client, event["user"])
    if viewer is None:
        return  # their first message gets the setup help; an open tab is no reason to speak
    prompts = [{"title": p, "message": p} for p in suggested_prompts(services.coach, viewer)]
    try:
        client.assistant_threads_setSuggestedPrompts(channel_id=event["channel"], prompts=prompts, title=PROMPTS_TITLE)
    except SlackApiError as error:  # prompts are a nicety: the tab works without them
        logger.warning("no suggested prompts in %s: %s", event["channel"], error.response.get("error"))


def _home_tab(event: dict, context: BoltContext, client: WebClient) -> None:
    services, user = context["services"], event["user"]
    viewer = viewer_for(services.runtime, client, user)
    if viewer is None:
        view = {"type": "home", "blocks": [section(SETUP_HELP)]}
    else:
        view = home_view(home(services.runtime, viewer))
    try:
        client.views_publish(user_id=user, view=view)
    except SlackApiError as error:
        if error.response.get("error") not in REFUSED_BLOCKS:
            raise
        logger.error("Slack refused the Home view (%s), a plain one is shown; blocks: %s",
                     error.response.get("errors") or error.response.get("error"),
                     json.dumps(view.get("blocks"), ensure_ascii=False))
        client.views_publish(user_id=user, view={"type": "home", "blocks": [section(HOME_FALLBACK)]})
