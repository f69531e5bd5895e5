"""Django settings. Values come from the environment through motcua.env."""

from __future__ import annotations

import dj_database_url
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
    "django.contrib.admin",
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
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "motcua.core.middleware.LanguageMiddleware",
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
    "django.contrib.auth.backends.ModelBackend",
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
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer commits; IMMEDIATE takes the
        # write lock at BEGIN so two writers queue instead of deadlocking.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
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

# --- Background jobs (Huey) -------------------------------------------------
REDIS_URL = env.env_str("REDIS_URL")
if REDIS_URL:
    HUEY = {"huey_class": "huey.PriorityRedisHuey", "name": "motcua", "url": REDIS_URL}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "motcua",
        "filename": str(VAR_DIR / "huey.sqlite3"),
    }
HUEY["immediate"] = env.env_bool("HUEY_IMMEDIATE", default=False)
HUEY["consumer"] = {"workers": 2, "worker_type": "thread"}

# --- Security -----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Signed-in sessions end after this long without a request (every request renews them).
# The citizen pages warn a few minutes before, with a button to continue (portal/session.js).
SESSION_COOKIE_AGE = 60 * int(env.env_str("MOTCUA_SESSION_IDLE_MINUTES", "60"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_SECURE = env.IS_PRODUCTION
CSRF_COOKIE_SECURE = env.IS_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.env_str("LOG_LEVEL", "WARNING")},
}

# --- motcua -------------------------------------------------------------------
# The province this deployment serves (official code from vietnam-provinces).
MOTCUA_PROVINCE_CODE = env.env_str("MOTCUA_PROVINCE_CODE", "15")
# Unfinished online forms untouched this many days are deleted with their photos.
MOTCUA_DRAFT_KEEP_DAYS = int(env.env_str("MOTCUA_DRAFT_KEEP_DAYS", "90"))
MOTCUA_ENV = env.ENVIRONMENT
# bench/portal.py only: route the "hello" baseline view at /_bench/hello/.
MOTCUA_BENCH_HELLO = env.env_bool("MOTCUA_BENCH_HELLO", default=False)
