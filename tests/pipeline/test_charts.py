"""Charts: PNGs for status and flow, nothing for the other reports."""

from __future__ import annotations

import io

from matplotlib.image import imread

from bot.coach.engine import Coach
from bot.pipeline.charts import chart_png
from storage.access import Viewer
from tests.pipeline.history import NOW

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_status_and_flow_answers_come_with_a_chart(runtime, history):
    coach = Coach(runtime)
    for question in ["How is my team's pipeline?", "stage flow in October"]:
        report = coach.ask(Viewer.of(history.manager), question, now=NOW).data["reports"][0]
        png = chart_png(report)
        assert png.startswith(PNG_SIGNATURE)
        height, width, _ = imread(io.BytesIO(png)).shape
        assert (width, height) == (960, 432)


def test_other_reports_and_empty_ones_have_no_chart(runtime, history):
    stuck = Coach(runtime).ask(Viewer.of(history.manager), "Pipeline: what's stuck?", now=NOW).data["reports"][0]
    assert chart_png(stuck) is None
    assert chart_png({"report": "flow", "rows": []}) is None
