"""Who is due a digest at an instant: their own timezone, hour, weekday, and no delivery that local day."""

from datetime import UTC, date, datetime, timedelta

from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.digest import compute
from storage import digest as store
from storage.models import Rep
from tests.conftest import SMALL_PROCESS
from tests.digest.fixtures import MONDAY, MONDAY_AFTERNOON_UTC, SUNDAY_NIGHT_UTC


def _due(runtime, now):
    with runtime.session() as s:
        schedule = compute.due_at(session=s, settings=runtime.settings, now=now)
    return {(d.person.name, d.kind, d.local_date) for d in schedule.dues}


def test_tokyo_is_due_on_monday_morning_while_los_angeles_is_still_in_its_weekend(runtime, floor):
    assert _due(runtime, SUNDAY_NIGHT_UTC) == {("Kenji Sato", "rep", MONDAY)}


def test_los_angeles_monday_morning_is_already_tuesday_night_in_tokyo(runtime, floor):
    assert _due(runtime, MONDAY_AFTERNOON_UTC) == {
        ("Lucy Park", "rep", MONDAY),
        ("Mia Manager", "rep", MONDAY),
        ("Mia Manager", "manager", MONDAY),  # managers also get the team roll-up
        ("Otto Berg", "rep", MONDAY),
    }


def test_due_from_the_digest_hour_on(runtime, floor):
    seven_fifty_nine_tokyo = datetime(2026, 11, 22, 22, 59, tzinfo=UTC)
    assert _due(runtime, seven_fifty_nine_tokyo) == set()
    assert _due(runtime, seven_fifty_nine_tokyo + timedelta(minutes=1)) == {("Kenji Sato", "rep", MONDAY)}


def test_a_delivery_record_for_the_local_day_ends_it_but_not_the_next_day(runtime, floor):
    with runtime.session() as s:
        store.reserve(session=s, rep_id=floor.kenji.id, local_date=MONDAY, kind="rep", now=SUNDAY_NIGHT_UTC, status="empty")
    assert _due(runtime, SUNDAY_NIGHT_UTC + timedelta(hours=3)) == set()
    tuesday_morning_tokyo = SUNDAY_NIGHT_UTC + timedelta(days=1)
    kenji = {d for d in _due(runtime, tuesday_morning_tokyo) if d[0] == "Kenji Sato"}
    assert kenji == {("Kenji Sato", "rep", MONDAY + timedelta(days=1))}


def test_weekends_are_off_unless_configured(runtime, floor, tmp_path):
    saturday_morning_tokyo = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    assert "Kenji Sato" not in {name for name, _, _ in _due(runtime, saturday_morning_tokyo)}
    weekend = Runtime(Settings(home=tmp_path / "home", database_url=runtime.settings.database_url,
                               process_file=SMALL_PROCESS, digest_days="sat,sun", digest_hour=7,
                               manager_summary_day="mon"),  # not Friday, Mia's day in New York at that instant
                      engine=runtime.engine)
    assert _due(weekend, saturday_morning_tokyo) == {("Kenji Sato", "rep", date(2026, 11, 21))}


def test_a_date_names_everyone_whose_workday_it_is_as_of_their_digest_hour(runtime, floor):
    with runtime.session() as s:
        store.reserve(session=s, rep_id=floor.otto.id, local_date=MONDAY, kind="rep", now=SUNDAY_NIGHT_UTC)
        monday = compute.due_on(session=s, settings=runtime.settings, day=MONDAY)
        everyone = compute.due_on(session=s, settings=runtime.settings, day=MONDAY, include_delivered=True)
        saturday = compute.due_on(session=s, settings=runtime.settings, day=date(2026, 11, 21))
    at = {(d.person.name, d.kind): d.at for d in monday.dues}
    assert at == {
        ("Kenji Sato", "rep"): datetime(2026, 11, 22, 23, 0, tzinfo=UTC),  # 08:00 Monday in Tokyo
        ("Lucy Park", "rep"): datetime(2026, 11, 23, 16, 0, tzinfo=UTC),  # 08:00 Monday in Los Angeles (PST)
        ("Mia Manager", "rep"): datetime(2026, 11, 23, 13, 0, tzinfo=UTC),
        ("Mia Manager", "manager"): datetime(2026, 11, 23, 13, 0, tzinfo=UTC),
    }
    assert ("Otto Berg", "rep") in {(d.person.name, d.kind) for d in everyone.dues}
    assert saturday.dues == []


def test_an_unknown_timezone_is_reported_not_guessed(runtime, floor):
    with runtime.session() as s:
        rep = s.get(Rep, floor.otto.id)
        rep.timezone = "Mars/Olympus_Mons"
        s.add(rep)
    with runtime.session() as s:
        schedule = compute.due_at(session=s, settings=runtime.settings, now=MONDAY_AFTERNOON_UTC)
    assert "Otto Berg" not in {d.person.name for d in schedule.dues}
    assert [(p.name, "Mars/Olympus_Mons" in why) for p, why in schedule.problems] == [("Otto Berg", True)]
