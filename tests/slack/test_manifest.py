"""The manifest declares what the app handles: its commands answer, every URL is the app's endpoint."""

from pathlib import Path

import yaml

from bot.slack.server import EVENTS_PATH

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "slack" / "manifest.yml").read_text())


def test_every_declared_command_is_answered_and_an_undeclared_one_is_not(slack):
    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert commands == ["/coach", "/pipeline"]
    for n, command in enumerate(commands, 1):
        assert slack.sender.command(command, "status", user_id=slack.floor.manager.slack_user_id).status == 200
        slack.emulator.wait_for("response_url", n)
    assert slack.sender.command("/undeclared", "hi", user_id=slack.floor.manager.slack_user_id).status == 404


def test_every_url_is_the_events_endpoint_and_the_listened_events_are_subscribed():
    urls = [c["url"] for c in MANIFEST["features"]["slash_commands"]]
    urls += [MANIFEST["settings"]["event_subscriptions"]["request_url"], MANIFEST["settings"]["interactivity"]["request_url"]]
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "message.im", "message.channels", "app_home_opened", "assistant_thread_started"} <= events
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert {"chat:write", "commands", "assistant:write", "users:read.email", "im:history"} <= set(
        MANIFEST["oauth_config"]["scopes"]["bot"])
