"""App Home: a rep's open deals at a glance; a manager's team summary on top.

Every row comes from the same plan the coach uses (``build_plan``), read
through the viewer's access filter, so Home shows exactly what the coach would say.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from bot.core.plan import DealPlan, build_plan
from bot.core.runtime import Runtime
from bot.slack.blocks import context, section
from bot.slack.mrkdwn import escape, fit, split_text
from storage import deals as deal_store
from storage.access import Viewer
from storage.models import FollowUp
from storage.timeutil import zone

MAX_DEAL_ROWS = 40  # a Home tab holds 100 blocks; leave room for the summary
MAX_SUMMARY_BLOCKS = 50
NAME_LIMIT = 600  # escaped; a deal's row stays far inside a section's 3,000 characters
NOTE_LIMIT = 1200


def home_view(runtime: Runtime, viewer: Viewer, now: datetime) -> dict:
    """The ``views.publish`` view for ``viewer``."""
    with runtime.session() as session:
        rows = []
        for deal in deal_store.open_deals_for(session=session, viewer=viewer):
            state = deal_store.deal_state(session=session, deal=deal)
            rows.append((build_plan(state, runtime.process, now), _next_followup(state.open_followups)))
        reps = {r.id: r.name for r in deal_store.visible_reps(session=session, viewer=viewer)}
    today = now.astimezone(zone(viewer.timezone)).date()
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": "Stagecoach"}}]
    if viewer.is_manager:
        blocks += team_summary_blocks([p for p, _ in rows], reps)
    mine = [(p, f) for p, f in rows if p.deal.owner_id == viewer.rep_id]
    blocks += deal_list_blocks(mine, today, viewer.timezone)
    blocks.append(context(escape("Ask me in a DM: “What should I do next on <deal>?” or “Which follow-ups are overdue?”")))
    return {"type": "home", "blocks": blocks}


def _next_followup(followups: list[FollowUp]) -> FollowUp | None:
    return min(followups, key=lambda f: f.due_at) if followups else None


def deal_list_blocks(rows: list[tuple[DealPlan, FollowUp | None]], today, tz_name: str) -> list[dict]:
    """One section per open deal: stage, days in stage against expected, unmet criteria, next follow-up."""
    blocks: list[dict] = [section(f"*Your open deals* ({len(rows)})")]
    if not rows:
        blocks.append(context("No open deals in your name."))
        return blocks
    tz = zone(tz_name)
    for plan, followup in rows[:MAX_DEAL_ROWS]:
        days = f"day {plan.days_in_stage} of {plan.expected_days}"
        if plan.days_over:
            days += f" ⚠️ {plan.days_over} over"
        parts = [f"*{fit(plan.deal.name, NAME_LIMIT)}* · {fit(plan.stage_name, NAME_LIMIT)}, {days}",
                 f"{len(plan.unmet)} unmet exit criteria" if plan.unmet else "✅ ready to advance"]
        if followup is not None:
            due = followup.due_at.astimezone(tz).date()
            flag = " ⚠️ *overdue*" if due < today else " (today)" if due == today else ""
            parts.append(f"next follow-up {due:%a %b %d}{flag}: {fit(followup.note or 'follow up', NOTE_LIMIT)}")
        else:
            parts.append("no follow-up set")
        blocks.append(section("\n".join([parts[0], " · ".join(parts[1:])])))
    if len(rows) > MAX_DEAL_ROWS:
        blocks.append(context(f"…and {len(rows) - MAX_DEAL_ROWS} more. Ask me “which of my deals need attention?”"))
    return blocks


def team_summary_blocks(plans: list[DealPlan], reps: dict[int, str]) -> list[dict]:
    """Per rep: open deals, deals over their stage's expected days, overdue follow-ups."""
    per_rep: dict[int, list[DealPlan]] = defaultdict(list)
    for plan in plans:
        per_rep[plan.deal.owner_id].append(plan)
    stuck = sum(1 for p in plans if p.days_over)
    overdue = sum(len(p.overdue_followups) for p in plans)
    total = sum(p.deal.amount for p in plans)
    blocks = [section(f"*Team summary*: {len(plans)} open deals worth {total:,.0f} · {stuck} over expected days"
                      f" · {overdue} overdue follow-ups")]
    lines = []
    for rep_id, name in sorted(reps.items(), key=lambda r: r[1]):
        own = per_rep.get(rep_id, [])
        lines.append(f"• *{fit(name, NAME_LIMIT)}*: {len(own)} open · {sum(1 for p in own if p.days_over)} stuck"
                     f" · {sum(len(p.overdue_followups) for p in own)} overdue follow-ups")
    if lines:
        blocks += [section(piece) for piece in split_text("\n".join(lines))][:MAX_SUMMARY_BLOCKS]
    return blocks
