"""Pipeline reports for managers: figures in SQL (storage.reports), reading questions, tables and charts."""
