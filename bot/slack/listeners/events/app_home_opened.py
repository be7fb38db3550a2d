"""App Home: publish the person's deals (and a manager's team summary) whenever they open the tab."""

from __future__ import annotations

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.slack.blocks import section
from bot.slack.home import home_view
from bot.slack.identity import SETUP_HELP, viewer_for


def app_home_opened(event: dict, context: BoltContext, client: WebClient) -> None:
    if event.get("tab") != "home":
        return  # the Messages tab belongs to the assistant
    services, user = context["services"], event["user"]
    viewer = viewer_for(services.runtime, client, user)
    if viewer is None:
        view = {"type": "home", "blocks": [section(SETUP_HELP)]}
    else:
        view = home_view(services.runtime, viewer, services.runtime.now())
    client.views_publish(user_id=user, view=view)
