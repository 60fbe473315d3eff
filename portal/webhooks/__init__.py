"""Plain -> portal: the signed webhook endpoint, the inbox of events, and their handlers.

The endpoint (views.py) verifies and stores; the inbox (models.InboxEvent, the "webhooks.inbox"
kind of portal/outbox/) applies each event once, on a worker, through the handlers registered
in handlers.py; services.py holds the rules and the reconciliation that recovers missed events.
"""
