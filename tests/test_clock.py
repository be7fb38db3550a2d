"""One clock: the program reads the time only through ``Runtime.now()``, and the suite can move the real one."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.timeutil import SystemClock

REPO = Path(__file__).resolve().parents[1]
PROGRAM = ("bot", "storage", "knowledge")

# Reads of the system clock, in Python or in SQL (a database default stamps rows with the database's clock).
# time.monotonic and time.perf_counter measure durations, not dates, and are fine.
CLOCK_READ = re.compile(
    r"\b(?:datetime\.(?:now|utcnow|today)|date\.today|time\.(?:time|time_ns|localtime|gmtime|ctime|strftime)"
    r"|utcnow|func\.(?:now|current_timestamp|current_date|current_time|localtimestamp))\s*\("
    r"|\bfrom time import\b.*\b(?:time|time_ns|localtime|gmtime|ctime|strftime)\b"
    r"|\bserver_(?:default|onupdate)\b|\b(?:CURRENT_TIMESTAMP|CURRENT_DATE|CURRENT_TIME|LOCALTIMESTAMP)\b"
    r"|(?<![.\w])(?:now|NOW)\(\)|\(\s*['\"]now['\"]")
# The real clock itself may be asked for only here, each for a reason.
SYSTEM_CLOCK = re.compile(r"\bSystemClock\(")
SEAM = {
    "storage/timeutil.py": CLOCK_READ,  # SystemClock: the one read of the system time
    "bot/core/runtime.py": SYSTEM_CLOCK,  # the clock of a runtime given none: production's
    "bot/digest/schedule.py": SYSTEM_CLOCK,  # APScheduler wakes on the real clock; what is due is the runtime's
    "bot/sync/schedule.py": SYSTEM_CLOCK,  # likewise for the CRM sync: the scheduler wakes on the real clock
}


def clock_reads(path: str, text: str) -> list[str]:
    """``path:line: code`` for each direct clock read in ``text`` that the seam does not allow."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]
        for pattern in (CLOCK_READ, SYSTEM_CLOCK):
            if pattern.search(code) and SEAM.get(path) is not pattern:
                found.append(f"{path}:{number}: {line.strip()}")
    return found


def test_nothing_outside_the_seam_reads_the_clock():
    found = []
    for top in PROGRAM:
        for file in sorted((REPO / top).rglob("*.py")):
            found += clock_reads(file.relative_to(REPO).as_posix(), file.read_text(encoding="utf-8"))
    assert found == [], "read the time with runtime.now() (or take `now` from the caller):\n" + "\n".join(found)


def test_the_seam_reads_the_system_clock_exactly_once():
    assert len(CLOCK_READ.findall((REPO / "storage/timeutil.py").read_text(encoding="utf-8"))) == 1


@pytest.mark.parametrize("code", [
    "now = datetime.now(UTC)", "today = date.today()", "stamp = int(time.time())", "at = utcnow()",
    "from time import time", "created = Column(DateTime, server_default=func.now())",
    "session.exec(text(\"SELECT now() AS t\"))", "update().values(seen=func.current_timestamp())",
    "text(\"DELETE FROM event WHERE at < CURRENT_TIMESTAMP\")", "text(\"SELECT datetime('now')\")",
    "clock = SystemClock()",
])
def test_the_lint_catches_each_kind_of_clock_read(code):
    assert clock_reads("bot/example.py", code) == [f"bot/example.py:1: {code}"]


@pytest.mark.parametrize("code", [
    "started = time.monotonic()", "took = time.perf_counter() - started", "now = runtime.now()",
    "# datetime.now() is read through the runtime", "def now(self) -> datetime:", "current_time = clock.now()",
    'WORDS = ["now", "today"]',
])
def test_the_lint_lets_durations_and_the_runtime_clock_through(code):
    assert clock_reads("bot/example.py", code) == []


def test_clock_shift_days_moves_the_system_clock(request, tmp_path):
    """The positive control of ``--clock-shift-days``: fails when the run's shift is not applied (or leaks without one).

    The kernel stamps a file's mtime with the real time, which time-machine cannot move.
    """
    days = request.config.getoption("clock_shift_days")
    probe = tmp_path / "probe"
    probe.write_text("now")
    real = datetime.fromtimestamp(probe.stat().st_mtime, UTC)
    moved = SystemClock().now() - real
    assert abs(moved - timedelta(days=days)) < timedelta(hours=1), f"asked for {days} days, moved {moved}"
