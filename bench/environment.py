"""A throwaway Django environment for benchmarks: temp SQLite, in-memory embedded emulator."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

_configured: Path | None = None


def django_configure() -> Path:
    """Point the portal's settings at a temporary directory, set Django up and migrate.

    Returns the directory (removed when the process exits). Calling it again does nothing more.
    """
    global _configured
    if _configured is not None:
        return _configured
    directory = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": f"sqlite:///{directory / 'db.sqlite3'}",
            "PLAIN_API_URL": "",
            "PLAIN_API_KEY": "bench-key",
            "PLAIN_EMULATOR_DATA": "",  # empty: the emulator keeps its state in memory
            "CELERY_BROKER_URL": "",
            "CELERY_TASK_ALWAYS_EAGER": "true",  # in process: tasks run (and are counted) here
            "REDIS_URL": "",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_LOG_LEVEL": "ERROR",
        }
    )
    import django
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    django.setup()
    # Nothing is collected: templates take static URLs as they are, and STATIC_ROOT (var/ by
    # default) points into the temporary directory instead.
    static_root = directory / "static"
    static_root.mkdir()
    override_settings(
        STATIC_ROOT=str(static_root),
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()
    call_command("migrate", verbosity=0, interactive=False)
    _configured = directory
    return directory
