"""Pooled reanalysis (issue #4): recorded, re-runnable analysis runs on published datasets."""
