"""``stagecoach run``: the Slack app, in Socket Mode or HTTP mode, with the daily digest on its clock."""

from __future__ import annotations

import logging

import click

from bot.core.errors import ConfigError
from bot.core.runtime import Runtime
from bot.core.text import plural

logger = logging.getLogger(__name__)


def check_workers(runtime: Runtime, workers: int) -> None:
    """Refuse several workers on the embedded Chroma index, which one process at a time may open.

    Raises:
        ConfigError: ``workers`` > 1 without ``STAGECOACH_CHROMA_URL``, or fewer than one worker.
    """
    if workers < 1:
        raise ConfigError("--workers takes 1 or more.")
    if workers > 1 and not runtime.settings.chroma_url:
        raise ConfigError(
            f"--workers {workers} needs a Chroma server: the embedded index under {runtime.settings.chroma_path} "
            "can be opened by one process only. Run `chroma run --path <dir>` and set STAGECOACH_CHROMA_URL "
            "(e.g. http://127.0.0.1:8000), or use --workers 1.")


def start_digest_clock(runtime: Runtime):
    """The in-process digest scheduler (``bot.digest.schedule``), posting DMs with its own Web API client."""
    from bot.digest.schedule import start_scheduler
    from bot.slack.client import make_client
    from bot.slack.digest import poster

    return start_scheduler(runtime, poster(make_client(runtime.settings)))


def start_crm_sync_clock(runtime: Runtime):
    """The in-process sync of each set-up CRM every STAGECOACH_SYNC_MINUTES (``bot.sync.schedule``)."""
    from bot.sync.schedule import start_sync_clock

    return start_sync_clock(runtime)


def hubspot_routes(settings) -> dict:
    """``POST /hubspot/webhooks`` when HUBSPOT_CLIENT_SECRET is set (HTTP mode only)."""
    if not settings.hubspot_client_secret or not settings.hubspot_access_token:
        return {}
    from bot.sync.service import sync_hubspot_deals
    from bot.sync.webhooks import PATH, WebhookReceiver

    return {PATH: WebhookReceiver(settings, sync_hubspot_deals)}


@click.command("run")
@click.option("--port", default=3000, show_default=True, help="HTTP mode: the port for Slack's requests.")
@click.option("--host", default="0.0.0.0", show_default=True, help="HTTP mode: the address to listen on.")
@click.option("--workers", default=1, show_default=True,
              help="HTTP mode: worker processes (more than one needs STAGECOACH_CHROMA_URL).")
@click.option("--no-digest", is_flag=True, help="Do not send the daily digest from this process (e.g. a CronJob does).")
@click.option("--no-sync", is_flag=True, help="Do not sync the CRMs from this process (e.g. a CronJob runs `sync hubspot`).")
@click.pass_obj
def run(runtime: Runtime, port: int, host: str, workers: int, no_digest: bool, no_sync: bool) -> None:
    """Run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on /slack/events."""
    from bot.slack.app import create_app

    settings = runtime.settings
    logging.getLogger("bot").setLevel(min(logging.getLogger().level, logging.INFO))
    from bot.sync.records import crms_set_up

    syncing = bool(crms_set_up(settings)) and not no_sync
    if settings.slack_app_token:
        app = create_app(runtime)  # validates the tokens before anything starts
        if not no_digest:
            start_digest_clock(runtime)
        if syncing:
            start_crm_sync_clock(runtime)
        from bot.slack.reach import run_socket_mode

        run_socket_mode(app, settings.slack_app_token, settings.slack_api_url, on_connected=lambda: click.echo(
            "Stagecoach is connected to Slack in Socket Mode. Ctrl-C stops it.", err=True))
        return

    from bot.slack.server import listen, serve

    check_workers(runtime, workers)
    if not settings.slack_bot_token or not settings.slack_signing_secret:
        raise ConfigError("HTTP mode needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET "
                          "(or set SLACK_APP_TOKEN for Socket Mode).")
    runtime.engine.dispose()  # migrated once here; each worker opens its own connections after the fork
    sock = listen(host, port)

    def make_app():
        return create_app(runtime.for_worker())

    click.echo(f"Stagecoach listens on http://{host}:{sock.getsockname()[1]}/slack/events "
               f"({plural(workers, 'worker')}). Ctrl-C stops it.", err=True)

    def in_parent() -> None:
        if not no_digest:
            start_digest_clock(runtime)
        if syncing:
            start_crm_sync_clock(runtime)

    serve(make_app, sock, workers=workers, in_parent=in_parent, routes=hubspot_routes(settings))


commands = [run]
