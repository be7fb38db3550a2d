"""Sending a message Slack may refuse: when it rejects the blocks, the person still gets the text.

The builders keep every block within Slack's limits, so a refusal is a bug; it is logged
with the blocks (to fix the builder) and the message goes again as plain text, so the
person is never left with silence.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

from bot.core.errors import InvalidInput

logger = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3
MAX_RETRY_AFTER = 30.0  # seconds; a response_url lives 30 minutes, a person waits less

# Slack's answers that mean "these blocks, not this message, are the problem".
REFUSED_BLOCKS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long", "invalid_attachments"})


def send(call: Callable, **kwargs):
    """``call(**kwargs)`` (a ``WebClient`` chat method); on refused blocks, log them and send the text alone."""
    try:
        return call(**kwargs)
    except SlackApiError as error:
        reason = error.response.get("error")
        if reason not in REFUSED_BLOCKS or not kwargs.get("blocks"):
            raise
        _log_refusal(reason, error.response.get("errors"), kwargs)
        return call(**_text_only(kwargs))


def respond_safely(respond: Callable, **kwargs):
    """``respond(**kwargs)`` through a ``response_url``, where Slack answers with HTTP statuses, not exceptions.

    A 429 is sent again after ``Retry-After`` (a few times); refused blocks (400) go again as text alone;
    anything else (an expired ``response_url``) is logged.
    """
    response = respond(**kwargs)
    for _ in range(RATE_LIMIT_RETRIES):
        if getattr(response, "status_code", 200) != 429:
            break
        time.sleep(min(_retry_after(response), MAX_RETRY_AFTER))
        response = respond(**kwargs)
    status = getattr(response, "status_code", 200)
    if status == 200:
        return response
    if status == 400 and kwargs.get("blocks"):
        _log_refusal(getattr(response, "body", status), None, kwargs)
        return respond(**_text_only(kwargs))
    logger.warning("a reply through response_url failed: HTTP %s %s", status, getattr(response, "body", ""))
    return response


def _retry_after(response) -> float:
    headers = {k.lower(): v for k, v in (getattr(response, "headers", None) or {}).items()}
    value = headers.get("retry-after")
    value = value[0] if isinstance(value, list) and value else value
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 1.0


FORM_REFUSED = "That form could not be opened just now — ask me about the deal in a DM and try the button there."


def open_view(client, *, trigger_id: str, view: dict):
    """``views.open``; a refused view is logged with its blocks and told to the clicker (``InvalidInput``).

    Raises:
        InvalidInput: Slack refused the view (``kindly`` turns it into a reply).
    """
    try:
        return client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        reason = error.response.get("error")
        if reason not in REFUSED_BLOCKS:
            raise
        _log_refusal(reason, error.response.get("errors"), view)
        raise InvalidInput(FORM_REFUSED) from None


def _text_only(kwargs: dict) -> dict:
    rest = {k: v for k, v in kwargs.items() if k != "blocks"}
    rest["text"] = rest.get("text") or " "
    return rest


def _log_refusal(reason, details, kwargs: dict) -> None:
    logger.error("Slack refused the blocks (%s%s), sent as text instead; blocks: %s", reason,
                 f": {details}" if details else "", json.dumps(kwargs.get("blocks"), ensure_ascii=False))
