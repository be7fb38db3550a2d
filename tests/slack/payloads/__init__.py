"""Slack request bodies shaped like Slack's documented examples (``authorizations``, ``event_context``,
rich_text blocks, ``edited``, subtypes), with ``$NAME`` placeholders filled per test.

``load("app_mention", USER=..., TEXT=...)`` gives the body; ``send(sender, body)`` signs and posts it as
Slack does. Each body gets a fresh ``event_id`` unless ``EVENT_ID`` is given; an empty ``THREAD_TS``
leaves ``thread_ts`` out (a top-level message).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from string import Template

from tests.utils.slack_emulator import TEAM_ID, Reply, SlackSender

HERE = Path(__file__).parent
_ids = itertools.count(1)


def load(name: str, **values: str) -> dict:
    """The payload ``name``.json with its placeholders filled (JSON-escaped, so any text fits)."""
    defaults = {"TEAM": TEAM_ID, "EVENT_ID": f"Ev0PAYLOAD{next(_ids):04d}", "THREAD_TS": "", "TS": "1700003000.000100",
                "EDITED_TS": "1700003060.000200", "CLIENT_MSG_ID": f"c0ffee00-0000-4000-8000-{next(_ids):012d}",
                "CHANNEL_TYPE": "channel", "OLD_TEXT": "", "ROOT_TEXT": "", "TEXT": ""}
    filled = {k: json.dumps(str(v), ensure_ascii=False)[1:-1] for k, v in {**defaults, **values}.items()}
    body = json.loads(Template((HERE / f"{name}.json").read_text()).substitute(filled))
    event = body.get("event") or {}
    if event.get("thread_ts") == "":
        del event["thread_ts"]
    return body


def send(sender: SlackSender, body: dict, **kwargs) -> Reply:
    """Sign and POST ``body`` to the app as Slack's Events API does."""
    return sender.post(json.dumps(body, ensure_ascii=False), "application/json", **kwargs)
