"""Background jobs whose state lives in the database, so any web process can show any job.

The embedded default runs jobs on a thread pool inside the web process; a broker
(issue #8) can take its place without views changing, since views only submit
and read rows.
"""
