"""Safe defaults; ``instance/config.py`` and ``FLASK_*`` environment variables override them."""
import os

DEFAULT_LOCALE = "zh_CN"
LANGUAGES = ("zh_CN", "en")


def defaults(instance_path: str) -> dict:
    return {
        "SECRET_KEY": "dev-only-change-me",
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
        or "sqlite:///" + os.path.join(instance_path, "booking.sqlite"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": DEFAULT_LOCALE,
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": LANGUAGES,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Behind TLS: FLASK_SECURE_COOKIES=true marks the session and remember-me cookies Secure.
        # Off by default, because the intranet and development servers speak plain http.
        "SECURE_COOKIES": False,
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host; 0 trusts none.
        "PROXY_FIX": 0,
        # Flask-Limiter: memory:// counts per process; several workers share redis://host:6379/0.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_HEADERS_ENABLED": True,
        # When the shared storage (Redis) is down, count in this process instead of failing requests.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Per API token (per address without a valid token), and sign-in attempts per address.
        "API_RATE_LIMIT": "600 per minute",
        "LOGIN_RATE_LIMIT": "20 per minute",
        # This many failed sign-ins for one e-mail within the minutes lock it for as many minutes.
        "LOGIN_LOCKOUT_ATTEMPTS": 5,
        "LOGIN_LOCKOUT_MINUTES": 15,
        # FLASK_LOG_FORMAT=json: one JSON object per line on stderr (booking/logs.py); text otherwise.
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "INFO",
        "WTF_CSRF_TIME_LIMIT": None,
        # Seconds a SQLite writer waits for the write lock before giving up.
        "SQLITE_BUSY_TIMEOUT": 30,
        "PAGE_SIZE": 50,
        # Uploads (an .ics of maintenance windows) and request bodies; larger ones answer 413.
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # The domain part of iCalendar UIDs (booking-<id>@...): keep it stable once calendars hold them.
        "CALENDAR_UID_DOMAIN": "lianxiang.local",
        # Where people reach the site: the links in e-mails (one-click actions, the booking) start here.
        "PUBLIC_URL": "http://127.0.0.1:5000",
        # Outgoing mail (Flask-Mail's names): FLASK_MAIL_SERVER=smtp.example.com and so on.
        "MAIL_SERVER": "localhost",
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_DEFAULT_SENDER": "Lianxiang <noreply@lianxiang.local>",
        # Seconds to wait for the SMTP server before counting the attempt as failed.
        "MAIL_TIMEOUT": 30,
    }


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgres://`` spellings and always use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
