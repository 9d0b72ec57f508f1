"""Screenshots of the main screens, on a desktop (1280 × 900) and a phone (375 × 812), in Chinese and
in English, so that anyone can look at the UI without running it.

    make screenshots                     # or: .venv/bin/python tools/screenshots.py [--out DIR]
    .venv/bin/python tools/screenshots.py --locale en --device phone

A fresh demo (migrated and loaded into a temporary SQLite file) is served on a free port of
127.0.0.1 and shot with Debian's Chromium (/usr/bin/chromium, headless; never a browser download).
Files go to ``screenshots/<locale>/<device>/NN-screen.png`` (git-ignored); their paths are printed.
"""
from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import tempfile
import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo1234"
DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
}
LOCALES = {"zh_CN": "zh-CN", "en": "en"}
MEMBER, MANAGER, COMMITTEE, ADMIN = ("member.a@demo.local", "manager@demo.local", "committee@demo.local",
                                     "admin@demo.local")
WEEK_VIEW_FACILITY = "Chunmiao Livestream Studio 01"


def build_demo(directory: Path):
    """A Flask app on a fresh SQLite file in ``directory``: migrated, the demo loaded."""
    from flask_migrate import upgrade

    from booking import create_app
    from booking.demo import load
    from booking.extensions import db

    app = create_app({"SECRET_KEY": secrets.token_hex(16),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'demo.sqlite'}"})
    logging.disable(logging.INFO)   # the migrations' progress lines
    try:
        with app.app_context():
            upgrade()
    finally:
        logging.disable(logging.NOTSET)
    with app.app_context():
        load()
        db.session.commit()
    return app


def set_everyones_language(app, locale: str) -> None:
    """Each account's language is stored with it; the screenshots of a locale show everyone in it."""
    from sqlalchemy import update

    from booking.accounts.models import User
    from booking.extensions import db
    with app.app_context():
        db.session.execute(update(User).values(locale=locale))
        db.session.commit()


def week_view_path(app) -> str:
    from sqlalchemy import select

    from booking.extensions import db
    from booking.facilities.models import Facility
    with app.app_context():
        facility_id = db.session.scalar(select(Facility.id).where(Facility.name_en == WEEK_VIEW_FACILITY))
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return f"/facilities/{facility_id}?week={today + timedelta(days=7 - today.weekday())}"


def serve(app):
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, code="-", size="-") -> None:
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)


def booking_form(page, week_view: str) -> None:
    page.goto(week_view)
    page.locator("table a[href*='/bookings/new']").first.click()
    page.wait_for_url(lambda url: "/bookings/new" in url)


def visit(path: str):
    return lambda page: page.goto(path)


def screens(week_view: str):
    """(file name, account, how to get there)"""
    go = visit
    return [
        ("01-home", MEMBER, go("/")),
        ("02-facilities", MEMBER, go("/facilities")),
        ("03-week-view", MEMBER, go(week_view)),
        ("04-booking-form", MEMBER, lambda page: booking_form(page, week_view)),
        ("05-our-bookings", MEMBER, go("/bookings")),
        ("06-notifications", MEMBER, go("/notifications")),
        ("07-waiting-list", MEMBER, go("/waitlist")),
        ("08-approval-queue", MANAGER, go("/queue")),
        ("09-report", COMMITTEE, go("/reports")),
        ("10-admin-quotas", ADMIN, go("/admin/quotas")),
        ("11-sign-in", None, go("/login")),
    ]


def shoot(base_url: str, app, out: Path, locales: list[str], devices: list[str]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    week_view = week_view_path(app)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        for locale in locales:
            set_everyones_language(app, locale)
            for device in devices:
                folder = out / locale / device
                folder.mkdir(parents=True, exist_ok=True)
                pages = {}
                for name, account, open_screen in screens(week_view):
                    if account not in pages:
                        context = browser.new_context(
                            base_url=base_url, locale=LOCALES[locale], timezone_id="Asia/Shanghai",
                            reduced_motion="reduce", **DEVICES[device])
                        pages[account] = context.new_page()
                        if account:
                            sign_in(pages[account], account)
                    page = pages[account]
                    open_screen(page)
                    page.wait_for_load_state("load")
                    path = folder / f"{name}.png"
                    page.screenshot(path=path, full_page=True)
                    written.append(path)
                    print(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path, flush=True)
                for page in pages.values():
                    page.context.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--locale", choices=list(LOCALES), action="append",
                        help="only this language (repeatable; default: all)")
    parser.add_argument("--device", choices=list(DEVICES), action="append",
                        help="only this screen size (repeatable; default: all)")
    args = parser.parse_args(argv)
    if not os.access(CHROMIUM, os.X_OK):
        print(f"no Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk", file=sys.stderr)
        return 1
    out = args.out.resolve()
    with tempfile.TemporaryDirectory(prefix="lianxiang-screens-") as directory:
        app = build_demo(Path(directory))
        server, thread = serve(app)
        try:
            base_url = f"http://127.0.0.1:{server.server_port}"
            written = shoot(base_url, app, out, args.locale or list(LOCALES), args.device or list(DEVICES))
        finally:
            server.shutdown()
            thread.join(timeout=10)
            from booking.extensions import db
            with app.app_context():
                db.engine.dispose()
    print(f"{len(written)} screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
