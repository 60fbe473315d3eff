import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: a server with unsafe production settings must not start.
from portal.production import refuse_unsafe_production  # noqa: E402

refuse_unsafe_production()
