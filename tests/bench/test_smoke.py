"""Benchmarks are tests too: each one runs at its small size (``--smoke``) and must finish and exit 0.

Each bench checks its own run (every status 200, every question answered, every row imported, the same
figures on every engine) and exits non-zero, printing no figure, when it is broken; the last test shows
that check failing on an app whose answers cannot be built. The full sizes still produce the figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMOKE_TIMEOUT = 900  # seconds: generous for a loaded machine; a hung bench fails here instead of hanging the suite

# bench -> a line its smoke run prints only once everything it checks went right
BENCHES = {
    "coach_bench.py": "peak memory of one `stagecoach ask` process",
    "dialogue_bench.py": "== writes: write kind",
    "digest_bench.py": "sqlite: delivered in",
    "import_bench.py": "deals (re-import)",
    "intent_bench.py": "== dev: ",
    "pipeline_bench.py": "figures: identical on every engine",
    "router_cv.py": "2-fold cross-validation",
    "slack_bench.py": "every tab got its prompts, every feedback click its thanks",
}

# bench -> the test that runs its small size instead
SMOKED_ELSEWHERE = {"sync_bench.py": "tests/sync/test_bench.py", "startup_bench.py": "tests/bench/test_startup_bench.py"}


def run_bench(name: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "bench" / name), "--smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=SMOKE_TIMEOUT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def test_every_bench_has_a_smoke_run():
    assert sorted(p.name for p in (ROOT / "bench").glob("*.py")) == sorted([*BENCHES, *SMOKED_ELSEWHERE])
    assert all((ROOT / test).is_file() for test in SMOKED_ELSEWHERE.values())


@pytest.mark.model
@pytest.mark.parametrize("name", sorted(BENCHES))
def test_a_bench_finishes_its_smoke_run(name):
    done = run_bench(name)
    assert done.returncode == 0, f"{name} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    assert BENCHES[name] in done.stdout, done.stdout[-2000:]


@pytest.mark.model
def test_the_slack_bench_fails_and_prints_no_figure_when_the_app_cannot_answer():
    # Configuration, not a mock: the app is told to route with an embedding model that is not installed.
    done = run_bench("slack_bench.py", {"STAGECOACH_LOCAL_EMBEDDING_MODEL": "no-such-embedding-model"})
    assert done.returncode != 0
    assert "FAILED: the first question got no answer" in done.stderr, done.stderr[-3000:]
    assert "ack latency" not in done.stdout and "answered exactly once" not in done.stdout
