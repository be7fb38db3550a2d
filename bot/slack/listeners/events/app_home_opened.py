"""App Home: publish the person's deals (and a manager's team summary) whenever they open the tab."""

from __future__ import annotations

import json
import logging

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.service.home import home
from bot.slack.blocks import section
from bot.slack.delivery import REFUSED_BLOCKS
from bot.slack.home import home_view
from bot.slack.identity import SETUP_HELP, viewer_for

logger = logging.getLogger(__name__)

HOME_FALLBACK = "Your deals could not be shown here just now. Ask me in a DM: “Which of my deals need attention?”"


def app_home_opened(event: dict, context: BoltContext, client: WebClient) -> None:
    if event.get("tab") != "home":
        return  # the Messages tab belongs to the assistant
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
