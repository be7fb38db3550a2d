"""The ``changes`` report (the forecast waterfall) against figures computed by hand, and on random data.

Window: Nov 13 00:00 UTC → now (Nov 20 15:00 UTC); pipeline closing in Q4 (Oct 1 – Dec 31), company timezone UTC.

    deal  owner  what happened in the window                                  start   → step(s)                    end
    W1    Alice  nothing (close Dec 10)                                       10,000                                10,000
    W2    Alice  close Dec 5 → Jan 15 (Nov 15)                                20,000  pushed out −20,000
    W3    Alice  close Jan 20 → Dec 1 (Nov 16)                                        pulled in +15,000            15,000
    W4    Alice  created Nov 14, close Dec 20                                         new +5,000                    5,000
    W5    Alice  amount 8,000 → 12,000 (Nov 17)                                8,000  amount +4,000                12,000
    W6    Alice  won Nov 18                                                   30,000  won −30,000
    W7    Bob    lost Nov 19                                                   6,000  lost −6,000
    W8    Bob    created won Nov 16, close Nov 16                                     new +9,000, won −9,000
    W9    Bob    amount 7,000 → 11,000 (Nov 14), close Dec 20 → Feb 1 (Nov 18)  7,000  amount +4,000, pushed out −11,000
    W10   Bob    won Oct 20 (before the window)                               —
    W11   Bob    open, close Mar 2027                                         —
    W12   Bob    lost Nov 10 (before the window), close Dec 1                 —

    6 deals 81,000 + 2 new 14,000 + 1 pulled in 15,000 − 2 pushed out 31,000 + 8,000 amounts − 2 won 39,000
    − 1 lost 6,000 − 0 omitted = 4 deals 42,000.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.pipeline.changes import STEPS
from bot.pipeline.periods import PeriodSpec
from bot.pipeline.reports import build_report
from bot.pipeline.scope import resolve_scope
from storage.access import Viewer
from storage.models import DealPropertyChange, DealStatus, Role, StageChange
from tests.utils import factories as f

NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)
WINDOW = PeriodSpec("range", first=date(2026, 11, 13), last=date(2026, 11, 20))


def at(month: int, day: int, hour: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def change(session, deal, prop: str, when: datetime, new: str, old: str | None = None) -> None:
    session.add(DealPropertyChange(deal_id=deal.id, property=prop, value=new, old_value=old, changed_at=when,
                                   source="test"))
    session.flush()


@pytest.fixture
def waterfall(runtime):
    runtime.process  # noqa: B018  (activate the small map)
    with runtime.session() as s:
        east = f.team(s, "East")
        maria = f.rep(s, "Maria Manager", team=east, role=Role.manager)
        alice, bob = f.rep(s, "Alice Rep", team=east), f.rep(s, "Bob Rep", team=east)
        created = at(9, 1)

        def deal(name, owner, amount, close, **fields):
            fields.setdefault("created_at", created)
            return f.deal(s, owner, name, amount=amount, close_date=close, now=NOW, **fields)

        deal("W1", alice, 10_000, date(2026, 12, 10))
        change(s, deal("W2", alice, 20_000, date(2027, 1, 15)), "close_date", at(11, 15), "2027-01-15", "2026-12-05")
        change(s, deal("W3", alice, 15_000, date(2026, 12, 1)), "close_date", at(11, 16), "2026-12-01", "2027-01-20")
        deal("W4", alice, 5_000, date(2026, 12, 20), created_at=at(11, 14))
        change(s, deal("W5", alice, 12_000, date(2026, 12, 12)), "amount", at(11, 17), "12000", "8000")
        deal("W6", alice, 30_000, date(2026, 11, 30), status=DealStatus.won, closed_at=at(11, 18))
        deal("W7", bob, 6_000, date(2026, 12, 15), status=DealStatus.lost, closed_at=at(11, 19))
        w8 = deal("W8", bob, 9_000, date(2026, 11, 16), status=DealStatus.won, closed_at=at(11, 16),
                  created_at=at(11, 16))
        s.add(StageChange(deal_id=w8.id, from_stage=None, to_stage="won", changed_at=at(11, 16), source="test"))
        w9 = deal("W9", bob, 11_000, date(2027, 2, 1))
        change(s, w9, "amount", at(11, 14), "11000", "7000")
        change(s, w9, "close_date", at(11, 18), "2027-02-01", "2026-12-20")
        deal("W10", bob, 4_000, date(2026, 10, 20), status=DealStatus.won, closed_at=at(10, 20))
        deal("W11", bob, 3_000, date(2027, 3, 1))
        deal("W12", bob, 2_000, date(2026, 12, 1), status=DealStatus.lost, closed_at=at(11, 10))
        return {"maria": Viewer.of(maria), "alice": Viewer.of(alice)}


def report(runtime, viewer, period=WINDOW, now=NOW, closing=None):
    with runtime.session() as s:
        scope = resolve_scope(session=s, viewer=viewer, company_timezone=runtime.settings.timezone)
        return build_report("changes", session=s, viewer=viewer, process=runtime.process, scope=scope,
                            period=period.resolve(now, scope.timezone), now=now,
                            closing=closing.resolve(now, scope.timezone) if closing else None)


def steps(rows) -> dict[str, tuple]:
    return {r["step"]: (r["deals"], r["amount"]) for r in rows}


def test_the_waterfall_of_the_teams_q4_pipeline_over_a_week(runtime, waterfall):
    result = report(runtime, waterfall["maria"])
    assert steps(result.rows) == {
        "start": (6, 81_000), "new": (2, 14_000), "pulled_in": (1, 15_000), "pushed_out": (-2, -31_000),
        "amount": (0, 8_000), "won": (-2, -39_000), "lost": (-1, -6_000), "omitted": (0, 0), "end": (4, 42_000)}
    assert result.details["closing"]["label"] == "Q4"
    assert steps(result.details["by_rep"]["Alice Rep"])["start"] == (4, 68_000)
    assert steps(result.details["by_rep"]["Alice Rep"])["end"] == (4, 42_000)
    assert steps(result.details["by_rep"]["Bob Rep"]) == {
        "start": (2, 13_000), "new": (1, 9_000), "pulled_in": (0, 0), "pushed_out": (-1, -11_000),
        "amount": (0, 4_000), "won": (-1, -9_000), "lost": (-1, -6_000), "omitted": (0, 0), "end": (0, 0)}
    assert steps(result.details["by_team"]["East"]) == steps(result.rows)
    assert result.lines[0] == "Closing in Q4: 6 deals, 81,000 at the start (Nov 13), 4 deals, 42,000 now"
    assert "Pushed out: 2 deals, −31,000 (W2 20,000, W9 11,000)" in result.lines
    assert "Amount changes: +8,000 (W5 4,000, W9 4,000)" in result.lines
    assert "Won: 2 deals, −39,000 (W6 30,000, W8 9,000)" in result.lines


def test_a_rep_sees_only_their_own_deals_move(runtime, waterfall):
    result = report(runtime, waterfall["alice"])
    assert steps(result.rows)["start"] == (4, 68_000) and steps(result.rows)["lost"] == (0, 0)


def test_another_closing_period_and_a_window_in_the_past(runtime, waterfall):
    # Nov 14 → Nov 17, pipeline closing in November: W6 (close Nov 30) is in it throughout; W8 came and went.
    result = report(runtime, waterfall["maria"], period=PeriodSpec("range", first=date(2026, 11, 14),
                                                                    last=date(2026, 11, 16)),
                    closing=PeriodSpec("month", month=11, year=2026))
    assert steps(result.rows) == {
        "start": (1, 30_000), "new": (1, 9_000), "pulled_in": (0, 0), "pushed_out": (0, 0), "amount": (0, 0),
        "won": (-1, -9_000), "lost": (0, 0), "omitted": (0, 0), "end": (1, 30_000)}


@pytest.mark.parametrize("seed", range(12))
def test_the_parts_add_up_on_random_histories(runtime, seed):
    random_waterfall(runtime, seed)


def random_waterfall(runtime, seed: int) -> dict[str, int]:
    """Random deals (some created closed) with random close-date, amount and stage changes; checks that the
    waterfall adds up for everyone and per rep, and returns its counts."""
    rng = random.Random(seed)
    runtime.process  # noqa: B018
    start = at(11, 1)
    stages = ["discover", "validate", "close"]
    with runtime.session() as s:
        team = f.team(s, f"Random {seed}")
        reps = [f.rep(s, f"Rep {seed} {i}", team=team) for i in range(3)]
        admin = f.rep(s, f"Admin {seed}", role=Role.admin)
        for n in range(30):
            created = start + timedelta(hours=rng.randrange(-40 * 24, 19 * 24))
            moments = sorted(created + timedelta(hours=rng.randrange(0, 40 * 24)) for _ in range(rng.randrange(0, 6)))
            moments = [m for m in moments if m < NOW]
            close = date(2026, 12, 31) + timedelta(days=rng.randrange(-80, 60))
            amount = rng.randrange(1, 50) * 1000
            deal = f.deal(s, rng.choice(reps), f"R{seed}-{n}", amount=amount, close_date=close, created_at=created,
                          now=NOW)
            stage, status = rng.choice(stages), "open"
            s.add(StageChange(deal_id=deal.id, to_stage=stage, changed_at=created, source="test"))
            if rng.random() < 0.15:  # created closed
                status = rng.choice(["won", "lost"])
                s.add(StageChange(deal_id=deal.id, from_stage=stage, to_stage=status, changed_at=created,
                                  source="test"))
            for moment in moments:
                kind = rng.choice(["close_date", "amount", "stage"])
                if kind == "close_date":
                    new = date(2026, 12, 31) + timedelta(days=rng.randrange(-80, 60))
                    change(s, deal, "close_date", moment, new.isoformat(), close.isoformat() if rng.random() < .5 else None)
                    close = new
                elif kind == "amount":
                    new_amount = rng.randrange(1, 50) * 1000
                    change(s, deal, "amount", moment, str(new_amount))
                    amount = new_amount
                else:
                    target = rng.choice(stages + ["won", "lost"])
                    s.add(StageChange(deal_id=deal.id, from_stage=stage, to_stage=target, changed_at=moment,
                                      source="test"))
                    status = target if target in ("won", "lost") else "open"
                    stage = target if status == "open" else stage
            deal.amount, deal.close_date, deal.stage_key = Decimal(amount), close, stage
            deal.status = DealStatus(status)
            deal.closed_at = moments[-1] if status != "open" and moments else (created if status != "open" else None)
        viewer = Viewer.of(admin)
    result = report(runtime, viewer, period=PeriodSpec("range", first=date(2026, 11, 5), last=date(2026, 11, 15)))
    for rows in [result.rows, *result.details["by_rep"].values()]:
        got = steps(rows)
        assert got["start"][0] + sum(got[k][0] for k, _, sign in STEPS[1:-1]) == got["end"][0]
        assert got["start"][1] + sum(got[k][1] for k, _, sign in STEPS[1:-1]) == pytest.approx(got["end"][1])
        assert all(got[k][0] >= 0 for k in ("new", "pulled_in")) and all(
            got[k][0] <= 0 for k in ("pushed_out", "won", "lost", "omitted"))
    assert sum(steps(rows)["end"][1] for rows in result.details["by_rep"].values()) == steps(result.rows)["end"][1]
    return {step: count for step, (count, _) in steps(result.rows).items()}


def test_the_random_histories_move_deals_through_every_kind_of_step(runtime):
    seen = {"new": 0, "pulled_in": 0, "pushed_out": 0, "won": 0, "lost": 0}
    for seed in range(100, 103):
        for step, count in random_waterfall(runtime, seed).items():
            if step in seen:
                seen[step] += abs(count)
    assert all(seen.values()), seen


def test_the_waterfall_comes_as_a_png_chart_and_an_unchanged_pipeline_without_one(runtime, waterfall):
    import io

    from matplotlib.image import imread

    from bot.pipeline.charts import chart_png

    png = chart_png(report(runtime, waterfall["maria"]))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    height, width, _ = imread(io.BytesIO(png)).shape
    assert (width, height) == (960, 432)
    nothing = report(runtime, waterfall["maria"], period=PeriodSpec("range", first=date(2026, 6, 1),
                                                                     last=date(2026, 6, 2)),
                     closing=PeriodSpec("month", month=6, year=2026))
    assert chart_png(nothing) is None


def test_a_change_at_the_windows_edge_counts_in_the_scopes_timezone(runtime):
    # 16:00 UTC on Nov 15 is 01:00 on Monday Nov 16 in Tokyo: inside "since Monday" there, before it in UTC.
    runtime.process  # noqa: B018
    since_monday = PeriodSpec("since", unit="weekday", days=0)
    with runtime.session() as s:
        tokyo = f.team(s, "Tokyo", timezone="Asia/Tokyo")
        kenji, ada = f.rep(s, "Kenji Rep", team=tokyo), f.rep(s, "Ada Admin", role=Role.admin)
        deal = f.deal(s, kenji, "Edge", amount=7_000, close_date=date(2027, 1, 10), created_at=at(9, 1), now=NOW)
        change(s, deal, "close_date", datetime(2026, 11, 15, 16, tzinfo=UTC), "2027-01-10", "2026-12-10")
        kenji_viewer, admin = Viewer.of(kenji), Viewer.of(ada)
    in_tokyo = report(runtime, kenji_viewer, period=since_monday)
    assert in_tokyo.period.start == datetime(2026, 11, 15, 15, tzinfo=UTC)
    assert steps(in_tokyo.rows)["pushed_out"] == (-1, -7_000) and steps(in_tokyo.rows)["start"] == (1, 7_000)
    in_utc = report(runtime, admin, period=since_monday)
    assert steps(in_utc.rows)["start"] == (0, 0) and steps(in_utc.rows)["pushed_out"] == (0, 0)
