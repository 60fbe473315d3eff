"""`manage.py run_embedded [addrport]`: the embedded default's processes, for `make run`.

Starts a Celery worker with beat embedded (`celery -A portal worker --beat`) on the configured
broker (kombu's filesystem transport under var/celery/ when CELERY_BROKER_URL is unset), then
serves the portal with runserver in the foreground. When runserver stops (Ctrl-C, SIGTERM, an
error), the worker is stopped too; when the worker dies, runserver is stopped, so delivery never
silently stops while the portal serves.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the portal (runserver) with a Celery worker and beat delivering the outbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--noreload", action="store_true", help="runserver's --noreload")

    def handle(self, *args: Any, **options: Any) -> None:
        if os.environ.get("RUN_MAIN") == "true":
            # runserver's autoreloader runs this command again in its child: serve only.
            call_command("runserver", options["addrport"])
            return
        from portal.agent_context.card_configs import card_configs_ensure_on_start
        from portal.webhooks.target import target_ensure_on_start

        if ensured := target_ensure_on_start():  # plain_webhooks --ensure, over the emulator
            self.stdout.write(ensured)
        if ensured := card_configs_ensure_on_start():  # plain_customer_cards --ensure, likewise
            self.stdout.write(ensured)
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable, "-m", "celery", "-A", "portal", "worker", "--beat",
                "--schedule", str(settings.VAR_DIR / "celerybeat-schedule"),
                "--pool", "solo", "--loglevel", "INFO",
                "--without-mingle", "--without-gossip", "--without-heartbeat",
            ],
        )  # fmt: skip
        self.stdout.write(f"Delivery: Celery worker and beat (pid {worker.pid}) on {_broker()}")
        self.stdout.flush()

        def stop(signum: int, frame: object) -> None:
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, stop)
        stopping = threading.Event()
        threading.Thread(target=_stop_when_gone, args=(worker, stopping), daemon=True).start()
        try:
            call_command("runserver", options["addrport"], use_reloader=not options["noreload"])
        finally:
            stopping.set()
            _stop(worker)


def _broker() -> str:
    if settings.CELERY_BROKER_URL == "portal-filesystem://":
        return f"the filesystem transport ({settings.CELERY_FILESYSTEM_FOLDER})"
    return "CELERY_BROKER_URL"  # never the URL itself: it may carry a password


def _stop_when_gone(worker: subprocess.Popen[bytes], stopping: threading.Event) -> None:
    """The worker died on its own: stop serving (SIGTERM to ourselves, handled above)."""
    worker.wait()
    if not stopping.is_set():
        os.kill(os.getpid(), signal.SIGTERM)


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()  # Celery's warm shutdown: the task under way finishes
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
