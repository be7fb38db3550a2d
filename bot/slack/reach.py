"""Reaching Slack at start-up: an unreachable or refusing endpoint is a clear one-line error, not a traceback."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar
from urllib.error import URLError

from slack_bolt import App
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.core.errors import ConfigError

T = TypeVar("T")
_UNREACHABLE = (SlackClientError, URLError, OSError)


def reaching_slack(api_url: str, what: Callable[[], T]) -> T:
    """``what()``, with a failure to reach Slack at ``api_url`` (or Slack refusing the token) told plainly.

    Raises:
        ConfigError: Slack could not be reached, or refused the token.
    """
    try:
        return what()
    except SlackApiError as error:
        raise ConfigError(f"Slack refused the token ({error.response.get('error')}): check SLACK_BOT_TOKEN "
                          "and SLACK_APP_TOKEN.") from None
    except _UNREACHABLE as error:
        reason = getattr(error, "reason", None) or error
        raise ConfigError(f"Cannot reach Slack at {api_url} ({reason}): check SLACK_API_URL and the network, "
                          "then start again.") from None


def run_socket_mode(app: App, app_token: str, api_url: str, on_connected: Callable[[], None]) -> None:
    """Connect to Slack in Socket Mode (a clear error when that fails), call ``on_connected``, then serve forever."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = reaching_slack(api_url, lambda: SocketModeHandler(app, app_token))
    reaching_slack(api_url, handler.connect)
    on_connected()
    threading.Event().wait()
