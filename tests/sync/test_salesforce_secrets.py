"""The private key and the session id never appear in logs, errors, the database or `sync status`."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, select

from bot.cli import main
from bot.sync.schedule import run_scheduled_sync
from bot.sync.service import sync_salesforce, sync_statuses
from tests.conftest import SMALL_PROCESS
from tests.sync.conftest import USERNAME, with_ann

pytestmark = pytest.mark.postgres


def _database_text(runtime) -> str:
    metadata = MetaData()
    metadata.reflect(runtime.engine)
    with runtime.engine.connect() as connection:
        return "\n".join(str(tuple(row)) for table in metadata.sorted_tables
                         for row in connection.execute(select(table)))


def test_no_key_and_no_session_anywhere(org, sf_runtime, clock, db_url, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, httpx's included
    settings = sf_runtime.settings
    key_text = settings.salesforce_private_key_file.read_text()
    key_lines = [line for line in key_text.splitlines() if line and "PRIVATE KEY" not in line]
    writing = sf_runtime.__class__(settings.model_copy(update={"crm_write": "on"}), engine=sf_runtime.engine,
                                   clock=clock)
    ann = with_ann(org, writing, clock)
    org.add_opportunity(clock.now() - timedelta(days=1), Name="Globex", StageName="Needs Analysis", OwnerId=ann)
    sync_salesforce(writing)  # a good run
    clock.advance(timedelta(minutes=20))
    org.expire_sessions()  # renewed: a second session
    org.hide("OpportunityHistory")  # then a failure, stored as the last error
    org.edit_opportunity(next(iter(org.records["Opportunity"])), clock.now() - timedelta(minutes=5), Amount=10)
    with pytest.raises(Exception) as failed:  # noqa: B017 - any error: its words are what is checked
        sync_salesforce(writing)
    clock.advance(timedelta(minutes=20))
    org.sessions_refused = True
    run_scheduled_sync(writing)  # logs its failure

    sessions = list(org.sessions)
    assert len(sessions) >= 2
    env = {"STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS),
           "SALESFORCE_INSTANCE_URL": org.instance_url, "SALESFORCE_CLIENT_ID": settings.salesforce_client_id,
           "SALESFORCE_USERNAME": USERNAME, "SALESFORCE_PRIVATE_KEY_FILE": str(settings.salesforce_private_key_file)}
    status_text = CliRunner().invoke(main, ["sync", "status"], env=env).output
    status_json = CliRunner().invoke(main, ["sync", "status", "--json"], env=env).output
    cli_failure = CliRunner().invoke(main, ["sync", "salesforce"], env=env).output
    places = {"logs": caplog.text, "error": str(failed.value), "database": _database_text(sf_runtime),
              "status": status_text + status_json + json.dumps([s.to_json() for s in sync_statuses(writing)]),
              "cli": cli_failure}
    assert "Salesforce sync (" in status_text and "INVALID_SESSION_ID" in cli_failure  # they did say something
    for place, text in places.items():
        for session in sessions:
            assert session not in text and session.split("!")[1] not in text, place
        for line in key_lines:
            assert line not in text, place
