"""gunicorn's settings for the portal: the image's CMD and docker-compose's web service use them.

The portal is I/O-bound: a request mostly waits on Plain (up to PLAIN_TIMEOUT_SECONDS per call)
or the database. So each worker process serves many requests at once on threads (gthread), and
the process count follows the CPU count. One sync worker, gunicorn's default, serves one request
at a time: a slow Plain answer or one client that stalls its request body stalls everyone,
/healthz included.

A thread still waits on a client that sends its body slowly, so in production gunicorn sits
behind a proxy that buffers whole requests before passing them on (nginx does by default,
`proxy_request_buffering on`); the threads then absorb the rest. Behind that proxy, set
FORWARDED_ALLOW_IPS to its address (gunicorn reads it) and, for the login limits,
PORTAL_CLIENT_IP_HEADER (portal/accounts/throttling.py).

Every value can be overridden from the environment: WEB_CONCURRENCY (processes), GUNICORN_THREADS,
GUNICORN_TIMEOUT, PORT.
"""

import os

_cpus = os.cpu_count() or 1

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
# Processes use the cores (Python runs one thread at a time per process); threads cover the waits.
workers = int(os.environ.get("WEB_CONCURRENCY", _cpus + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 16))
# A worker takes only the connections its threads can serve now. gthread's default (1000) lets a
# worker whose threads are all busy, say on stalled clients, accept more and queue them behind
# those; capped, the rest wait in the listen backlog until any worker has a free thread.
worker_connections = threads
# A worker that stops answering its heartbeat this long is restarted. Requests themselves end
# well before: every Plain call has PLAIN_TIMEOUT_SECONDS and the client a total budget.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
# On SIGTERM (a deploy), requests in flight get this long to finish.
graceful_timeout = 30
# With worker_connections = threads gthread keeps no idle keep-alive connections (a proxy opens a
# connection per request, nginx's default); this is how long a response's connection may linger.
keepalive = 2
# The heartbeat file on tmpfs: a container's overlay filesystem can stall it.
_SHM = "/dev/shm"  # noqa: S108 (gunicorn's documented choice for its heartbeat files)
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None
accesslog = "-"
# gunicorn's default format without the query string (%(U)s, not %(r)s): a single sign-on token
# arrives in one (/sso/jwt/?token=...), and searches carry customers' words.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s"'
errorlog = "-"
# Restart workers now and then, staggered, so a slow leak never grows without end.
max_requests = 2000
max_requests_jitter = 200
