"""Slash commands: ``/coach`` and ``/pipeline``, answered to the asker alone."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.acknowledge import AT_ONCE
from bot.slack.listeners.commands.coach import coach_command
from bot.slack.listeners.commands.pipeline import pipeline_command


def register(app: App) -> None:
    app.command("/coach", middleware=AT_ONCE)(coach_command)
    app.command("/pipeline", middleware=AT_ONCE)(pipeline_command)
