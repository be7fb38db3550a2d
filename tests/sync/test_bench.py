"""bench/sync_bench.py at a small size: it must finish, find every deal, and exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_sync_bench_runs_at_a_small_size(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "sync_bench.py"), "--deals", "300",
                             "--changed", "40", "--reps", "5"], capture_output=True, text=True, timeout=600,
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "first sync: 300 deals" in result.stdout and "incremental sync: 40 deals" in result.stdout
    assert "FAILED" not in result.stderr


def test_the_sync_bench_runs_salesforce_at_a_small_size(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "sync_bench.py"), "--crm", "salesforce",
                             "--deals", "300", "--changed", "40", "--reps", "5"], capture_output=True, text=True,
                            timeout=600, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "first sync by query/queryMore (REST): 300 deals" in result.stdout
    assert "first sync by Bulk API 2.0: 300 deals" in result.stdout and "incremental sync: 40 deals" in result.stdout
    assert "FAILED" not in result.stderr
