"""Block Kit for coach answers: the Slack renderer of a typed result, its sources, deal buttons, feedback, sharing.

Builders only: no Slack calls, no database. An answer's words (``bot.coach.rich.Doc``) become mrkdwn
here: strong spans in ``*bold*``, status marks as emoji. Every piece of text that comes from deals,
documents or the LLM goes through ``escape``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.coach.results import NotFound, Refusal, Result, Table
from bot.coach.rich import Doc, Mark, Span, render
from bot.coach.types import CoachAnswer, Proposal
from bot.core.plan import DealPlan
from bot.slack import ids
from bot.slack.mrkdwn import BLOCKS_PER_MESSAGE, FALLBACK_LIMIT, SECTION_LIMIT, escape, fit, plain, shorten, split_text
from bot.slack.tables import table_block, table_blocks

BUTTON_TEXT = 75  # Slack's limit for a button label
CONFIRM_TEXT = 300  # Slack's limit for a confirm dialog's text
VALUE_LIMIT = 2000  # Slack's limit for a button value
MAX_FOLLOWUP_BUTTONS = 3
MAX_CHOICE_BUTTONS = 5
MAX_SOURCES = 6
MARKDOWN_LIMIT = 12_000  # Slack's limit for the text of all markdown blocks in one message
PROPOSAL_BLOCK = "proposal"
MARKS = {Mark.OVERDUE: "⚠️", Mark.DUE_TODAY: "📅", Mark.READY: "✅", Mark.HEADS_UP: "🧭", Mark.TIP: "💡",
         Mark.CELEBRATE: "🎉"}


@dataclass
class Message:
    """One Slack message: the plain-text fallback and its blocks."""

    text: str
    blocks: list[dict] = field(default_factory=list)

    def as_kwargs(self) -> dict:
        return {"text": self.text, "blocks": self.blocks}


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def button(label: str, action_id: str, value: str, style: str | None = None, confirm: dict | None = None) -> dict:
    element = {"type": "button", "text": {"type": "plain_text", "text": shorten(label, BUTTON_TEXT), "emoji": True},
               "action_id": action_id, "value": value.encode()[:VALUE_LIMIT].decode(errors="ignore")}
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def text_messages(text: str) -> list[Message]:
    """Escaped ``text`` as section blocks, as many messages as the block limit needs."""
    sections = [section(piece) for piece in split_text(escape(text))]
    return _pack(sections, escape(text)) or [Message(text=" ")]


def mrkdwn(document: Doc) -> str:
    """An answer's words in Slack's mrkdwn: every span escaped, strong ones in ``*bold*``, marks as emoji."""
    return render(document, _span, _marked)


def markdown(document: Doc) -> str:
    """An answer's words in standard markdown (the markdown block, streamed text): every span escaped, link
    brackets too, so deal text makes no link; strong spans in ``**bold**``, marks as emoji."""
    return render(document, _markdown_span, _marked)


def _markdown_span(span: Span) -> str:
    text = escape(span.text).replace("[", "\\[").replace("]", "\\]")
    return f"**{text}**" if span.strong and text.strip() else text


def _span(span: Span) -> str:
    text = escape(span.text)
    return f"*{text}*" if span.strong and text.strip() else text


def _marked(mark: Mark, text: str) -> str:
    return f"{text} {MARKS[mark]}" if mark.trails else f"{MARKS[mark]} {text}"


def answer_messages(answer: CoachAnswer, *, ref: str, private: bool, interactive: bool = True) -> list[Message]:
    """An answer as one or more messages; buttons and sources go on the last one.

    ``ref`` is the token of the stored question (``storage.asked``) that Share and feedback carry;
    ``private`` adds "Share in channel" (the answer was shown to the asker alone) unless the answer
    is a refusal; ``interactive`` False leaves out buttons (a shared copy in a channel).
    """
    listed = native_table(answer.result)
    if listed is not None:  # a deal list or scorecard as a table block in place of its words
        body = table_blocks([listed])
    else:
        body = body_blocks(answer.result.doc()) + table_blocks(answer.result.tables())
    tail = trailer_blocks(answer, ref=ref, private=private, interactive=interactive)
    return _pack(body + tail, escape(answer.text))


def native_table(result: Result) -> Table | None:
    """The rows of a deal list or scorecard when Slack's table block holds them (at most 100 rows with the
    header, 20 columns); None otherwise, and its words are shown as before."""
    listed = result.table_view()
    return listed if listed is not None and table_block(listed) is not None else None


def body_blocks(document: Doc) -> list[dict]:
    """An answer's words: one section when they fit in one; a longer text (a long plan) one ``markdown`` block
    up to Slack's 12,000 characters for all markdown blocks of a message, sections split at words beyond."""
    text = mrkdwn(document)
    if len(text) > SECTION_LIMIT and len(long := markdown(document)) <= MARKDOWN_LIMIT:
        return [{"type": "markdown", "text": long}]
    return [section(piece) for piece in split_text(text)]


def trailer_blocks(answer: CoachAnswer, *, ref: str, private: bool, interactive: bool = True) -> list[dict]:
    """What follows an answer's text: sources, then Confirm/Cancel for a proposed write, deal buttons, sharing and feedback."""
    blocks: list[dict] = []
    if answer.citations:
        sources = " · ".join(escape(f"{c.source} § {c.section}") for c in answer.citations[:MAX_SOURCES])
        blocks.append(context(f"Sources: {sources}"))
    if answer.freshness:
        blocks.append(context(f"_{escape(answer.freshness)}_"))
    if not interactive:
        return blocks
    if answer.proposal is not None:
        blocks.append(proposal_block(answer.proposal))
    if answer.plan is not None:
        blocks += deal_action_blocks(answer.plan)
    if answer.choices:
        blocks.append({"type": "actions", "block_id": "deal_choices", "elements": [
            button(f"{d.name} ({d.stage_key})", ids.numbered(ids.ASK_ABOUT_DEAL, i), d.external_id)
            for i, d in enumerate(answer.choices[:MAX_CHOICE_BUTTONS])]})
    blocks += feedback_blocks(ref, answer.intent, private=private and not is_refusal(answer))
    return blocks


def deal_action_blocks(plan: DealPlan) -> list[dict]:
    """Buttons that change the deal: each carries only the deal (or follow-up) id; the handler re-checks access."""
    deal_id = str(plan.deal.id)
    row = []
    if plan.unmet:
        row.append(button("✅ Criterion met", ids.MARK_CRITERION, deal_id))
    row.append(button("📝 Log activity", ids.LOG_ACTIVITY, deal_id))
    row.append(button("📅 Set follow-up", ids.SET_FOLLOWUP, deal_id))
    if plan.next_stage_name:
        label = f"➡️ Advance to {plan.next_stage_name}"
        if plan.ready_to_advance:
            confirm = {"title": {"type": "plain_text", "text": "Advance the deal?"},
                       "text": {"type": "mrkdwn", "text": fit(f"Move {plan.deal.name} to {plan.next_stage_name}?",
                                                              CONFIRM_TEXT)},
                       "confirm": {"type": "plain_text", "text": "Advance"},
                       "deny": {"type": "plain_text", "text": "Not yet"}}
            row.append(button(label, ids.ADVANCE_STAGE, deal_id, style="primary", confirm=confirm))
        else:
            row.append(button(label, ids.ADVANCE_STAGE, deal_id))
    blocks = [{"type": "actions", "block_id": "deal_actions", "elements": row}]
    followups = (plan.overdue_followups + plan.due_today_followups)[:MAX_FOLLOWUP_BUTTONS]
    if followups:
        blocks.append({"type": "actions", "block_id": "deal_followups", "elements": [
            button(f"☑️ Done: {f.note or 'follow-up'}", ids.numbered(ids.COMPLETE_FOLLOWUP, i), str(f.id))
            for i, f in enumerate(followups)]})
    return blocks


def proposal_block(proposal: Proposal) -> dict:
    """Confirm and Cancel for a write waiting for the asker's word.

    The value is the token alone (32 characters): the handler finds the proposal in the clicker's own
    conversations, so a button pressed by anyone else finds nothing to confirm.
    """
    return {"type": "actions", "block_id": PROPOSAL_BLOCK, "elements": [
        button("✅ Confirm", ids.CONFIRM_PROPOSAL, proposal.token, style="primary"),
        button("Cancel", ids.CANCEL_PROPOSAL, proposal.token)]}


def is_refusal(answer: CoachAnswer) -> bool:
    """Not found or not allowed: nothing worth sharing."""
    return isinstance(answer.result, Refusal | NotFound)


def feedback_blocks(ref: str, intent: str, *, private: bool) -> list[dict]:
    """"Share in channel" when ``private``, then Slack's 👍/👎 feedback buttons; each carries ``ref``, the
    stored question's token, and the feedback buttons the ``intent`` that answered (for the admin's list)."""
    blocks = []
    if private:
        blocks.append({"type": "actions", "block_id": "answer_feedback",
                       "elements": [button("📣 Share in channel", ids.SHARE_ANSWER, ref)]})
    blocks.append({"type": "context_actions", "block_id": "answer_rating", "elements": [{
        "type": "feedback_buttons", "action_id": ids.FEEDBACK,
        "positive_button": {"text": {"type": "plain_text", "text": "👍"}, "accessibility_label": "Helpful",
                            "value": feedback_value(helpful=True, intent=intent, ref=ref)},
        "negative_button": {"text": {"type": "plain_text", "text": "👎"}, "accessibility_label": "Not helpful",
                            "value": feedback_value(helpful=False, intent=intent, ref=ref)}}]})
    return blocks


INTENT_NAME = re.compile(r"[a-z0-9_]{1,32}")  # what an intent's name looks like (and what storage keeps)


def feedback_value(*, helpful: bool, intent: str, ref: str) -> str:
    """A feedback button's value: the verdict, the intent and the question's token, space-separated."""
    return f"{'up' if helpful else 'down'} {intent if INTENT_NAME.fullmatch(intent) else 'other'} {ref}"


def read_feedback_value(value: str) -> tuple[bool, str, str] | None:
    """``(helpful, intent, ref)`` of a feedback button's value, or None when it is not one of ours."""
    parts = value.split(" ", 2)
    if len(parts) != 3 or parts[0] not in ("up", "down") or not INTENT_NAME.fullmatch(parts[1]):
        return None
    return parts[0] == "up", parts[1], parts[2]


def _pack(blocks: list[dict], fallback: str) -> list[Message]:
    """Group blocks into messages of at most 50 blocks and one table (Slack's limits; a table's title stays with
    it); each message's fallback is its own text."""
    chunks: list[list[dict]] = [[]]
    for i, block in enumerate(blocks):
        starts_table = block["type"] == "table" or (
            i + 1 < len(blocks) and blocks[i + 1]["type"] == "table" and block["type"] == "section")
        has_table = any(b["type"] == "table" for b in chunks[-1])
        if len(chunks[-1]) >= BLOCKS_PER_MESSAGE or (starts_table and has_table):
            chunks.append([])
        chunks[-1].append(block)
    messages = []
    for chunk in filter(None, chunks):
        texts = [b["text"]["text"] if b["type"] == "section" else b["text"] for b in chunk
                 if b["type"] in ("section", "markdown")]
        text = plain(shorten("\n".join(texts), FALLBACK_LIMIT)) if texts else plain(shorten(fallback, FALLBACK_LIMIT))
        messages.append(Message(text=text or " ", blocks=chunk))
    return messages
