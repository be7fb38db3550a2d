"""👍 / 👎 on an answer (Slack's feedback buttons, or the buttons of answers sent before them): stored per
person and message."""

from __future__ import annotations

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.service.feedback import give_feedback
from bot.slack import ids
from bot.slack.blocks import read_feedback_value
from bot.slack.identity import viewer_for
from bot.slack.interactions import button_value, channel_of, kindly, tell


@kindly
def feedback(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    services, action_id = context["services"], body["actions"][0]["action_id"]
    if action_id == ids.FEEDBACK:  # the clicked button's value: "up|down <intent> <question token>"
        verdict = read_feedback_value(button_value(body))
        if verdict is None:
            tell(body, respond, client, "That button is out of date.")
            return
        helpful, intent, asked = verdict
    else:
        helpful, intent, asked = action_id == ids.FEEDBACK_UP, None, button_value(body)
    # Feedback is welcome from anyone who can see the answer, known rep or not.
    viewer = viewer_for(services.runtime, client, body["user"]["id"], by_email=False)
    container = body.get("container") or {}
    give_feedback(services.runtime, viewer, asked=asked, channel=channel_of(body) or "", intent=intent,
                  message_ts=container.get("message_ts") or (body.get("message") or {}).get("ts", ""), helpful=helpful)
    tell(body, respond, client, "Thanks — noted. 🙏" if helpful else "Thanks — noted; I'll pass it on so I get better.")
