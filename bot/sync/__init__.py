"""Live CRM sync: deals, owners and stage history read from a CRM's API into the importer's checks and writes.

``client`` speaks HTTP within the CRM's rate limits; ``hubspot`` reads HubSpot into typed records;
``engine`` runs a sync (windows, cursor, one runner at a time) for any CRM that gives such records.
"""
