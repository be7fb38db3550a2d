"""Who is asking: a Slack user mapped to a rep, by Slack user id or else by their Slack email."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.errors import StagecoachError
from bot.core.runtime import Runtime
from bot.service.people import identify
from storage.access import Viewer

logger = logging.getLogger(__name__)

SETUP_HELP = (
    "Hi! I don't know you yet, so I can't coach you on any deals. "
    "Ask your Stagecoach admin to add you as a rep with the email address of your Slack profile; "
    "after that, just ask me again."
)


class UnknownPerson(StagecoachError):
    """The Slack user is not a rep Stagecoach knows; the message tells them how to get set up."""

    def __init__(self) -> None:
        super().__init__(SETUP_HELP)


def viewer_for(runtime: Runtime, client: WebClient, slack_user_id: str | None, *,
               by_email: bool = True) -> Viewer | None:
    """The rep behind ``slack_user_id``, or None for someone Stagecoach does not know.

    A rep found by their Slack profile's email is linked to the Slack id, so the next lookup
    needs no ``users.info`` call. ``by_email=False`` skips that call (for chatter the bot
    only overhears, such as thread replies).
    """
    if not slack_user_id:
        return None
    email_of = (lambda: _slack_email(client, slack_user_id)) if by_email else None
    return identify(runtime, slack_user_id, email_of=email_of)


def _slack_email(client: WebClient, slack_user_id: str) -> str | None:
    try:
        response = client.users_info(user=slack_user_id)
    except SlackApiError as error:
        # user_not_found, missing users:read.email...: the person is simply unknown to us.
        logger.warning("users.info for %s failed: %s", slack_user_id, error.response.get("error"))
        return None
    user = response.get("user") or {}
    if user.get("is_bot"):
        return None
    return (user.get("profile") or {}).get("email")
