"""The app's Web API client: configured base URL, bot token, and retries Slack asks for."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.core.config import Settings

RATE_LIMIT_RETRIES = 3  # each waits the Retry-After Slack sends
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2
TIMEOUT_SECONDS = 30


def make_client(settings: Settings) -> WebClient:
    """A ``WebClient`` on ``SLACK_API_URL`` with ``SLACK_BOT_TOKEN``.

    429s are retried after ``Retry-After``; 500/503 and dropped connections are
    retried with backoff, so a brief Slack hiccup never loses an answer.
    """
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    return WebClient(
        token=settings.slack_bot_token,
        base_url=base_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        ],
    )
