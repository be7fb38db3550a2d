"""``--clock-shift-days``: the system clock moved N days for a whole run, child processes included.

time-machine moves the clock of the process it runs in, so the run's processes each start
the same shift: pytest and its xdist workers from ``pytest_configure``, and the ``stagecoach``
commands a test launches through ``command()`` (their signature checks and digests must see
the same time as the test that signed the request or dated the fixtures).
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

from storage.timeutil import SystemClock

ENV = "TEST_CLOCK_SHIFT_DAYS"  # not STAGECOACH_*: the test environment keeps it
REPO = Path(__file__).resolve().parents[2]


def start(days: int):
    """Move this process's system clock ``days`` days from now (time keeps flowing); the traveller, or None."""
    os.environ[ENV] = str(days)
    if not days:
        return None
    import time_machine

    traveller = time_machine.travel(SystemClock().now() + timedelta(days=days), tick=True)
    traveller.start()
    return traveller


def command(*args: str) -> list[str]:
    """``stagecoach ARGS`` as a child process (run it with ``cwd=REPO``) on this run's shifted clock."""
    return [sys.executable, "-m", "tests.utils.clock_shift", *args]


if __name__ == "__main__":
    start(int(os.environ.get(ENV) or 0))
    from bot.cli import main

    main(args=sys.argv[1:], prog_name="stagecoach")
