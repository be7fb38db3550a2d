"""Streaming an LLM answer into Slack as it is generated (chat.startStream / appendStream / stopStream).

Deltas are escaped piece by piece (escaping is per character, so pieces split
anywhere stay correct). The coach may still replace a streamed draft — a retry
or the composer's fallback when the draft left its facts — so ``finish``
compares and, when they differ, overwrites the streamed message with the final
answer.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.coach.types import CoachAnswer
from bot.slack.blocks import Message, trailer_blocks
from bot.slack.delivery import send
from bot.slack.mrkdwn import escape

logger = logging.getLogger(__name__)

BUFFER_CHARS = 120  # about half a second of model output: first words show fast, few API calls
_SLACK_ERRORS = (SlackApiError, SlackRequestError, OSError)


class AnswerStream:
    """One streamed reply; starts lazily on the first delta, so composer answers never open a stream."""

    def __init__(self, client: WebClient, *, channel: str, thread_ts: str, team_id: str | None, user_id: str):
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self._args = {"recipient_team_id": team_id, "recipient_user_id": user_id}
        self._stream = None
        self._pieces: list[str] = []
        self.failed = False

    @property
    def started(self) -> bool:
        return self._stream is not None and self._stream.ts is not None

    def append(self, piece: str) -> None:
        """The coach's ``on_delta``: never raises, since a Slack hiccup must not cost the answer."""
        self._pieces.append(piece)
        if self.failed:
            return
        try:
            if self._stream is None:
                self._stream = self.client.chat_stream(channel=self.channel, thread_ts=self.thread_ts,
                                                       buffer_size=BUFFER_CHARS, **self._args)
            self._stream.append(markdown_text=escape(piece))
        except _SLACK_ERRORS as error:
            logger.warning("streaming to %s failed, the answer will be posted whole: %s", self.channel, error)
            self.failed = True

    def finish(self, answer: CoachAnswer, *, ref: str, whole: list[Message]) -> bool:
        """Complete the streamed message; False when nothing was streamed and the caller must post ``whole``."""
        if self._stream is None or self.failed and not self.started:
            return False
        streamed = "".join(self._pieces).strip()
        trailer = trailer_blocks(answer, ref=ref, private=False)
        try:
            if not self.failed and streamed == answer.text.strip():
                self._stream.stop(blocks=trailer)
                return True
            if not self.started:  # only buffered so far: drop the draft, post the final answer whole
                return False
            if not self.failed:
                self._stream.stop()
            # The draft differs from the final answer: overwrite it in place.
            first, rest = whole[0], whole[1:]
            send(self.client.chat_update, channel=self.channel, ts=self._stream.ts, **first.as_kwargs())
            for message in rest:
                send(self.client.chat_postMessage, channel=self.channel, thread_ts=self.thread_ts, unfurl_links=False,
                     unfurl_media=False, **message.as_kwargs())
            return True
        except _SLACK_ERRORS as error:
            logger.warning("finishing the stream in %s failed, posting the answer whole: %s", self.channel, error)
            return False
