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
        "WTF_CSRF_TIME_LIMIT": None,
        # Seconds a SQLite writer waits for the write lock before giving up.
        "SQLITE_BUSY_TIMEOUT": 30,
        "PAGE_SIZE": 50,
        # Uploads (an .ics of maintenance windows) and request bodies; larger ones answer 413.
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # The domain part of iCalendar UIDs (booking-<id>@...): keep it stable once calendars hold them.
        "CALENDAR_UID_DOMAIN": "lianxiang.local",
    }


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgres://`` spellings and always use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
