"""Settings, read from the environment (django-environ).

With nothing set, the portal runs self-contained: SQLite in var/, the embedded Plain emulator,
eager Celery and console email. Each variable below switches one piece to its production form;
README.md has the table.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The default key is for a local checkout only; `manage.py check --deploy` flags it.
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY", default="django-insecure-local-checkout-only-never-use-in-production"
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",  # login throttling: see "Login and reset throttling" below
    "portal.accounts",
    "portal.outbox",
    "portal.tenancy",
    "portal.support",
    "portal.webhooks",
    "portal.notifications",
    "portal.activity",
    "portal.agent_context",
    "portal.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so it compresses the finished body; skips the pages listed in portal.compression.
    "portal.compression.CompressionMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before anything reads a parameter: a NUL or an overlong one is a 400, never a 500.
    "portal.middleware.UnusableValueMiddleware",
    # Every Plain call of one web request shares PLAIN_REQUEST_BUDGET_SECONDS.
    "portal.middleware.PlainBudgetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The access check, the page and its header read the user's memberships once, together.
    "portal.middleware.MembershipMemoMiddleware",
    "portal.accounts.middleware.TimeZoneMiddleware",
    # Pages for a signed-in user are never stored by a cache or the browser.
    "portal.accounts.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.accounts.middleware.HtmxLoginRedirectMiddleware",
    # Last: turns a locked-out login into a 429 (see "Login and reset throttling").
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock when their transaction starts, so a web process and a worker sharing
    # the file wait for each other (timeout) instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes' backend first: it refuses a locked-out (account, client) pair before any password
# is checked (portal/accounts/throttling.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "support:thread_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Files customers attach, kept (in the default storage) until Plain has them. Private: no URL
# serves MEDIA_ROOT; attachments are downloaded through the portal's access-checked view.
MEDIA_ROOT = VAR_DIR / "media"

# Email: console by default, so password resets work in a checkout.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="support-portal@localhost")

# Cache: Redis when REDIS_URL is set (shared by all workers), otherwise per-process memory.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# The read cache of thread lists and timelines (portal/support/cache.py). Webhooks invalidate
# entries through versions kept in the database, so this also holds with per-process memory;
# the TTL bounds an entry whose event never arrives. The last good answer is kept longer, for
# pages to show (marked as possibly out of date) while Plain is down or rate limiting, and for
# SUPPORT_READ_CACHE_BACKOFF_SECONDS after a failure such pages do not ask Plain again.
SUPPORT_READ_CACHE_TTL_SECONDS = env.int("SUPPORT_READ_CACHE_TTL_SECONDS", default=5 * 60)
SUPPORT_READ_CACHE_STALE_SECONDS = env.int(
    "SUPPORT_READ_CACHE_STALE_SECONDS", default=7 * 24 * 60 * 60
)
SUPPORT_READ_CACHE_BACKOFF_SECONDS = env.int("SUPPORT_READ_CACHE_BACKOFF_SECONDS", default=15)

# Sessions are read from the cache (Redis in production) and written through to the database, so a
# page view costs no session query while a cache restart logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Plain. With PLAIN_API_URL unset the portal talks to the embedded emulator in-process
# (portal/plain.py). The key's setting name contains KEY so Django's error reports mask it.
PLAIN_API_URL = env.str("PLAIN_API_URL", default="")
PLAIN_API_KEY = env.str("PLAIN_API_KEY", default="")
PLAIN_TIMEOUT_SECONDS = env.float("PLAIN_TIMEOUT_SECONDS", default=10.0)
# The most one web request spends on Plain in all (attempts, retries and their waits), well under
# the server's worker timeout (gunicorn's 30 s): past it the page says Plain is unavailable and a
# submission stays saved for later. Celery tasks have their own time limits instead. 0: no budget.
PLAIN_REQUEST_BUDGET_SECONDS = env.float("PLAIN_REQUEST_BUDGET_SECONDS", default=8.0)
# The longest the client waits in place for a rate-limit reset; a longer one raises at once, and
# whatever was being sent stays in the outbox for a later attempt instead of holding a web worker.
PLAIN_MAX_RATE_LIMIT_WAIT_SECONDS = env.float("PLAIN_MAX_RATE_LIMIT_WAIT_SECONDS", default=5.0)
PLAIN_EMULATOR_DATA = env.str(
    "PLAIN_EMULATOR_DATA", default=str(VAR_DIR / "plain-emulator.sqlite3")
)
# The embedded emulator sends its webhooks from a background thread as they fall due (each
# process that talks to it runs one; the shared data file makes them take turns). The test suite
# turns it off and delivers when a test says so.
PLAIN_EMULATOR_DELIVER_IN_BACKGROUND = env.bool(
    "PLAIN_EMULATOR_DELIVER_IN_BACKGROUND", default=True
)
# Webhooks from Plain (portal/webhooks/). The workspace's request-signing secret: its name holds
# SECRET so Django's error reports mask it; unset, every webhook is refused (503).
PLAIN_HMAC_SECRET = env.str("PLAIN_HMAC_SECRET", default="")
# Where Plain reaches the portal: webhook and customer-card URLs are built from it.
PORTAL_PUBLIC_URL = env.str("PORTAL_PUBLIC_URL", default="http://127.0.0.1:8000")
# Webhook bodies over this many bytes are refused (413) before they are read.
PLAIN_WEBHOOK_MAX_BYTES = env.int("PLAIN_WEBHOOK_MAX_BYTES", default=1024 * 1024)
# The machine user the API key acts as, whose events come back as echoes of the portal's own
# actions (optional: unset, the portal asks Plain's myMachineUser once and remembers it).
PLAIN_MACHINE_USER_ID = env.str("PLAIN_MACHINE_USER_ID", default="")
# The events the portal's webhook target subscribes to (`manage.py plain_webhooks --ensure`): what
# a customer's view of a thread or its own record can change with. Comma-separated to override.
PLAIN_WEBHOOK_EVENT_TYPES = env.list(
    "PLAIN_WEBHOOK_EVENT_TYPES",
    default=[
        "thread.thread_created",
        "thread.thread_status_transitioned",
        "thread.chat_sent",
        "thread.chat_received",
        "thread.email_sent",
        "thread.email_received",
        "thread.thread_labels_changed",
        "thread.thread_priority_changed",
        "thread.thread_assignment_transitioned",
        "thread.thread_tenant_updated",
        "thread.thread_field_created",
        "thread.thread_field_updated",
        "thread.thread_field_deleted",
        "customer.customer_updated",
        "customer.customer_deleted",
    ],
)
# `make run` (manage.py run_embedded) keeps the embedded emulator's target in line at start.
PLAIN_WEBHOOKS_ENSURE_ON_START = env.bool("PLAIN_WEBHOOKS_ENSURE_ON_START", default=True)

# Customer cards Plain asks the portal for (portal/agent_context/): what each card is (`kind`,
# the builder in portal/agent_context/cards.py), its key and title in Plain, and how long Plain
# may cache it (15 s to a year). `manage.py plain_customer_cards --ensure` makes Plain's card
# configs match this list; the endpoint answers the same keys. Signed like webhooks
# (PLAIN_HMAC_SECRET).
PLAIN_CUSTOMER_CARDS = [
    {
        "kind": "organisations",
        "key": "portal-organisations",
        "title": "Portal organisations",
        "ttl_seconds": env.int("PLAIN_CUSTOMER_CARD_ORGANISATIONS_TTL", default=300),
    },
    {
        "kind": "members",
        "key": "portal-members",
        "title": "Organisation members",
        "ttl_seconds": env.int("PLAIN_CUSTOMER_CARD_MEMBERS_TTL", default=300),
    },
    {
        "kind": "activity",
        "key": "portal-activity",
        "title": "Portal activity",
        "ttl_seconds": env.int("PLAIN_CUSTOMER_CARD_ACTIVITY_TTL", default=60),
    },
    {
        "kind": "staff_links",
        "key": "portal-staff-links",
        "title": "Portal admin",
        "ttl_seconds": env.int("PLAIN_CUSTOMER_CARD_STAFF_LINKS_TTL", default=3600),
    },
]
# Card requests over this many bytes are refused (413) before they are read; Plain's are tiny.
PLAIN_CUSTOMER_CARDS_MAX_BYTES = env.int("PLAIN_CUSTOMER_CARDS_MAX_BYTES", default=64 * 1024)
# How much a card lists before it says "and N more": organisations per card, members per
# organisation, recent submissions.
PLAIN_CUSTOMER_CARD_MAX_ORGANISATIONS = env.int("PLAIN_CUSTOMER_CARD_MAX_ORGANISATIONS", default=10)
PLAIN_CUSTOMER_CARD_MAX_MEMBERS = env.int("PLAIN_CUSTOMER_CARD_MAX_MEMBERS", default=10)
PLAIN_CUSTOMER_CARD_MAX_ACTIVITY = env.int("PLAIN_CUSTOMER_CARD_MAX_ACTIVITY", default=5)
# `make run` (manage.py run_embedded) makes the embedded emulator's card configs match at start.
PLAIN_CUSTOMER_CARDS_ENSURE_ON_START = env.bool(
    "PLAIN_CUSTOMER_CARDS_ENSURE_ON_START", default=True
)

# Emails to customers (portal/notifications/). Threads on these Plain channels are notified;
# EMAIL is left out by default because Plain emails those customers itself. Comma-separated.
PORTAL_NOTIFY_CHANNELS = env.list(
    "PORTAL_NOTIFY_CHANNELS",
    default=["SLACK", "CHAT", "API", "MS_TEAMS", "DISCORD", "IMPORT", "INTERNAL"],
)
# Agent messages within this many minutes of the first go out as one email.
PORTAL_NOTIFY_BATCH_MINUTES = env.float("PORTAL_NOTIFY_BATCH_MINUTES", default=3.0)
# What a member gets until they or their organisation's admins choose: all, mine or none.
PORTAL_NOTIFY_DEFAULT_SCOPE = env.str("PORTAL_NOTIFY_DEFAULT_SCOPE", default="mine")

# --- Celery: background work always runs on workers (DESIGN, invariant 7) -------------------
# Redis workers when CELERY_BROKER_URL is set (production). The embedded default (unset) goes
# through kombu's filesystem transport under CELERY_FILESYSTEM_FOLDER, which needs no server:
# `make run` (manage.py run_embedded) starts a worker and beat on it next to runserver. Messages
# read from it are gone (no redelivery); the outbox's lease and sweep bring back what a worker
# dropped. The test suite runs tasks eagerly (tests/settings.py).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "portal-filesystem://"
CELERY_FILESYSTEM_FOLDER = Path(
    env.str("CELERY_FILESYSTEM_FOLDER", default=str(VAR_DIR / "celery"))
)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task that outlives the visibility timeout is handed to a second worker; keep every time limit
# and retry delay well below it.
# (portal/outbox/services.py's RETRY_MAX_SECONDS is 600; tests/portal/outbox/test_settings.py
# asserts time limit + longest retry delay < visibility timeout, for every outbox kind.)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
if CELERY_BROKER_URL == "portal-filesystem://":
    # kombu's filesystem transport, writing each message atomically (portal/outbox/filesystem.py;
    # the scheme is registered in portal/celery.py, so a URL set later picks its own transport).
    # One folder both ways: every process reads and writes the same queue (the outbox app
    # creates the folders).
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(CELERY_FILESYSTEM_FOLDER / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_FOLDER / "queue"),
        "control_folder": str(CELERY_FILESYSTEM_FOLDER / "control"),
        "processed_folder": str(CELERY_FILESYSTEM_FOLDER / "processed"),
    }
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BEAT_SCHEDULE = {
    # Re-enqueue every kind's outbox rows whose retry is due or whose worker died mid-task
    # (portal/outbox/), and prune delivered ones.
    "outbox-sweep": {"task": "outbox.sweep", "schedule": env.float("OUTBOX_SWEEP_SECONDS", 60.0)},
    # Repair drift between Plain's tenant memberships and the database.
    "tenancy-reconcile": {"task": "tenancy.tenants_reconcile", "schedule": 15 * 60.0},
    # Record the thread changes Plain's webhooks did not tell us of (missed events).
    "webhooks-reconcile": {"task": "webhooks.inbox_reconcile", "schedule": 10 * 60.0},
}

# Login and reset throttling (portal/accounts/throttling.py).
# The client's address: REMOTE_ADDR, or the header a proxy in front of the portal sets
# (e.g. X-Forwarded-For) with the number of proxies that append to it. Set the header only behind
# a proxy that writes it, or clients could name any address.
PORTAL_CLIENT_IP_HEADER = env.str("PORTAL_CLIENT_IP_HEADER", default="") or None
PORTAL_TRUSTED_PROXY_COUNT = env.int("PORTAL_TRUSTED_PROXY_COUNT", default=1)
# Failed logins lock one (account, client) pair, never the account for everyone; the counts are
# rows in the database, shared by every worker, and a success clears the pair's.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("PORTAL_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("PORTAL_LOGIN_COOLOFF_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # no table of every successful login
AXES_CLIENT_IP_CALLABLE = "portal.accounts.throttling.client_ip"
AXES_USERNAME_CALLABLE = "portal.accounts.throttling.login_username"
AXES_LOCKOUT_CALLABLE = "portal.accounts.throttling.login_locked_out"
# The per-client login cap and the reset limits count in the default cache (Redis in production;
# a per-process cache is refused there, see portal/production.py).
RATELIMIT_USE_CACHE = "default"

# Production hardening; on by default when DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Plain counts a redirect as a failed delivery: the webhook and customer-card endpoints answer
# over http too (a local emulator's loopback requests); their requests are authenticated by
# their signature.
SECURE_REDIRECT_EXEMPT = [r"^plain/webhooks/?$", r"^plain/customer-cards/?$"]
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every response, the admin's included: scripts, styles,
# images and fonts from our own origin only, so no inline script, inline style or injected
# markup from Plain's text can run even where escaping slipped. Pages carry no inline code
# (htmx's indicator style is off by a meta tag, its CSS lives in static/css/portal.css).
_SELF, _NONE = "'self'", "'none'"  # as csp.constants spells them
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "img-src": [_SELF],
        "font-src": [_SELF],
        "connect-src": [_SELF],
        "object-src": [_NONE],
        "base-uri": [_NONE],
        "frame-ancestors": [_NONE],
        "form-action": [_SELF],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# --- Events for Plain's agents (portal/agent_context/services.py) ------------------------------
# Which portal actions are written into Plain's timelines as thread or customer events, for
# agents only (customers never see them). Every event by default; a comma-separated list
# turns on only those named (an empty value turns them all off). Unknown names warn at start.
PORTAL_AGENT_EVENTS = env.list(
    "PORTAL_AGENT_EVENTS",
    default=[
        "thread_resolved",
        "thread_reopened",
        "message_delayed",
        "attachments_added",
        "organization_joined",
        "organization_left",
        "email_changed",
        "account_deactivated",
        "password_reset",
        "login_locked_out",
    ],
)

# --- Help center -----------------------------------------------------------------------------
# Plain's help center articles under /help/ (portal/helpcenter/): the catalog of help centers,
# groups and published articles, and each article, are cached this long (help content changes
# rarely; a warm view asks Plain nothing); search answers for a shorter time. A suggested article
# opened counts as deflecting a request when its reader sends no new request within the window.
INSTALLED_APPS += ["portal.helpcenter"]
HELP_CENTER_CACHE_SECONDS = env.int("HELP_CENTER_CACHE_SECONDS", default=10 * 60)
HELP_CENTER_SEARCH_CACHE_SECONDS = env.int("HELP_CENTER_SEARCH_CACHE_SECONDS", default=60)
HELP_CENTER_DEFLECTION_MINUTES = env.int("HELP_CENTER_DEFLECTION_MINUTES", default=30)

# --- Single sign-on (JWT) ---
# The product signs a short-lived token and sends the browser to /sso/jwt/ (portal/accounts/sso.py).
# One of the two keys turns it on: a shared secret (HS256 only) or the product's JWKS URL (RS256 or
# ES256 only, keys cached). Off (404) when neither is set, except with DEBUG over the embedded
# emulator, where a demo secret lets `make run` sign in (`manage.py sso_token EMAIL`).
SSO_JWT_SECRET = env.str("SSO_JWT_SECRET", default="")
SSO_JWT_JWKS_URL = env.str("SSO_JWT_JWKS_URL", default="")
# The token's `aud` and `iss` must equal these.
SSO_JWT_AUDIENCE = env.str("SSO_JWT_AUDIENCE", default="support-portal")
SSO_JWT_ISSUER = env.str("SSO_JWT_ISSUER", default="product")
# `exp - iat` at most this; clock skew tolerated on `iat` and `exp`.
SSO_JWT_MAX_AGE_SECONDS = env.int("SSO_JWT_MAX_AGE_SECONDS", default=300)
SSO_JWT_LEEWAY_SECONDS = env.int("SSO_JWT_LEEWAY_SECONDS", default=30)
# Password sign-in on the customers' login page (staff keep /admin/'s). Off: the page sends
# people to the product (PORTAL_SSO_LOGIN_URL, when set) and password reset is off too.
PORTAL_PASSWORD_LOGIN = env.bool("PORTAL_PASSWORD_LOGIN", default=True)
PORTAL_SSO_LOGIN_URL = env.str("PORTAL_SSO_LOGIN_URL", default="")
# Where logging out sends the browser (the product's absolute URL); blank: the login page.
PORTAL_LOGOUT_REDIRECT_URL = env.str("PORTAL_LOGOUT_REDIRECT_URL", default="")
# Password sign-in refuses accounts managed by SSO or provisioning (portal/accounts/backends.py):
# the gate goes just before Django's ModelBackend.
AUTHENTICATION_BACKENDS.insert(
    AUTHENTICATION_BACKENDS.index("django.contrib.auth.backends.ModelBackend"),
    "portal.accounts.backends.ManagedAccountGate",
)

# --- OpenID Connect ---
# Sign-in with the company's identity provider (portal/accounts/oidc.py, mozilla-django-oidc).
# Off unless OIDC_RP_CLIENT_ID and OIDC_OP_DISCOVERY_URL (or the explicit endpoints) are set.
# The redirect URI to register at the provider: <PORTAL_PUBLIC_URL>/oidc/callback/.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")  # SECRET: masked in reports
# The issuer URL or its /.well-known/openid-configuration; explicit endpoints below win.
OIDC_OP_DISCOVERY_URL = env.str("OIDC_OP_DISCOVERY_URL", default="")
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
# ID tokens are verified with the provider's published keys (JWKS), never a shared secret.
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
if OIDC_RP_SIGN_ALGO not in {"RS256", "RS384", "RS512", "PS256", "ES256", "ES384"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("OIDC_RP_SIGN_ALGO must be an RS*, PS256 or ES* algorithm.")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
# The claim holding the user's organisations ([{"id", "name", "role"}], as the JWT handoff's
# `orgs`); when a token lacks it, the user's memberships are left as they are.
OIDC_ORGS_CLAIM = env.str("OIDC_ORGS_CLAIM", default="orgs")
# Shown on the login page: "Sign in with <name>".
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="your company account")
OIDC_USE_PKCE = env.bool("OIDC_USE_PKCE", default=True)
OIDC_TOKEN_USE_BASIC_AUTH = env.bool("OIDC_TOKEN_USE_BASIC_AUTH", default=False)
# Seconds for each request to the provider (mozilla-django-oidc waits forever without one).
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)
# Listed always, so sessions it started stay valid; it answers only the OIDC callback.
AUTHENTICATION_BACKENDS += ["portal.accounts.oidc.OIDCBackend"]

# --- SCIM ---
# SCIM 2.0 provisioning under /scim/v2/ (portal/scim/): bearer tokens per client, made in the
# admin (SCIM clients). The most resources one list answer holds, and the largest request body.
INSTALLED_APPS += ["portal.scim"]
# Right after AuthenticationMiddleware: a deactivated user's session ends on their next request,
# whichever backend signed them in (portal/accounts/deactivation.py).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "portal.accounts.deactivation.DeactivatedUserMiddleware",
)
SCIM_MAX_PAGE_SIZE = env.int("SCIM_MAX_PAGE_SIZE", default=200)
SCIM_MAX_BODY_BYTES = env.int("SCIM_MAX_BODY_BYTES", default=1024 * 1024)

# --- Brand (portal/brand/) ---------------------------------------------------------------------
# The company's name, logo, colours, support address and footer text on every page, email and
# error page (customers never read "Plain"). Malformed values stop the process at start; colours
# that would not read are adjusted to 4.5:1 (README, "The company's brand").
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from portal.brand.config import brand_settings_problems, logo_csp_source  # noqa: E402

PORTAL_BRAND_NAME = env.str("PORTAL_BRAND_NAME", default="Support portal")
# An https URL (allowed, exactly, by the CSP's img-src) or a static file's path (img/logo.svg).
PORTAL_BRAND_LOGO_URL = env.str("PORTAL_BRAND_LOGO_URL", default="")
# The header band's colour (text on it is black or white); unset, the header keeps the page's.
PORTAL_BRAND_PRIMARY_COLOR = env.str("PORTAL_BRAND_PRIMARY_COLOR", default="")
# Links, buttons and badges; darkened (light theme) or lightened (dark theme) until it reads.
PORTAL_BRAND_ACCENT_COLOR = env.str("PORTAL_BRAND_ACCENT_COLOR", default="#1d4ed8")
PORTAL_BRAND_SUPPORT_EMAIL = env.str("PORTAL_BRAND_SUPPORT_EMAIL", default="")
PORTAL_BRAND_FOOTER_TEXT = env.str(
    "PORTAL_BRAND_FOOTER_TEXT", default="Every request of your organisation, in one place."
)
_brand_problems = brand_settings_problems(
    name=PORTAL_BRAND_NAME,
    logo_url=PORTAL_BRAND_LOGO_URL,
    primary_color=PORTAL_BRAND_PRIMARY_COLOR,
    accent_color=PORTAL_BRAND_ACCENT_COLOR,
    support_email=PORTAL_BRAND_SUPPORT_EMAIL,
)
if _brand_problems:
    raise ImproperlyConfigured(" ".join(_brand_problems))
if (_logo_source := logo_csp_source(PORTAL_BRAND_LOGO_URL)) is not None:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] = [_SELF, _logo_source]
INSTALLED_APPS += ["portal.brand"]
