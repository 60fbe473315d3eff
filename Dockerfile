# The portal's image: gunicorn serving portal.wsgi, static files served by WhiteNoise.
# The same image runs the web server, the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app

RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin portal

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# collectstatic imports the settings, which want a secret key; this one exists only in this
# build step and never reaches the running container.
RUN DJANGO_SECRET_KEY=collectstatic-build-only-not-a-secret DJANGO_DEBUG=false \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/emulator /app/var/media \
    && chown -R portal:portal /app/var

USER portal

EXPOSE 8000

# Asks /healthz (which queries the database) on loopback; see portal/health.py.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "portal.health"]

# gunicorn.conf.py: threaded workers sized from the CPU count, bound to 0.0.0.0:$PORT; put a
# request-buffering proxy in front (see that file). WEB_CONCURRENCY and GUNICORN_THREADS override.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "portal.wsgi:application"]
