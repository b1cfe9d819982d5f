"""Moderation: reports, the queue, actions, appeals and the audit log.

`service` holds the rules (who may do what, and what each action does); `views` the pages,
`app/api/moderation.py` the JSON, and the `/chat` namespace's `moderate` event the socket.
This package's __init__ imports nothing: the networks views import the service lazily.
"""
