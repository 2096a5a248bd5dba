"""Dataset pages and records: upload, versions, publication, search, download.

The reading, validation, screening, storage and export work is done by the
``datasets`` package; this feature keeps the records and the pages.
"""
