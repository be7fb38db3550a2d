"""App Home in Block Kit: a rep's open deals at a glance; a manager's team summary on top.

The data comes from ``bot.service.home`` (the same plans the coach gives); this module only renders it.
"""

from __future__ import annotations

from bot.service.feedback import UnhelpfulAnswer
from bot.service.home import Home, HomeDeal, LastRun, TeamSummary
from bot.slack import ids
from bot.slack.blocks import button, context, section
from bot.slack.mrkdwn import escape, fit, split_text

MAX_DEAL_ROWS = 40  # a Home tab holds 100 blocks; leave room for the summary
MAX_SUMMARY_BLOCKS = 50
QUESTION_LIMIT = 300
NAME_LIMIT = 600  # escaped; a deal's row stays far inside a section's 3,000 characters
NOTE_LIMIT = 1200


def home_view(home: Home) -> dict:
    """The ``views.publish`` view of ``home``."""
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": "Stagecoach"}}]
    if home.freshness:
        blocks.append(context(f"_{escape(home.freshness)}_"))
    if home.team is not None:
        blocks += team_summary_blocks(home.team)
    blocks += deal_list_blocks(home)
    if home.unhelpful is not None:
        blocks += unhelpful_blocks(home.unhelpful)
    if home.sync_runs:
        blocks += sync_run_blocks(home.sync_runs)
    blocks.append(context(escape("Ask me in a DM: “What should I do next on <deal>?” or “Which follow-ups are overdue?”")))
    return {"type": "home", "blocks": blocks}


def deal_list_blocks(home: Home) -> list[dict]:
    """One section per open deal: stage, days in stage against expected, unmet criteria, next follow-up; and
    a Coach me button, answered with the deal's plan in the person's DM."""
    rows = home.deals
    blocks: list[dict] = [section(f"*Your open deals* ({len(rows)})")]
    if not rows:
        blocks.append(context("No open deals in your name."))
        return blocks
    blocks += [{**section(_deal_row(row, home)), "accessory": button("🧭 Coach me", ids.COACH_ON_DEAL, str(row.plan.deal.id))}
               for row in rows[:MAX_DEAL_ROWS]]
    if len(rows) > MAX_DEAL_ROWS:
        blocks.append(context(f"…and {len(rows) - MAX_DEAL_ROWS} more. Ask me “which of my deals need attention?”"))
    return blocks


def _deal_row(row: HomeDeal, home: Home) -> str:
    plan, followup = row.plan, row.next_followup
    days = f"day {plan.days_in_stage} of {plan.expected_days}"
    if plan.days_over:
        days += f" ⚠️ {plan.days_over} over"
    parts = [f"*{fit(plan.deal.name, NAME_LIMIT)}* · {fit(plan.stage_name, NAME_LIMIT)}, {days}",
             f"{len(plan.unmet)} unmet exit criteria" if plan.unmet else "✅ ready to advance"]
    if followup is not None:
        flag = " ⚠️ *overdue*" if followup.day < home.today else " (today)" if followup.day == home.today else ""
        parts.append(f"next follow-up {followup.day:%a %b %d}{flag}: {fit(followup.note or 'follow up', NOTE_LIMIT)}")
    else:
        parts.append("no follow-up set")
    lines = [parts[0], " · ".join(parts[1:])]
    if row.warning is not None:
        lines.append("⚠️ " + fit("; ".join(row.warning.words()), NOTE_LIMIT))
    return "\n".join(lines)


def team_summary_blocks(team: TeamSummary) -> list[dict]:
    """Per rep: open deals, deals over their stage's expected days, overdue follow-ups."""
    blocks = [section(f"*Team summary*: {team.open_deals} open deals worth {team.amount:,.0f} · {team.stuck} over "
                      f"expected days · {team.overdue_followups} overdue follow-ups · {team.warned} with warnings")]
    lines = [f"• *{fit(rep.name, NAME_LIMIT)}*: {rep.open_deals} open · {rep.stuck} stuck"
             f" · {rep.overdue_followups} overdue follow-ups · {rep.warned} with warnings" for rep in team.reps]
    if lines:
        blocks += [section(piece) for piece in split_text("\n".join(lines))][:MAX_SUMMARY_BLOCKS]
    return blocks


def unhelpful_blocks(answers: list[UnhelpfulAnswer]) -> list[dict]:
    """The admin's list of answers marked not helpful this week: the question and the intent that answered."""
    blocks: list[dict] = [section(f"*Answers marked not helpful this week* ({len(answers)})")]
    if not answers:
        blocks.append(context("None this week."))
        return blocks
    lines = [f"• {a.marked_at:%a %b %d} · _{escape(a.intent or 'intent unknown')}_ · "
             f"{fit(a.question, QUESTION_LIMIT) if a.question else '(question no longer kept)'}" for a in answers]
    return blocks + [section(piece) for piece in split_text("\n".join(lines))]


def sync_run_blocks(runs: list[LastRun]) -> list[dict]:
    """A manager's view of each CRM sync: when it last ran, its error and its conflicts."""
    lines = []
    for run in runs:
        when = f"last run {run.last_run_at:%a %b %d %H:%M} UTC" if run.last_run_at else "not run yet"
        problems = [f"error: {fit(run.error, NOTE_LIMIT)}"] if run.error else []
        if run.conflicts:
            problems.append(f"{run.conflicts} conflict(s): the CRM's newer value kept")
        lines.append(f"• *{run.crm}*: {when}" + (" · " + " · ".join(problems) if problems else " · no problems"))
    return [section("*CRM sync*"), *(section(piece) for piece in split_text("\n".join(lines)))]
