"""Forecast categories (commit, best case, pipeline, omitted): from the CRM, else from the stage.

A deal whose CRM sets its forecast category (Salesforce ForecastCategoryName, HubSpot
hs_forecast_category, an import's ``forecast_category`` column) has that one. Otherwise its stage
decides: the map's ``forecast_category`` for the stage when it sets one, else the stage's probability —
``COMMIT_AT`` or more is commit, ``BEST_CASE_AT`` or more best case, anything else pipeline. Only the
CRM or the map puts a deal in omitted.
"""

from __future__ import annotations

from knowledge.process_map import FORECAST_CATEGORIES, ProcessMap

COMMIT_AT = 0.7
BEST_CASE_AT = 0.4
NAMES = {"commit": "Commit", "best_case": "Best case", "pipeline": "Pipeline", "omitted": "Omitted"}
RULE = (f"from the CRM's forecast category, else the map's for the stage, else the stage's probability "
        f"(commit from {COMMIT_AT:.0%}, best case from {BEST_CASE_AT:.0%}, pipeline below)")

def category_of(process: ProcessMap, stage_key: str, crm_category: str | None = None) -> str:
    """The forecast category of a deal in ``stage_key`` (see the module's rule)."""
    if crm_category in FORECAST_CATEGORIES:
        return crm_category
    stage = process.stage(stage_key)
    if stage is None:
        return "pipeline"
    if stage.forecast_category:
        return stage.forecast_category
    probability = stage.probability or 0
    return "commit" if probability >= COMMIT_AT else "best_case" if probability >= BEST_CASE_AT else "pipeline"
