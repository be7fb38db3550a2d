"""Streaming a checked answer into Slack with Bolt's ``say_stream`` (chat.startStream / appendStream / stopStream).

Only checked text is ever streamed. The coach hands back an answer once the claim checker has passed its words
(or the composer has worded its facts), so a draft the checker rejects never reaches a person, even for a
moment; while the coach works the person sees ``set_status`` with loading messages instead. Then the answer
streams in: a multi-part answer (a focus list, a call prep, a scorecard, several answers at once) opens with a
plan whose tasks show each part; several questions at once show theirs live (``LiveStream``), each in progress
then complete as the coach computes it (only the asker's words name a task), an LLM-worded answer streams paragraph by paragraph, and
the stop carries the answer's sources, buttons and feedback (and a scorecard's table block, its title streamed).

Slack streams replies only, so a streamed answer in a DM is a reply to the question (as ``say_stream`` does).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from slack_bolt import SayStream, SetStatus
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.chat_stream import ChatStream

from bot.coach.results import CallPrep, Combined, FocusList, Scorecard, Worded
from bot.coach.rich import doc, line, strong
from bot.coach.types import CoachAnswer, PartProgress
from bot.slack.blocks import markdown, native_table, trailer_blocks
from bot.slack.mrkdwn import BLOCKS_PER_MESSAGE, escape, shorten, split_text
from bot.slack.tables import table_block

logger = logging.getLogger(__name__)

STATUS = "is thinking…"
LOADING_MESSAGES = ["Reading your deals…", "Checking the sales process…", "Checking every figure…"]
BUFFER_CHARS = 256  # text is sent in pieces of about this size: few API calls, the answer still grows visibly
MARKDOWN_TEXT = 12_000  # Slack's limit for one call's markdown_text
TASK_TITLE = 150  # keeps a task's title to one line in the plan
PARTS_TITLE = "Your answers"  # the plan of several questions answered at once
_SLACK_ERRORS = (SlackApiError, SlackRequestError, OSError)


@dataclass(frozen=True)
class Step:
    """One part of a multi-part answer, shown as a task of the plan."""

    title: str
    output: str | None = None


def show_status(set_status: SetStatus | None, place: str) -> bool:
    """"is thinking…" with loading messages while the coach works; False when Slack would not show it."""
    if set_status is None:
        return False
    try:
        set_status(status=STATUS, loading_messages=LOADING_MESSAGES)
        return True
    except _SLACK_ERRORS as error:  # a status is a nicety: answer without it
        logger.info("no status in %s: %s", place, error)
        return False


def clear_status(set_status: SetStatus | None) -> None:
    """An empty status clears it (an answer posted elsewhere than the status's thread does not)."""
    try:
        if set_status is not None:
            set_status(status="")
    except _SLACK_ERRORS as error:
        logger.info("the status was not cleared: %s", error)


class LiveStream:
    """A stream opened while the coach works, as it reports the parts of a multi-part answer (its ``progress``
    callback): each part a task, in progress when it starts and complete once computed. Only the asker's own
    words for a part name its task; the answer's checked text follows once the coach is done (``stream_answer``),
    or ``close`` stops the plan as it stands when the answer is posted whole instead."""

    def __init__(self, say_stream: SayStream):
        self._say_stream = say_stream
        self.stream: ChatStream | None = None
        self.broken = False  # Slack refused a call: nothing more goes into this stream

    def progress(self, part: PartProgress) -> None:
        if self.broken:
            return
        try:
            if self.stream is None:
                self.stream = self._say_stream(buffer_size=BUFFER_CHARS, task_display_mode="plan")
                self.stream.append(chunks=[{"type": "plan_update", "title": PARTS_TITLE}])
            self.stream.append(chunks=[{"type": "task_update", "id": f"part{part.number}",
                                        "title": escape(shorten(part.title, TASK_TITLE)),
                                        "status": "complete" if part.done else "in_progress"}])
        except _SLACK_ERRORS as error:  # the plan is a nicety: the answer is posted whole
            logger.info("the plan could not be streamed: %s", error)
            self.broken = True

    @property
    def open(self) -> bool:
        return self.stream is not None and not self.broken

    def close(self) -> None:
        """Stop the stream as it stands (the answer goes elsewhere, or there is none)."""
        if self.stream is not None and self.stream.ts:
            with contextlib.suppress(*_SLACK_ERRORS):  # stopped or expired already
                self.stream.stop()


def plan(answer: CoachAnswer) -> tuple[str, list[Step]] | None:
    """The plan of a multi-part answer: its title and one step per part; None for a single-part answer."""
    result = answer.result.base if isinstance(answer.result, Worded) else answer.result
    if isinstance(result, FocusList) and result.rows:
        return "Your focus", [Step(f"{row.name}", row.first_move) for row in result.rows]
    if isinstance(result, CallPrep):
        steps = [Step("Where the buyer stands", result.buyer_state)] if result.buyer_state else []
        steps += [Step("What the buyer confirmed", "; ".join(result.confirmed) or None),
                  Step("Questions for the call", f"{len(result.questions)} questions")]
        if result.open_followups:
            steps.append(Step("Open follow-ups", f"{len(result.open_followups)} open"))
        return "Call prep", steps
    if isinstance(result, Scorecard) and result.cards:
        return "Scorecards", [Step(f"{card.name}: {card.period.label}") for card in result.cards]
    if isinstance(result, Combined):
        return PARTS_TITLE, [Step(_first_line(part.doc().plain())) for part in result.parts]
    return None


def streams(answer: CoachAnswer) -> bool:
    """Worth streaming: the model's (checked) words, or a multi-part answer's plan; tables are posted whole."""
    return (answer.worded_by_llm or plan(answer) is not None) and not answer.result.tables()


def stream_answer(say_stream: SayStream, answer: CoachAnswer, *, ref: str, live: LiveStream | None = None
                  ) -> str | None:
    """Stream ``answer`` (already checked) as a reply, into ``live`` when it showed the answer's parts as they
    were computed; the streamed message's ts, or None when the caller must post the answer whole. A stream that
    breaks after starting is stopped as it stands and the answer is posted whole after it, so nothing the person
    was promised is lost."""
    trailer = trailer_blocks(answer, ref=ref, private=False)
    listed = native_table(answer.result)  # a scorecard's figures: its title streams, the table block ends it
    if listed is not None:
        text, trailer = markdown(doc(line(strong(listed.title)))), [table_block(listed), *trailer]
    else:
        text = markdown(answer.result.doc())
    if len(trailer) > BLOCKS_PER_MESSAGE:
        return None
    stream = live.stream if live is not None and live.open else None
    steps = plan(answer) if stream is None else None  # a live plan already shows the parts
    try:
        if stream is None:
            stream = say_stream(buffer_size=BUFFER_CHARS, task_display_mode="plan" if steps else None)
        if steps:
            title, parts = steps
            stream.append(chunks=[{"type": "plan_update", "title": title}])
            for i, step in enumerate(parts):
                task = {"type": "task_update", "id": f"step{i + 1}", "title": shorten(step.title, TASK_TITLE),
                        "status": "complete"}
                if step.output:
                    task["output"] = escape(shorten(step.output, MARKDOWN_TEXT // 10))
                stream.append(chunks=[task])
        for piece in pieces(text):
            stream.append(markdown_text=piece)
        stream.stop(blocks=trailer or None)
        return stream.ts
    except _SLACK_ERRORS as error:
        logger.warning("streaming the answer failed, it is posted whole: %s", error)
        if stream is not None and stream.ts:
            with contextlib.suppress(*_SLACK_ERRORS):  # stopped or expired already
                stream.stop()
        return None


def pieces(text: str) -> list[str]:
    """``text`` in the pieces it is appended in: paragraph by paragraph (the buffer joins short ones), a paragraph
    longer than one call's limit cut at spaces; joined again they are ``text`` with its blank lines."""
    paragraphs = text.strip().split("\n\n")
    out = []
    for i, paragraph in enumerate(paragraphs):
        end = "\n\n" if i < len(paragraphs) - 1 else ""
        cut = split_text(paragraph, MARKDOWN_TEXT - BUFFER_CHARS) if len(paragraph) > MARKDOWN_TEXT - BUFFER_CHARS \
            else [paragraph]
        out += [c + " " for c in cut[:-1]] + [cut[-1] + end]
    return [p for p in out if p]


def _first_line(text: str) -> str:
    line = next((x.strip() for x in text.splitlines() if x.strip()), "Answer")
    return line.strip("*_ ") or "Answer"
