"""bench/startup_bench.py at its small size: a fresh demo and a cold ask run, each figure printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

BENCH = Path(__file__).resolve().parents[2] / "bench" / "startup_bench.py"


def test_the_startup_bench_runs_a_demo_and_a_cold_ask_and_prints_every_figure():
    run = subprocess.run([sys.executable, str(BENCH), "--small"], capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    for start in ("CLI start (--help):", "stagecoach demo (10 deals", "cold ask 1 ", "virtual environment "):
        assert any(line.startswith(start) for line in lines), (start, run.stdout)
    help_line = next(line for line in lines if line.startswith("CLI start"))
    assert "torch" not in help_line and "transformers" not in help_line  # no model runtime to print the help
