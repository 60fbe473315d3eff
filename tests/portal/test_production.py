"""A serving process refuses to start with settings that are unsafe in production.

gunicorn and Celery run no system checks, so portal/wsgi.py and the Celery worker refuse by
themselves (with DEBUG off): the checkout's secret key, a per-process cache (the login and reset
limits would count per worker), email to the console (reset links in the log). Each is a real
process started with a production environment minus one variable. The test suite itself runs with
DEBUG off and the checkout defaults, and is not refused: it never starts a serving process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.portal.test_deploy import PRODUCTION_ENV, run_deploy_check

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PLAIN_", "CELERY_", "DATABASE_", "REDIS_", "EMAIL_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def without(name: str) -> dict[str, str]:
    return {key: value for key, value in PRODUCTION_ENV.items() if key != name}


def load_wsgi(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import portal.wsgi"],
        cwd=ROOT,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


UNSAFE = [
    pytest.param(without("DJANGO_SECRET_KEY"), "DJANGO_SECRET_KEY", id="default-secret-key"),
    pytest.param(without("REDIS_URL"), "REDIS_URL", id="per-process-cache"),
    pytest.param(without("EMAIL_URL"), "EMAIL_URL", id="console-email"),
    pytest.param(
        {**PRODUCTION_ENV, "EMAIL_URL": "filemail:///tmp/mails"}, "EMAIL_URL", id="file-email"
    ),
    pytest.param(without("CELERY_BROKER_URL"), "CELERY_BROKER_URL", id="folder-broker"),
    pytest.param(
        {
            **PRODUCTION_ENV,
            "OIDC_RP_CLIENT_ID": "portal",
            "OIDC_OP_DISCOVERY_URL": "https://login.example.test",
        },
        "OIDC_RP_CLIENT_SECRET",
        id="oidc-without-secret",
    ),
    pytest.param(
        {
            **PRODUCTION_ENV,
            "OIDC_RP_CLIENT_ID": "portal",
            "OIDC_RP_CLIENT_SECRET": "a-client-secret",
            "OIDC_OP_DISCOVERY_URL": "http://login.example.test",
        },
        "OIDC_OP_DISCOVERY_URL must be https",
        id="oidc-over-http",
    ),
]


def test_the_wsgi_application_loads_with_production_settings():
    result = load_wsgi(PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("env", "names"), UNSAFE)
def test_the_wsgi_application_refuses_unsafe_production_settings(env, names):
    result = load_wsgi(env)

    assert result.returncode != 0
    assert "Refusing to start" in result.stderr
    assert names in result.stderr  # says what to set
    assert PRODUCTION_ENV["DJANGO_SECRET_KEY"] not in result.stderr


def test_with_debug_on_a_checkout_is_not_refused():
    result = load_wsgi({"DJANGO_DEBUG": "true"})

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("env", "names"), UNSAFE)
def test_the_deploy_check_reports_the_same_problems(env, names):
    result = run_deploy_check(env)

    assert result.returncode != 0
    assert "portal.E" in result.stdout + result.stderr
    assert names in result.stdout + result.stderr


def test_the_celery_worker_refuses_unsafe_production_settings(tmp_path):
    env = clean_env({**without("REDIS_URL"), "CELERY_BROKER_URL": "memory://"})

    result = subprocess.run(
        [str(CELERY), "-A", "portal", "worker", "--pool", "solo", "--loglevel", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "Refusing to start" in result.stdout + result.stderr
    assert "REDIS_URL" in result.stdout + result.stderr
