"""Deployment: production settings pass Django's deploy checks; the container files hang together.

No Docker engine runs here, so the Dockerfile and docker-compose.yml are checked by reading them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "k3V9-pQz!w7Lr2#xB8nT5@yH1uJ6mC4sE0aD-fG9hR2tY7iO3pL5zX8cV1bN6mQ4",
    "DJANGO_ALLOWED_HOSTS": "support.example.com",
    # A shared cache, a real mail server and a broker: production refuses the per-process,
    # console and local-folder defaults (portal/production.py). Nothing connects to them here.
    "REDIS_URL": "redis://127.0.0.1:6379/13",
    "EMAIL_URL": "smtp+tls://portal:secret@smtp.example.com:587",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13",
}
# Variables the README documents for the portal and its deployment.
PORTAL_ENV = {
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "PLAIN_API_URL",
    "PLAIN_API_KEY",
}


def run_deploy_check(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Start from a clean slate: no settings variables from the developer's shell or .env leak in.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PLAIN_", "CELERY_", "DATABASE_", "REDIS_", "EMAIL_"))
    }
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deploy_checks_without_warnings():
    result = run_deploy_check(PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_checkout_default_secret_key_is_flagged():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}

    result = run_deploy_check(env)

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_debug_in_production_is_flagged():
    result = run_deploy_check({**PRODUCTION_ENV, "DJANGO_DEBUG": "true"})

    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


# --- Dockerfile -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def test_image_is_python_311_slim(dockerfile):
    assert instructions(dockerfile)[0] == ("FROM", "python:3.11-slim")


def test_image_installs_the_pinned_requirements(dockerfile):
    runs = [args for word, args in instructions(dockerfile) if word == "RUN"]
    assert any("pip install -r requirements.txt" in args for args in runs)


def test_static_files_are_collected_at_build_with_a_build_only_secret(dockerfile):
    runs = [args for word, args in instructions(dockerfile) if word == "RUN"]
    collect = next(args for args in runs if "collectstatic" in args)
    assert "DJANGO_SECRET_KEY=" in collect
    assert "--noinput" in collect
    # The build-time key must not persist into the image's environment.
    envs = " ".join(args for word, args in instructions(dockerfile) if word in {"ENV", "ARG"})
    assert "DJANGO_SECRET_KEY" not in envs


def test_the_server_runs_as_a_non_root_user(dockerfile):
    steps = instructions(dockerfile)
    users = [index for index, (word, _) in enumerate(steps) if word == "USER"]
    assert users, "no USER instruction"
    assert steps[users[-1]][1] not in {"root", "0"}
    cmd = next(index for index, (word, _) in enumerate(steps) if word == "CMD")
    assert users[-1] < cmd


def test_the_server_is_gunicorn_on_the_wsgi_app(dockerfile):
    cmd = next(args for word, args in instructions(dockerfile) if word == "CMD")
    assert "gunicorn" in cmd and "portal.wsgi:application" in cmd


def test_the_server_runs_with_the_repositorys_gunicorn_config(dockerfile, compose):
    cmd = next(args for word, args in instructions(dockerfile) if word == "CMD")
    assert "gunicorn.conf.py" in cmd
    assert "gunicorn.conf.py" in command_of(compose["services"]["web"])
    assert (ROOT / "gunicorn.conf.py").is_file()


def test_compose_requires_a_mail_server_instead_of_the_console(compose):
    email = compose["services"]["web"]["environment"]["EMAIL_URL"]
    assert email.startswith("${EMAIL_URL:?")
    assert "consolemail" not in email


def test_the_healthcheck_runs_the_health_probe(dockerfile):
    healthcheck = next(args for word, args in instructions(dockerfile) if word == "HEALTHCHECK")
    assert "portal.health" in healthcheck


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".git", ".venv", "var"} <= ignored


# --- docker-compose.yml -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_of(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def test_compose_runs_web_worker_beat_redis_and_postgres(compose):
    assert {"web", "worker", "beat", "redis", "postgres"} <= set(compose["services"])


@pytest.mark.parametrize("name", ["web", "worker", "beat", "migrate"])
def test_every_portal_service_gets_the_portal_environment(compose, name):
    service = compose["services"][name]
    assert service["build"] == "."
    assert set(service["environment"]) >= PORTAL_ENV
    assert service["environment"]["DJANGO_DEBUG"] == "false"


def test_celery_services_run_the_portal_app(compose):
    assert "celery -A portal worker" in command_of(compose["services"]["worker"])
    assert "celery -A portal beat" in command_of(compose["services"]["beat"])


def test_migrations_run_before_the_web_server_and_workers_start(compose):
    assert "manage.py migrate" in command_of(compose["services"]["migrate"])
    for name in ("web", "worker", "beat"):
        depends = compose["services"][name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_compose_points_the_portal_at_its_own_postgres_and_redis(compose):
    env = compose["services"]["web"]["environment"]
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    assert env["REDIS_URL"].startswith("redis://redis:6379/")


def test_compose_requires_the_secrets_instead_of_defaulting_them(compose):
    env = compose["services"]["web"]["environment"]
    # ${VAR:?message} makes `docker compose up` fail when the variable is unset.
    assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")
    assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]


def test_compose_serves_the_emulator_to_the_other_containers(compose):
    command = compose["services"]["plain-emulator"]["command"]
    assert command[:3] == ["python", "-m", "plain_gateway.emulator"]
    options = dict(zip(command[3::2], command[4::2], strict=True))
    assert options["--host"] == "0.0.0.0"  # loopback would be unreachable from web
    main = (ROOT / "plain_gateway" / "emulator" / "__main__.py").read_text()
    for option in options:
        assert f'"{option}"' in main, f"the emulator has no {option} option"
    url = compose["services"]["web"]["environment"]["PLAIN_API_URL"]
    assert f"http://plain-emulator:{options['--port']}/graphql/v1" in url
