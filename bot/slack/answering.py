"""Answering a question in a conversation: a status while the coach works, then the answer streamed or posted.

The status ("is thinking…" with loading messages, Bolt's ``set_status``) shows while the coach works. Its
answer is checked before anything is shown; then an LLM-worded or multi-part answer that may be shown to all
streams in as a reply (Bolt's ``say_stream``: in the thread, or under the question in a DM), and any other
answer is posted whole. Outside the places where deal details may be shown, anything about deals goes to the
asker alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import SayStream, SetStatus
from slack_sdk import WebClient

from bot.coach.intents import all_intents
from bot.coach.types import CoachAnswer
from bot.core.errors import StagecoachError
from bot.service.asked import remember
from bot.slack.blocks import Message, answer_messages, context, text_messages
from bot.slack.charts import post_charts
from bot.slack.delivery import send
from bot.slack.mrkdwn import BLOCKS_PER_MESSAGE
from bot.slack.places import FILE_ONLY, FILES_NOT_READ
from bot.slack.services import Services
from bot.slack.streaming import LiveStream, clear_status, show_status, stream_answer, streams
from storage.access import Viewer

logger = logging.getLogger(__name__)

SORRY = "Sorry — I couldn't answer that just now. Please try again in a minute."


@dataclass(frozen=True)
class Place:
    """Where a question was asked and where its answer goes."""

    channel: str
    user_id: str
    thread_ts: str | None  # the thread to answer in; None answers at the top level (DMs)
    conversation_key: str
    open_to_deals: bool  # deal details may be shown here (DM, assistant thread, the team's channel)
    files_ignored: bool = False  # the message came with files, which are not read


def is_private(answer: CoachAnswer) -> bool:
    """True when the answer shows anything from a deal or a pipeline: all but those of intents flagged ``public``
    (about the process only; help, clarifying and off-topic answers name the asker's own deals as examples)."""
    return bool(answer.deal or answer.plan or answer.choices) or not all_intents().shown_publicly(answer.intent)


def answer_in_conversation(services: Services, client: WebClient, viewer: Viewer, question: str, place: Place,
                           *, set_status: SetStatus | None = None,
                           say_stream: SayStream | None = None) -> CoachAnswer | None:
    """Answer ``question`` at ``place``: Bolt's ``set_status`` and ``say_stream`` for this event, when it has them."""
    status_shown = show_status(set_status, place.channel)
    answer, in_status_thread = None, False
    try:
        answer, in_status_thread = _answer(services, client, viewer, question, place, say_stream)
    finally:
        # A reply in the status's thread clears it; an answer anywhere else (a DM's top level, to the asker alone)
        # leaves it spinning for two minutes unless it is cleared.
        if status_shown and not in_status_thread:
            clear_status(set_status)
    return answer


def _answer(services: Services, client: WebClient, viewer: Viewer, question: str, place: Place,
            say_stream: SayStream | None) -> tuple[CoachAnswer | None, bool]:
    """The answer and whether it went, publicly, into the thread of the question (where the status is)."""
    if place.files_ignored and not question.strip():
        post(client, place, text_messages(FILE_ONLY), private=not place.open_to_deals)
        return None, False
    # Where a streamed reply may show deals, the parts of a multi-part answer show live as the coach computes them.
    live = LiveStream(say_stream) if say_stream is not None and place.open_to_deals and not place.files_ignored \
        else None
    try:
        answer = services.ask(viewer, question, conversation_key=place.conversation_key,
                              progress=live.progress if live is not None else None)
    except StagecoachError as error:
        _close(live)
        post(client, place, text_messages(str(error)), private=not place.open_to_deals)
        return None, False
    except Exception:  # a bug or an outage: say so rather than leave the person waiting
        logger.exception("answering %s in %s failed", place.user_id, place.channel)
        _close(live)
        post(client, place, text_messages(SORRY), private=not place.open_to_deals)
        return None, False
    private = not place.open_to_deals and is_private(answer)
    ref = remember(services.runtime, question, place.thread_ts)
    if (say_stream is not None and not private and not place.files_ignored and streams(answer)
            and stream_answer(say_stream, answer, ref=ref, live=live) is not None):
        return answer, True
    _close(live)  # the answer is posted whole: the live plan stops as it stands
    messages = answer_messages(answer, ref=ref, private=private)
    if place.files_ignored and len(messages[-1].blocks) < BLOCKS_PER_MESSAGE:
        messages[-1].blocks.append(context(FILES_NOT_READ))
    elif place.files_ignored:
        messages.append(Message(text=FILES_NOT_READ, blocks=[context(FILES_NOT_READ)]))
    post(client, place, messages, private=private)
    post_charts(client, answer, channel=place.channel, thread_ts=place.thread_ts,
                private_to=place.user_id if private else None)
    return answer, not private and place.thread_ts is not None


def _close(live: LiveStream | None) -> None:
    if live is not None:
        live.close()


def post(client: WebClient, place: Place, messages: list[Message], *, private: bool,
         thread_ts: str | None = None) -> None:
    """Post ``messages`` in order: to the asker alone when ``private``; links never unfurl."""
    thread = thread_ts or place.thread_ts
    for message in messages:
        if private:
            send(client.chat_postEphemeral, channel=place.channel, user=place.user_id, thread_ts=thread,
                 **message.as_kwargs())
        else:
            send(client.chat_postMessage, channel=place.channel, thread_ts=thread, unfurl_links=False,
                 unfurl_media=False, **message.as_kwargs())
