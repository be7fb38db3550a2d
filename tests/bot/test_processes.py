"""Loading a process version keeps history and never orphans deals silently."""

from pathlib import Path

import pytest
from sqlmodel import select

from bot.core.errors import InvalidInput
from bot.core.processes import activate
from storage.models import CriterionCheck, Deal, ProcessVersion, StageChange
from tests.conftest import SMALL_PROCESS
from tests.utils import factories as f


def _without_validate(tmp_path: Path) -> Path:
    """The small map with its 'validate' stage removed, as version 2."""
    text = SMALL_PROCESS.read_text().replace("version: 1", "version: 2")
    start = text.index("  - key: validate")
    end = text.index("  - key: close")
    path = tmp_path / "v2.yaml"
    path.write_text(text[:start] + text[end:])
    return path


def test_first_use_activates_the_configured_map(runtime):
    assert runtime.process.name == "Test process"
    with runtime.session() as s:
        [row] = s.exec(select(ProcessVersion)).all()
    assert row.active and row.version == 1 and row.loaded_at == runtime.now()


def test_removing_a_stage_with_deals_is_refused_and_changes_nothing(runtime, tmp_path):
    runtime.process  # noqa: B018  (activate v1)
    with runtime.session() as s:
        alice = f.rep(s, "Alice")
        f.deal(s, alice, "Globex", stage="validate")
    with pytest.raises(InvalidInput) as caught, runtime.session() as s:
        activate(session=s, path=_without_validate(tmp_path), now=runtime.now())
    assert "--move validate=NEW_STAGE" in str(caught.value)
    assert runtime.reload_process().version == 1


def test_moves_send_orphaned_deals_on_and_history_is_kept(runtime, tmp_path):
    runtime.process  # noqa: B018
    with runtime.session() as s:
        alice = f.rep(s, "Alice")
        deal = f.deal(s, alice, "Globex", stage="validate")
        f.check(s, deal, "pain_confirmed", stage="discover")
    with runtime.session() as s:
        process, moved = activate(session=s, path=_without_validate(tmp_path), moves={"validate": "close"}, now=runtime.now())
    assert moved == {"validate": 1} and process.version == 2
    assert runtime.reload_process().version == 2
    with runtime.session() as s:
        moved_deal = s.get(Deal, deal.id)
        assert (moved_deal.stage_key, moved_deal.stage_entered_at) == ("close", runtime.now())
        change = s.exec(select(StageChange)).one()
        assert (change.from_stage, change.to_stage, change.source, change.changed_at) == (
            "validate", "close", "process-load", runtime.now())
        assert s.exec(select(CriterionCheck)).one().criterion_key == "pain_confirmed"


def test_a_move_to_an_unknown_stage_is_refused(runtime, tmp_path):
    runtime.process  # noqa: B018
    with pytest.raises(InvalidInput, match="'nowhere' is not a stage"), runtime.session() as s:
        activate(session=s, path=_without_validate(tmp_path), moves={"validate": "nowhere"}, now=runtime.now())
