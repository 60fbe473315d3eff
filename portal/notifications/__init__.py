"""Emails to customers when support answers, resolves or waits on them (DESIGN, "notifications/").

Who is told, on what, and how often is portal/notifications/services.py's docstring; the webhook
handlers that feed it are registered from the app's `ready()` (portal/notifications/handlers.py),
and the emails go out as rows of the "notifications.email" outbox kind.
"""
