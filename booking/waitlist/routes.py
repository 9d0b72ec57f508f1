"""Joining, seeing and leaving waiting lists."""
from flask import Blueprint

bp = Blueprint("waitlist", __name__, url_prefix="/waitlist")
