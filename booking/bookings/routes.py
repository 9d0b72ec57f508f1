from flask import Blueprint

bp = Blueprint("bookings", __name__)


@bp.get("/")
def home():
    return "ok"
