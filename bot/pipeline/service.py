"""Run pipeline reports for a viewer: resolve whose deals and which period, then build each report.

Chat (with or without an LLM) and the CLI both come through here, so a report asked
in Slack and one printed in a terminal are the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.errors import InvalidInput, NotFound
from bot.core.runtime import Runtime
from bot.pipeline.observed import propose_revision
from bot.pipeline.periods import Period, PeriodSpec
from bot.pipeline.reports import REPORTS, Report, build_report
from bot.pipeline.scope import Scope, resolve_scope
from storage.access import Viewer
from storage.models import Role
from storage.processes import active_process_row

DEFAULT_PERIOD = PeriodSpec("relative", unit="month", offset=0)  # "this month", when a period report names none
THIS_QUARTER = PeriodSpec("relative", unit="quarter", offset=0)
# Reports whose period is the one close dates fall in: a forecast is asked for by quarter.
DEFAULT_PERIODS = {"slippage": THIS_QUARTER, "forecast": THIS_QUARTER, "changes": PeriodSpec("days", days=7)}  # changes: the last week
PERIOD_REPORTS = ("flow", "time", "conversion", "bottlenecks", "velocity", "observed", *DEFAULT_PERIODS)
LOCAL_ADMIN = Viewer(rep_id=0, name="local admin", role=Role.admin, team_id=None)  # the CLI without --as


@dataclass(frozen=True)
class ReportRequest:
    """Reports to run and for whom; names are as written (resolved against the viewer's access)."""

    kinds: tuple[str, ...]
    period: PeriodSpec | None = None
    rep: str | None = None
    team: str | None = None
    whole_team: bool = False
    own_deals: bool = False
    optional_name: bool = False  # the rep name may be a plain word: ignore it when nobody goes by it
    closing: PeriodSpec | None = None  # ``changes``: the period whose pipeline is compared (default its quarter)


def run_reports(runtime: Runtime, viewer: Viewer, request: ReportRequest, *, now: datetime) -> list[Report]:
    """The reports of ``request`` for ``viewer`` as of ``now``, all in one read transaction.

    Raises:
        NotFound: no rep or team by that name.
        AccessDenied: the viewer may not see that rep's or team's figures.
        InvalidInput: unknown report, unclear name, or a period that has not begun.
    """
    unknown = [k for k in request.kinds if k not in REPORTS]
    if unknown or not request.kinds:
        raise InvalidInput(f"unknown report {', '.join(unknown) or '(none)'}; one of {', '.join(REPORTS)}")
    process = runtime.process
    rep = request.rep
    if rep and process.stage_by_name(rep) is not None:  # "flow for Discover" names a stage, not a person
        rep = None
    if request.own_deals and not rep and not request.team:
        rep = viewer.email or None
    with runtime.session() as session:
        try:
            scope = resolve_scope(session=session, viewer=viewer, company_timezone=runtime.settings.timezone,
                                  rep=rep, team=request.team, whole_team=request.whole_team)
        except NotFound:
            if not (request.optional_name and rep):
                raise
            scope = resolve_scope(session=session, viewer=viewer, company_timezone=runtime.settings.timezone,
                                  team=request.team, whole_team=request.whole_team)
        period = resolve_period(request, scope, now)
        closing = request.closing.resolve(now, scope.timezone) if request.closing else None
        return [build_report(kind, session=session, viewer=viewer, process=process, scope=scope, period=period, now=now,
                             closing=closing) for kind in request.kinds]


def resolve_period(request: ReportRequest, scope: Scope, now: datetime) -> Period | None:
    """The period in the scope's timezone; "this month" (for a forecast "this quarter") when a period report
    names none."""
    if request.period is None and not any(k in PERIOD_REPORTS for k in request.kinds):
        return None
    default = next((DEFAULT_PERIODS[k] for k in request.kinds if k in DEFAULT_PERIODS), DEFAULT_PERIOD)
    return (request.period or default).resolve(now, scope.timezone)


@dataclass(frozen=True)
class ObservedProcess:
    """The ``observed`` report, and with ``propose`` the active map's YAML and its proposed revision."""

    report: Report
    current: str | None = None
    proposed: str | None = None


def observe_process(runtime: Runtime, viewer: Viewer, request: ReportRequest, *, now: datetime,
                    propose: bool = False) -> ObservedProcess:
    """The process as it really ran for ``request``'s scope and period; with ``propose``, the map revision it
    suggests (written nowhere: the process owner reviews it and loads it with ``stagecoach process load``).

    Raises:
        as ``run_reports``; ValueError when the revision would not be a valid map.
    """
    (report,) = run_reports(runtime, viewer, replace(request, kinds=("observed",)), now=now)
    if not propose:
        return ObservedProcess(report)
    with runtime.session() as session:
        active = active_process_row(session=session)
        content = active.content if active is not None else runtime.settings.process_file.read_text(encoding="utf-8")
    return ObservedProcess(report, content, propose_revision(content, report))
