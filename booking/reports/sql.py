"""Portable SQL pieces for the reports: seconds since the epoch, and two-argument greatest/least.

SQLite stores naive UTC text and has scalar ``max``/``min``; PostgreSQL has ``EXTRACT(EPOCH ...)``
and ``GREATEST``/``LEAST``. Arguments are never NULL where these are used (PostgreSQL would skip a
NULL, SQLite would return it).
"""
from __future__ import annotations

import sqlite3

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction


class epoch(GenericFunction):  # SQL function names are lower case
    """Whole seconds since 1970-01-01 UTC."""
    type = Integer()
    inherit_cache = True


class greatest(GenericFunction):
    inherit_cache = True


class least(GenericFunction):
    inherit_cache = True


@compiles(epoch)
def _epoch_pg(element, compiler, **kw):
    # date_part gives double precision; EXTRACT gives numeric, much slower to compute.
    return f"CAST(date_part('epoch', {compiler.process(element.clauses, **kw)}) AS BIGINT)"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    # unixepoch() (SQLite 3.38) gives the same whole seconds as strftime('%s') without formatting a string.
    if sqlite3.sqlite_version_info >= (3, 38):
        return f"unixepoch({compiler.process(element.clauses, **kw)})"
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element, compiler, **kw):
    return f"min({compiler.process(element.clauses, **kw)})"
