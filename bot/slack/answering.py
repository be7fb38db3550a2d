"""Answering a question in a conversation: ask the coach, then stream or post the answer.

Where deal details may be shown (a DM, an assistant thread, the team's own
channel) an LLM-worded answer streams in as it is generated; elsewhere the
answer is posted whole, and anything about deals goes to the asker alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.coach.types import CoachAnswer
from bot.errors import StagecoachError
from bot.slack.blocks import Message, answer_messages, text_messages
from bot.slack.charts import post_charts
from bot.slack.services import Services
from bot.slack.streaming import AnswerStream
from storage.access import Viewer

logger = logging.getLogger(__name__)

SORRY = "Sorry — I couldn't answer that just now. Please try again in a minute."
# About the process only. Help, clarifying and off-topic answers name the asker's own deals as examples.
PUBLIC_INTENTS = frozenset({"methodology", "stage_guide", "nothing_pending"})


@dataclass(frozen=True)
class Place:
    """Where a question was asked and where its answer goes."""

    channel: str
    user_id: str
    team_id: str | None
    thread_ts: str | None  # the thread to answer in; None answers at the top level (DMs)
    question_ts: str  # the asker's message, which a streamed answer replies to
    conversation_key: str
    open_to_deals: bool  # deal details may be shown here (DM, assistant thread, the team's channel)


def is_private(answer: CoachAnswer) -> bool:
    """True when the answer shows anything from a deal or a pipeline."""
    return bool(answer.deal or answer.plan or answer.choices) or answer.intent not in PUBLIC_INTENTS


def answer_in_conversation(services: Services, client: WebClient, viewer: Viewer, question: str, place: Place,
                           *, before: Callable[[], None] | None = None) -> CoachAnswer | None:
    """Answer ``question`` at ``place``; ``before`` runs first (e.g. an assistant "thinking" status)."""
    if before is not None:
        before()
    stream = None
    if place.open_to_deals:
        stream = AnswerStream(client, channel=place.channel, thread_ts=place.thread_ts or place.question_ts,
                              team_id=place.team_id, user_id=place.user_id)
    try:
        answer = services.ask(viewer, question, conversation_key=place.conversation_key,
                              on_delta=stream.append if stream else None)
    except StagecoachError as error:
        post(client, place, text_messages(str(error)), private=not place.open_to_deals)
        return None
    except Exception:  # a bug or an outage: say so rather than leave the person waiting
        logger.exception("answering %s in %s failed", place.user_id, place.channel)
        post(client, place, text_messages(SORRY), private=not place.open_to_deals)
        return None
    private = not place.open_to_deals and is_private(answer)
    messages = answer_messages(answer, question=question, private=private, thread_ts=place.thread_ts)
    thread_ts = place.thread_ts or (place.question_ts if stream and stream.started else None)
    if stream is None or not stream.finish(answer, question=question, whole=messages):
        post(client, place, messages, private=private, thread_ts=thread_ts)
    post_charts(client, answer, channel=place.channel, thread_ts=thread_ts,
                private_to=place.user_id if private else None)
    return answer


def post(client: WebClient, place: Place, messages: list[Message], *, private: bool,
         thread_ts: str | None = None) -> None:
    """Post ``messages`` in order: to the asker alone when ``private``; links never unfurl."""
    thread = thread_ts or place.thread_ts
    for message in messages:
        if private:
            client.chat_postEphemeral(channel=place.channel, user=place.user_id, thread_ts=thread, **message.as_kwargs())
        else:
            client.chat_postMessage(channel=place.channel, thread_ts=thread, unfurl_links=False, unfurl_media=False,
                                    **message.as_kwargs())
