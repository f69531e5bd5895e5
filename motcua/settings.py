"""Django settings. Values come from the environment through motcua.env."""

from __future__ import annotations

from datetime import timedelta

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from motcua import env

BASE_DIR = env.BASE_DIR
VAR_DIR = env.VAR_DIR

SECRET_KEY = env.secret_key()
DEBUG = env.env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env.env_list(
    "ALLOWED_HOSTS", [] if env.IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # django.contrib.admin, its site behind the officials' sign-in and second factor.
    "motcua.accounts.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "ninja",
    "axes",
    "csp",
    "motcua.core",
    "motcua.audit",
    "motcua.organizations",
    "motcua.catalog",
    "motcua.accounts",
    "motcua.workflows",
    "motcua.dossiers",
    "motcua.filing",
    "motcua.notifications",
    "motcua.reporting",
    "motcua.payments",
    "motcua.backoffice",
    "motcua.portal",
    "motcua.api",
    "motcua.demo",
]

MIDDLEWARE = [
    # Outermost: deletes a half-received upload whatever any later step does.
    "motcua.core.uploads.UploadCleanupMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # django-csp's, plus the outside sites forms lead to (motcua/core/csp.py).
    "motcua.core.csp.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "motcua.core.middleware.LanguageMiddleware",
    # Under /api/ an error is always {"detail": …} JSON, never an HTML page.
    "motcua.api.middleware.JsonErrorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Refuses NUL bytes and control characters in any field before a view reads them.
    "motcua.core.middleware.InputCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Ends a session at its absolute lifetime, however active it is.
    "motcua.accounts.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A form's one-use key: a double submit is answered with the first answer.
    "motcua.core.once.OnceMiddleware",
    # Last, as django-axes requires: turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out account or address before a password is
# even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's model backend, the citizen's profile read with the user.
    "motcua.accounts.backends.AccountBackend",
]

ROOT_URLCONF = "motcua.urls"
WSGI_APPLICATION = "motcua.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "motcua" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env.env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'motcua.sqlite3'}"
# Each web thread and worker thread keeps its connection for 10 minutes instead of
# opening one per request (on SQLite that was 17% of a page's time); the health check
# replaces a connection the server dropped before a request uses it. Huey's db_task
# closes connections past their age around every job.
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer commits; IMMEDIATE takes the
        # write lock at BEGIN so two writers queue instead of deadlocking.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, so psycopg prepares a statement the second time
    # its connection runs it: the dossier actions and the portal's pages repeat the same
    # few statements, and planning each anew was a third of their time on the server
    # (bench/lifecycle.py: actions 193 -> 390 per second). Behind PgBouncer in
    # transaction mode this needs its max_prepared_statements (1.21 or later).
    # Added to what the URL's query gave (sslmode=…), not instead of it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=2
    )
    # The same backend, but its health check polls the socket instead of a round trip
    # (motcua/core/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "motcua.core.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Internationalisation --------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "motcua" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# Where a number is grouped on purpose (the reports' counts), by thousands: 9.070 in
# Vietnamese, 9,070 in English (Django's vi formats set the separator, not the size).
NUMBER_GROUPING = 3

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start otherwise
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.env_str(
            "STATICFILES_STORAGE", "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.env_str("MEDIA_ROOT", str(VAR_DIR / "media"))

# --- Uploads ------------------------------------------------------------------------
# ASVS 5.0 V5.2.1, V5.2.2, V5.2.6. Every multipart request goes through one handler
# that counts the files and bytes as they arrive and never writes a file beyond the
# limits, neither to memory nor to a temporary file (motcua/core/uploads.py). It is
# set here, not per view, because middleware (CSRF, input characters) reads request.POST
# before any view runs. What is then kept is checked by content (motcua/filing/uploads.py).
FILE_UPLOAD_HANDLERS = ["motcua.core.uploads.LimitedUploadHandler"]
# Files of requests up to this size stay in memory; larger ones go to a temporary file
# in FILE_UPLOAD_TEMP_DIR (the system's by default), deleted when the request ends.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = env.env_str("FILE_UPLOAD_TEMP_DIR") or None
FILE_UPLOAD_PERMISSIONS = 0o640  # stored papers are served by views, never by nginx
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
# The typed fields of one request (files not counted).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Beyond this many file parts Django answers 400 without asking the handler; up to it
# the handler refuses the extra files politely (MOTCUA_UPLOAD_MAX_FILES).
DATA_UPLOAD_MAX_NUMBER_FILES = 100
# Files one request may carry, and one paper (one upload field).
MOTCUA_UPLOAD_MAX_FILES = int(env.env_str("MOTCUA_UPLOAD_MAX_FILES", "20"))
MOTCUA_UPLOAD_MAX_FILES_PER_PAPER = int(env.env_str("MOTCUA_UPLOAD_MAX_FILES_PER_PAPER", "10"))
# One file, and all files of one request together, in MB.
MOTCUA_UPLOAD_MAX_FILE_MB = int(env.env_str("MOTCUA_UPLOAD_MAX_FILE_MB", "10"))
MOTCUA_UPLOAD_MAX_REQUEST_MB = int(env.env_str("MOTCUA_UPLOAD_MAX_REQUEST_MB", "100"))
# A photo above this many pixels is refused from its header, before it is decoded: a
# 12000×12000 PNG of 168 KB would take about 0.6 GB of memory. 40 MP is more than any
# phone camera's default (12–24 MP, 50 MP sensors save 12 MP by default).
MOTCUA_UPLOAD_MAX_PIXELS = int(env.env_str("MOTCUA_UPLOAD_MAX_PIXELS", "40000000"))

# --- Cache -------------------------------------------------------------------
# Public pages served whole to anonymous visitors (motcua/portal/pagecache.py), the
# catalog revision they are keyed on, and the rate-limit counters. With REDIS_URL (as in
# production) one Redis cache is shared by every process: a catalog change shows at once
# in every gunicorn worker, and a page is rendered once for all of them. Without it
# (demo, tests) local memory: one cache per process, a few thousand pages of ~15 KB.
REDIS_URL = env.env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "motcua",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 3000},
        }
    }
# Parts of pages that are the same for every visitor of a language (the site's header,
# the session-expiry dialog): kept in each process, where reading one back is cheaper
# than drawing it, and where a release (new templates, new translations) starts afresh.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "OPTIONS": {"MAX_ENTRIES": 100},
}
# How long a cached public page is kept at most, in seconds (0: pages are not cached).
# A catalog change or a new release shows at once (both are in the key); this bounds how
# long other changes (payment methods, online forms) take to show.
MOTCUA_PAGE_CACHE_SECONDS = int(env.env_str("MOTCUA_PAGE_CACHE_SECONDS", "600"))

# --- Background jobs (Huey) -------------------------------------------------
# On Redis when REDIS_URL is set (production: the queue survives a restart and every
# worker shares it), else in a SQLite file under var/. HUEY_NAME names the queue, so a
# test can have its own on a shared Redis.
HUEY_NAME = env.env_str("HUEY_NAME", "motcua")
if REDIS_URL:
    HUEY = {"huey_class": "huey.PriorityRedisHuey", "name": HUEY_NAME, "url": REDIS_URL}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": HUEY_NAME,
        "filename": str(VAR_DIR / "huey.sqlite3"),
    }
HUEY["immediate"] = env.env_bool("HUEY_IMMEDIATE", default=False)
HUEY["consumer"] = {"workers": 2, "worker_type": "thread"}

# --- Sign-in ------------------------------------------------------------------
# Passwords (officials and administrators; citizens have none): ASVS 5.0 V6.2.1 (at least
# 8, 15 advised: 12 here with a list of common ones refused), V6.2.4 (common passwords),
# V6.2.11 (nothing like the user's own name). Any length and character may be used
# (V6.2.9, V6.2.5): Django sets no maximum and no composition rule.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        # Django's, with a Vietnamese message (motcua/accounts/passwords.py).
        "NAME": "motcua.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Wrong passwords and authenticator codes, counted by django-axes in the database per
# account and per address (ASVS 5.0 V6.3.1); the limits and why they are what they are:
# motcua/accounts/lockout.py.
MOTCUA_SIGNIN_ACCOUNT_FAILURES = int(env.env_str("MOTCUA_SIGNIN_ACCOUNT_FAILURES", "5"))
MOTCUA_SIGNIN_ACCOUNT_LOCK_HOURS = float(env.env_str("MOTCUA_SIGNIN_ACCOUNT_LOCK_HOURS", "24"))
MOTCUA_SIGNIN_ADDRESS_FAILURES = int(env.env_str("MOTCUA_SIGNIN_ADDRESS_FAILURES", "30"))
MOTCUA_SIGNIN_ADDRESS_WINDOW_MINUTES = float(
    env.env_str("MOTCUA_SIGNIN_ADDRESS_WINDOW_MINUTES", "30")
)
# A password an administrator set must be changed at the next sign-in, within this time.
MOTCUA_TEMPORARY_PASSWORD_HOURS = float(env.env_str("MOTCUA_TEMPORARY_PASSWORD_HOURS", "72"))
AXES_HANDLER = "motcua.accounts.lockout.SignInLockoutHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = MOTCUA_SIGNIN_ACCOUNT_FAILURES  # the address's limit: the handler
# Old rows are deleted after the longer of the two lock times.
AXES_COOLOFF_TIME = timedelta(
    hours=max(MOTCUA_SIGNIN_ACCOUNT_LOCK_HOURS, MOTCUA_SIGNIN_ADDRESS_WINDOW_MINUTES / 60)
)
# Tries while locked are refused, not counted: the lock ends when the page said it would.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True  # a full sign-in clears the account's count (not the address's)
AXES_CLIENT_IP_CALLABLE = "motcua.accounts.lockout.axes_client_ip"  # trusted proxies only
AXES_LOCKOUT_CALLABLE = "motcua.backoffice.security.lockout_response"
# Sign-ins are in the audit trail (motcua.audit); axes keeps only the failures it counts.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# axes keeps the POST of a failed try: never the passwords (current, new) nor the codes
# typed on the password-change, enrolment and sign-in pages (ASVS 5.0 V14.2.4).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "current", "new1", "new2", "totp", "code"]

# --- Security -----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# With Redis, sessions are read from the shared cache and written through to the
# database: a signed-in page makes one SQL query fewer. Not with the local-memory cache,
# where a session ended in one process would live on in another's copy. Sessions of a
# user whose password changed still end (the user row is read on every request).
# Without Redis, the database rows are read by a statement compiled once
# (motcua.accounts.sessions).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db" if REDIS_URL else "motcua.accounts.sessions"
)
# Signed-in sessions end after this long without a request. A request renews the expiry
# only when it is more than a few minutes old (at most 5, a tenth of this), so most pages
# do not write the session row (motcua.accounts.middleware.SessionLifetimeMiddleware).
# The citizen pages warn a few minutes before, with a button to continue (portal/session.js).
SESSION_COOKIE_AGE = 60 * int(env.env_str("MOTCUA_SESSION_IDLE_MINUTES", "60"))
# However active, a session ends this many hours after sign-in (ASVS 5.0 V7.3.2;
# motcua.accounts.middleware.SessionLifetimeMiddleware).
MOTCUA_SESSION_ABSOLUTE_HOURS = float(env.env_str("MOTCUA_SESSION_ABSOLUTE_HOURS", "12"))
SESSION_COOKIE_SECURE = env.IS_PRODUCTION
CSRF_COOKIE_SECURE = env.IS_PRODUCTION
# Not sent with requests from other sites, except top-level links (ASVS 5.0 V3.3.2).
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if env.IS_PRODUCTION:
    # The __Host- prefix: the browser keeps the cookie only if Secure, for Path=/ and
    # without Domain, so no other host (a subdomain) can set or read it (ASVS 5.0 V3.3.1).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-lang"
    LANGUAGE_COOKIE_SECURE = True
    SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = LANGUAGE_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = CSRF_COOKIE_DOMAIN = None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- HTTPS and browser isolation (production) ---------------------------------------
# HSTS for a year on every subdomain (ASVS 5.0 V3.4.1); sent only over HTTPS, so only in
# production. Preload asks browsers to ship the rule: right only when the province owns
# the domain and every subdomain serves HTTPS — MOTCUA_HSTS_PRELOAD=0 otherwise.
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if env.IS_PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.IS_PRODUCTION
SECURE_HSTS_PRELOAD = env.IS_PRODUCTION and env.env_bool("MOTCUA_HSTS_PRELOAD", default=True)
# http:// → https:// (ASVS 5.0 V12.2.1); MOTCUA_SSL_REDIRECT=0 when nginx already does it.
SECURE_SSL_REDIRECT = env.IS_PRODUCTION and env.env_bool("MOTCUA_SSL_REDIRECT", default=True)
# Not the API: its clients get an error over http:// instead (motcua/api/middleware.py).
SECURE_REDIRECT_EXEMPT = [r"^api/"]
# Behind nginx terminating TLS: the header nginx sets (and strips from clients), e.g.
# "X-Forwarded-Proto" or "X-Forwarded-Proto: https". Never set it without such a proxy:
# a client could then claim HTTPS.
_proxy_ssl_header = env.env_str("MOTCUA_PROXY_SSL_HEADER")
if _proxy_ssl_header:
    _name, _sep, _value = _proxy_ssl_header.partition(":")
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _name.strip().upper().replace("-", "_"),
        _value.strip() or "https",
    )
# No path or query to other sites (ASVS 5.0 V3.4.5); our own pages keep it for "back".
SECURE_REFERRER_POLICY = "same-origin"
# No window shared with another site's pages (ASVS 5.0 V3.4.8).
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SILENCED_SYSTEM_CHECKS = [
    # Each silenced only when the deployment chose so above, for the reason given there.
    *(["security.W021"] if env.IS_PRODUCTION and not SECURE_HSTS_PRELOAD else []),
    *(["security.W008"] if env.IS_PRODUCTION and not SECURE_SSL_REDIRECT else []),
]

# --- Content-Security-Policy ----------------------------------------------------------
# ASVS 5.0 V3.4.3 and V3.4.6. No inline script or style anywhere (templates use classes
# from the apps' CSS files; JSON data goes through json_script, which is not executed),
# no eval, no plugins, no <base>, never framed. Uploaded photos are shown from our own
# address; data: is for the empty favicon of base.html (the QR codes are inline SVG);
# blob: for the photos the filing page shrinks before sending (portal/filing.js draws the
# chosen file from a blob: URL only this page can make; images never run code).
# The Django admin (5.2) works under the same policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        # Plus, per response, the origins of the settings below (motcua/core/csp.py).
        "form-action": [SELF],
        "upgrade-insecure-requests": env.IS_PRODUCTION,
    },
}
# Forms posted here may be answered with a redirect to these sites (VNeID sign-in, the
# gateways' pay pages), and browsers apply form-action to that redirect too: the origins
# of these settings (read when a page is served) join form-action.
MOTCUA_CSP_FORM_TARGET_SETTINGS = [
    "OIDC_VNEID_ISSUER",
    "PAY_VNPAY_URL",
    "PAY_PAYOS_URL",
    "PAY_DVCQG_URL",
]
# Other origins a form may lead to, comma-separated: a gateway whose pay page is on
# another host than its API (payOS: pay.payos.vn), VNeID's authorization endpoint if it
# is not on the issuer's host.
MOTCUA_CSP_FORM_ACTION = env.env_list("MOTCUA_CSP_FORM_ACTION", [])

# --- Error pages ------------------------------------------------------------------------
# In Vietnamese, in the citizen's or the back office's layout; JSON under /api/.
CSRF_FAILURE_VIEW = "motcua.core.errors.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.env_str("LOG_LEVEL", "WARNING")},
}

# --- motcua -------------------------------------------------------------------
# The province this deployment serves (official code from vietnam-provinces).
MOTCUA_PROVINCE_CODE = env.env_str("MOTCUA_PROVINCE_CODE", "15")
MOTCUA_ENV = env.ENVIRONMENT
# bench/portal.py only: route the "hello" baseline view at /_bench/hello/.
MOTCUA_BENCH_HELLO = env.env_bool("MOTCUA_BENCH_HELLO", default=False)

# --- Retention ------------------------------------------------------------------------
# Personal data is kept no longer than its purpose needs: Decree 13/2023/NĐ-CP art. 3(7)
# (storage limitation), carried on by the Law on Personal Data Protection 91/2025/QH15
# from 1/1/2026. Nightly jobs delete what is older (motcua.filing.tasks,
# motcua.accounts.tasks, motcua.notifications.tasks, motcua.core.tasks). 0 = keep.
# Unfinished online forms untouched this many days are deleted with their photos ...
MOTCUA_DRAFT_KEEP_DAYS = int(env.env_str("MOTCUA_DRAFT_KEEP_DAYS", "90"))
# ... after one SMS to the citizen this many days before, with the link to go on
# (0: no notice). A form touched after the notice starts a fresh cycle.
MOTCUA_DRAFT_NOTICE_DAYS = int(env.env_str("MOTCUA_DRAFT_NOTICE_DAYS", "7"))
# Sign-in code records (phone, address, times; the code itself only as a keyed hash)
# and the outbox rows of sign-in code messages. Must exceed OTP_WINDOW_SECONDS, which
# counts codes per phone and per address from these rows.
MOTCUA_OTP_KEEP_DAYS = int(env.env_str("MOTCUA_OTP_KEEP_DAYS", "30"))
# The record of population-database lookups (who looked whom up, why, with consent):
# the accountability log an inspection asks for, so years rather than days.
MOTCUA_POPULATION_LOOKUP_KEEP_DAYS = int(
    env.env_str("MOTCUA_POPULATION_LOOKUP_KEEP_DAYS", str(5 * 365))
)
# The audit trail (motcua.audit) has no setting: its rows are append-only (a database
# trigger refuses UPDATE and DELETE), motcua never deletes them; the database owner
# archives older rows (docs/security.md, "Personal data").
# Rate-limit counters (motcua.core.ratelimit) go as soon as their window has ended.
# Dossiers, their papers, payments and the notifications about them are administrative
# records, kept under the archives rules, not by these settings: motcua does not delete them.
