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

# The CRMs' and people's spellings of the categories. Salesforce's "Closed" says nothing an open deal's
# status does not; it is read as no category.
_SPELLINGS = {"commit": "commit", "best case": "best_case", "bestcase": "best_case", "best_case": "best_case",
              "pipeline": "pipeline", "omitted": "omitted", "omit": "omitted", "not forecasted": "omitted",
              "not_forecasted": "omitted", "closed": None}


def read_category(text: str | None) -> str | None:
    """The category ``text`` names, None for none or "Closed".

    Raises:
        ValueError: text that names no category.
    """
    if text is None or not text.strip():
        return None
    key = " ".join(text.strip().lower().replace("-", " ").split())
    if key in _SPELLINGS:
        return _SPELLINGS[key]
    if key.replace(" ", "_") in _SPELLINGS:
        return _SPELLINGS[key.replace(" ", "_")]
    raise ValueError(f"unknown forecast category {text!r} (one of {', '.join(NAMES.values())})")


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
