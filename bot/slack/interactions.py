"""Shared steps of button and modal handlers: who clicked, which deal, and a kind reply."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.core.errors import StagecoachError
from bot.slack.identity import UnknownPerson, viewer_for
from bot.slack.mrkdwn import escape
from bot.slack.services import Services
from storage.access import Viewer

logger = logging.getLogger(__name__)

STALE_BUTTON = "That button is out of date — ask me again for a fresh answer."


def clicker(services: Services, client: WebClient, body: dict) -> Viewer:
    """The rep who clicked or submitted.

    Raises:
        UnknownPerson: Stagecoach does not know them.
    """
    viewer = viewer_for(services.runtime, client, (body.get("user") or {}).get("id"))
    if viewer is None:
        raise UnknownPerson()
    return viewer


def kindly(handler: Callable) -> Callable:
    """Turn a ``StagecoachError`` raised by a button handler into a kind reply to the clicker.

    Anything else is a bug: it goes on to the app's error handler, which logs it.
    Bolt reads the wrapped function's argument names, so handlers must take
    ``body``, ``respond`` and ``client``.
    """

    @wraps(handler)
    def run(**kwargs):
        try:
            return handler(**kwargs)
        except StagecoachError as error:
            tell(kwargs["body"], kwargs["respond"], kwargs["client"], str(error))
            return None

    return run


def tell(body: dict, respond: Respond, client: WebClient, text: str) -> None:
    """A short reply to the person who clicked, seen by them alone; ``text`` is escaped here."""
    text = escape(text)
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    else:  # a button outside a message (App Home): reply in the app's DM
        client.chat_postMessage(channel=body["user"]["id"], text=text)


def button_value(body: dict) -> str:
    return (body.get("actions") or [{}])[0].get("value") or ""


def int_value(body: dict) -> int | None:
    try:
        return int(button_value(body))
    except ValueError:
        return None


def channel_of(body: dict) -> str | None:
    return (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id")
