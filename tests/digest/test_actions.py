"""The digest's buttons as the engine reads them back: a value no digest wrote is refused."""

import pytest

from bot.core.errors import InvalidInput
from bot.digest import actions


@pytest.mark.parametrize("action_id, value", [
    ("digest_done", "not json"), ("digest_done", '{"f": 1}'), ("digest_snooze_1d", '{"d": "x"}'),
    ("deal_log_activity", '{"d": 1}')])
def test_a_value_no_digest_wrote_is_refused(action_id, value):
    with pytest.raises(InvalidInput):
        actions.parse(action_id, value)
