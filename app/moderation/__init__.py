"""Moderation: reports, the queue, actions, appeals and the audit log.

The rules are plain functions over a session (the caller commits), one module per job:
`targets` (what a (kind, id) is about, who sees it), `scope` (who may moderate what), `actions`
(`perform`, the one entry point for the pages, the JSON API and the socket), `checks` and
`effects` (what refuses and what each action does), `reports` (reports, the queue, appeals),
`audit` (writing and reading the log). `views` holds the pages, `app/api/moderation.py` the JSON,
and the `/chat` namespace's `moderate` event the socket. This package's __init__ imports nothing.
"""
