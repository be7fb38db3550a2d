"""The daily digest in Slack: Block Kit with per-item buttons within Slack's limits, and the poster that DMs it.

The digest engine (``bot.digest``) computes, and records each delivery exactly once;
it hands each digest to the poster made here (``poster``), which renders and sends it.
The builders make no Slack calls and read no database. Every name and note from deals
or CRM imports goes through ``escape``, so a deal called ``<!channel>`` pings nobody.
"""

from __future__ import annotations

import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.text import plural
from bot.digest.actions import COACH_ME, DONE, SNOOZE_DAY, SNOOZE_WEEK, item_actions
from bot.digest.deliver import NotPosted, Posted, Poster
from bot.digest.types import (
    DUE_TODAY,
    OVERDUE,
    PAST_CLOSE,
    STUCK,
    Digest,
    DigestItem,
    ManagerDigest,
    RepDigest,
    WeeklySummary,
)
from bot.slack.blocks import Message, button, context, section
from bot.slack.delivery import send
from bot.slack.mrkdwn import BLOCKS_PER_MESSAGE, escape, plain, shorten, split_text
from storage.timeutil import zone

RATE_LIMIT_ROUNDS = 5  # 429s the client gave up on, waited out again before the DM counts as failed
MAX_RETRY_AFTER = 60.0  # seconds; a longer Retry-After is capped so one DM cannot stall the run for long

# Each button's label and style, by the engine's action id.
_BUTTONS = {DONE: ("✅ Done", "primary"), SNOOZE_DAY: ("💤 Snooze 1 day", None),
            SNOOZE_WEEK: ("💤 Snooze 1 week", None), COACH_ME: ("🧭 Coach me", None)}
ITEM_BLOCK_PREFIX = "digest_item_"

# Each item takes two blocks (text, buttons); with a heading per section, an "and more" line per
# section, the greeting and the freshness line, 20 items keep a digest within Slack's 50 blocks per message.
MAX_ITEMS = 20
MAX_ROLLUP_LINES = 15
NAME_LIMIT = 120
NOTE_LIMIT = 300

_TITLES = {
    OVERDUE: "⏰ Overdue follow-ups",
    DUE_TODAY: "📅 Follow-ups due today",
    STUCK: "🐢 Deals past their stage's expected time",
    PAST_CLOSE: "📆 Deals past their close date",
}
# How the greeting counts each section: (singular, plural).
_NOUNS = {OVERDUE: ("overdue follow-up", "overdue follow-ups"), DUE_TODAY: ("due today", "due today"),
          STUCK: ("stuck deal", "stuck deals"), PAST_CLOSE: ("deal past its close date", "deals past their close date")}


def rep_message(digest: RepDigest) -> Message:
    """A rep's digest: sections of items, oldest and most overdue first, each with its buttons."""
    person, day = digest.due.person, digest.due.local_date
    sections = {OVERDUE: digest.overdue, DUE_TODAY: digest.due_today, STUCK: digest.stuck, PAST_CLOSE: digest.past_close}
    counts = {key: len(items) for key, items in sections.items() if items}
    if not counts:
        text = f"Nothing needs you today ({day:%a %b %d}): no overdue follow-ups and no stuck deals. 🎉"
        return Message(text=text, blocks=_with_freshness([section(text)], digest.freshness))
    summary = ", ".join(plural(n, *_NOUNS[key]) for key, n in counts.items())
    blocks = [section(f"*Good morning, {escape(shorten(_first_name(person.name), NAME_LIMIT))}!* Your digest for {day:%a %b %d}: {summary}.")]
    shown = _fair_share({k: len(v) for k, v in sections.items()}, MAX_ITEMS)
    number = 0
    for key, items in sections.items():
        if not items:
            continue
        blocks.append(section(f"*{_TITLES[key]} ({len(items)})*"))
        for item in items[: shown[key]]:
            number += 1
            blocks.append(section(item_text(item, person.timezone)))
            blocks.append({"type": "actions", "block_id": f"{ITEM_BLOCK_PREFIX}{number}", "elements": item_buttons(item)})
        if len(items) > shown[key]:
            blocks.append(context(f"…and {len(items) - shown[key]} more. Ask me “what needs my attention?” for the full list."))
    if digest.warnings:  # in the blocks the items leave free
        room = BLOCKS_PER_MESSAGE - len(blocks) - (1 if digest.freshness else 0)
        blocks += _list_blocks(f"⚠️ Deal warnings ({len(digest.warnings)})", [
            f"• *{escape(shorten(w.deal.name, NAME_LIMIT))}* · {escape(w.stage_name)}: "
            f"{escape(shorten('; '.join(w.reasons), NOTE_LIMIT))}" for w in digest.warnings])[:max(room, 0)]
    blocks = _with_freshness(blocks, digest.freshness)
    assert len(blocks) <= BLOCKS_PER_MESSAGE
    return Message(text=plain(f"Your Stagecoach digest for {day:%a %b %d}: {summary}."), blocks=blocks)


def item_text(item: DigestItem, tz_name: str) -> str:
    """One item as mrkdwn: the deal, why it is listed, and the next activity the process map suggests."""
    deal = item.deal
    title = f"*{escape(shorten(deal.name, NAME_LIMIT))}*"
    if deal.account and deal.account != deal.name:
        title += f" ({escape(shorten(deal.account, NAME_LIMIT))})"
    title += f" · {escape(item.stage_name)}"
    if item.followup is not None:
        note = escape(shorten(item.followup.note or "Follow-up", NOTE_LIMIT))
        due = item.followup.due_at.astimezone(zone(tz_name))
        when = f"due {due:%H:%M} today" if item.section == DUE_TODAY else f"due {due:%b %d}, *{_days(item.days)} overdue*"
        why = f"📞 {note} — {when}"
    elif item.section == STUCK:
        why = f"*{_days(item.days)} over* the time this stage usually takes"
    else:
        why = f"close date {deal.close_date:%b %d} passed *{_days(item.days)} ago*"
    lines = [title, why]
    if item.next_activity is not None:
        lines.append(f"Next: {escape(item.next_activity.text)}")
    return "\n".join(lines)


def item_buttons(item: DigestItem) -> list[dict]:
    """Done, Snooze 1 day, Snooze 1 week, Coach me, with the values ``bot.digest.actions`` reads back."""
    return [button(_BUTTONS[action_id][0], action_id, value, style=_BUTTONS[action_id][1])
            for action_id, value in item_actions(item).items()]


def manager_message(digest: ManagerDigest) -> Message:
    """A manager's team roll-up: overdue per rep, stuck deals with owner and days over, what moved."""
    person, day = digest.due.person, digest.due.local_date
    if digest.is_empty:
        text = f"Team roll-up for {day:%a %b %d}: no overdue follow-ups, no stuck deals, no stage moves. 🎉"
        return Message(text=text, blocks=_with_freshness([section(text)], digest.freshness))
    blocks = [section(f"*Team roll-up for {day:%a %b %d}*")]
    if digest.overdue_by_rep:
        lines = [f"• {escape(r.name)} — *{r.count}* (oldest {_days(r.oldest_days)})" for r in digest.overdue_by_rep]
        blocks += _list_blocks(f"⏰ Overdue follow-ups by rep ({sum(r.count for r in digest.overdue_by_rep)})", lines)
    if digest.stuck:
        lines = [f"• *{escape(shorten(s.deal.name, NAME_LIMIT))}* ({escape(s.deal.owner_name)}) — {escape(s.stage_name)}, "
                 f"*{_days(s.days_over)} over* the {s.expected_days} expected" for s in digest.stuck]
        blocks += _list_blocks(f"🐢 Stuck deals ({len(digest.stuck)})", lines)
    if digest.moves:
        since = digest.since.astimezone(zone(person.timezone))
        lines = []
        for m in digest.moves:
            name = f"*{escape(shorten(m.deal.name, NAME_LIMIT))}* ({escape(m.deal.owner_name)})"
            if m.closed:
                lines.append(f"• {'🏆' if m.to_stage == 'Won' else '✖️'} {name} {m.to_stage.lower()} (from {escape(m.from_stage)})")
            else:
                lines.append(f"• {name}: {escape(m.from_stage)} → {escape(m.to_stage)}")
        blocks += _list_blocks(f"🔀 Moved, won or lost since {since:%a %b %d %H:%M} ({len(digest.moves)})", lines)
    won = sum(1 for m in digest.moves if m.to_stage == "Won")
    text = (f"Team roll-up for {day:%a %b %d}: {sum(r.count for r in digest.overdue_by_rep)} overdue follow-ups, "
            f"{len(digest.stuck)} stuck deals, {len(digest.moves)} moves ({won} won).")
    return Message(text=text, blocks=_with_freshness(blocks, digest.freshness))


def weekly_message(summary: WeeklySummary) -> Message:
    """A manager's weekly summary: pushed close dates, new warnings, one process finding, the week's stage flow."""
    tz = zone(summary.due.person.timezone)
    week = f"{summary.start.astimezone(tz):%b %d} – {summary.due.at.astimezone(tz):%b %d}"
    blocks = [section(f"*Your team's week* ({week})")]
    if summary.pushed:
        blocks += _list_blocks(f"📆 Close dates pushed later ({len(summary.pushed)})", [
            f"• *{escape(shorten(p.deal.name, NAME_LIMIT))}* ({escape(p.deal.owner_name)}): {p.before} → {p.after}"
            for p in summary.pushed])
    if summary.new_warnings:
        blocks += _list_blocks(f"⚠️ New warnings ({len(summary.new_warnings)})", [
            f"• *{escape(shorten(w.deal.name, NAME_LIMIT))}* ({escape(w.deal.owner_name)}, {escape(w.stage_name)}): "
            f"{escape(shorten('; '.join(w.reasons), NOTE_LIMIT))}" for w in summary.new_warnings])
    if summary.flow:
        blocks += _list_blocks("🔀 Stage flow this week (in at the start, +entered, −left, in at the end)", [
            f"• {escape(f.stage_name)}: {f.at_start} +{f.entered} −{f.left} = {f.at_end}" for f in summary.flow])
    if summary.finding:
        blocks += _list_blocks("🔍 From how deals really move", [escape(shorten(summary.finding, NOTE_LIMIT))])
    text = (f"Your team's week ({week}): {plural(len(summary.pushed), 'close date')} pushed, "
            f"{plural(len(summary.new_warnings), 'new warning')}.")
    return Message(text=plain(text), blocks=_with_freshness(blocks, summary.freshness))


def message_for(digest: Digest) -> Message:
    """A rep's digest, a manager's roll-up or weekly summary as a Slack message."""
    if isinstance(digest, RepDigest):
        return rep_message(digest)
    return weekly_message(digest) if isinstance(digest, WeeklySummary) else manager_message(digest)


def _with_freshness(blocks: list[dict], freshness: str | None) -> list[dict]:
    """The digest's blocks (as many as a message holds), then "deal data last synced 3 h ago" when the CRM
    sync is stale."""
    if not freshness:
        return blocks[:BLOCKS_PER_MESSAGE]
    return [*blocks[:BLOCKS_PER_MESSAGE - 1], context(f"_{escape(freshness)}_")]


def _list_blocks(title: str, lines: list[str]) -> list[dict]:
    shown = lines[:MAX_ROLLUP_LINES]
    if len(lines) > len(shown):
        shown.append(f"…and {len(lines) - len(shown)} more")
    return [section(piece) for piece in split_text(f"*{title}*\n" + "\n".join(shown))]


def _fair_share(sizes: dict[str, int], budget: int) -> dict[str, int]:
    """How many items of each section to show: round-robin, so one long section cannot hide the others."""
    shown = dict.fromkeys(sizes, 0)
    while budget > 0 and any(shown[k] < n for k, n in sizes.items()):
        for key, n in sizes.items():
            if budget > 0 and shown[key] < n:
                shown[key] += 1
                budget -= 1
    return shown


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def marked(blocks: list[dict], block_id: str, note: str) -> list[dict]:
    """The message's blocks with one item's buttons replaced by a note ("Done", "Snoozed to Tue")."""
    return [context(note) if b.get("block_id") == block_id else b for b in blocks]


def _first_name(name: str) -> str:
    return name.split()[0] if name.strip() else name


def poster(client: WebClient) -> Poster:
    """What the digest engine calls to deliver a digest: render it, DM it with ``client``, say where it went."""

    def post(digest: Digest) -> Posted:
        try:
            channel, ts = _post(client, digest.due.person.slack_user_id, message_for(digest))
        except SlackApiError as exc:
            raise NotPosted(_describe(exc)) from exc
        return Posted(channel, ts)

    return post


def _post(client: WebClient, user_id: str | None, message: Message) -> tuple[str, str]:
    """Post into the app's DM with the person (a user id as channel: no ``conversations.open`` call).

    The client already waits out a few 429s; a digest run can wait longer than a live
    answer, so it keeps waiting out ``Retry-After`` for a while. A 429 means nothing was posted.
    """
    for round_ in range(RATE_LIMIT_ROUNDS + 1):
        try:
            # Blocks Slack refuses anyway: the digest goes as text (``send`` logs the blocks).
            response = send(client.chat_postMessage, channel=user_id, **message.as_kwargs(),
                            unfurl_links=False, unfurl_media=False)
            return response["channel"], response["ts"]
        except SlackApiError as exc:
            if getattr(exc.response, "status_code", None) != 429 or round_ == RATE_LIMIT_ROUNDS:
                raise
            time.sleep(_retry_after(exc))
    raise AssertionError("unreachable")


def _retry_after(exc: SlackApiError) -> float:
    headers = getattr(exc.response, "headers", None) or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):  # some transports give each header as a list of values
        value = value[0] if value else None
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1.0


def _describe(exc: SlackApiError) -> str:
    status = getattr(exc.response, "status_code", None)
    return f"Slack error {exc.response.get('error', 'unknown')}" + (f" (HTTP {status})" if status else "")
