"""Bulk API 2.0 query jobs: a large first sync reads every opportunity and its history in a few calls.

A job is created with the SOQL, polled until ``JobComplete``, and its results read as CSV pages chained by
the ``Sforce-Locator`` header. Measured on the emulator (bench/sync_bench.py --crm salesforce), REST costs
about one call per 100 opportunities (200 ids and their history per two calls) while a job costs a fixed
handful, and waits for Salesforce to run it: ``SALESFORCE_BULK_MIN`` opportunities is where Bulk starts
to pay.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

from bot.sync.client import CrmError
from bot.sync.salesforce.api import SalesforceClient

PAGE_RECORDS = 50_000  # rows asked per results page
POLL_SECONDS = 2.0  # first wait between polls; doubled up to a minute
POLL_MAX = 60.0
POLLS = 200  # then the job is given up (it may still finish; the next sync starts again)


def bulk_query(client: SalesforceClient, soql: str, *, sleep: Callable[[float], None]) -> Iterator[dict[str, Any]]:
    """Every row of ``soql`` run as a Bulk API 2.0 query job, as {column: text or None} (an empty CSV cell is
    None: Bulk's CSV does not tell an empty text from null, and no field read here keeps empty texts).

    Raises:
        CrmError: the job failed or was aborted, or did not finish in time.
    """
    jobs = f"{client.data_path}/jobs/query"
    job = client.request("POST", jobs, body={"operation": "query", "query": soql, "contentType": "CSV"})
    wait = POLL_SECONDS
    for _ in range(POLLS):
        state = client.request("GET", f"{jobs}/{job['id']}")
        if state["state"] == "JobComplete":
            break
        if state["state"] in ("Failed", "Aborted"):
            raise CrmError(f"Salesforce's Bulk API query job {state['state'].lower()}: "
                           f"{state.get('errorMessage') or 'no reason given'}")
        sleep(wait)
        wait = min(POLL_MAX, wait * 2)
    else:
        raise CrmError("Salesforce's Bulk API query job did not finish in time; the next sync starts again")
    locator: str | None = None
    while True:
        params = {"maxRecords": str(PAGE_RECORDS), **({"locator": locator} if locator else {})}
        response = client.request("GET", f"{jobs}/{job['id']}/results", params=params, raw=True)
        for row in csv.DictReader(io.StringIO(response.text)):
            yield {name: (value if value != "" else None) for name, value in row.items()}
        locator = response.headers.get("Sforce-Locator")
        if not locator or locator == "null":
            return
