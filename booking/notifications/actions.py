"""One-click links from e-mails: a signed token stands for the recipient (owned by the delivery helper)."""
from flask import Blueprint

bp = Blueprint("actions", __name__, url_prefix="/act")
