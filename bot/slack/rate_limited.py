"""``app_rate_limited``: Slack saying it dropped events for the past minute. It needs a 200 (Slack may turn
off subscriptions that fail) and a log line, so the operator learns some questions went unanswered."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltResponse

logger = logging.getLogger(__name__)


def acknowledge_rate_limit(body: dict, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002 (Bolt's name)
    """A Bolt global middleware: answer ``app_rate_limited`` with 200 and log it; pass everything else on."""
    if body.get("type") != "app_rate_limited":
        return next()
    logger.warning("Slack rate-limited events to this app (team %s, minute %s): some messages were not delivered",
                   body.get("team_id"), body.get("minute_rate_limited"))
    return BoltResponse(status=200, body="")
