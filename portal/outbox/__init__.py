"""The one durable delivery mechanism (DESIGN, "outbox/"): rows, claiming, backoff, sweep, task.

Whatever must reach Plain (or anyone) despite outages is a row whose model derives from
`OutboxRow`; a *kind* says which rows are its own and how to deliver them (a handler), and is
registered once (`portal.outbox.registry.register`, from an app's `ready()`). Everything else,
the state, the lease, the backoff, giving up, the sweep, pruning, the Celery task and the admin's
retry action, lives here once. portal/outbox/services.py states the rules.
"""
