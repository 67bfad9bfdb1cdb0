"""Settings from the environment, with safe defaults for a development machine.

Every variable is listed in `.env.example`.
"""

import datetime as dt
import ipaddress
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key-change-me"
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
SITE_ROOT = os.environ.get("SITE_ROOT", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_tasks",
    "django_tasks_db",
    # Serves the API docs (Swagger UI) from its own static files, never a CDN.
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "accueil.directory",
    "accueil.scheduling",
    "accueil.patients",
    "accueil.booking",
    "accueil.api",
    "accueil.desk",
    "accueil.secretariat",
    "accueil.notify",
    "accueil.reception",
    "accueil.audit",
    "accueil.privacy",
    "accueil.throttle",
    "accueil.demo",
    "accueil.accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "accueil.audit.middleware.RequestContext",
    "accueil.api.middleware.ApiBodySizeLimit",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accueil.accounts.middleware.SecondFactorRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accueil.headers.ContentSecurityPolicy",
    "accueil.throttle.middleware.RateLimitedResponse",
    # Last: turns a lockout flagged during the request into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "accueil.urls"
WSGI_APPLICATION = "accueil.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "accueil" / "templates"],
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

# SQLite by default (zero set-up); PostgreSQL in production through DATABASE_URL.
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'accueil.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so concurrent writers
    # queue on the busy timeout instead of failing on a lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id first; PBKDF2 hashes made before still log in, and are re-hashed with Argon2 then.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "accueil" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# Project-wide assets (vendored libraries, shared styles); apps keep theirs in app/static.
STATICFILES_DIRS = [BASE_DIR / "accueil" / "static"]

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# E-mail: Django's SMTP backend. On a development machine, a local catcher shows what is sent:
# `.venv/bin/python -m aiosmtpd -n -l 127.0.0.1:1025`.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "1025"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Accueil <ne-pas-repondre@accueil.localhost>"
)

# Notifications (accueil/notify, docs/decisions/0006-notification-outbox.md).
# SMS transport: console (logs, development), http (generic JSON provider), brevo, ovh.
NOTIFY_SMS_TRANSPORT = os.environ.get("NOTIFY_SMS_TRANSPORT", "console")
NOTIFY_EMAIL_TRANSPORT = os.environ.get("NOTIFY_EMAIL_TRANSPORT", "smtp")
# Enqueue a django-tasks task (run by db_worker) when a booking commits, for quick sending.
NOTIFY_SEND_ON_COMMIT = env_bool("NOTIFY_SEND_ON_COMMIT", True)
NOTIFY_WORKER_INTERVAL = float(os.environ.get("NOTIFY_WORKER_INTERVAL", "2"))
# A claimed message not marked within this time is claimed again (crashed worker).
NOTIFY_LEASE_SECONDS = int(os.environ.get("NOTIFY_LEASE_SECONDS", "120"))
NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "8"))
NOTIFY_RETRY_BASE_SECONDS = int(os.environ.get("NOTIFY_RETRY_BASE_SECONDS", "30"))
NOTIFY_RETRY_MAX_SECONDS = int(os.environ.get("NOTIFY_RETRY_MAX_SECONDS", "3600"))
# No SMS in these hours (Europe/Paris); empty disables.
SMS_QUIET_HOURS = os.environ.get("SMS_QUIET_HOURS", "20:00-08:00")
# Regions (phonenumbers codes) whose numbers may receive SMS: France and overseas.
SMS_ALLOWED_REGIONS = frozenset(
    os.environ.get("SMS_ALLOWED_REGIONS", "FR,GP,MQ,GF,RE,YT,PM,BL,MF,NC,PF,WF").split(",")
)
# Spell SMS texts in the GSM-7 alphabet (ê -> e, ç -> c): 160 characters a segment, not 70.
SMS_GSM7_TRANSLITERATE = env_bool("SMS_GSM7_TRANSLITERATE", True)
SMS_SENDER = os.environ.get("SMS_SENDER", "Accueil")
SMS_TIMEOUT_SECONDS = float(os.environ.get("SMS_TIMEOUT_SECONDS", "10"))
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
SMS_HTTP_AUTH_HEADER = os.environ.get("SMS_HTTP_AUTH_HEADER", "")
SMS_HTTP_PAYLOAD = os.environ.get(
    "SMS_HTTP_PAYLOAD",
    '{"to": "{to}", "text": "{text}", "sender": "{sender}", "reference": "{key}"}',
)
SMS_HTTP_ID_FIELD = os.environ.get("SMS_HTTP_ID_FIELD", "id")
SMS_HTTP_DEDUPLICATES = env_bool("SMS_HTTP_DEDUPLICATES", False)
SMS_BREVO_API_KEY = os.environ.get("SMS_BREVO_API_KEY", "")
SMS_BREVO_URL = os.environ.get("SMS_BREVO_URL", "https://api.brevo.com/v3/transactionalSMS/send")
SMS_OVH_ENDPOINT = os.environ.get("SMS_OVH_ENDPOINT", "https://eu.api.ovh.com/1.0")
SMS_OVH_APPLICATION_KEY = os.environ.get("SMS_OVH_APPLICATION_KEY", "")
SMS_OVH_APPLICATION_SECRET = os.environ.get("SMS_OVH_APPLICATION_SECRET", "")
SMS_OVH_CONSUMER_KEY = os.environ.get("SMS_OVH_CONSUMER_KEY", "")
SMS_OVH_SERVICE_NAME = os.environ.get("SMS_OVH_SERVICE_NAME", "")
# Waitlist: waiters offered each freed slot, how long an offer holds, the public page path.
WAITLIST_OFFERS_PER_SLOT = int(os.environ.get("WAITLIST_OFFERS_PER_SLOT", "3"))
WAITLIST_OFFER_TTL_MINUTES = int(os.environ.get("WAITLIST_OFFER_TTL_MINUTES", "120"))
WAITLIST_OFFER_PATH = "/rdv/offre/{token}/"

# Public holidays close opening periods; subdivision per organisation (Alsace-Moselle: "57"
# or "6AE", overseas: "971".."976"), this is the default for new organisations.
HOLIDAYS_DEFAULT_SUBDIVISION = os.environ.get("HOLIDAYS_DEFAULT_SUBDIVISION", "")

# Largest JSON body the API accepts (bytes); larger bodies get 413.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", "65536"))
# How long an Idempotency-Key is remembered (hours).
IDEMPOTENCY_KEY_TTL_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "24"))

# Virtual receptionist. Bearer token of the calls API (/api/v1/calls, /api/v1/organisations);
# empty refuses every request (with DEBUG, e.g. `make demo`, a demo token is the default,
# printed by seed_demo). Twilio's auth token signs its webhooks (X-Twilio-Signature);
# empty refuses the webhook. TWILIO_WEBHOOK_BASE_URL is the public URL Twilio calls (behind a
# proxy the request's own URL differs from the one signed); empty: the request's URL.
ACCUEIL_TELEPHONY_TOKEN = os.environ.get(
    "ACCUEIL_TELEPHONY_TOKEN", "demo-standardiste-2026" if DEBUG else ""
)
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_WEBHOOK_BASE_URL = os.environ.get("TWILIO_WEBHOOK_BASE_URL", "")
# Remote secretariat's audio bridge (secretariat/bridge.py): Twilio's REST API calls the
# operator who took a call. Off unless the account SID, auth token, caller id (a Twilio
# number, E.164) and TWILIO_WEBHOOK_BASE_URL are all set; then the console shows the number
# to call back.
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_CALLER_ID = os.environ.get("TWILIO_CALLER_ID", "")
TWILIO_API_URL = os.environ.get("TWILIO_API_URL", "https://api.twilio.com")
TWILIO_TIMEOUT_SECONDS = float(os.environ.get("TWILIO_TIMEOUT_SECONDS", "10"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "accueil.privacy.log_filters.RedactTokensInPaths"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # httpx logs every request URL at INFO (SMS providers): kept to warnings.
        "httpx": {"level": "WARNING"},
        # django-axes logs every login at INFO (logins masked); failures stay, at WARNING.
        "axes": {"level": "WARNING"},
        # Request paths may hold manage-link tokens: redacted before any handler.
        "django.request": {"filters": ["redact_tokens"]},
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_tokens"],
        },
    },
}

LOGIN_URL = "desk:login"
LOGIN_REDIRECT_URL = "desk:home"
# Staff sessions end after an hour without activity (each request renews them).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", "3600"))
SESSION_SAVE_EVERY_REQUEST = True

# Second factor (accueil/accounts, docs/security.md): a TOTP code or a recovery code after
# the password, for every user who can see patient data (`requires_second_factor`). Off only
# for a deliberate exception; `check --deploy` warns when it is.
OTP_REQUIRED = env_bool("OTP_REQUIRED", True)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Accueil")
# Lockout after repeated failures, passwords and codes alike (django-axes), counted per
# login and client address: someone elsewhere cannot lock a practice out. One address
# failing on many logins (credential stuffing) is locked out past AXES_IP_FAILURE_LIMIT.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_IP_FAILURE_LIMIT = int(os.environ.get("AXES_IP_FAILURE_LIMIT", "50"))
AXES_COOLOFF_MINUTES = int(os.environ.get("AXES_COOLOFF_MINUTES", "30"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "accueil.accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "accueil.audit.context.client_ip"
AXES_LOCKOUT_CALLABLE = "accueil.accounts.views.lockout_response"
# Success resets the login's counter in accounts.services, after the second factor only.
AXES_RESET_ON_SUCCESS = False
# Retrying during a lockout does not extend it (the right password is refused all the same).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False
# Successful logins are in the audit journal, under its retention: no second, unbounded log.
AXES_DISABLE_ACCESS_LOG = True

# Audit log and retention (docs/security.md). Client addresses come from REMOTE_ADDR; behind
# a reverse proxy, list its addresses or networks here so X-Forwarded-For is read from it
# (never otherwise: any client can send that header).
TRUSTED_PROXIES = [
    ipaddress.ip_network(p.strip(), strict=False)
    for p in os.environ.get("TRUSTED_PROXIES", "").split(",")
    if p.strip()
]
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "365"))
# Appointments (with their messages, staff messages, waitlist entries, patients left with
# nothing) and calls are anonymised this many days after the day they took place.
RETENTION_APPOINTMENT_DAYS = int(os.environ.get("RETENTION_APPOINTMENT_DAYS", "730"))
RETENTION_CALL_DAYS = int(os.environ.get("RETENTION_CALL_DAYS", "730"))

# Rate limits (accueil/throttle, docs/security.md): "N/s", "N/min", "N/h" or "N/d", counted
# in the database so that every worker and server shares them; "0" lifts one limit.
# RATE_LIMITS_ENABLED=0 lifts them all (tests and benchmarks only, never in production).
RATE_PERIODS = {"s": 1, "min": 60, "h": 3600, "d": 86400}


def env_rate(name: str, default: str) -> tuple[int, int]:
    """(count, seconds) from "N/unit"; "0" is (0, 1): no limit."""
    text = os.environ.get(name, default).strip().replace(" ", "")
    count, _, unit = text.partition("/")
    if not count.isdigit() or (count != "0" and unit not in RATE_PERIODS):
        raise ValueError(f'{name}: "N/s", "N/min", "N/h" or "N/d" expected, got {text!r}')
    return int(count), RATE_PERIODS.get(unit, 1)


RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
RATE_LIMITS = {
    # Public booking: forms sent and API bookings per address, bookings per patient phone.
    "booking_ip": env_rate("RATE_LIMIT_BOOKING_IP", "20/h"),
    "booking_phone": env_rate("RATE_LIMIT_BOOKING_PHONE", "8/d"),
    # Waitlist sign-ups (web and API) per address and per phone.
    "waitlist_ip": env_rate("RATE_LIMIT_WAITLIST_IP", "10/h"),
    "waitlist_phone": env_rate("RATE_LIMIT_WAITLIST_PHONE", "3/d"),
    # Pages and API calls by manage link or token, per address; and the misses among them
    # (unknown link, wrong token): token guessing.
    "manage_ip": env_rate("RATE_LIMIT_MANAGE_IP", "120/h"),
    "token_miss_ip": env_rate("RATE_LIMIT_TOKEN_MISS_IP", "20/h"),
    # Every API POST and DELETE per address.
    "api_ip": env_rate("RATE_LIMIT_API_IP", "120/h"),
    # Calls started through the calls API from one caller number.
    "call_number": env_rate("RATE_LIMIT_CALL_NUMBER", "10/h"),
}
# SMS pumping: SMS sent to one number in a Paris day, all practices and kinds together
# (reminders included); over it a message is not sent (shown in "Envois non remis"). 0: none.
SMS_DAILY_CAP_PER_NUMBER = int(os.environ.get("SMS_DAILY_CAP_PER_NUMBER", "10"))

# HTTPS in production (docs/security.md): off by default so that http://127.0.0.1 works on a
# development machine; `python manage.py check --deploy` lists what is still missing.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (only that proxy may reach us).
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Django's defaults stay: X-Frame-Options DENY, nosniff, Referrer-Policy same-origin,
# HttpOnly session cookie.
