"""Salesforce as a live CRM: ``api`` speaks its REST API (JWT login, limits, retries), ``source`` reads the org
into the records every CRM gives the engine, ``writeback`` delivers confirmed changes, ``bulk`` reads a large
first sync through Bulk API 2.0."""

from bot.sync.salesforce.api import CRM, SalesforceClient, SalesforceLimitError, client_for, parse_limit_info  # noqa: F401
from bot.sync.salesforce.source import SalesforceSource, parse_time  # noqa: F401
