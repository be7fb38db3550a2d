"""The ``observed`` report — the process as it really runs, mined from stage history — and the map revision it proposes.

Per stage: how many deals entered and left it, the real median and 75th-percentile days
against the map's ``expected_days``, and how many deals were lost from it. Across the
map: the share of deals that followed it, skipped a stage or moved back. Per exit
criterion: the win rate of closed deals that had it confirmed before leaving the stage,
against those that did not. No rate or percentile is claimed below ``MIN_SAMPLE`` deals.

``propose_revision`` turns those figures into a new version of the map's YAML (the
owner reviews it and loads it with ``stagecoach process load``; nothing changes before).
"""

from __future__ import annotations

from datetime import datetime

import yaml
from sqlmodel import Session

from bot.core.text import plural
from bot.pipeline.periods import Period
from bot.pipeline.reports import Column, Report
from bot.pipeline.samples import MIN_SAMPLE, enough, rate, too_few
from bot.pipeline.scope import Scope
from knowledge.process_map import ProcessMap, validate_text
from storage import reports as store
from storage.access import Viewer


def observed_report(*, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope, period: Period,
                    now: datetime, min_sample: int = MIN_SAMPLE) -> Report:
    """How deals really moved through the map in ``period`` (see the module docstring)."""
    del now  # every figure is of the period
    where = {"session": session, "viewer": viewer, "scope": scope.filter, "start": period.start, "end": period.end}
    paths = store.path_counts(**where, stage_order=process.stage_keys)
    dwell = {d.stage_key: d for d in store.left_dwell(**where)}
    entered = {f.stage_key: f.entered for f in store.flow_counts(**where)}
    lost = store.lost_from_stage(**where)
    stage_outcomes, criterion_outcomes = store.exit_criterion_outcomes(**where)
    total_lost = sum(lost.values())

    rows, lines = [], []
    if paths.deals:
        lines.append(f"Of {plural(paths.deals, 'deal')} that moved: {paths.followed} followed the map"
                     + (f" ({paths.followed / paths.deals:.0%})" if enough(paths.deals, min_sample) else "")
                     + f", {paths.skipped} skipped a stage, {paths.moved_back} moved back")
    for stage in process.stages:
        d = dwell.get(stage.key)
        stays = d.count if d else 0
        claim = d is not None and enough(stays, min_sample)
        median = round(d.median_days, 1) if claim and d else None
        p75 = round(d.p75_days, 1) if claim and d else None
        n_lost = lost.get(stage.key, 0)
        proposed = max(1, round(d.median_days)) if claim and d else None
        rows.append({"stage": stage.key, "stage_name": stage.name, "entered": entered.get(stage.key, 0),
                     "left": stays, "median_days": median, "p75_days": p75, "expected_days": stage.expected_days,
                     "proposed_days": proposed, "lost": n_lost, "lost_share": rate(n_lost, total_lost, 1)})
        if claim:
            lines.append(f"{stage.name}: median {median:.1f} days, 75% of deals within {p75:.1f} "
                         f"(map expects {stage.expected_days}; {plural(stays, 'stay')})")
        elif stays:
            lines.append(f"{stage.name}: days in stage: {too_few(stays)}")
    if total_lost:
        worst = max(rows, key=lambda r: r["lost"])
        lines.append(f"Most deals are lost from {worst['stage_name']}: {worst['lost']} of {total_lost} lost")
    unused = [r["stage"] for r in rows if not r["entered"]]
    if unused:
        names = ", ".join(process.stage(key).name for key in unused)  # type: ignore[union-attr]
        lines.append(f"No deal entered {names} in this period")

    criteria = _criterion_findings(process, stage_outcomes, criterion_outcomes, min_sample)
    for c in criteria:
        if c["finding"] in ("predicts", "does not predict"):
            lines.append(f"{c['stage_name']} — {c['text']}: {c['confirmed_win_rate']:.0%} won when confirmed before "
                         f"leaving ({c['confirmed']} deals) vs {c['not_confirmed_win_rate']:.0%} when not "
                         f"({c['not_confirmed']})" + ("" if c["finding"] == "predicts" else ": does not predict the outcome"))
    columns = [Column("stage_name", "Stage"), Column("entered", "In", "int"), Column("left", "Left", "int"),
               Column("median_days", "Median", "days"), Column("p75_days", "P75", "days"),
               Column("expected_days", "Exp", "int"), Column("lost", "Lost", "int")]
    details = {"paths": {"deals": paths.deals, "followed": paths.followed, "skipped": paths.skipped,
                         "moved_back": paths.moved_back},
               "criteria": criteria, "unused_stages": unused, "min_sample": min_sample}
    notes = [f"No median, percentile or win rate is claimed below {min_sample} deals. Criteria: deals closed in "
             "the period, confirmed = latest check before they last left the stage was met."]
    report = Report("observed", scope, period, columns, rows, lines, notes, details=details)
    undated = store.undated_open_deals(session=session, viewer=viewer, scope=scope.filter)
    if undated:
        report.notes.append(f"Left out: {plural(undated, 'open deal')} in their stage since an unknown date.")
    return report


def _criterion_findings(process: ProcessMap, stages: list[store.StageOutcome],
                        confirmed: list[store.CriterionOutcome], min_sample: int) -> list[dict]:
    """Per exit criterion of the map: won when confirmed vs not, and what that says (or None below the sample)."""
    left = {s.stage_key: s for s in stages}
    found = {(c.stage_key, c.criterion_key): c for c in confirmed}
    out = []
    for stage in process.stages:
        total = left.get(stage.key) or store.StageOutcome(stage.key, 0, 0)
        for criterion in stage.exit_criteria:
            c = found.get((stage.key, criterion.key)) or store.CriterionOutcome(stage.key, criterion.key, 0, 0)
            not_n, not_won = total.deals - c.confirmed, total.won - c.confirmed_won
            yes_rate, no_rate = rate(c.confirmed_won, c.confirmed, min_sample), rate(not_won, not_n, min_sample)
            if yes_rate is not None and no_rate is not None:
                finding = "predicts" if yes_rate > no_rate else "does not predict"
            elif not c.confirmed and enough(not_n, min_sample):
                finding = "never confirmed"
            else:
                finding = None
            out.append({"stage": stage.key, "stage_name": stage.name, "criterion": criterion.key,
                        "text": criterion.text, "confirmed": c.confirmed, "confirmed_won": c.confirmed_won,
                        "confirmed_win_rate": yes_rate, "not_confirmed": not_n, "not_confirmed_won": not_won,
                        "not_confirmed_win_rate": no_rate, "finding": finding})
    return out


def propose_revision(content: str, report: Report) -> str:
    """The map's YAML ``content`` revised from an ``observed`` report: the next version, expected days set to
    the real medians (where there are enough stays), and comments on criteria that do not predict the outcome
    or were never confirmed, and on stages no deal entered. Everything else is kept as written.

    Raises:
        ValueError: the revision is not a valid map (it always should be; nothing is written then).
    """
    root = yaml.compose(content, Loader=yaml.SafeLoader)
    lines = content.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []  # (line, start column, end column, new text)
    inserts: list[tuple[int, str]] = []  # (line, comment line placed before it)
    top = _fields(root)
    version = top["version"]
    edits.append((version.start_mark.line, version.start_mark.column, version.end_mark.column,
                  str(int(version.value) + 1)))
    by_stage = {r["stage"]: r for r in report.rows}
    flagged = {(c["stage"], c["criterion"]): c for c in report.details.get("criteria", []) if c["finding"]
               in ("does not predict", "never confirmed")}
    for stage_node in top["stages"].value:
        fields = _fields(stage_node)
        key = fields["key"].value
        row = by_stage.get(key)
        if row is None:
            continue
        indent = " " * stage_node.start_mark.column
        if key in report.details.get("unused_stages", []):
            inserts.append((stage_node.start_mark.line, f"{indent[:-2]}# observed: no deal entered this stage in "
                                                        f"{report.period.label if report.period else 'the period'}; "
                                                        "keep it only if it is still part of the process\n"))
        days = fields.get("expected_days")
        if row["proposed_days"] is not None and row["proposed_days"] != row["expected_days"]:
            note = (f"  # observed median {row['median_days']:.1f} days over {row['left']} stays "
                    f"(75% within {row['p75_days']:.1f}); was {row['expected_days']}")
            if days is not None:
                end = lines[days.end_mark.line].rstrip("\r\n")
                edits.append((days.end_mark.line, days.start_mark.column, len(end), f"{row['proposed_days']}{note}"))
            else:
                inserts.append((fields["key"].end_mark.line + 1,
                                f"{indent}expected_days: {row['proposed_days']}{note}\n"))
        criteria = fields.get("exit_criteria")
        for node in (criteria.value if criteria is not None else []):
            found = flagged.get((key, _fields(node)["key"].value))
            if found is None:
                continue
            if found["finding"] == "never confirmed":
                why = f"never confirmed before leaving the stage in {found['not_confirmed']} closed deals"
            else:
                why = (f"does not predict the outcome: {found['confirmed_win_rate']:.0%} won when confirmed "
                       f"({found['confirmed']}) vs {found['not_confirmed_win_rate']:.0%} when not "
                       f"({found['not_confirmed']})")
            inserts.append((node.start_mark.line, f"{' ' * max(node.start_mark.column - 2, 0)}# observed: {why}\n"))
    for line, start, end, new in sorted(edits, reverse=True):
        text = lines[line]
        newline = text[len(text.rstrip("\r\n")):]
        lines[line] = text[:start] + new + text[end:].rstrip("\r\n") + newline
    for line, comment in sorted(inserts, key=lambda p: p[0], reverse=True):
        lines.insert(line, comment)
    scope = report.scope.label
    header = (f"# Proposed revision from stage history ({scope}, {report.period.label if report.period else ''}).\n"
              "# Review it, then load it with: stagecoach process load FILE\n")
    revised = header + "".join(lines)
    process, issues = validate_text(revised, "proposed map")
    if process is None:
        raise ValueError("the proposed map is not valid: " + "; ".join(str(i) for i in issues))
    return revised


def _fields(node) -> dict:
    """A YAML mapping node's values by key."""
    return {k.value: v for k, v in node.value}
