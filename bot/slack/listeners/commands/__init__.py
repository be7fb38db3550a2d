"""Slash commands: ``/coach`` and ``/pipeline``, answered to the asker alone."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.commands.coach import coach_command
from bot.slack.listeners.commands.pipeline import pipeline_command


def register(app: App) -> None:
    app.command("/coach")(coach_command)
    app.command("/pipeline")(pipeline_command)
