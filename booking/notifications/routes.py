"""The notification centre and each user's choice of how to be told (owned by the UI helper)."""
from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
