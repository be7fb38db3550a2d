"""Pipeline charts (status, stage flow) uploaded next to the answer's table.

The PNG comes from ``bot.pipeline.charts.chart_png`` for each pipeline report
behind the answer (``result.reports()``); a chart that fails to render or upload costs nothing but the
picture, since the table already carries every figure.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.coach.types import CoachAnswer

logger = logging.getLogger(__name__)


def post_charts(client: WebClient, answer: CoachAnswer, *, channel: str | None, thread_ts: str | None,
                private_to: str | None = None) -> int:
    """Upload a chart per charted report of ``answer`` to ``channel`` (in ``thread_ts``); returns how many.

    With ``private_to`` (the answer was shown to that person alone) charts go to their DM with the app instead.
    """
    reports = answer.result.reports()
    if not reports:
        return 0
    from bot.pipeline.charts import chart_png  # matplotlib loads on the first chart, not at start-up

    charts = []
    for report in reports:
        try:
            png = chart_png(report)
        except (OSError, ValueError) as error:
            logger.warning("pipeline chart for %s not drawn: %s", report.kind, error)
            continue
        if png:
            charts.append((report, png))
    if charts and private_to:  # open the asker's DM only when there is a chart to put there
        channel, thread_ts = private_chart_channel(client, private_to), None
    if not charts or not channel:
        return 0
    posted = 0
    for report, png in charts:
        try:
            client.files_upload_v2(channel=channel, thread_ts=thread_ts, content=png,
                                   filename=f"{report.kind}.png", title=report.title)
            posted += 1
        except (SlackApiError, SlackRequestError, OSError) as error:
            logger.warning("pipeline chart for %s not posted: %s", report.kind, error)
    return posted


def private_chart_channel(client: WebClient, user_id: str) -> str | None:
    """The asker's DM with the app, where charts of an answer shown to them alone go."""
    try:
        return client.conversations_open(users=user_id)["channel"]["id"]
    except (SlackApiError, SlackRequestError, OSError, KeyError) as error:
        logger.warning("cannot open a DM with %s for a chart: %s", user_id, error)
        return None
