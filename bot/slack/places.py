"""Small facts about where a Slack message came from, shared by the event listeners."""

from __future__ import annotations

import re

from bot.core.runtime import Runtime
from bot.service.channels import is_team_channel_of
from storage.access import Viewer

_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def is_from_bot(event: dict) -> bool:
    """Messages from any bot — this app included — never get an answer (no bot-to-bot loops)."""
    return bool(event.get("bot_id") or event.get("bot_profile") or event.get("subtype") == "bot_message")


# Message subtypes that are a person saying something new: a message with a file attached, and a
# thread reply also sent to the channel. Every other subtype (edits, deletions, joins) is never answered.
ANSWERED_SUBTYPES = frozenset({"file_share", "thread_broadcast"})
FILES_NOT_READ = "I can't read attached files; this answer comes from the words of your message."
FILE_ONLY = "I can't read attached files — tell me in words what you'd like to know, e.g. “what should I do next on Globex?”"


def is_new_message(event: dict) -> bool:
    """A person's new message (no subtype, or one of ``ANSWERED_SUBTYPES``), never an edit or a deletion."""
    return (not event.get("subtype") or event["subtype"] in ANSWERED_SUBTYPES) and not event.get("edited")


def has_files(event: dict) -> bool:
    return bool(event.get("files")) or event.get("subtype") == "file_share"


def mentions(text: str, user_id: str | None) -> bool:
    return bool(user_id) and any(m == user_id for m in _USER_MENTION.findall(text or ""))


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """The question without the bot's own @mention (other mentions stay: they may be the subject)."""
    if not bot_user_id:
        return (text or "").strip()
    return re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text or "").strip()


def open_to_deals(runtime: Runtime, viewer: Viewer, channel: str, channel_type: str | None = None) -> bool:
    """True in a DM and in the viewer's team channel: deal details may be shown to everyone there."""
    if channel_type == "im" or channel.startswith("D"):
        return True
    return is_team_channel_of(runtime, viewer, channel)
