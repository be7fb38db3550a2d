"""The access token is never logged, printed or stored: not by a good run, nor by a failed one whose error
quotes it back (as a proxy or a misbehaving API might), nor by the scheduled run's log, nor by ``sync status``."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, String, Table, Text, inspect, select

from bot.cli import main
from bot.sync.client import CrmError
from bot.sync.schedule import run_scheduled_sync
from bot.sync.service import sync_hubspot, sync_status
from tests.sync.conftest import TOKEN, add_owners

pytestmark = pytest.mark.postgres


def _every_text_stored(runtime) -> str:
    """Every text value of every table, one long string."""
    found = []
    with runtime.engine.connect() as connection:
        for name in inspect(connection).get_table_names():
            table = Table(name, MetaData(), autoload_with=connection)
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            if columns:
                found += [str(value) for row in connection.execute(select(*columns)) for value in row]
    return "\n".join(found)


def test_the_token_is_never_logged_printed_or_stored(hubspot, sync_runtime, reps, clock, caplog, db_url):
    caplog.set_level(logging.DEBUG)
    add_owners(hubspot)
    hubspot.add_deal(name="Globex", stage="s-discover", owner="501", created=clock.now() - timedelta(days=9))
    assert sync_hubspot(sync_runtime).created == 1
    echoed = {"status": 400, "body": {"status": "error", "category": "VALIDATION_ERROR",
                                      "message": f"invalid header Authorization: Bearer {TOKEN}"}}
    clock.advance(timedelta(minutes=5))
    hubspot.fail_next(echoed)
    with pytest.raises(CrmError) as failed:
        sync_hubspot(sync_runtime)
    assert TOKEN not in str(failed.value) and "Bearer ****" in str(failed.value)
    hubspot.fail_next(echoed)
    run_scheduled_sync(sync_runtime)  # logs its failure
    assert "HubSpot sync failed" in caplog.text and "invalid header" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN not in _every_text_stored(sync_runtime)
    assert "invalid header" in (sync_status(sync_runtime).last_error or "")  # the error is kept, masked
    shown = json.dumps(sync_status(sync_runtime).to_json(), default=str)
    assert TOKEN not in shown and "****" + TOKEN[-4:] in shown
    env = {"STAGECOACH_DATABASE_URL": db_url, "HUBSPOT_ACCESS_TOKEN": TOKEN,
           "STAGECOACH_HUBSPOT_API_URL": hubspot.base_url}
    printed = CliRunner().invoke(main, ["sync", "status"], env=env)
    assert printed.exit_code == 0 and "invalid header" in printed.output and TOKEN not in printed.output
