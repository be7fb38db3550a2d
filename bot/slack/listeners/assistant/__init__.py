"""Slack's AI app surface: assistant threads in the agent view (Bolt's ``Assistant``)."""

from __future__ import annotations

from slack_bolt import App, Assistant

from bot.slack.listeners.assistant.thread_started import thread_started
from bot.slack.listeners.assistant.user_message import user_message


def ignore_context_change() -> None:
    """Acknowledged automatically; deliberately does nothing."""


def register(app: App) -> None:
    assistant = Assistant()
    assistant.thread_started(thread_started)
    assistant.user_message(user_message)
    # We never read the channel the person is viewing, so there is nothing to save (Bolt's default
    # would look the thread up and rewrite the greeting's metadata on every switch).
    assistant.thread_context_changed(ignore_context_change)
    app.assistant(assistant)
