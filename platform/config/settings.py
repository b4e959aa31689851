"""One settings module, driven by the environment (django-environ).

Defaults are the embedded ones of DESIGN.md: SQLite, a broker that needs no server (kombu's
filesystem transport), bwrap or docker, console email. Production and CI set DATABASE_URL,
CELERY_BROKER_URL and friends.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

ROOT_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = ROOT_DIR / "var"

env = environ.Env()
environ.Env.read_env(ROOT_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Test runs are detected so that the suite needs no secret; never true under a server.
TESTING = env.bool("TESTING", default="pytest" in sys.modules)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set outside debug (set DEBUG=1 for a laptop)")
    SECRET_KEY = "insecure-debug-key-never-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "hub.core",
    "hub.courses",
    "hub.submissions",
    "hub.grading",
    "hub.gradebook",
    "hub.groups",
    "hub.rubrics",
    "hub.similarity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hub.core.middleware.LoginRequiredMiddleware",
    "hub.core.middleware.ServiceUnavailableMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hub.core.middleware.CourseTimezoneMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hub.core.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web server and the worker use the file at the same time.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
USE_I18N = False
USE_TZ = True
TIME_ZONE = "UTC"  # stored in UTC; each course shows its own zone (America/New_York)
COURSE_TIME_ZONE = env.str("COURSE_TIME_ZONE", default="America/New_York")

STATIC_URL = "static/"
STATIC_ROOT = ROOT_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Submissions are stored content-addressed under SUBMISSION_STORE.
SUBMISSION_STORE = Path(env.str("SUBMISSION_STORE", default=str(VAR_DIR / "store")))
GRADER_WORK_DIR = Path(env.str("GRADER_WORK_DIR", default=str(VAR_DIR / "grading")))
ASSIGNMENTS_DIR = Path(env.str("ASSIGNMENTS_DIR", default=str(ROOT_DIR / "assignments")))
SANDBOX_BACKEND = env.str("SANDBOX_BACKEND", default="auto")  # auto | docker | bwrap
GRADER_DEVICE = env.str("GRADER_DEVICE", default="cpu")
# Containers kept warm per worker and assignment (docker only): torch imported before dequeue.
GRADER_WARM_POOL = env.int("GRADER_WARM_POOL", default=0)
# Share of the GPU one grading job may allocate (a per-process memory fraction).
GRADER_GPU_MEMORY_FRACTION = env.float("GRADER_GPU_MEMORY_FRACTION", default=0.5)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="course-platform@localhost")

SESSION_COOKIE_SECURE = not (DEBUG or TESTING) and env.bool("SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True

# Celery. The filesystem transport needs no server: the demo's broker.
_celery_fs = VAR_DIR / "celery"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("out", "processed", "control"):
        (_celery_fs / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_fs / "out"),
        "data_folder_out": str(_celery_fs / "out"),
        "processed_folder": str(_celery_fs / "processed"),
        "control_folder": str(_celery_fs / "control"),
        "store_processed": False,
    }
else:
    # Sandbox timeout < soft limit < hard limit < visibility timeout, or a long job runs twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"grading.run_next_job": {"queue": "cpu"}}
CELERY_BEAT_SCHEDULE = {
    "sweep-expired-grading-leases": {
        "task": "grading.sweep_jobs",
        "schedule": timedelta(seconds=60),
    },
}
CELERY_TASK_ALWAYS_EAGER = False
# A running job's lease is extended every third of it while its worker lives; a killed worker's
# job is re-queued by the sweeper once the lease runs out.
GRADING_LEASE_SECONDS = env.int("GRADING_LEASE_SECONDS", default=60)
GRADING_MAX_ATTEMPTS = env.int("GRADING_MAX_ATTEMPTS", default=4)
GRADING_BACKOFF_SECONDS = env.int("GRADING_BACKOFF_SECONDS", default=30)
GRADING_RESIGNAL_SECONDS = env.int("GRADING_RESIGNAL_SECONDS", default=120)
GRADING_WORKERS = env.int("GRADING_WORKERS", default=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Course platform API",
    "DESCRIPTION": "Schedule, assignments, submissions and grading of the course.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
