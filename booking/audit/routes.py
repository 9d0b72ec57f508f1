"""History pages: per booking, per facility, and the administrator's log."""
from flask import Blueprint

bp = Blueprint("audit", __name__)
