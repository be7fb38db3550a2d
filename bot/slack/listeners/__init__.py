"""Listeners grouped by Slack surface; ``register_listeners`` wires them all to an app."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import actions, assistant, commands, events, views


def register_listeners(app: App) -> None:
    # The assistant goes first: it is a middleware that claims threaded DM messages before plain listeners.
    assistant.register(app)
    events.register(app)
    commands.register(app)
    actions.register(app)
    views.register(app)
