"""Lianxiang (链享): shared facilities for industrial-chain alliances."""
from __future__ import annotations

import os
import secrets

from flask import Flask

from . import config


def create_app(test_config: dict | None = None) -> Flask:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=os.environ.get("LIANXIANG_INSTANCE") or os.path.join(root, "instance"),
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
        _ensure_secret_key(app)
    else:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"])
    from .logs import configure_logging
    configure_logging(app)

    from .web import (register_blueprints, register_commands, register_errorhandlers, register_extensions,
                      register_rate_limits, register_security, register_template_helpers)
    app.json.ensure_ascii = False  # Chinese stays readable in JSON
    register_security(app)
    register_extensions(app)
    register_blueprints(app)
    register_rate_limits(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def _ensure_secret_key(app: Flask) -> None:
    """Out of the box, keep a random key in instance/ rather than a guessable default."""
    if app.config["SECRET_KEY"] != config.defaults("")["SECRET_KEY"]:
        return
    path = os.path.join(app.instance_path, "secret_key")
    if not os.path.exists(path):
        with open(path, "w") as handle:
            handle.write(secrets.token_hex(32))
        os.chmod(path, 0o600)
    with open(path) as handle:
        app.config["SECRET_KEY"] = handle.read().strip()
