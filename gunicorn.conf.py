"""gunicorn settings: ``gunicorn -c gunicorn.conf.py wsgi:app`` (deploy/lianxiang-web.service, Procfile).

Environment:
  WEB_CONCURRENCY      workers (default 2 x CPU cores + 1)
  BIND                 e.g. 127.0.0.1:8000 or unix:/run/lianxiang/web.sock; wins over PORT
  PORT                 listen on 0.0.0.0:PORT (platforms that give the port, e.g. a Procfile host)
  FORWARDED_ALLOW_IPS  the proxies whose X-Forwarded-Proto gunicorn trusts (default 127.0.0.1,::1;
                       list nginx's address when it runs on another host). The app trusts
                       X-Forwarded-For/-Proto/-Host through FLASK_PROXY_FIX, set it to 1 behind one nginx.
  GUNICORN_TIMEOUT     seconds a request may take before its worker is restarted (default 30)
"""
import os


def _workers() -> int:
    given = os.environ.get("WEB_CONCURRENCY", "").strip()
    if given:
        return max(1, int(given))
    return 2 * (os.cpu_count() or 1) + 1


def _bind() -> str:
    if os.environ.get("BIND"):
        return os.environ["BIND"]
    if os.environ.get("PORT"):
        return f"0.0.0.0:{os.environ['PORT']}"
    return "127.0.0.1:8000"  # behind nginx on the same host


workers = _workers()
bind = [_bind()]
worker_class = "sync"  # each request holds one database connection for its duration
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30  # on SIGTERM (a deploy), requests in flight get this long to finish
keepalive = 5  # a little longer than nothing: nginx reuses upstream connections

# Each worker imports the app itself: no connection pool or file handle is shared across a fork,
# and `kill -HUP` (systemctl reload) loads new code.
preload_app = False
# Recycle workers now and then so that a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200

# Logs go to the journal (systemd) or the platform's collector. With FLASK_LOG_FORMAT=json the app
# writes one JSON line per request itself, so gunicorn's text access log would only repeat it.
accesslog = None if os.environ.get("FLASK_LOG_FORMAT", "").lower() == "json" else "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
proc_name = "lianxiang-web"
