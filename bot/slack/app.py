"""The Bolt app: one ``App`` with every listener, built from a ``Runtime``.

HTTP mode acknowledges before it answers (``process_before_response=False``):
events are acknowledged by Bolt itself, commands and buttons by a listener
middleware in the request thread, and the answers run in the listener pool, so
Slack gets its response in milliseconds however slow the LLM is. A modal
submission, whose acknowledgement carries its answer, runs in its request thread
(``bot.slack.priority``).
"""

from __future__ import annotations

import logging
import threading

from slack_bolt import App
from slack_sdk import WebClient

from bot.core.errors import ConfigError
from bot.core.runtime import Runtime
from bot.slack.client import make_client
from bot.slack.dedup import ClaimGatedExecutor, EventClaims, EventDeduplication
from bot.slack.listeners import register_listeners
from bot.slack.priority import answer_in_ack, listener_pool_size
from bot.slack.rate_limited import acknowledge_rate_limit
from bot.slack.reach import reaching_slack
from bot.slack.services import AttachServices, Services

logger = logging.getLogger(__name__)

LISTENER_THREADS = 32  # answers in flight per process (they wait on the LLM and Slack); fewer on a small database pool


def create_app(runtime: Runtime, coach=None, client: WebClient | None = None, *,
               listener_threads: int = LISTENER_THREADS) -> App:
    """The Slack app on ``runtime``'s settings (``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET``, ``SLACK_API_URL``).

    ``coach`` defaults to ``Coach.from_runtime``, built on the first question (the
    embedding model takes seconds to load); ``client`` to ``make_client``.

    Raises:
        ConfigError: the bot token is missing, or the signing secret in HTTP mode.
    """
    settings = runtime.settings
    if not settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token from the Slack app's "
                          "OAuth & Permissions page.")
    if not settings.slack_signing_secret and not settings.slack_app_token:
        raise ConfigError("SLACK_SIGNING_SECRET is not set: copy it from the Slack app's Basic Information page "
                          "(or set SLACK_APP_TOKEN for Socket Mode).")
    client = client or make_client(settings)
    app = reaching_slack(settings.slack_api_url, lambda: App(  # Bolt checks the token with auth.test here
        token=None if client.token else settings.slack_bot_token,  # Bolt takes the client's token when it has one
        signing_secret=settings.slack_signing_secret or "",
        client=client,
        process_before_response=False,
        listener_executor=ClaimGatedExecutor(max_workers=listener_pool_size(runtime.engine, listener_threads),
                                             thread_name_prefix="slack-listener"),
        logger=logging.getLogger("bot.slack.bolt"),
    ))
    app.use(acknowledge_rate_limit)  # not an event: no listener would take it, and Slack wants its 200
    app.use(answer_in_ack)  # a modal submission's listener runs in its request thread, not behind answers
    # Order matters: claims first, so a retried event reaches no listener (the assistant included).
    app.use(EventDeduplication(EventClaims(runtime)))
    services = Services(runtime, coach=coach)
    app.use(AttachServices(services))
    threading.Thread(target=services.warm_up, name="coach-warm-up", daemon=True).start()
    app.error(_log_error)
    register_listeners(app)
    return app


def _log_error(error: Exception, body: dict) -> None:
    """A bug in a listener: log it with what Slack sent (the person saw nothing or a kind reply)."""
    logger.exception("Slack listener failed on a %s request", body.get("type") or body.get("command"), exc_info=error)
