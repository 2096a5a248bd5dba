"""The JSON API, version 1: the same services as the pages, with token authentication."""
