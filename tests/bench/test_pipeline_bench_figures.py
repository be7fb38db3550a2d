"""bench/pipeline_bench.py prints no timing over wrong figures: a report or a core query whose figures differ
from DuckDB's (the idiomatic query's, for the core queries) stops it with a non-zero exit."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "pipeline_bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("pipeline_bench", BENCH)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def result(bench, engine: str, flow_at_end: int) -> dict:
    return {"engine": engine, "peak_rss_mb": 100.0,
            "timings_ms": dict.fromkeys(bench.REPORTS, 10.0), "figures": {name: [] for name in bench.REPORTS},
            "core_ms": dict.fromkeys(bench.IDIOMATIC, 5.0),
            "core_figures": {name: [["discover", 4, 0, 1, 3 if name != "flow" else flow_at_end]]
                             for name in bench.IDIOMATIC}}


def test_matching_figures_print_each_pair(bench, capsys):
    bench.report([result(bench, "duckdb", 3), result(bench, "postgresql", 3)])
    out = capsys.readouterr().out
    assert "flow                        5 ms          5 ms              1.0x" in out
    assert out.rstrip().endswith("figures: identical on every engine")


def test_a_core_query_that_differs_from_the_idiomatic_one_exits_non_zero_without_timings(bench, capsys):
    with pytest.raises(SystemExit) as stopped:
        bench.report([result(bench, "duckdb", 3), result(bench, "postgresql", 4)])
    assert "postgresql flow (against the idiomatic DuckDB query)" in str(stopped.value.code)
    assert capsys.readouterr().out == ""  # a non-int code: Python prints it to stderr and exits 1
