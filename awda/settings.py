"""Awda's settings: everything comes from environment variables (see README).

It fails closed: without SECRET_KEY (or SECRET_KEY_FILE) the app does not start, DEBUG is
off unless asked, and outside DEBUG and the demo ALLOWED_HOSTS must be given.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from awda.env import env_bool, env_int, env_list, env_list_file, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("AWDA_VAR_DIR") or Path.cwd() / "var").resolve()

DEBUG = env_bool("DEBUG", False)
DEMO = env_bool("AWDA_DEMO", False)

SECRET_KEY = env_str("SECRET_KEY") or ""
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured(
        "SECRET_KEY (or SECRET_KEY_FILE) must be set to a random value of at least 32 "
        "characters; `make demo` generates one under var/ for the demo."
    )
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if DEBUG or DEMO:
        ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
    else:
        raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names Awda is served on.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Behind TLS (the default outside the demo and DEBUG) cookies are only sent over HTTPS.
HTTPS = env_bool("AWDA_HTTPS", not (DEBUG or DEMO))
BEHIND_PROXY = env_bool("AWDA_BEHIND_PROXY", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "awda.common",
    "awda.accounts",
    "awda.audit",
    "awda.places",
    "awda.registry",
    "awda.identity",
    "awda.cases",
    "awda.mhpss",
    "awda.consent",
    "awda.tracing",
    "awda.community",
    "awda.returns",
    "awda.reintegration",
    "awda.reports",
    "awda.imports",
    "awda.exports",
    "awda.collect",
    "awda.rights",
    "awda.demo",
    # After Awda's apps, so that Awda's own commands take precedence over theirs.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "awda.common.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "awda.common.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages shrink about sevenfold on the camps' slow links. Django pads compressed
    # responses with random bytes against BREACH, and CSRF tokens are masked per response.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "awda.common.middleware.LanguageMiddleware",
    # A NUL character in a query string or form is refused before PostgreSQL sees it.
    "awda.common.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which second factor (if any) verified this session: request.user.otp_device.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A session ends AWDA_SESSION_MAX_HOURS after the login, however active.
    "awda.accounts.middleware.SessionLifetimeMiddleware",
    # Until the second factor is given, only the login steps answer.
    "awda.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "awda.urls"
WSGI_APPLICATION = "awda.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "awda.common.context_processors.awda",
                "awda.accounts.context_processors.two_factor",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'awda.sqlite3'}",
        # Reusing a PostgreSQL connection for a minute saves a connection per request
        # (about 5 ms behind gunicorn); SQLite opens a file, nothing to save.
        conn_max_age=env_int(
            "DATABASE_CONN_MAX_AGE",
            60 if (env_str("DATABASE_URL") or "").startswith(("postgres", "pgsql")) else 0,
        ),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at
    # the start of a transaction, so two writers queue instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions end after AWDA_SESSION_IDLE_MINUTES without a request (the expiry slides with
# every request) and when the browser closes.
SESSION_IDLE_MINUTES = env_int("AWDA_SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# ...and, however active, AWDA_SESSION_MAX_HOURS after the login (a stolen session cookie
# is not good for ever).
SESSION_MAX_HOURS = env_int("AWDA_SESSION_MAX_HOURS", 12, minimum=1)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("AWDA_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("AWDA_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("AWDA_HSTS_PRELOAD", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Background tasks: "thread" runs them in the web process (the embedded default),
# "worker" leaves them to `awda run_tasks`.
AWDA_TASKS = env_str("AWDA_TASKS") or "thread"
if AWDA_TASKS not in ("thread", "worker", "inline"):
    raise ImproperlyConfigured("AWDA_TASKS must be thread or worker.")

# Keys that encrypt sensitive files (attachments): Fernet keys, comma-separated, the first
# encrypts and all decrypt (rotation). Required outside the demo and DEBUG; there, one is
# derived from SECRET_KEY.
ENCRYPTION_KEYS = env_list("AWDA_ENCRYPTION_KEYS") or env_list_file("AWDA_ENCRYPTION_KEYS_FILE")
if not ENCRYPTION_KEYS and not (DEBUG or DEMO):
    raise ImproperlyConfigured(
        "AWDA_ENCRYPTION_KEYS (or AWDA_ENCRYPTION_KEYS_FILE) must hold at least one key; "
        "make one with: python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'"
    )
ATTACHMENT_MAX_BYTES = env_int("AWDA_ATTACHMENT_MAX_MB", 10, minimum=1) * 1024 * 1024

# Keys of `awda backup` archives: Fernet keys, comma-separated, the first encrypts and all
# decrypt. Unset, archives are encrypted with ENCRYPTION_KEYS (or, in the demo and DEBUG
# without keys, with a key derived from SECRET_KEY): see awda/common/backup.py.
BACKUP_KEYS = env_list("AWDA_BACKUP_KEYS") or env_list_file("AWDA_BACKUP_KEYS_FILE")

# Two-factor login (TOTP authenticator app, or a single-use recovery code) for every role
# that sees personal data. Only the demo may switch it off, and then says so on every page.
TWO_FACTOR_REQUIRED = env_bool("AWDA_REQUIRE_2FA", not DEMO)
if not TWO_FACTOR_REQUIRED and not DEMO:
    raise ImproperlyConfigured(
        "AWDA_REQUIRE_2FA can only be switched off in the demo (AWDA_DEMO=1): outside it, "
        "every role that sees personal data logs in with a second factor."
    )
OTP_TOTP_ISSUER = "Awda"
# django-otp's own per-device delays (1, 2, 4, 8 s...) are off: a wrong code counts toward
# django-axes' lockout of the username instead, like a wrong password (one counter, audited).
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# API tokens live AWDA_TOKEN_MINUTES.
API_TOKEN_MINUTES = env_int("AWDA_TOKEN_MINUTES", 60, minimum=1)

# Lock a username out for AXES_COOLOFF after AWDA_LOGIN_FAILURES failed logins in a row.
AXES_FAILURE_LIMIT = env_int("AWDA_LOGIN_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AWDA_LOCKOUT_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
# The failures are forgotten when the login is complete (password and second factor), not
# after the password alone: else the password step would reset the count of wrong codes.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "awda.accounts.views.lockout"
AXES_CLIENT_IP_CALLABLE = "awda.accounts.views.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password", "otp"]
AXES_VERBOSE = False

LANGUAGE_CODE = "ar"
LANG_INFO["kmr"] = {
    "bidi": False,
    "code": "kmr",
    "name": "Kurmanji Kurdish",
    "name_local": "Kurmancî",
}
LANGUAGES = [("ar", _("Arabic")), ("en", _("English")), ("kmr", _("Kurmanji Kurdish"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE") or "Asia/Damascus"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "awda.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["awda.accounts.permissions.SeesPersonalData"],
    "DEFAULT_PAGINATION_CLASS": "awda.common.api.Pagination",
    # DRF's own, refusing a NUL character in a body (awda/common/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "awda.common.parsers.JSONParser",
        "awda.common.parsers.FormParser",
        "awda.common.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"token": "20/min"},
    "EXCEPTION_HANDLER": "awda.common.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Awda API",
    "DESCRIPTION": (
        "Registry of households and people returning from camps in north-east Syria. "
        "Authenticate with POST /api/v1/auth/token/ and send `Authorization: Bearer <token>`. "
        "Every read of personal data is recorded in the audit trail."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui/favicon-32x32.png",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name get their own, stable names in the schema.
    "ENUM_NAME_OVERRIDES": {
        "PersonRelationshipEnum": "awda.registry.models.Person.Relationship",
        "TracingRelationEnum": "awda.tracing.models.Relation",
        "ReferralKindEnum": "awda.cases.models.Referral.Kind",
        "MovementKindEnum": "awda.returns.models.Movement.Kind",
        "SexEnum": "awda.registry.models.Person.Sex",
        "NationalityEnum": "awda.registry.countries.NATIONALITIES",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "awda.common.logging.RedactQueryStrings"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # WeasyPrint logs its progress through every PDF at INFO.
        "weasyprint": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "fontTools": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

SILENCED_SYSTEM_CHECKS = [
    # Lockouts are per username on purpose: a camp office shares one NAT address, and
    # locking the address would lock out every caseworker there after five typos.
    "axes.W006",
    # HSTS preloading commits the whole domain and its subdomains to HTTPS in browsers for
    # good; that is the deploying organisation's decision (AWDA_HSTS_PRELOAD), not a default.
    "security.W021",
]
